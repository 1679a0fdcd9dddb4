/* certctl status-list: build, update and show Token Status Lists, for tests and demos. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certctl.h"
#include "certlib/certlib.h"

#define MAX_SETS 4096

void certctl_status_list_usage(FILE *out)
{
    fprintf(
        out,
        "usage: certctl status-list --key KEY.pem --cert CERT.pem (--size N | --from OLD.cwt) [--uri URI]\n"
        "                           [--set INDEX=valid|revoked|suspended]... [--ttl SECONDS]\n"
        "                           [--expires-in SECONDS] [--at TIME] --out FILE\n"
        "       certctl status-list --show FILE\n"
        "\n"
        "Builds a signed status list (2 bits per licence, all valid) of N entries, or updates the list in\n"
        "OLD.cwt (its URI is kept unless --uri is given), applies each --set, and signs it with the\n"
        "status-list signer KEY/CERT. --show prints a list's URI, dates and every non-valid entry\n"
        "without checking its signature.\n"
        "\n"
        "  --ttl SECONDS         caching hint for fetchers (default 300)\n"
        "  --expires-in SECONDS  exp = iat + SECONDS (default 86400)\n"
        "  --at TIME             iat (default now)\n"
        "\n"
        "Exit status: 0 on success, 1 when an input is refused, 2 on usage errors.\n");
}

static int status_value(const char *s)
{
    if (strcmp(s, "valid") == 0) return CERTLIB_STATUS_VALUE_VALID;
    if (strcmp(s, "revoked") == 0) return CERTLIB_STATUS_VALUE_REVOKED;
    if (strcmp(s, "suspended") == 0) return CERTLIB_STATUS_VALUE_SUSPENDED;
    return -1;
}

static int show(const char *path)
{
    uint8_t *bytes;
    size_t len;
    if (certctl_read_file("status-list", path, CERTLIB_STATUS_LIST_MAX_BYTES, &bytes, &len))
        return CERTCTL_EXIT_USAGE;
    certlib_status_list *list = NULL;
    certlib_status_token_info info;
    certlib_err err = certlib_status_list_decode(bytes, len, &list, &info);
    free(bytes);
    if (err) {
        fprintf(stderr, "certctl status-list: %s: %s (%s)\n", path, certlib_strerror(err),
                certlib_err_name(err));
        return CERTCTL_EXIT_INVALID;
    }
    char iat[32], exp[32];
    certctl_format_time(info.iat, iat);
    certctl_format_time(info.exp, exp);
    printf("uri: %s\niat: %s\nexp: %s\nttl: %llu\nbits: %u\nentries: %zu\n", info.uri, iat,
           info.exp ? exp : "none", (unsigned long long)info.ttl, certlib_status_list_bits(list),
           certlib_status_list_size(list));
    for (size_t i = 0; i < certlib_status_list_size(list); i++) {
        unsigned v = 0;
        if (certlib_status_list_get(list, i, &v) == CERTLIB_OK && v != CERTLIB_STATUS_VALUE_VALID)
            printf("%zu\t%s\n", i,
                   v == CERTLIB_STATUS_VALUE_REVOKED     ? "revoked"
                   : v == CERTLIB_STATUS_VALUE_SUSPENDED ? "suspended"
                                                         : "other");
    }
    certlib_status_list_free(list);
    return CERTCTL_EXIT_OK;
}

int certctl_status_list_main(int argc, char **argv)
{
    enum { O_KEY = 256, O_CERT, O_SIZE, O_FROM, O_URI, O_SET, O_TTL, O_EXPIRES, O_AT, O_OUT, O_SHOW };
    static const struct option longopts[] = {{"key", required_argument, NULL, O_KEY},
                                             {"cert", required_argument, NULL, O_CERT},
                                             {"size", required_argument, NULL, O_SIZE},
                                             {"from", required_argument, NULL, O_FROM},
                                             {"uri", required_argument, NULL, O_URI},
                                             {"set", required_argument, NULL, O_SET},
                                             {"ttl", required_argument, NULL, O_TTL},
                                             {"expires-in", required_argument, NULL, O_EXPIRES},
                                             {"at", required_argument, NULL, O_AT},
                                             {"out", required_argument, NULL, O_OUT},
                                             {"show", required_argument, NULL, O_SHOW},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *key = NULL, *cert = NULL, *from = NULL, *uri = NULL, *out = NULL, *sets[MAX_SETS];
    size_t n_sets = 0, size = 0;
    long long ttl = 300, expires_in = 86400;
    int64_t iat = 0;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_KEY:
            key = optarg;
            break;
        case O_CERT:
            cert = optarg;
            break;
        case O_SIZE:
            size = strtoull(optarg, &end, 10);
            if (*end || size == 0)
                return fprintf(stderr, "certctl status-list: bad --size\n"), CERTCTL_EXIT_USAGE;
            break;
        case O_FROM:
            from = optarg;
            break;
        case O_URI:
            uri = optarg;
            break;
        case O_SET:
            if (n_sets == MAX_SETS)
                return fprintf(stderr, "certctl status-list: too many --set\n"), CERTCTL_EXIT_USAGE;
            sets[n_sets++] = optarg;
            break;
        case O_TTL:
        case O_EXPIRES: {
            long long v = strtoll(optarg, &end, 10);
            if (*end || v < 0)
                return fprintf(stderr, "certctl status-list: bad number '%s'\n", optarg), CERTCTL_EXIT_USAGE;
            *(opt == O_TTL ? &ttl : &expires_in) = v;
            break;
        }
        case O_AT:
            if (certctl_parse_time(optarg, &iat))
                return fprintf(stderr, "certctl status-list: bad --at\n"), CERTCTL_EXIT_USAGE;
            break;
        case O_OUT:
            out = optarg;
            break;
        case O_SHOW:
            return show(optarg);
        case 'h':
            certctl_status_list_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_status_list_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (optind != argc || !key || !cert || !out || (!size == !from)) {
        fprintf(stderr,
                "certctl status-list: --key, --cert, --out and one of --size or --from are required\n");
        return CERTCTL_EXIT_USAGE;
    }
    certlib_signer *signer = NULL;
    certlib_status_list *list = NULL;
    certlib_status_token_info info = {0};
    uint8_t *old = NULL, *token = NULL;
    size_t old_len, token_len;
    int status = CERTCTL_EXIT_USAGE;
    certlib_err err = certlib_signer_load(key, cert, &signer);
    if (err) {
        fprintf(stderr, "certctl status-list: %s / %s: %s\n", key, cert, certlib_strerror(err));
        goto done;
    }
    if (from) {
        if (certctl_read_file("status-list", from, CERTLIB_STATUS_LIST_MAX_BYTES, &old, &old_len)) goto done;
        err = certlib_status_list_decode(old, old_len, &list, &info);
    } else {
        err = certlib_status_list_new(size, 2, &list);
    }
    if (err) {
        fprintf(stderr, "certctl status-list: %s: %s\n", from ? from : "new list", certlib_strerror(err));
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    if (!uri) uri = info.uri;
    if (!uri) {
        fprintf(stderr, "certctl status-list: --uri is required for a new list\n");
        goto done;
    }
    for (size_t i = 0; i < n_sets; i++) {
        char *eq = strchr(sets[i], '=');
        unsigned long long idx = strtoull(sets[i], &end, 10);
        int value = eq ? status_value(eq + 1) : -1;
        if (!eq || end != eq || value < 0) {
            fprintf(stderr, "certctl status-list: bad --set '%s' (INDEX=valid|revoked|suspended)\n", sets[i]);
            goto done;
        }
        if ((err = certlib_status_list_set(list, idx, (unsigned)value))) {
            fprintf(stderr, "certctl status-list: --set %s: %s\n", sets[i], certlib_strerror(err));
            status = CERTCTL_EXIT_INVALID;
            goto done;
        }
    }
    if (!iat) iat = (int64_t)time(NULL);
    err = certlib_status_list_sign(list, signer, uri, iat, expires_in ? iat + expires_in : 0, (uint64_t)ttl,
                                   &token, &token_len);
    if (err) {
        fprintf(stderr, "certctl status-list: signing failed: %s\n", certlib_strerror(err));
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    status = certctl_write_file("status-list", out, token, token_len) ? CERTCTL_EXIT_USAGE : CERTCTL_EXIT_OK;
done:
    certlib_free(token);
    free(old);
    certlib_status_list_free(list);
    certlib_signer_free(signer);
    return status;
}
