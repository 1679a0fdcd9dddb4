/* certctl issue: sign an e-licence offline with a department's document-signer key. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certctl.h"
#include "certlib/certlib.h"

#define MAX_ELEMENTS 200
#define DEFAULT_VALID_DAYS 3650

void certctl_issue_usage(FILE *out)
{
    fprintf(out,
            "usage: certctl issue --offline --key KEY.pem --cert CERT.pem --type TYPE_CODE\n"
            "                     --holder-id ID --holder-name NAME [options] [--out FILE]\n"
            "\n"
            "Signs an e-licence (ISO 18013-5 IssuerSigned CBOR) with the algorithm of KEY: Ed25519 (EdDSA),\n"
            "P-256 (ES256) or SM2 (SM2 with SM3). The issuer code is the certificate's USCC.\n"
            "\n"
            "  --offline              sign here with the key file (the only mode so far)\n"
            "  --name NAME            证照名称 (default 电子证照)\n"
            "  --number TEXT          证照编号 (default: the serial)\n"
            "  --serial SERIAL        流水号 [0-9A-Z]{1,64} (default: random)\n"
            "  --version N            版本号 1-999 (default 1)\n"
            "  --element NAME=VALUE   a type-specific element; NAME:int=, NAME:bool=, NAME:date=YYYY-MM-DD\n"
            "                         and NAME:bytes=@FILE give other types (repeatable)\n"
            "  --valid-from TIME      default: now (TIME: YYYY-MM-DD, RFC 3339 UTC, or Unix seconds)\n"
            "  --valid-until TIME     default: %d days after valid-from\n"
            "  --signed-at TIME       default: now\n"
            "  --status-uri URI       the status list covering the licence\n"
            "  --status-idx N         its index in that list\n"
            "  --device-key PUB.pem   bind the licence to the holder's device key (P-256 or Ed25519)\n"
            "  --x5chain              embed the signer certificate (default: key id only, smaller)\n"
            "  --out FILE             where to write the licence (default: standard output)\n"
            "\n"
            "Prints the licence identifier on standard error. Exit status: 0 issued, 1 refused, 2 usage.\n",
            DEFAULT_VALID_DAYS);
}

struct issue_args {
    const char *key, *cert, *out, *device_key;
    certlib_licence_spec spec;
    certlib_element elements[MAX_ELEMENTS];
    uint8_t *blobs[MAX_ELEMENTS];
    bool offline;
};

/* NAME[:TYPE]=VALUE */
static int parse_element(struct issue_args *a, char *arg)
{
    if (a->spec.n_elements == MAX_ELEMENTS) return -1;
    certlib_element *e = &a->elements[a->spec.n_elements];
    char *eq = strchr(arg, '=');
    if (!eq) return -1;
    *eq = '\0';
    char *value = eq + 1, *colon = strchr(arg, ':');
    const char *type = colon ? colon + 1 : "text";
    if (colon) *colon = '\0';
    memset(e, 0, sizeof(*e));
    e->identifier = arg;
    if (strcmp(type, "text") == 0) {
        e->type = CERTLIB_VALUE_TEXT;
        e->text = value;
    } else if (strcmp(type, "date") == 0) {
        e->type = CERTLIB_VALUE_DATE;
        e->text = value;
    } else if (strcmp(type, "int") == 0) {
        char *end;
        e->type = CERTLIB_VALUE_INT;
        e->integer = strtoll(value, &end, 10);
        if (*end || end == value) return -1;
    } else if (strcmp(type, "bool") == 0) {
        e->type = CERTLIB_VALUE_BOOL;
        if (strcmp(value, "true") && strcmp(value, "false")) return -1;
        e->boolean = strcmp(value, "true") == 0;
    } else if (strcmp(type, "bytes") == 0 && value[0] == '@') {
        uint8_t *blob;
        size_t len;
        if (certctl_read_file("issue", value + 1, 512 * 1024, &blob, &len)) return -1;
        a->blobs[a->spec.n_elements] = blob;
        e->type = CERTLIB_VALUE_BYTES;
        e->bytes = (certlib_slice){blob, len};
    } else {
        return -1;
    }
    a->spec.n_elements++;
    return 0;
}

static int parse_args(int argc, char **argv, struct issue_args *a)
{
    enum {
        O_OFFLINE = 256,
        O_KEY,
        O_CERT,
        O_TYPE,
        O_HID,
        O_HNAME,
        O_NAME,
        O_NUMBER,
        O_SERIAL,
        O_VERSION,
        O_ELEMENT,
        O_FROM,
        O_UNTIL,
        O_SIGNED,
        O_SURI,
        O_SIDX,
        O_DEVICE,
        O_X5C,
        O_OUT
    };
    static const struct option longopts[] = {{"offline", no_argument, NULL, O_OFFLINE},
                                             {"key", required_argument, NULL, O_KEY},
                                             {"cert", required_argument, NULL, O_CERT},
                                             {"type", required_argument, NULL, O_TYPE},
                                             {"holder-id", required_argument, NULL, O_HID},
                                             {"holder-name", required_argument, NULL, O_HNAME},
                                             {"name", required_argument, NULL, O_NAME},
                                             {"number", required_argument, NULL, O_NUMBER},
                                             {"serial", required_argument, NULL, O_SERIAL},
                                             {"version", required_argument, NULL, O_VERSION},
                                             {"element", required_argument, NULL, O_ELEMENT},
                                             {"valid-from", required_argument, NULL, O_FROM},
                                             {"valid-until", required_argument, NULL, O_UNTIL},
                                             {"signed-at", required_argument, NULL, O_SIGNED},
                                             {"status-uri", required_argument, NULL, O_SURI},
                                             {"status-idx", required_argument, NULL, O_SIDX},
                                             {"device-key", required_argument, NULL, O_DEVICE},
                                             {"x5chain", no_argument, NULL, O_X5C},
                                             {"out", required_argument, NULL, O_OUT},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    certlib_licence_spec *s = &a->spec;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_OFFLINE:
            a->offline = true;
            break;
        case O_KEY:
            a->key = optarg;
            break;
        case O_CERT:
            a->cert = optarg;
            break;
        case O_TYPE:
            s->licence_type_code = optarg;
            break;
        case O_HID:
            s->holder_id = optarg;
            break;
        case O_HNAME:
            s->holder_name = optarg;
            break;
        case O_NAME:
            s->licence_name = optarg;
            break;
        case O_NUMBER:
            s->licence_number = optarg;
            break;
        case O_SERIAL:
            s->serial = optarg;
            break;
        case O_VERSION:
            s->version = (unsigned)strtoul(optarg, &end, 10);
            if (*end || s->version < 1 || s->version > 999)
                return fprintf(stderr, "certctl issue: --version takes 1-999\n"), -1;
            break;
        case O_ELEMENT:
            if (parse_element(a, optarg))
                return fprintf(stderr, "certctl issue: bad --element (NAME[:TYPE]=VALUE)\n"), -1;
            break;
        case O_FROM:
        case O_UNTIL:
        case O_SIGNED: {
            int64_t t;
            if (certctl_parse_time(optarg, &t))
                return fprintf(stderr, "certctl issue: bad time '%s'\n", optarg), -1;
            *(opt == O_FROM ? &s->valid_from : opt == O_UNTIL ? &s->valid_until : &s->signed_at) = t;
            break;
        }
        case O_SURI:
            s->status_uri = optarg;
            break;
        case O_SIDX:
            s->status_idx = strtoull(optarg, &end, 10);
            if (*end || end == optarg) return fprintf(stderr, "certctl issue: bad --status-idx\n"), -1;
            break;
        case O_DEVICE:
            a->device_key = optarg;
            break;
        case O_X5C:
            s->with_x5chain = true;
            break;
        case O_OUT:
            a->out = optarg;
            break;
        case 'h':
            certctl_issue_usage(stdout);
            return 1;
        default:
            certctl_issue_usage(stderr);
            return -1;
        }
    }
    if (optind != argc || !a->offline || !a->key || !a->cert || !s->licence_type_code || !s->holder_id ||
        !s->holder_name) {
        fprintf(
            stderr,
            "certctl issue: --offline, --key, --cert, --type, --holder-id and --holder-name are required\n");
        return -1;
    }
    if (!s->licence_name) s->licence_name = "电子证照";
    return 0;
}

int certctl_issue_main(int argc, char **argv)
{
    struct issue_args *a = calloc(1, sizeof(*a));
    if (!a) return CERTCTL_EXIT_USAGE;
    certlib_signer *signer = NULL;
    uint8_t *licence = NULL, *device_pem = NULL, *device_key = NULL;
    size_t licence_len = 0, device_pem_len = 0, device_key_len = 0;
    char id[CERTLIB_LICENCE_ID_MAX];
    int status = CERTCTL_EXIT_USAGE, parsed = parse_args(argc, argv, a);
    if (parsed) {
        status = parsed > 0 ? CERTCTL_EXIT_OK : CERTCTL_EXIT_USAGE;
        goto done;
    }
    certlib_err err = certlib_signer_load(a->key, a->cert, &signer);
    if (err) {
        fprintf(stderr, "certctl issue: %s / %s: %s\n", a->key, a->cert, certlib_strerror(err));
        goto done;
    }
    if (a->device_key) {
        if (certctl_read_file("issue", a->device_key, 64 * 1024, &device_pem, &device_pem_len)) goto done;
        if ((err = certlib_cose_key_from_pem((certlib_slice){device_pem, device_pem_len}, &device_key,
                                             &device_key_len))) {
            fprintf(stderr, "certctl issue: %s: %s\n", a->device_key, certlib_strerror(err));
            goto done;
        }
        a->spec.device_key = (certlib_slice){device_key, device_key_len};
    }
    if (!a->spec.valid_until) {
        int64_t from = a->spec.valid_from  ? a->spec.valid_from
                       : a->spec.signed_at ? a->spec.signed_at
                                           : (int64_t)time(NULL);
        a->spec.valid_until = from + (int64_t)DEFAULT_VALID_DAYS * 86400;
    }
    a->spec.elements = a->elements;
    if ((err = certlib_licence_issue(signer, &a->spec, &licence, &licence_len, id))) {
        fprintf(stderr, "certctl issue: refused: %s (%s)\n", certlib_strerror(err), certlib_err_name(err));
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    if (certctl_write_file("issue", a->out, licence, licence_len)) goto done;
    fprintf(stderr, "%s\t%s\t%zu bytes\n", id, certlib_alg_name(certlib_signer_alg(signer)), licence_len);
    status = CERTCTL_EXIT_OK;
done:
    for (size_t i = 0; i < MAX_ELEMENTS; i++)
        free(a->blobs[i]);
    free(a);
    free(device_pem);
    certlib_free(device_key);
    certlib_free(licence);
    certlib_signer_free(signer);
    return status;
}
