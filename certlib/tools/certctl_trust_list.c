/* certctl trust-list: sign a trust list (a publisher's side) and check one under its pinned key (a
 * peer's or a counter's side). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certlib/certlib.h"

#define PIN_MAX_BYTES (64 * 1024)

void certctl_trust_list_usage(FILE *out)
{
    fprintf(out,
            "usage: certctl trust-list sign --key KEY --cert CERT [-o OUT] PAYLOAD.json\n"
            "       certctl trust-list check --pin CERT [--min-sequence N] [--at TIME] [--payload OUT] LIST\n"
            "\n"
            "sign: signs a trust-list payload (docs/formats.md, \"Signed trust lists\": trust_list, issuer,\n"
            "sequence, issued, expires, bundle[, logs, matters]) with the trust-list key, after checking it\n"
            "as a reader would; writes the COSE_Sign1 to OUT (default standard output).\n"
            "check: verifies a signed list (a file, or - for standard input) under the pinned certificate:\n"
            "signature, form, bundle, validity at TIME (default now) and, with --min-sequence, that it is\n"
            "no older than the last one accepted. Prints what it says; --payload writes the verified JSON.\n"
            "\n"
            "Exit status: 0 signed or valid; 1 refused; 2 usage errors or unreadable files.\n");
}

static int sign_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"key", required_argument, NULL, 'k'},
                                             {"cert", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *key = NULL, *cert = NULL, *out_path = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        if (opt == 'k')
            key = optarg;
        else if (opt == 'c')
            cert = optarg;
        else if (opt == 'o')
            out_path = optarg;
        else
            return certctl_trust_list_usage(opt == 'h' ? stdout : stderr),
                   opt == 'h' ? 0 : CERTCTL_EXIT_USAGE;
    }
    if (!key || !cert || optind != argc - 1) {
        fprintf(stderr, "certctl trust-list sign: --key, --cert and exactly one PAYLOAD are required\n");
        return CERTCTL_EXIT_USAGE;
    }
    certlib_signer *signer = NULL;
    certlib_err err = certlib_signer_load(key, cert, &signer);
    if (err) {
        fprintf(stderr, "certctl trust-list sign: %s: %s\n", key, certlib_strerror(err));
        return CERTCTL_EXIT_USAGE;
    }
    uint8_t *payload = NULL, *signed_list = NULL;
    size_t len, signed_len;
    char why[256] = "";
    int status = CERTCTL_EXIT_USAGE;
    if (certctl_read_file("trust-list sign", argv[optind], CERTLIB_TRUST_LIST_MAX_BYTES, &payload, &len))
        goto done;
    if ((err = certlib_trust_list_sign(signer, payload, len, &signed_list, &signed_len, why, sizeof(why)))) {
        fprintf(stderr, "certctl trust-list sign: %s: %s\n", argv[optind],
                why[0] ? why : certlib_strerror(err));
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    status = certctl_write_file("trust-list sign", out_path, signed_list, signed_len);
done:
    free(payload);
    free(signed_list);
    certlib_signer_free(signer);
    return status;
}

static int check_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pin", required_argument, NULL, 'p'}, {"min-sequence", required_argument, NULL, 'm'},
        {"at", required_argument, NULL, 'a'},  {"payload", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    const char *pin_path = NULL, *payload_out = NULL;
    uint64_t min_sequence = 0;
    int64_t at = 0;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            pin_path = optarg;
            break;
        case 'm':
            min_sequence = strtoull(optarg, &end, 10);
            if (*end || optarg[0] == '-')
                return fprintf(stderr, "certctl trust-list check: bad --min-sequence\n"), CERTCTL_EXIT_USAGE;
            break;
        case 'a':
            if (certctl_parse_time(optarg, &at))
                return fprintf(stderr, "certctl trust-list check: bad --at\n"), CERTCTL_EXIT_USAGE;
            break;
        case 'b':
            payload_out = optarg;
            break;
        default:
            certctl_trust_list_usage(opt == 'h' ? stdout : stderr);
            return opt == 'h' ? CERTCTL_EXIT_OK : CERTCTL_EXIT_USAGE;
        }
    }
    if (!pin_path || optind != argc - 1) {
        fprintf(stderr, "certctl trust-list check: --pin and exactly one LIST are required\n");
        return CERTCTL_EXIT_USAGE;
    }
    uint8_t *list = NULL, *pin = NULL;
    size_t list_len, pin_len;
    int status = CERTCTL_EXIT_USAGE;
    certlib_ctx *ctx = NULL;
    certlib_trust_list_info info;
    if (certctl_read_file("trust-list check", argv[optind], CERTLIB_TRUST_LIST_MAX_BYTES, &list, &list_len) ||
        certctl_read_file("trust-list check", pin_path, PIN_MAX_BYTES, &pin, &pin_len) ||
        certlib_ctx_new(&ctx))
        goto done;
    certlib_err err = certlib_ctx_load_trust_list(ctx, list, list_len, pin, pin_len, at, min_sequence, &info);
    if (err) {
        printf("refused: %s (%s)\n", certlib_err_name(err), certlib_ctx_trust_error(ctx));
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    printf("valid: trust list of %s\n", info.issuer);
    printf("  sequence  %" PRIu64 "\n", info.sequence);
    printf("  issued    %" PRId64 "\n  expires   %" PRId64 "\n", info.issued, info.expires);
    printf("  roots     %zu\n  signers   %zu\n", certlib_ctx_root_count(ctx), certlib_ctx_signer_count(ctx));
    status = CERTCTL_EXIT_OK;
    if (payload_out) {
        status = certctl_write_file("trust-list check", payload_out, info.payload, info.payload_len);
    }
done:
    certlib_ctx_free(ctx);
    free(list);
    free(pin);
    return status;
}

int certctl_trust_list_main(int argc, char **argv)
{
    if (argc < 2 || certctl_is_help(argv[1])) {
        certctl_trust_list_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CERTCTL_EXIT_USAGE : CERTCTL_EXIT_OK;
    }
    if (strcmp(argv[1], "sign") == 0) return sign_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0) return check_main(argc - 1, argv + 1);
    fprintf(stderr, "certctl trust-list: unknown action %s (sign or check)\n", argv[1]);
    return CERTCTL_EXIT_USAGE;
}
