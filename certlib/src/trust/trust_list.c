/* Signed trust lists (trust_list.h): a trust bundle with a sequence number, a validity window, the
 * publisher's log keys and its matters catalogue, in a COSE_Sign1 under a key its readers pin. The
 * payload is read as strictly as the bundle is: unknown keys refused, every error naming its place. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "certlib/trust_list.h"
#include "cose/cose.h"
#include "crypto/certinfo.h"
#include "trust/ctx_internal.h"
#include "trust/json_keys.h"

#define MAX_FUTURE_SECONDS 300           /* clocks of two provinces' machines may disagree this much */
#define MAX_SEQUENCE ((uint64_t)1 << 53) /* JSON integers every reader represents exactly */
#define MAX_MATTERS 4096
#define CODE_MAX 64

static certlib_err fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static certlib_err fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return CERTLIB_E_TRUST_LIST;
}

/* A string of 1 to `max` bytes with no NUL and no control character. */
static bool short_text(json_t *v, size_t max)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max) return false;
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

static bool whole_number(json_t *v, int64_t min, int64_t max)
{
    return json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max;
}

static certlib_err check_logs(json_t *logs, char *err, size_t cap)
{
    static const char *const keys[] = {"signatures", "access", NULL};
    const char *unknown = NULL;
    if (!json_is_object(logs)) return fail(err, cap, "logs: an object is required");
    if (!certlib__json_only_keys(logs, keys, &unknown))
        return fail(err, cap, "logs.%.40s: unknown log", unknown);
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(logs, keys[i]);
        if (v && !short_text(v, 512))
            return fail(err, cap, "logs.%s: a C2SP verifier key is required", keys[i]);
    }
    return CERTLIB_OK;
}

static certlib_err check_matters(json_t *matters, char *err, size_t cap)
{
    static const char *const keys[] = {"code", "shared_code", "licence_types", NULL};
    if (!json_is_array(matters) || json_array_size(matters) > MAX_MATTERS)
        return fail(err, cap, "matters: an array of at most %d is required", MAX_MATTERS);
    for (size_t i = 0; i < json_array_size(matters); i++) {
        json_t *m = json_array_get(matters, i), *types = json_object_get(m, "licence_types");
        const char *unknown = NULL;
        if (!json_is_object(m)) return fail(err, cap, "matters[%zu]: an object is required", i);
        if (!certlib__json_only_keys(m, keys, &unknown))
            return fail(err, cap, "matters[%zu].%.40s: unknown key", i, unknown);
        if (!short_text(json_object_get(m, "code"), CODE_MAX))
            return fail(err, cap, "matters[%zu].code: 1 to %d bytes are required", i, CODE_MAX);
        json_t *shared = json_object_get(m, "shared_code");
        if (shared && !short_text(shared, CODE_MAX))
            return fail(err, cap, "matters[%zu].shared_code: 1 to %d bytes are required", i, CODE_MAX);
        if (!json_is_array(types) || json_array_size(types) == 0 || json_array_size(types) > 64)
            return fail(err, cap, "matters[%zu].licence_types: 1 to 64 type codes are required", i);
        for (size_t k = 0; k < json_array_size(types); k++)
            if (!short_text(json_array_get(types, k), 21) ||
                json_string_length(json_array_get(types, k)) != 21)
                return fail(err, cap, "matters[%zu].licence_types[%zu]: a 21-character type code", i, k);
    }
    return CERTLIB_OK;
}

/* The payload's form, and what it says about itself; the bundle is returned for loading. */
static certlib_err check_payload(json_t *doc, certlib_trust_list_info *info, json_t **bundle, char *err,
                                 size_t cap)
{
    static const char *const keys[] = {"trust_list", "issuer", "sequence", "issued", "expires",
                                       "bundle",     "logs",   "matters",  NULL};
    const char *unknown = NULL;
    if (!json_is_object(doc)) return fail(err, cap, "the payload is not a JSON object");
    if (!certlib__json_only_keys(doc, keys, &unknown)) return fail(err, cap, "%.40s: unknown key", unknown);
    json_t *version = json_object_get(doc, "trust_list");
    if (!whole_number(version, 1, 1))
        return fail(err, cap, "trust_list: 1 is required (the format's version)");
    json_t *issuer = json_object_get(doc, "issuer");
    if (!short_text(issuer, CERTLIB_TRUST_LIST_ISSUER_MAX))
        return fail(err, cap, "issuer: 1 to %d bytes of text are required", CERTLIB_TRUST_LIST_ISSUER_MAX);
    json_t *seq = json_object_get(doc, "sequence");
    if (!whole_number(seq, 1, (int64_t)MAX_SEQUENCE))
        return fail(err, cap, "sequence: 1 to 2^53 is required");
    json_t *issued = json_object_get(doc, "issued"), *expires = json_object_get(doc, "expires");
    if (!whole_number(issued, 0, INT64_MAX / 2)) return fail(err, cap, "issued: Unix seconds are required");
    if (!whole_number(expires, json_integer_value(issued) + 1, INT64_MAX / 2))
        return fail(err, cap, "expires: Unix seconds after issued are required");
    *bundle = json_object_get(doc, "bundle");
    if (!json_is_object(*bundle)) return fail(err, cap, "bundle: a trust bundle object is required");
    certlib_err e = CERTLIB_OK;
    if (json_object_get(doc, "logs")) e = check_logs(json_object_get(doc, "logs"), err, cap);
    if (!e && json_object_get(doc, "matters")) e = check_matters(json_object_get(doc, "matters"), err, cap);
    if (e) return e;
    info->sequence = (uint64_t)json_integer_value(seq);
    info->issued = json_integer_value(issued);
    info->expires = json_integer_value(expires);
    memcpy(info->issuer, json_string_value(issuer), json_string_length(issuer) + 1);
    return CERTLIB_OK;
}

/* Parses the payload and loads its bundle into `ctx` (when given); the bundle's own errors come back
 * from the context as "bundle: ...". */
static certlib_err read_payload(const uint8_t *payload, size_t len, certlib_ctx *ctx,
                                certlib_trust_list_info *info, char *err, size_t cap)
{
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) return fail(err, cap, "payload line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    json_t *bundle = NULL;
    certlib_err e = check_payload(doc, info, &bundle, err, cap);
    char *text = NULL;
    if (!e && ctx && !(text = json_dumps(bundle, JSON_COMPACT))) e = CERTLIB_E_NOMEM;
    json_decref(doc);
    if (!e && ctx &&
        (e = certlib_ctx_load_trust(ctx, (const uint8_t *)text, strlen(text))) == CERTLIB_E_TRUST_BUNDLE)
        fail(err, cap, "bundle: %s", certlib_ctx_trust_error(ctx));
    free(text);
    return e;
}

certlib_err certlib_trust_list_sign(const certlib_signer *signer, const uint8_t *payload, size_t len,
                                    uint8_t **out, size_t *out_len, char *err, size_t err_cap)
{
    if (!signer || !payload || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    if (len > CERTLIB_TRUST_LIST_MAX_BYTES - 4096)
        return fail(err, err_cap, "the payload is larger than %d bytes", CERTLIB_TRUST_LIST_MAX_BYTES - 4096);
    certlib_ctx *probe;
    certlib_err e = certlib_ctx_new(&probe);
    if (e) return e;
    certlib_trust_list_info info;
    e = read_payload(payload, len, probe, &info, err, err_cap);
    certlib_ctx_free(probe);
    if (e) return e == CERTLIB_E_TRUST_BUNDLE ? CERTLIB_E_TRUST_LIST : e;
    cbw w = {0};
    if ((e = certlib__sign1_encode(&w, signer, CERTLIB_TRUST_LIST_TYP, false, true, payload, len))) {
        certlib__cbw_free(&w);
        return e;
    }
    *out = certlib__cbw_take(&w, out_len);
    return *out ? CERTLIB_OK : CERTLIB_E_NOMEM;
}

/* The signature, under the pinned certificate's key. */
static certlib_err check_signature(const certlib__sign1 *s, const uint8_t *pin, size_t pin_len, char *err,
                                   size_t cap)
{
    certlib__certinfo cert;
    if (certlib__certinfo_parse(pin, pin_len, &cert) != CERTLIB_OK) {
        if (err && cap) snprintf(err, cap, "the pinned trust-list certificate cannot be read");
        return CERTLIB_E_KEY;
    }
    certlib_err e = CERTLIB_OK;
    if (s->kid.len && (s->kid.len != CERTLIB_KID_LEN || memcmp(s->kid.ptr, cert.kid, CERTLIB_KID_LEN) != 0))
        e = CERTLIB_E_UNKNOWN_KID;
    else if (s->alg != cert.key.alg)
        e = CERTLIB_E_ALG_MISMATCH;
    else
        e = certlib__sign1_verify(s, &cert.key);
    certlib__certinfo_clear(&cert);
    if (e && err && cap)
        snprintf(err, cap, "not signed by the pinned trust-list key: %s", certlib_err_name(e));
    return e;
}

static certlib_err verify(const uint8_t *list, size_t len, const uint8_t *pin, size_t pin_len, int64_t now,
                          uint64_t min_sequence, certlib_ctx *ctx, certlib_trust_list_info *info, char *err,
                          size_t cap)
{
    if (!list || !pin || !info) return CERTLIB_E_INVALID_ARGUMENT;
    memset(info, 0, sizeof(*info));
    if (err && cap) err[0] = '\0';
    if (len > CERTLIB_TRUST_LIST_MAX_BYTES)
        return fail(err, cap, "larger than %d bytes", CERTLIB_TRUST_LIST_MAX_BYTES);
    cbr r;
    cbr_init(&r, list, len);
    certlib__sign1 s;
    certlib_err e = certlib__sign1_decode(&r, &s);
    if (!e) e = cbr_done(&r);
    if (e) return fail(err, cap, "not a COSE_Sign1: %s", certlib_err_name(e));
    if (s.detached || !s.typ_protected || s.typ.len != strlen(CERTLIB_TRUST_LIST_TYP) ||
        memcmp(s.typ.ptr, CERTLIB_TRUST_LIST_TYP, s.typ.len) != 0)
        return fail(err, cap, "the protected typ is not %s with the payload attached",
                    CERTLIB_TRUST_LIST_TYP);
    if ((e = check_signature(&s, pin, pin_len, err, cap))) return e;
    /* Only signed bytes are parsed from here on. */
    if ((e = read_payload(s.payload.ptr, s.payload.len, ctx, info, err, cap)))
        return e == CERTLIB_E_TRUST_BUNDLE ? CERTLIB_E_TRUST_LIST : e;
    info->payload = s.payload.ptr;
    info->payload_len = s.payload.len;
    if (!now) now = certlib__now();
    if (info->expires <= now || info->issued > now + MAX_FUTURE_SECONDS) {
        if (err && cap)
            snprintf(err, cap, "valid from %lld to %lld, not at %lld", (long long)info->issued,
                     (long long)info->expires, (long long)now);
        return CERTLIB_E_TRUST_LIST_EXPIRED;
    }
    if (info->sequence < min_sequence) {
        if (err && cap)
            snprintf(err, cap, "sequence %llu is below %llu, already accepted",
                     (unsigned long long)info->sequence, (unsigned long long)min_sequence);
        return CERTLIB_E_TRUST_LIST_ROLLBACK;
    }
    return CERTLIB_OK;
}

certlib_err certlib_trust_list_verify(const uint8_t *list, size_t len, const uint8_t *pin, size_t pin_len,
                                      int64_t now, uint64_t min_sequence, certlib_trust_list_info *info,
                                      char *err, size_t err_cap)
{
    return verify(list, len, pin, pin_len, now, min_sequence, NULL, info, err, err_cap);
}

certlib_err certlib_ctx_load_trust_list(certlib_ctx *ctx, const uint8_t *list, size_t len, const uint8_t *pin,
                                        size_t pin_len, int64_t now, uint64_t min_sequence,
                                        certlib_trust_list_info *info)
{
    if (!ctx) return CERTLIB_E_INVALID_ARGUMENT;
    /* Checked in full, its bundle in a scratch context, before `ctx` changes at all. */
    certlib_ctx *scratch;
    certlib_err e = certlib_ctx_new(&scratch);
    if (e) return e;
    char why[sizeof(ctx->trust_error)];
    e = verify(list, len, pin, pin_len, now, min_sequence, scratch, info, why, sizeof(why));
    certlib_ctx_free(scratch);
    if (e) {
        memcpy(ctx->trust_error, why, sizeof(why));
        return e;
    }
    certlib_trust_list_info again;
    return read_payload(info->payload, info->payload_len, ctx, &again, ctx->trust_error,
                        sizeof(ctx->trust_error));
}
