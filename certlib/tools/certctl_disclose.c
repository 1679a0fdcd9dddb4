/* certctl disclose: selective disclosure from the command line. */
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certlib/certlib.h"

#define MAX_KEEP 256

void certctl_disclose_usage(FILE *out)
{
    fprintf(out,
            "usage: certctl disclose --keep ELEMENT[,ELEMENT...] IN OUT\n"
            "\n"
            "Writes to OUT (- for standard output) a copy of the licence IN holding only the named elements\n"
            "(identifier, or namespace/identifier) and licence_id, which verification always needs. The\n"
            "issuer's signature is kept unchanged, so OUT verifies exactly as IN.\n"
            "Exit status: 0 on success, 1 when IN is malformed, 2 on usage errors.\n");
}

int certctl_disclose_main(int argc, char **argv)
{
    if (argc == 2 && certctl_is_help(argv[1])) {
        certctl_disclose_usage(stdout);
        return CERTCTL_EXIT_OK;
    }
    char *list = NULL;
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            list = argv[++i];
        else if (strncmp(argv[i], "--keep=", 7) == 0)
            list = argv[i] + 7;
        else if (!in)
            in = argv[i];
        else if (!out)
            out = argv[i];
        else
            in = NULL, i = argc; /* too many arguments */
    }
    if (!list || !in || !out) {
        certctl_disclose_usage(stderr);
        return CERTCTL_EXIT_USAGE;
    }
    const char *keep[MAX_KEEP];
    size_t n_keep = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n_keep == MAX_KEEP)
            return fprintf(stderr, "certctl disclose: too many elements\n"), CERTCTL_EXIT_USAGE;
        keep[n_keep++] = tok;
    }
    uint8_t *bytes, *disclosed = NULL;
    size_t len, disclosed_len;
    if (certctl_read_file("disclose", in, CERTLIB_LICENCE_MAX_BYTES, &bytes, &len)) return CERTCTL_EXIT_USAGE;
    certlib_err err = certlib_licence_disclose(bytes, len, keep, n_keep, &disclosed, &disclosed_len);
    free(bytes);
    if (err) {
        fprintf(stderr, "certctl disclose: %s: %s (%s)\n", in, certlib_strerror(err), certlib_err_name(err));
        return CERTCTL_EXIT_INVALID;
    }
    int status =
        certctl_write_file("disclose", out, disclosed, disclosed_len) ? CERTCTL_EXIT_USAGE : CERTCTL_EXIT_OK;
    certlib_free(disclosed);
    return status;
}
