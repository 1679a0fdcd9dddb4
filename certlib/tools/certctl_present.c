/* certctl challenge (plays the counter) and certctl present (plays the citizen's app). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certlib/licence.h"
#include "certlib/present.h"
#include "certlib/qr.h"

#define MAX_KEEP 64

void certctl_challenge_usage(FILE *out)
{
    fprintf(
        out,
        "usage: certctl challenge --counter ID\n"
        "\n"
        "Prints a fresh challenge for counter ID (1-64 of a-z, 0-9, '.', '_', '-'): \"ELC1:<id>:<nonce>\",\n"
        "the text a counter shows as a QR code for the citizen's app to answer (certctl present).\n");
}

int certctl_challenge_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"counter", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *counter = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'c') {
            counter = optarg;
        } else if (opt == 'h') {
            certctl_challenge_usage(stdout);
            return CERTCTL_EXIT_OK;
        } else {
            certctl_challenge_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    certlib_challenge c;
    char text[CERTLIB_CHALLENGE_TEXT_MAX];
    if (!counter || optind != argc || certlib_challenge_new(counter, &c) != CERTLIB_OK ||
        certlib_challenge_format(&c, text, sizeof(text)) != CERTLIB_OK) {
        fprintf(stderr, "certctl challenge: --counter ID is required: 1-64 of a-z, 0-9, '.', '_', '-'\n");
        return CERTCTL_EXIT_USAGE;
    }
    printf("%s\n", text);
    return CERTCTL_EXIT_OK;
}

void certctl_present_usage(FILE *out)
{
    fprintf(
        out,
        "usage: certctl present --licence FILE --device-key KEY.pem\n"
        "                       (--challenge TEXT | --client-id ID --nonce NONCE --response-uri URI)\n"
        "                       [--keep ELEMENTS] [--qr] [--out FILE]\n"
        "\n"
        "Answers a counter as the citizen's app would: a DeviceResponse holding the licence's elements\n"
        "named in --keep (comma-separated; licence_id is always kept; default: all) and a device signature\n"
        "over the session transcript: of a counter's offline challenge, or of an OpenID4VP request.\n"
        "\n"
        "  --licence FILE      the licence (CBOR), bound to the device key\n"
        "  --device-key FILE   the device's private key (PEM, P-256 or Ed25519)\n"
        "  --challenge TEXT    the counter's challenge (ELC1:...), or a file holding it\n"
        "  --client-id ID      an OpenID4VP request's client_id, --nonce its nonce and --response-uri its\n"
        "                      response_uri (the DeviceResponse then goes base64url into its vp_token)\n"
        "  --keep LIST         elements to disclose\n"
        "  --qr                write the presentation as EL1: QR text instead of CBOR\n"
        "  --out FILE          where to write it (default: standard output)\n");
}

/* Splits "a,b,c" in place into keep[]. */
static size_t split_keep(char *list, const char **keep)
{
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok && n < MAX_KEEP;
         tok = strtok_r(NULL, ",", &save))
        keep[n++] = tok;
    return n;
}

int certctl_present_main(int argc, char **argv)
{
    enum { O_LICENCE = 256, O_KEY, O_CHALLENGE, O_KEEP, O_QR, O_OUT, O_CLIENT, O_NONCE, O_RESPONSE };
    static const struct option longopts[] = {{"licence", required_argument, NULL, O_LICENCE},
                                             {"device-key", required_argument, NULL, O_KEY},
                                             {"challenge", required_argument, NULL, O_CHALLENGE},
                                             {"keep", required_argument, NULL, O_KEEP},
                                             {"qr", no_argument, NULL, O_QR},
                                             {"out", required_argument, NULL, O_OUT},
                                             {"client-id", required_argument, NULL, O_CLIENT},
                                             {"nonce", required_argument, NULL, O_NONCE},
                                             {"response-uri", required_argument, NULL, O_RESPONSE},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *licence_path = NULL, *key_path = NULL, *challenge_arg = NULL, *out_path = NULL;
    char *keep_list = NULL;
    certlib_oid4vp_session session = {0};
    int opt, qr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_LICENCE:
            licence_path = optarg;
            break;
        case O_KEY:
            key_path = optarg;
            break;
        case O_CHALLENGE:
            challenge_arg = optarg;
            break;
        case O_KEEP:
            keep_list = optarg;
            break;
        case O_QR:
            qr = 1;
            break;
        case O_OUT:
            out_path = optarg;
            break;
        case O_CLIENT:
            session.client_id = optarg;
            break;
        case O_NONCE:
            session.nonce = optarg;
            break;
        case O_RESPONSE:
            session.response_uri = optarg;
            break;
        case 'h':
            certctl_present_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_present_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    bool online = session.client_id || session.nonce || session.response_uri;
    if (!licence_path || !key_path || !challenge_arg == !online || optind != argc ||
        (online && (!session.client_id || !session.nonce || !session.response_uri))) {
        fprintf(stderr,
                "certctl present: --licence, --device-key and either --challenge or all of --client-id, "
                "--nonce and --response-uri are required\n");
        return CERTCTL_EXIT_USAGE;
    }
    certlib_challenge challenge;
    if (!online && certctl_load_challenge("present", challenge_arg, &challenge)) return CERTCTL_EXIT_USAGE;
    uint8_t *licence = NULL, *key = NULL, *out = NULL;
    size_t licence_len, key_len, out_len = 0;
    int status = CERTCTL_EXIT_USAGE;
    if (certctl_read_file("present", licence_path, CERTLIB_LICENCE_MAX_BYTES, &licence, &licence_len) ||
        certctl_read_file("present", key_path, 64 * 1024, &key, &key_len))
        goto done;
    const char *keep[MAX_KEEP];
    size_t n_keep = keep_list ? split_keep(keep_list, keep) : 0;
    certlib_slice device_key = {key, key_len};
    certlib_err err =
        online ? certlib_present_oid4vp(licence, licence_len, keep_list ? keep : NULL, keep_list ? n_keep : 0,
                                        device_key, &session, &out, &out_len)
               : certlib_present(licence, licence_len, keep_list ? keep : NULL, keep_list ? n_keep : 0,
                                 device_key, &challenge, &out, &out_len);
    if (err) {
        fprintf(stderr, "certctl present: %s (%s)\n", certlib_strerror(err), certlib_err_name(err));
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    if (qr) {
        char *text = NULL;
        if ((err = certlib_qr_encode(out, out_len, &text))) {
            fprintf(stderr, "certctl present: %s\n", certlib_strerror(err));
            goto done;
        }
        size_t tl = strlen(text);
        text[tl] = '\n'; /* the buffer holds the NUL: write a line */
        status = certctl_write_file("present", out_path, (const uint8_t *)text, tl + 1) ? CERTCTL_EXIT_USAGE
                                                                                        : CERTCTL_EXIT_OK;
        certlib_free(text);
    } else {
        status = certctl_write_file("present", out_path, out, out_len) ? CERTCTL_EXIT_USAGE : CERTCTL_EXIT_OK;
    }
done:
    if (key) {
        memset(key, 0, key_len); /* a private key */
        free(key);
    }
    free(licence);
    certlib_free(out);
    return status;
}

int certctl_load_challenge(const char *cmd, const char *arg, certlib_challenge *out)
{
    size_t len;
    char *text = certctl_text_arg(cmd, arg, &len);
    if (!text) return -1;
    certlib_err err = certlib_challenge_parse(text, len, out);
    free(text);
    if (err) fprintf(stderr, "certctl %s: not a challenge (ELC1:<counter>:<nonce>)\n", cmd);
    return err ? -1 : 0;
}
