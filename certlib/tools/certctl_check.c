/* certctl check and certctl upgrade15: identifier checks from the command line. */
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certlib/ident.h"

#define LINE_MAX_KEPT 4096 /* longer stdin lines are checked as what they are: far too long */

void certctl_check_usage(FILE *out)
{
    fprintf(out,
            "usage: certctl check [--json] [--accept any|person|org] [--regions FILE] [NUMBER...]\n"
            "\n"
            "Checks each NUMBER, or each line of standard input when none is given, and prints one\n"
            "result per line: an 18- or 15-digit resident identity number, a 港澳台居民居住证 or\n"
            "外国人永久居留身份证 number, a unified social credit code or a GB 11714 organisation code.\n"
            "\n"
            "  --json          one JSON object per line (input, valid, kind, reason, normalized, ...)\n"
            "  --accept KINDS  accept only people's numbers (person), organisations' codes (org) or any\n"
            "  --regions FILE  also accept the GB/T 2260 codes listed in FILE (code first last name TSV)\n"
            "\n"
            "Exit status: 0 when every input is valid, 1 when any is invalid, 2 on usage errors.\n");
}

void certctl_upgrade15_usage(FILE *out)
{
    fprintf(out,
            "usage: certctl upgrade15 NUMBER\n"
            "\n"
            "Prints the 18-digit form of a legacy 15-digit resident identity number (GB 11643-1999 §6).\n"
            "Exit status: 0 on success, 1 when NUMBER is not a valid 15-digit number, 2 on usage errors.\n");
}

/* Text for a terminal: control characters and bytes of invalid UTF-8 become '?'. */
static void print_sanitized(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        putchar(c < 0x20 || c == 0x7F || c >= 0x80 ? '?' : c);
    }
}

static void print_plain(const certlib_ident *r, const certlib_regions *regions, const char *s, size_t len)
{
    if (r->reason != CERTLIB_OK) {
        print_sanitized(s, len > 64 ? 64 : len);
        printf("%s\tinvalid\t%s: %s\n", len > 64 ? "..." : "", certlib_err_name(r->reason),
               certlib_strerror(r->reason));
        return;
    }
    printf("%s\tvalid\t%s", r->normalized, certlib_ident_kind_name((certlib_ident_kind)r->kind));
    if (r->region_code) {
        char place[256];
        certlib_ident_region_name(r, regions, place, sizeof(place));
        printf("\t%06u %s", (unsigned)r->region_code, place);
    }
    if (r->birth_date)
        printf("\t%04u-%02u-%02u", (unsigned)(r->birth_date / 10000), (unsigned)(r->birth_date / 100 % 100),
               (unsigned)(r->birth_date % 100));
    if (r->sex) printf("\t%s", r->sex == CERTLIB_SEX_MALE ? "male" : "female");
    putchar('\n');
}

struct check_run {
    bool json;
    certlib_ident_opts opts;
    char *json_buf;
    size_t json_cap;
    int any_invalid;
};

static void check_and_print(struct check_run *run, const char *s, size_t len)
{
    certlib_ident r;
    if (certlib_ident_check(s, len, &run->opts, &r) != CERTLIB_OK) run->any_invalid = 1;
    if (!run->json) {
        print_plain(&r, run->opts.regions, s, len);
        return;
    }
    size_t need = certlib_ident_to_json(&r, run->opts.regions, s, len, run->json_buf, run->json_cap);
    fwrite(run->json_buf, 1, need < run->json_cap ? need : run->json_cap - 1, stdout);
    putchar('\n');
}

/* Reads one line, keeping at most LINE_MAX_KEPT bytes; `*total` is its real length. False at EOF. */
static bool read_line(FILE *in, char *buf, size_t *kept, size_t *total)
{
    int c;
    size_t n = 0, all = 0;
    while ((c = getc(in)) != EOF && c != '\n') {
        if (n < LINE_MAX_KEPT) buf[n++] = (char)c;
        all++;
    }
    if (c == EOF && all == 0) return false;
    if (n && all == n && buf[n - 1] == '\r') n--, all--; /* CRLF files */
    *kept = n;
    *total = all;
    return true;
}

static int parse_accept(const char *arg, uint32_t *accept)
{
    if (strcmp(arg, "any") == 0)
        *accept = CERTLIB_IDENT_ACCEPT_ANY;
    else if (strcmp(arg, "person") == 0)
        *accept = CERTLIB_IDENT_ACCEPT_PERSON;
    else if (strcmp(arg, "org") == 0)
        *accept = CERTLIB_IDENT_ACCEPT_ORG;
    else
        return -1;
    return 0;
}

int certctl_check_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"accept", required_argument, NULL, 'a'},
                                             {"regions", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct check_run run = {0};
    certlib_regions *regions = NULL;
    const char *regions_path = NULL;
    int opt, status = CERTCTL_EXIT_USAGE;
    while ((opt = getopt_long(argc, argv, "ja:r:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            run.json = true;
            break;
        case 'a':
            if (parse_accept(optarg, &run.opts.accept) == 0) break;
            fprintf(stderr, "certctl check: --accept takes any, person or org\n");
            return CERTCTL_EXIT_USAGE;
        case 'r':
            regions_path = optarg;
            break;
        case 'h':
            certctl_check_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_check_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (regions_path) {
        size_t bad_line = 0;
        certlib_err err = certlib_regions_new(&regions);
        if (!err) err = certlib_regions_load_tsv(regions, regions_path, &bad_line);
        if (err) {
            fprintf(stderr, "certctl check: %s:%zu: %s\n", regions_path, bad_line, certlib_strerror(err));
            goto done;
        }
        run.opts.regions = regions;
    }
    run.json_cap = 2048;
    run.json_buf = malloc(run.json_cap);
    if (!run.json_buf) goto done;

    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            check_and_print(&run, argv[i], strlen(argv[i]));
    } else {
        char line[LINE_MAX_KEPT];
        size_t kept, total;
        while (read_line(stdin, line, &kept, &total)) {
            if (total > kept) {
                /* Too long for any identifier: report it as such, echoing what was kept. */
                certlib_ident r = {.reason = CERTLIB_E_IDENT_LENGTH};
                run.any_invalid = 1;
                if (run.json) {
                    certlib_ident_to_json(&r, NULL, line, kept, run.json_buf, run.json_cap);
                    printf("%s\n", run.json_buf);
                } else
                    print_plain(&r, NULL, line, kept);
                continue;
            }
            check_and_print(&run, line, kept);
        }
        if (ferror(stdin)) {
            fprintf(stderr, "certctl check: error reading standard input\n");
            goto done;
        }
    }
    status = run.any_invalid ? CERTCTL_EXIT_INVALID : CERTCTL_EXIT_OK;
    if (fflush(stdout) != 0) status = CERTCTL_EXIT_USAGE;
done:
    free(run.json_buf);
    certlib_regions_free(regions);
    return status;
}

int certctl_upgrade15_main(int argc, char **argv)
{
    if (argc == 2 && certctl_is_help(argv[1])) {
        certctl_upgrade15_usage(stdout);
        return CERTCTL_EXIT_OK;
    }
    if (argc != 2) {
        certctl_upgrade15_usage(stderr);
        return CERTCTL_EXIT_USAGE;
    }
    char upgraded[19];
    certlib_err err = certlib_ident_upgrade15(argv[1], strlen(argv[1]), NULL, upgraded);
    if (err) {
        fprintf(stderr, "certctl upgrade15: %s: %s\n", certlib_err_name(err), certlib_strerror(err));
        return CERTCTL_EXIT_INVALID;
    }
    printf("%s\n", upgraded);
    return CERTCTL_EXIT_OK;
}
