/* certctl wallet: the citizen's wallet from a shell (certlib wallet.h). Takes a counter's openid4vp:// QR
 * text, fetches the request object, checks it against the trust bundle (the reader's chain, its
 * registration, minimum necessary), shows who asks for what, and unless told only to show, answers every
 * credential query with the licence of that type given, posting vp_token to the request's response_uri. */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certctl_fetch.h"
#include "certlib/certlib.h"

#define MAX_LICENCES 16

void certctl_wallet_usage(FILE *out)
{
    fprintf(
        out,
        "usage: certctl wallet --trust BUNDLE.json --qr TEXT --device-key FILE --licence FILE...\n"
        "                      [--show] [--cacert FILE] [--json]\n"
        "\n"
        "Answers a counter's OpenID4VP request as the citizen's wallet: fetches the request named by the\n"
        "QR text (openid4vp://?client_id=...&request_uri=...), checks it against the trust bundle (its\n"
        "signature, the reader certificate's chain to a reader root, the reader's registration, and that\n"
        "it asks for no more than a matter the reader is registered for needs), shows who asks for what,\n"
        "then answers each licence type asked for with the licence of that type given, disclosing the\n"
        "elements asked for and nothing else, device-signed over the request's session.\n"
        "\n"
        "  --trust FILE       the trust bundle (reader_roots, matters, readers)\n"
        "  --qr TEXT          the QR's text, or a file holding it\n"
        "  --device-key FILE  the device's private key (PEM, P-256 or Ed25519)\n"
        "  --licence FILE     a licence bound to that device (CBOR, EL1: text or base64url); repeatable\n"
        "  --show             check and show the request, answer nothing\n"
        "  --cacert FILE      CA certificate(s) for https URLs\n"
        "  --json             the request and the answer as one JSON object\n"
        "\n"
        "Exit status: 0 answered (or shown) and accepted; 1 the request refused (why is printed), or the\n"
        "counter refused the answer; 2 on usage, unreadable input or a counter that cannot be reached.\n");
}

#define refuse(...) certctl_refuse("wallet", __VA_ARGS__)

/* The value of `name` in the QR's query (percent-decoded, malloc'd), or NULL. */
static char *qr_param(CURL *curl, const char *qr, const char *name)
{
    const char *q = strchr(qr, '?');
    size_t n = strlen(name);
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
        if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            int len;
            char *raw = curl_easy_unescape(curl, p + n + 1, (int)(end - p - n - 1), &len);
            char *copy = raw && (size_t)len == strlen(raw) ? strdup(raw) : NULL;
            curl_free(raw);
            return copy;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static void show(const certlib_vp_request *req, bool json, json_t *doc)
{
    if (json) {
        json_t *queries = json_array();
        for (size_t i = 0; i < certlib_vp_request_query_count(req); i++) {
            json_t *elements = json_array();
            for (size_t k = 0; k < certlib_vp_request_query_element_count(req, i); k++)
                json_array_append_new(elements, json_string(certlib_vp_request_query_element(req, i, k)));
            json_array_append_new(
                queries, json_pack("{s:s, s:s, s:s, s:o}", "id", certlib_vp_request_query_id(req, i), "type",
                                   certlib_vp_request_query_type(req, i), "type_name",
                                   certlib_vp_request_query_type_name(req, i), "elements", elements));
        }
        json_object_set_new(
            doc, "request",
            json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:o}", "reader", certlib_vp_request_reader_name(req),
                      "client_id", certlib_vp_request_client_id(req), "matter", "code",
                      certlib_vp_request_matter_code(req), "name", certlib_vp_request_matter_name(req),
                      "response_uri", certlib_vp_request_response_uri(req), "queries", queries));
        return;
    }
    printf("%s asks, for %s (%s):\n", certlib_vp_request_reader_name(req),
           certlib_vp_request_matter_name(req), certlib_vp_request_matter_code(req));
    for (size_t i = 0; i < certlib_vp_request_query_count(req); i++) {
        printf("  %s (%s):", certlib_vp_request_query_type_name(req, i),
               certlib_vp_request_query_type(req, i));
        for (size_t k = 0; k < certlib_vp_request_query_element_count(req, i); k++) {
            const char *e = certlib_vp_request_query_element(req, i, k);
            const char *label = certlib_element_label(e);
            printf("%s %s%s%s", k ? "," : "", e, label ? " " : "", label ? label : "");
        }
        printf("\n");
    }
}

/* The vp_token: each query answered by the given licence of its type. NULL after printing why. */
static char *vp_token(const certlib_vp_request *req, uint8_t *const *licences, const size_t *lens, size_t n,
                      certlib_slice key, size_t *answered)
{
    json_t *token = json_object();
    *answered = 0;
    for (size_t i = 0; token && i < certlib_vp_request_query_count(req); i++) {
        for (size_t l = 0; l < n; l++) {
            uint8_t *p;
            size_t plen;
            certlib_err err = certlib_vp_request_present(req, i, licences[l], lens[l], key, &p, &plen);
            if (err == CERTLIB_E_SCOPE_TYPE) continue; /* another type's licence */
            if (err) {
                fprintf(stderr, "certctl wallet: %s: %s (%s)\n", certlib_vp_request_query_type_name(req, i),
                        certlib_strerror(err), certlib_err_name(err));
                json_decref(token);
                return NULL;
            }
            size_t cap = sodium_base64_ENCODED_LEN(plen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
            char *text = malloc(cap);
            if (text) sodium_bin2base64(text, cap, p, plen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
            json_object_set_new(token, certlib_vp_request_query_id(req, i),
                                json_pack("[s]", text ? text : ""));
            free(text);
            certlib_free(p);
            ++*answered;
            break;
        }
    }
    char *out = token ? json_dumps(token, JSON_COMPACT) : NULL;
    json_decref(token);
    return out;
}

int certctl_wallet_main(int argc, char **argv)
{
    enum { O_TRUST = 256, O_QR, O_KEY, O_LICENCE, O_SHOW, O_CACERT, O_JSON };
    static const struct option longopts[] = {{"trust", required_argument, NULL, O_TRUST},
                                             {"qr", required_argument, NULL, O_QR},
                                             {"device-key", required_argument, NULL, O_KEY},
                                             {"licence", required_argument, NULL, O_LICENCE},
                                             {"show", no_argument, NULL, O_SHOW},
                                             {"cacert", required_argument, NULL, O_CACERT},
                                             {"json", no_argument, NULL, O_JSON},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *trust = NULL, *qr_arg = NULL, *key_path = NULL, *cacert = NULL, *licence_paths[MAX_LICENCES];
    size_t n_licences = 0;
    bool show_only = false, json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == O_TRUST)
            trust = optarg;
        else if (opt == O_QR)
            qr_arg = optarg;
        else if (opt == O_KEY)
            key_path = optarg;
        else if (opt == O_LICENCE && n_licences < MAX_LICENCES)
            licence_paths[n_licences++] = optarg;
        else if (opt == O_SHOW)
            show_only = true;
        else if (opt == O_CACERT)
            cacert = optarg;
        else if (opt == O_JSON)
            json = true;
        else if (opt == 'h') {
            certctl_wallet_usage(stdout);
            return CERTCTL_EXIT_OK;
        } else {
            certctl_wallet_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (!trust || !qr_arg || optind != argc || (!show_only && (!key_path || !n_licences))) {
        fprintf(
            stderr,
            "certctl wallet: --trust, --qr and (unless --show) --device-key and --licence are required\n");
        return CERTCTL_EXIT_USAGE;
    }
    int status = CERTCTL_EXIT_USAGE;
    certlib_ctx *ctx = NULL;
    certlib_vp_request *req = NULL;
    struct certctl_source src = {0};
    char *qr = NULL, *client_id = NULL, *request_uri = NULL, *jwt = NULL, *token = NULL, *form = NULL,
         *answer = NULL, *escaped = NULL;
    uint8_t *licences[MAX_LICENCES] = {0}, *key = NULL;
    size_t lens[MAX_LICENCES] = {0}, key_len = 0, len;
    json_t *doc = json_object();
    size_t qr_len;
    if (!(qr = certctl_text_arg("wallet", qr_arg, &qr_len))) goto done;
    if (certlib_ctx_new(&ctx) || certlib_ctx_load_trust_file(ctx, trust)) {
        fprintf(stderr, "certctl wallet: %s: %s\n", trust,
                ctx ? certlib_ctx_trust_error(ctx) : "out of memory");
        goto done;
    }
    if (strncmp(qr, "openid4vp://", 12) != 0 ||
        certctl_source_open(&src, "http://wallet", NULL, cacert, NULL) != 0 ||
        !(client_id = qr_param(src.curl, qr, "client_id")) ||
        !(request_uri = qr_param(src.curl, qr, "request_uri"))) {
        fprintf(stderr, "certctl wallet: not an OpenID4VP QR (openid4vp://?client_id=...&request_uri=...)\n");
        goto done;
    }
    long http;
    if (certctl_exchange_url(&src, request_uri, NULL, NULL, &http, &jwt, &len) != 0) goto done;
    if (http != 200) {
        status = refuse("%s: HTTP %ld: %.200s", request_uri, http, jwt);
        goto done;
    }
    certlib_err err = certlib_vp_request_parse(ctx, jwt, len, 0, &req);
    if (!err && strcmp(certlib_vp_request_client_id(req), client_id) != 0) err = CERTLIB_E_READER_UNTRUSTED;
    if (err) {
        status = refuse("the request is refused: %s (%s)", certlib_strerror(err), certlib_err_name(err));
        goto done;
    }
    show(req, json, doc);
    if (show_only) {
        status = CERTCTL_EXIT_OK;
        goto done;
    }
    for (size_t i = 0; i < n_licences; i++)
        if ((status = certctl_read_licence("wallet", licence_paths[i], &licences[i], &lens[i]))) goto done;
    status = CERTCTL_EXIT_USAGE;
    if (certctl_read_file("wallet", key_path, 64 * 1024, &key, &key_len)) goto done;
    size_t answered;
    if (!(token = vp_token(req, licences, lens, n_licences, (certlib_slice){key, key_len}, &answered))) {
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    if (!answered) {
        status = refuse("none of the licences given is of a type the request asks for");
        goto done;
    }
    escaped = curl_easy_escape(src.curl, token, 0);
    const char *state = certlib_vp_request_state(req);
    char *state_escaped = state ? curl_easy_escape(src.curl, state, 0) : NULL;
    size_t form_cap = strlen(escaped ? escaped : "") + (state_escaped ? strlen(state_escaped) : 0) + 32;
    if ((form = malloc(form_cap)))
        snprintf(form, form_cap, "vp_token=%s%s%s", escaped ? escaped : "", state_escaped ? "&state=" : "",
                 state_escaped ? state_escaped : "");
    curl_free(state_escaped);
    if (!form || certctl_exchange_url(&src, certlib_vp_request_response_uri(req),
                                      "application/x-www-form-urlencoded", form, &http, &answer, &len) != 0)
        goto done;
    json_t *body = json_loads(answer, 0, NULL);
    if (json) {
        json_object_set_new(doc, "answered", json_integer((json_int_t)answered));
        json_object_set_new(doc, "status", json_integer(http));
        json_object_set_new(doc, "response", body ? body : json_string(answer));
    } else {
        printf("answered %zu of %zu: HTTP %ld %s\n", answered, certlib_vp_request_query_count(req), http,
               answer);
        json_decref(body);
    }
    status = http == 200 ? CERTCTL_EXIT_OK : CERTCTL_EXIT_INVALID;
done:
    if (json && json_object_size(doc)) {
        char *text = json_dumps(doc, JSON_COMPACT);
        if (text) printf("%s\n", text);
        free(text);
    }
    json_decref(doc);
    if (key) {
        OPENSSL_cleanse(key, key_len); /* a private key */
        free(key);
    }
    for (size_t i = 0; i < n_licences; i++)
        free(licences[i]);
    curl_free(escaped);
    free(form);
    free(token);
    free(answer);
    free(jwt);
    free(request_uri);
    free(client_id);
    free(qr);
    certlib_vp_request_free(req);
    certctl_source_close(&src);
    certlib_ctx_free(ctx);
    return status;
}
