/* certctl verify and certctl inspect: a licence checked against a trust bundle, or merely shown. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certctl_result.h"
#include "certlib/certlib.h"

#define MAX_STATUS_FILES 64

void certctl_verify_usage(FILE *out)
{
    fprintf(out,
            "usage: certctl verify (--trust BUNDLE.json | --trust-list LIST.cose --pin CERT)\n"
            "                      [--status LIST.cwt]... [--crl CRL]... [--at TIME]\n"
            "                      [--skew SECONDS] [--require-status]\n"
            "                      [--receipt FILE --log-key KEY [--require-logged]\n"
            "                       [--witness KEY... [--quorum K]]]\n"
            "                      [--challenge TEXT] [--require-holder-bound | --licence-only]\n"
            "                      [--expect-holder ID] [--json] FILE\n"
            "\n"
            "Verifies an e-licence (FILE, or - for standard input: CBOR, or scanned EL1: QR text) offline:\n"
            "structure, signer, signature, certificate validity, scope, validity period, element digests,\n"
            "with --status the status list, with --receipt the signature log, and holder binding: a\n"
            "licence bound to the holder's device must come as a presentation answering --challenge, or\n"
            "it fails (device_signature_missing) as the copy it is. Prints the verdict, every check and\n"
            "the disclosed elements.\n"
            "\n"
            "  --trust FILE       trust bundle (keys-example/trust.json for the demo PKI)\n"
            "  --trust-list FILE  or a peer's signed trust list (authd: /v1/trust-list), checked under\n"
            "  --pin CERT         the trust-list certificate agreed with its publisher\n"
            "  --status FILE      a signed status list (repeatable), taken as fetched at the check time\n"
            "  --crl FILE         a CRL of one of the bundle's roots (repeatable): revoked signers fail\n"
            "  --at TIME          check as of TIME (YYYY-MM-DD, RFC 3339 UTC or Unix seconds); default now\n"
            "  --skew SECONDS     clock tolerance on every time comparison (default 0)\n"
            "  --require-status   a licence without a status reference fails\n"
            "  --receipt FILE     a tlog-proof from the signature log (authd: /v1/licences/{id}/receipt)\n"
            "  --log-key KEY      the signature log's verifier key, or a file holding it\n"
            "                     (keys-example/log/signatures.vkey for the example authd)\n"
            "  --require-logged   a licence without a receipt fails\n"
            "  --witness KEY      a witness's cosigner key (C2SP tlog-cosignature, or a file holding it;\n"
            "                     repeatable): the receipt's checkpoint must carry their cosignatures\n"
            "  --quorum K         how many of the --witness keys must have cosigned (default: all)\n"
            "  --challenge TEXT   FILE is a presentation answering this challenge (or a file holding it):\n"
            "                     the holder check verifies the device signature over it\n"
            "  --licence-only     check the licence, not who shows it (issuers and holders; never a\n"
            "                     counter): a bound licence on its own is not refused for that\n"
            "  --require-holder-bound  also refuse licences bound to no device (not_holder_bound)\n"
            "  --expect-holder ID the licence must disclose this holder_id (identity number or USCC)\n"
            "  --json             one JSON object\n"
            "\n"
            "Exit status: 0 only when the verdict is valid; 1 invalid or indeterminate (status unknown);\n"
            "2 usage errors or unreadable files.\n");
}

/* A peer's signed trust list as the context's trust, checked under the pinned certificate at the
 * check time. */
static certlib_err load_trust_list(certlib_ctx *ctx, const char *list_path, const char *pin_path,
                                   const certlib_verify_opts *opts)
{
    uint8_t *list = NULL, *pin = NULL;
    size_t list_len, pin_len;
    certlib_err err = CERTLIB_E_IO_READ;
    certlib_trust_list_info info;
    if (!certctl_read_file("verify", list_path, CERTLIB_TRUST_LIST_MAX_BYTES, &list, &list_len) &&
        !certctl_read_file("verify", pin_path, 64 * 1024, &pin, &pin_len))
        err = certlib_ctx_load_trust_list(ctx, list, list_len, pin, pin_len, opts->now, 0, &info);
    free(list);
    free(pin);
    return err;
}

void certctl_inspect_usage(FILE *out)
{
    fprintf(out, "usage: certctl inspect [--json] FILE\n"
                 "\n"
                 "Prints an e-licence's structure and elements, with the Chinese labels of the GB/T 36903\n"
                 "metadata, WITHOUT verifying anything (use certctl verify for that).\n"
                 "Exit status: 0 when the structure is well-formed, 1 when not, 2 on usage errors.\n");
}

static int load_status(certlib_ctx *ctx, const char *path, const certlib_verify_opts *opts)
{
    uint8_t *cwt;
    size_t len;
    if (certctl_read_file("verify", path, CERTLIB_STATUS_LIST_MAX_BYTES, &cwt, &len)) return -1;
    certlib_err err = certlib_ctx_add_status_list_at(ctx, cwt, len, opts->now, opts->clock_skew);
    free(cwt);
    if (err)
        fprintf(stderr, "certctl verify: %s: status list refused: %s (%s)\n", path, certlib_strerror(err),
                certlib_err_name(err));
    return err ? -1 : 0;
}

static int load_crl(certlib_ctx *ctx, const char *path)
{
    uint8_t *crl;
    size_t len;
    if (certctl_read_file("verify", path, 8 * 1024 * 1024, &crl, &len)) return -1;
    certlib_err err = certlib_ctx_add_crl(ctx, crl, len);
    free(crl);
    if (err)
        fprintf(stderr, "certctl verify: %s: CRL refused: %s (%s)\n", path, certlib_strerror(err),
                certlib_err_name(err));
    return err ? -1 : 0;
}

static int run(const char *cmd, certlib_ctx *ctx, const char *path, const certlib_verify_opts *opts,
               const certlib_challenge *challenge, bool json, bool inspect)
{
    uint8_t *bytes;
    size_t len;
    int read = certctl_read_licence(cmd, path, &bytes, &len);
    if (read != CERTCTL_EXIT_OK) return read;
    certlib_result *r = NULL;
    certlib_err err;
    if (!inspect && certlib_is_presentation(bytes, len)) {
        if (!challenge) {
            free(bytes);
            fprintf(stderr, "certctl %s: %s is a presentation: give the challenge it answers (--challenge)\n",
                    cmd, path);
            return CERTCTL_EXIT_USAGE;
        }
        err = certlib_presentation_verify(ctx, bytes, len, challenge, opts, &r);
    } else if (inspect) {
        err = certlib_licence_read(bytes, len, &r); /* the structure, shown; nothing believed */
    } else {
        err = certlib_licence_verify(ctx, bytes, len, opts, &r);
    }
    free(bytes);
    if (err) {
        fprintf(stderr, "certctl %s: %s\n", cmd, certlib_strerror(err));
        return CERTCTL_EXIT_USAGE;
    }
    int status;
    if (inspect) {
        certlib_check_result structure = certlib_result_check(r, CERTLIB_CHECK_STRUCTURE);
        status = structure.state == CERTLIB_CHECK_PASSED ? CERTCTL_EXIT_OK : CERTCTL_EXIT_INVALID;
        if (json) {
            certctl_print_result_json(stdout, r);
        } else {
            printf("size: %zu bytes\nstructure: %s", len,
                   structure.reason ? "malformed: " : "well-formed (not verified)");
            if (structure.reason)
                printf("%s (%s)", certlib_strerror(structure.reason), certlib_err_name(structure.reason));
            putchar('\n');
            certctl_print_result(stdout, r, false);
        }
    } else {
        status = certlib_result_verdict(r) == CERTLIB_VERDICT_VALID ? CERTCTL_EXIT_OK : CERTCTL_EXIT_INVALID;
        if (json)
            certctl_print_result_json(stdout, r);
        else
            certctl_print_result(stdout, r, true);
    }
    certlib_result_free(r);
    if (fflush(stdout) != 0) status = CERTCTL_EXIT_USAGE;
    return status;
}

int certctl_verify_main(int argc, char **argv)
{
    enum {
        O_TRUST = 256,
        O_STATUS,
        O_AT,
        O_SKEW,
        O_REQUIRE,
        O_JSON,
        O_RECEIPT,
        O_LOG_KEY,
        O_REQUIRE_LOGGED,
        O_CHALLENGE,
        O_CRL,
        O_LICENCE_ONLY,
        O_REQUIRE_BOUND,
        O_EXPECT_HOLDER,
        O_WITNESS,
        O_QUORUM,
        O_TRUST_LIST,
        O_PIN
    };
    static const struct option longopts[] = {{"trust", required_argument, NULL, O_TRUST},
                                             {"status", required_argument, NULL, O_STATUS},
                                             {"at", required_argument, NULL, O_AT},
                                             {"skew", required_argument, NULL, O_SKEW},
                                             {"require-status", no_argument, NULL, O_REQUIRE},
                                             {"json", no_argument, NULL, O_JSON},
                                             {"receipt", required_argument, NULL, O_RECEIPT},
                                             {"log-key", required_argument, NULL, O_LOG_KEY},
                                             {"require-logged", no_argument, NULL, O_REQUIRE_LOGGED},
                                             {"challenge", required_argument, NULL, O_CHALLENGE},
                                             {"crl", required_argument, NULL, O_CRL},
                                             {"licence-only", no_argument, NULL, O_LICENCE_ONLY},
                                             {"require-holder-bound", no_argument, NULL, O_REQUIRE_BOUND},
                                             {"expect-holder", required_argument, NULL, O_EXPECT_HOLDER},
                                             {"witness", required_argument, NULL, O_WITNESS},
                                             {"quorum", required_argument, NULL, O_QUORUM},
                                             {"trust-list", required_argument, NULL, O_TRUST_LIST},
                                             {"pin", required_argument, NULL, O_PIN},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *trust = NULL, *status_files[MAX_STATUS_FILES], *crl_files[MAX_STATUS_FILES], *receipt = NULL,
               *log_key = NULL, *challenge_arg = NULL, *trust_list = NULL, *pin = NULL;
    size_t n_crls = 0;
    bool licence_only = false, require_bound = false;
    certlib_challenge challenge;
    certlib_note_verifier key;
    uint8_t *receipt_bytes = NULL;
    size_t n_status = 0;
    certlib_verify_opts opts = {0};
    struct certctl_witnesses witnesses = {0};
    bool json = false;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_TRUST:
            trust = optarg;
            break;
        case O_TRUST_LIST:
            trust_list = optarg;
            break;
        case O_PIN:
            pin = optarg;
            break;
        case O_STATUS:
            if (n_status == MAX_STATUS_FILES)
                return fprintf(stderr, "certctl verify: too many --status\n"), CERTCTL_EXIT_USAGE;
            status_files[n_status++] = optarg;
            break;
        case O_AT:
            if (certctl_parse_time(optarg, &opts.now))
                return fprintf(stderr, "certctl verify: bad --at\n"), CERTCTL_EXIT_USAGE;
            break;
        case O_SKEW:
            opts.clock_skew = strtoll(optarg, &end, 10);
            if (*end || opts.clock_skew < 0)
                return fprintf(stderr, "certctl verify: bad --skew\n"), CERTCTL_EXIT_USAGE;
            break;
        case O_REQUIRE:
            opts.require_status = true;
            break;
        case O_JSON:
            json = true;
            break;
        case O_RECEIPT:
            receipt = optarg;
            break;
        case O_LOG_KEY:
            log_key = optarg;
            break;
        case O_REQUIRE_LOGGED:
            opts.require_logged = true;
            break;
        case O_CHALLENGE:
            challenge_arg = optarg;
            break;
        case O_CRL:
            if (n_crls == MAX_STATUS_FILES)
                return fprintf(stderr, "certctl verify: too many --crl\n"), CERTCTL_EXIT_USAGE;
            crl_files[n_crls++] = optarg;
            break;
        case O_LICENCE_ONLY:
            licence_only = true;
            break;
        case O_REQUIRE_BOUND:
            require_bound = true;
            break;
        case O_EXPECT_HOLDER:
            opts.expected_holder_id = optarg;
            break;
        case O_WITNESS:
            if (certctl_witness_add("verify", optarg, &witnesses)) return CERTCTL_EXIT_USAGE;
            break;
        case O_QUORUM:
            if (certctl_witness_quorum("verify", optarg, &witnesses)) return CERTCTL_EXIT_USAGE;
            break;
        case 'h':
            certctl_verify_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_verify_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (!trust == !trust_list || !trust_list != !pin || optind != argc - 1) {
        fprintf(stderr, "certctl verify: --trust (or --trust-list with --pin) and exactly one FILE are "
                        "required\n");
        return CERTCTL_EXIT_USAGE;
    }
    if (licence_only && (require_bound || challenge_arg)) {
        fprintf(stderr, "certctl verify: --licence-only checks no holder: not with --challenge or "
                        "--require-holder-bound\n");
        return CERTCTL_EXIT_USAGE;
    }
    opts.holder = licence_only    ? CERTLIB_HOLDER_NOT_CHECKED
                  : require_bound ? CERTLIB_HOLDER_REQUIRED
                                  : CERTLIB_HOLDER_IF_BOUND;
    if (challenge_arg && certctl_load_challenge("verify", challenge_arg, &challenge))
        return CERTCTL_EXIT_USAGE;
    if (!receipt != !log_key || (witnesses.n && !receipt) || certctl_witness_done("verify", &witnesses)) {
        fprintf(stderr, "certctl verify: --receipt and --log-key go together; --witness needs them\n");
        return CERTCTL_EXIT_USAGE;
    }
    opts.witnesses = witnesses.keys;
    opts.n_witnesses = witnesses.n;
    opts.witness_quorum = witnesses.quorum;
    if (receipt) {
        size_t receipt_len;
        if (certctl_load_log_key("verify", log_key, &key) ||
            certctl_read_file("verify", receipt, CERTLIB_NOTE_MAX_BYTES * 2, &receipt_bytes, &receipt_len))
            return CERTCTL_EXIT_USAGE;
        opts.receipt = (const char *)receipt_bytes;
        opts.receipt_len = receipt_len;
        opts.log_key = &key;
    }
    certlib_ctx *ctx = NULL;
    int status = CERTCTL_EXIT_USAGE;
    certlib_err err = certlib_ctx_new(&ctx);
    if (!err)
        err = trust ? certlib_ctx_load_trust_file(ctx, trust) : load_trust_list(ctx, trust_list, pin, &opts);
    if (err) {
        fprintf(stderr, "certctl verify: %s: %s\n", trust ? trust : trust_list,
                ctx ? certlib_ctx_trust_error(ctx) : certlib_strerror(err));
        goto done;
    }
    for (size_t i = 0; i < n_crls; i++)
        if (load_crl(ctx, crl_files[i])) goto done;
    for (size_t i = 0; i < n_status; i++)
        if (load_status(ctx, status_files[i], &opts)) goto done;
    status = run("verify", ctx, argv[optind], &opts, challenge_arg ? &challenge : NULL, json, false);
done:
    certlib_ctx_free(ctx);
    free(receipt_bytes);
    return status;
}

int certctl_inspect_main(int argc, char **argv)
{
    bool json = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (certctl_is_help(argv[i])) {
            certctl_inspect_usage(stdout);
            return CERTCTL_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") != 0) {
            certctl_inspect_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
        json = true;
    }
    if (i != argc - 1) {
        certctl_inspect_usage(stderr);
        return CERTCTL_EXIT_USAGE;
    }
    return run("inspect", NULL, argv[i], NULL, NULL, json, true);
}
