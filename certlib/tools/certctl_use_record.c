/* certctl use-record: the citizen's side of authd's use record (用证记录). Proves control of the device
 * key one of the holder's licences names (certlib present.h's holder request over authd's nonce), fetches
 * every access-log entry about that holder, and checks each one before showing it: the checkpoint is
 * signed by the access log's key, every entry is in it (an inclusion proof), every entry is an access
 * entry and all of them name one holder. */
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certctl_fetch.h"
#include "certlib/certlib.h"

#define MAX_PAGES 10000 /* 200 entries a page: two million entries about one holder is not a real record */

void certctl_use_record_usage(FILE *out)
{
    fprintf(
        out,
        "usage: certctl use-record --url URL --licence FILE --device-key FILE --key KEY\n"
        "                          [--cacert FILE] [--json]\n"
        "\n"
        "Shows who used your licences (用证记录): every access-log entry authd holds about the holder\n"
        "of the licence given, which counter, which matter, the use cause and when. Proves to authd\n"
        "that you hold the device the licence is bound to (a signature over authd's fresh nonce with\n"
        "the device key), then checks every entry it returns: the checkpoint verifies under the\n"
        "access log's key, each entry is in that checkpoint (an inclusion proof), and all of them\n"
        "are about one holder.\n"
        "\n"
        "  --url URL          authd's base URL (http(s)://host:port)\n"
        "  --licence FILE     one of your licences bound to this device: CBOR, EL1: QR text or base64url\n"
        "  --device-key FILE  the device's private key (PEM, P-256 or Ed25519)\n"
        "  --key KEY          the access log's C2SP verifier key, or a file holding it\n"
        "  --cacert FILE      CA certificate(s) for an https URL\n"
        "  --json             the entries as JSON lines instead of a table\n"
        "\n"
        "Exit status: 0 shown; 1 refused (authd refused the proof, or an answer that does not check\n"
        "out); 2 on usage, unreadable input or an authd that cannot be reached.\n");
}

#define refuse(...) certctl_refuse("use-record", __VA_ARGS__)

/* A base64url member's bytes, decoded into `out`; false when absent or malformed. */
static bool b64_member(json_t *o, const char *name, uint8_t *out, size_t cap, size_t *len)
{
    json_t *v = json_object_get(o, name);
    return json_is_string(v) &&
           certlib_base64url_decode(json_string_value(v), json_string_length(v), out, cap, len) == CERTLIB_OK;
}

/* One hash of an inclusion proof: standard base64, as authd's log proofs give it. */
static bool proof_hash(json_t *h, certlib_tlog_hash out)
{
    uint8_t buf[36];
    if (!json_is_string(h) || json_string_length(h) != 44 || json_string_value(h)[43] != '=' ||
        json_string_value(h)[42] == '=' ||
        EVP_DecodeBlock(buf, (const unsigned char *)json_string_value(h), 44) != 33)
        return false;
    memcpy(out, buf, CERTLIB_TLOG_HASH_LEN);
    return true;
}

/* base64url without padding (RFC 4648 §5), into `out`; false when it does not fit. */
static bool base64url(const uint8_t *bytes, size_t len, char *out, size_t cap)
{
    if (len > 1024 || cap < 4 * ((len + 2) / 3) + 1) return false;
    int n = EVP_EncodeBlock((unsigned char *)out, bytes, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return true;
}

struct checked {
    char holder[64]; /* the holder every entry names; empty before the first */
    uint64_t next_index;
    size_t count;
    bool json;
};

static void show(const certlib_log_entry *e, uint64_t index, bool json)
{
    char when[32];
    certctl_format_time(e->time, when);
    const char *kind = e->kind == CERTLIB_LOG_LOOKUP ? "lookup" : "verify";
    if (json) {
        json_t *o =
            json_pack("{s:I, s:s, s:s, s:s%, s:s%, s:s, s:s%, s:s%}", "index", (json_int_t)index, "kind",
                      kind, "time", when, "counter", (const char *)e->client.ptr, e->client.len, "matter",
                      e->matter.len ? (const char *)e->matter.ptr : "", e->matter.len, "use_cause", e->text,
                      "outcome", (const char *)e->outcome.ptr, e->outcome.len, "licences",
                      e->licences.len ? (const char *)e->licences.ptr : "", e->licences.len);
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        if (line) puts(line);
        free(line);
        json_decref(o);
        return;
    }
    printf("%-20s  %-6s  %-20.*s  %-12.*s  %-24s  %.*s\n", when, kind, (int)e->client.len,
           (const char *)e->client.ptr, (int)(e->matter.len ? e->matter.len : 1),
           e->matter.len ? (const char *)e->matter.ptr : "-", e->text[0] ? e->text : "-",
           (int)(e->licences.len ? e->licences.len : 1),
           e->licences.len ? (const char *)e->licences.ptr : "-");
}

/* Checks one page of the answer; 0, or the exit status after printing why. `*next`: where the following
 * page starts, or UINT64_MAX when this was the last. */
static int check_page(json_t *doc, const certlib_note_verifier *key, struct checked *c, uint64_t *next)
{
    json_t *holder = json_object_get(doc, "holder"), *cpj = json_object_get(doc, "checkpoint"),
           *entries = json_object_get(doc, "entries"), *nj = json_object_get(doc, "next");
    if (!json_is_string(holder) || json_string_length(holder) >= sizeof(c->holder) || !json_is_string(cpj) ||
        !json_is_array(entries) || (nj && !json_is_integer(nj)))
        return refuse("authd's answer is not a use record");
    if (c->holder[0] && strcmp(c->holder, json_string_value(holder)) != 0)
        return refuse("the pages name different holders");
    snprintf(c->holder, sizeof(c->holder), "%s", json_string_value(holder));
    certlib_checkpoint cp;
    certlib_err e = certlib_checkpoint_open(json_string_value(cpj), json_string_length(cpj), key, &cp);
    if (e)
        return refuse("the checkpoint does not verify under the access log's key (%s)", certlib_err_name(e));
    size_t i;
    json_t *item;
    json_array_foreach(entries, i, item)
    {
        json_t *ij = json_object_get(item, "index"), *ej = json_object_get(item, "entry"),
               *pj = json_object_get(item, "inclusion");
        if (!json_is_integer(ij) || json_integer_value(ij) < 0 || !json_is_string(ej) || !json_is_array(pj) ||
            json_array_size(pj) > CERTLIB_TLOG_MAX_PROOF)
            return refuse("an entry of the answer is malformed");
        uint64_t index = (uint64_t)json_integer_value(ij);
        if (index < c->next_index) return refuse("the entries are not in log order, or repeat");
        certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], leaf;
        size_t n = json_array_size(pj);
        for (size_t k = 0; k < n; k++)
            if (!proof_hash(json_array_get(pj, k), proof[k]))
                return refuse("an inclusion proof is malformed");
        const uint8_t *entry = (const uint8_t *)json_string_value(ej);
        size_t len = json_string_length(ej);
        certlib_tlog_leaf_hash(entry, len, leaf);
        if (certlib_tlog_verify_inclusion(index, cp.size, leaf, (const certlib_tlog_hash *)proof, n,
                                          cp.root) != CERTLIB_OK)
            return refuse("an entry is not in the signed checkpoint (its inclusion proof fails)");
        static certlib_log_entry parsed;
        if (certlib_log_entry_parse(entry, len, &parsed) != CERTLIB_OK ||
            (parsed.kind != CERTLIB_LOG_LOOKUP && parsed.kind != CERTLIB_LOG_VERIFY))
            return refuse("an entry is not an access-log entry");
        if (parsed.holder.len != strlen(c->holder) ||
            memcmp(parsed.holder.ptr, c->holder, parsed.holder.len) != 0)
            return refuse("an entry is about another holder");
        show(&parsed, index, c->json);
        c->next_index = index + 1;
        c->count++;
    }
    *next = nj ? (uint64_t)json_integer_value(nj) : UINT64_MAX;
    if (nj && *next < c->next_index) return refuse("the next page starts before this one ends");
    return CERTCTL_EXIT_OK;
}

/* authd's problem document, printed. */
static int refused_by_authd(long status, const char *body)
{
    json_t *doc = json_loads(body, 0, NULL);
    json_t *code = json_object_get(doc, "code"), *detail = json_object_get(doc, "detail");
    fprintf(stderr, "certctl use-record: authd refused (HTTP %ld): %s: %s\n", status,
            json_is_string(code) ? json_string_value(code) : "-",
            json_is_string(detail) ? json_string_value(detail) : "-");
    json_decref(doc);
    return status == 403 || status == 404 || status == 422 ? CERTCTL_EXIT_INVALID : CERTCTL_EXIT_USAGE;
}

/* The request for one page, signed; malloc'd JSON text. */
static char *request_body(const char *id, const char *nonce_text, const uint8_t *proof, size_t proof_len,
                          uint64_t from)
{
    char proof_text[2048];
    if (!base64url(proof, proof_len, proof_text, sizeof(proof_text))) return NULL;
    json_t *o = json_pack("{s:s, s:s, s:s}", "licence_id", id, "nonce", nonce_text, "proof", proof_text);
    if (o && from) json_object_set_new(o, "from", json_integer((json_int_t)from));
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* Asks authd for a nonce and signs the request with the device key. 0, or the exit status. */
static int sign_request(struct certctl_source *src, const char *id, const uint8_t *device_key, size_t key_len,
                        char nonce_text[128], uint8_t **proof, size_t *proof_len)
{
    uint8_t *body, nonce[CERTLIB_HOLDER_NONCE_MAX];
    size_t len, nonce_len = 0;
    if (certctl_fetch(src, "v1/use-record/nonce", &body, &len)) return CERTCTL_EXIT_USAGE;
    json_t *doc = json_loadb((const char *)body, len, 0, NULL);
    free(body);
    json_t *nj = json_object_get(doc, "nonce");
    bool ok = b64_member(doc, "nonce", nonce, sizeof(nonce), &nonce_len) && nonce_len &&
              json_string_length(nj) < 128;
    if (ok) memcpy(nonce_text, json_string_value(nj), json_string_length(nj) + 1);
    json_decref(doc);
    if (!ok) return refuse("authd's nonce is malformed");
    certlib_err e = certlib_holder_request_sign(id, nonce, nonce_len, (certlib_slice){device_key, key_len},
                                                proof, proof_len);
    if (e) {
        fprintf(stderr, "certctl use-record: the request cannot be signed with the device key: %s (%s)\n",
                certlib_strerror(e), certlib_err_name(e));
        return CERTCTL_EXIT_USAGE;
    }
    return CERTCTL_EXIT_OK;
}

int certctl_use_record_main(int argc, char **argv)
{
    enum { O_URL = 1, O_LICENCE, O_DEVICE_KEY, O_KEY, O_CACERT, O_JSON };
    static const struct option options[] = {{"url", required_argument, NULL, O_URL},
                                            {"licence", required_argument, NULL, O_LICENCE},
                                            {"device-key", required_argument, NULL, O_DEVICE_KEY},
                                            {"key", required_argument, NULL, O_KEY},
                                            {"cacert", required_argument, NULL, O_CACERT},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *url = NULL, *licence_path = NULL, *device_path = NULL, *key_arg = NULL, *cacert = NULL;
    struct checked c = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case O_URL:
            url = optarg;
            break;
        case O_LICENCE:
            licence_path = optarg;
            break;
        case O_DEVICE_KEY:
            device_path = optarg;
            break;
        case O_KEY:
            key_arg = optarg;
            break;
        case O_CACERT:
            cacert = optarg;
            break;
        case O_JSON:
            c.json = true;
            break;
        case 'h':
            certctl_use_record_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_use_record_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (!url || !licence_path || !device_path || !key_arg || optind != argc) {
        fprintf(stderr, "certctl use-record: give --url, --licence, --device-key and --key\n");
        return CERTCTL_EXIT_USAGE;
    }
    certlib_note_verifier key;
    if (certctl_load_log_key("use-record", key_arg, &key)) return CERTCTL_EXIT_USAGE;
    uint8_t *licence = NULL, *device_key = NULL, *proof = NULL;
    size_t licence_len = 0, key_len = 0, proof_len = 0;
    char id[CERTLIB_LICENCE_ID_MAX] = "", nonce_text[128];
    certlib_result *read = NULL;
    struct certctl_source src = {0};
    int status = certctl_read_licence("use-record", licence_path, &licence, &licence_len);
    if (status) goto done;
    status = CERTCTL_EXIT_USAGE;
    if (certlib_licence_read(licence, licence_len, &read) != CERTLIB_OK || !certlib_result_licence_id(read) ||
        strlen(certlib_result_licence_id(read)) >= sizeof(id)) {
        fprintf(stderr, "certctl use-record: %s is not a licence with an id\n", licence_path);
        goto done;
    }
    snprintf(id, sizeof(id), "%s", certlib_result_licence_id(read));
    if (certctl_read_file("use-record", device_path, 16384, &device_key, &key_len)) goto done;
    if (certctl_source_open(&src, url, NULL, cacert, NULL) || !src.http) {
        if (!src.http) fprintf(stderr, "certctl use-record: --url is an http(s) URL\n");
        goto done;
    }
    if ((status = sign_request(&src, id, device_key, key_len, nonce_text, &proof, &proof_len))) goto done;
    if (!c.json)
        printf("%-20s  %-6s  %-20s  %-12s  %-24s  %s\n", "time", "access", "counter", "matter", "use cause",
               "licences");
    uint64_t from = 0;
    for (int page = 0; page < MAX_PAGES && from != UINT64_MAX; page++) {
        char *body = request_body(id, nonce_text, proof, proof_len, from), *answer = NULL;
        size_t len;
        long code;
        int sent = body ? certctl_post_json(&src, "v1/use-record", body, &code, &answer, &len) : -1;
        free(body);
        if (sent) {
            status = CERTCTL_EXIT_USAGE;
            goto done;
        }
        if (code != 200) {
            status = refused_by_authd(code, answer);
            free(answer);
            goto done;
        }
        json_t *doc = json_loadb(answer, len, 0, NULL);
        free(answer);
        status = doc ? check_page(doc, &key, &c, &from) : refuse("authd's answer is not JSON");
        json_decref(doc);
        if (status) goto done;
    }
    if (!c.json)
        fprintf(stderr,
                "certctl use-record: %zu access%s about the holder of %s, each proven in the access log's "
                "signed checkpoint\n",
                c.count, c.count == 1 ? "" : "es", id);
    status = CERTCTL_EXIT_OK;
done:
    certctl_source_close(&src);
    certlib_result_free(read);
    if (device_key) OPENSSL_cleanse(device_key, key_len); /* a secret */
    free(device_key);
    if (licence) OPENSSL_cleanse(licence, licence_len); /* personal data */
    free(licence);
    certlib_free(proof);
    return status;
}
