/* The trust bundle's registry of relying parties, read strictly as the rest of the bundle is: unknown and
 * missing keys refused, every error naming its place, sizes bounded. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/certinfo.h"
#include "trust/registry.h"

static certlib_err fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static certlib_err fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return CERTLIB_E_TRUST_BUNDLE;
}

/* An object with exactly the keys `keys` names (all required). */
static bool has_exactly(json_t *obj, const char *const *keys)
{
    size_t n = 0;
    for (; keys[n]; n++)
        if (!json_object_get(obj, keys[n])) return false;
    return json_is_object(obj) && json_object_size(obj) == n;
}

/* A string of 1 to `max` bytes with no NUL, copied; NULL when it is not one (or out of memory). */
static char *text(json_t *v, size_t max)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return strdup(json_string_value(v));
}

static bool identifier_ok(const char *s)
{
    if (!s || !(s[0] >= 'a' && s[0] <= 'z') || strlen(s) > 64) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
    return true;
}

static certlib_err load_reader_roots(certlib__registry *r, json_t *roots, char *err, size_t cap)
{
    static const char *const keys[] = {"name", "certificate", NULL};
    if (!roots) return CERTLIB_OK;
    if (!json_is_array(roots) || json_array_size(roots) > 64)
        return fail(err, cap, "reader_roots: an array of at most 64 is required");
    if (!(r->reader_store = X509_STORE_new())) return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < json_array_size(roots); i++) {
        json_t *e = json_array_get(roots, i), *pem = json_object_get(e, "certificate");
        if (!has_exactly(e, keys) || !json_is_string(json_object_get(e, "name")) || !json_is_string(pem))
            return fail(err, cap, "reader_roots[%zu]: {name, certificate} are required, and nothing else", i);
        certlib__certinfo cert;
        certlib_err e2 =
            certlib__certinfo_parse((const uint8_t *)json_string_value(pem), json_string_length(pem), &cert);
        if (e2 == CERTLIB_E_NOMEM) return e2;
        if (e2)
            return fail(err, cap, "reader_roots[%zu].certificate: not a certificate (%s)", i,
                        certlib_err_name(e2));
        bool ok = cert.is_ca && X509_STORE_add_cert(r->reader_store, cert.x509) == 1;
        certlib__certinfo_clear(&cert);
        if (!ok)
            return fail(err, cap, "reader_roots[%zu].certificate: not a CA certificate, or listed twice", i);
        r->n_reader_roots = i + 1;
    }
    return CERTLIB_OK;
}

static certlib_err load_need(certlib__need *need, json_t *v, const char *where, char *err, size_t cap)
{
    static const char *const keys[] = {"type", "type_name", "elements", NULL};
    json_t *type = json_object_get(v, "type"), *elements = json_object_get(v, "elements");
    if (!has_exactly(v, keys) || !json_is_string(type) || json_string_length(type) != 21 ||
        !json_is_array(elements) || json_array_size(elements) == 0 ||
        json_array_size(elements) > CERTLIB__NEED_ELEMENTS_MAX)
        return fail(err, cap, "%s: {type (21 characters), type_name, elements (1 to %d)} are required", where,
                    CERTLIB__NEED_ELEMENTS_MAX);
    memcpy(need->type, json_string_value(type), 22);
    if (!(need->type_name = text(json_object_get(v, "type_name"), 256)))
        return fail(err, cap, "%s.type_name: text is required", where);
    if (!(need->elements = calloc(json_array_size(elements), sizeof(*need->elements))))
        return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < json_array_size(elements); i++) {
        char *name = text(json_array_get(elements, i), 64);
        if (!identifier_ok(name)) {
            free(name);
            return fail(err, cap, "%s.elements[%zu]: an element identifier is required", where, i);
        }
        need->elements[need->n_elements++] = name;
    }
    return CERTLIB_OK;
}

static certlib_err load_matters(certlib__registry *r, json_t *matters, char *err, size_t cap)
{
    static const char *const keys[] = {"code", "name", "needs", NULL};
    if (!matters) return CERTLIB_OK;
    if (!json_is_array(matters) || json_array_size(matters) > CERTLIB__MATTERS_MAX)
        return fail(err, cap, "matters: an array of at most %d is required", CERTLIB__MATTERS_MAX);
    if (json_array_size(matters) && !(r->matters = calloc(json_array_size(matters), sizeof(*r->matters))))
        return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < json_array_size(matters); i++) {
        json_t *m = json_array_get(matters, i), *needs = json_object_get(m, "needs");
        certlib__matter *matter = &r->matters[i];
        r->n_matters = i + 1;
        if (!has_exactly(m, keys) || !json_is_array(needs) || json_array_size(needs) == 0 ||
            json_array_size(needs) > CERTLIB__MATTER_NEEDS_MAX ||
            !(matter->code = text(json_object_get(m, "code"), 64)) ||
            !(matter->name = text(json_object_get(m, "name"), 256)))
            return fail(err, cap, "matters[%zu]: {code, name, needs (1 to %d)} are required", i,
                        CERTLIB__MATTER_NEEDS_MAX);
        for (size_t k = 0; k < i; k++)
            if (strcmp(r->matters[k].code, matter->code) == 0)
                return fail(err, cap, "matters[%zu]: listed twice", i);
        for (size_t k = 0; k < json_array_size(needs); k++) {
            char where[64];
            snprintf(where, sizeof(where), "matters[%zu].needs[%zu]", i, k);
            matter->n_needs = k + 1;
            certlib_err e = load_need(&matter->needs[k], json_array_get(needs, k), where, err, cap);
            if (e) return e;
        }
    }
    return CERTLIB_OK;
}

static certlib_err load_readers(certlib__registry *r, json_t *readers, char *err, size_t cap)
{
    static const char *const keys[] = {"client_id", "name", "matters", NULL};
    if (!readers) return CERTLIB_OK;
    if (!json_is_array(readers) || json_array_size(readers) > CERTLIB__READERS_MAX)
        return fail(err, cap, "readers: an array of at most %d is required", CERTLIB__READERS_MAX);
    if (json_array_size(readers) && !(r->readers = calloc(json_array_size(readers), sizeof(*r->readers))))
        return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < json_array_size(readers); i++) {
        json_t *e = json_array_get(readers, i), *matters = json_object_get(e, "matters");
        certlib__reader *reader = &r->readers[i];
        r->n_readers = i + 1;
        if (!has_exactly(e, keys) || !(reader->client_id = text(json_object_get(e, "client_id"), 128)) ||
            strncmp(reader->client_id, "x509_hash:", 10) != 0 ||
            !(reader->name = text(json_object_get(e, "name"), 256)) || !json_is_array(matters) ||
            json_array_size(matters) > r->n_matters)
            return fail(err, cap, "readers[%zu]: {client_id (x509_hash:...), name, matters} are required", i);
        if (certlib__registry_reader(r, reader->client_id) != reader)
            return fail(err, cap, "readers[%zu]: registered twice", i);
        if (json_array_size(matters) && !(reader->matters = calloc(json_array_size(matters), sizeof(size_t))))
            return CERTLIB_E_NOMEM;
        for (size_t k = 0; k < json_array_size(matters); k++) {
            const char *code = json_string_value(json_array_get(matters, k));
            size_t at = 0;
            while (code && at < r->n_matters && strcmp(r->matters[at].code, code) != 0)
                at++;
            if (!code || at == r->n_matters)
                return fail(err, cap, "readers[%zu].matters[%zu]: not a matter of the bundle's catalogue", i,
                            k);
            reader->matters[reader->n_matters++] = at;
        }
    }
    return CERTLIB_OK;
}

certlib_err certlib__registry_load(certlib__registry *r, json_t *reader_roots, json_t *matters,
                                   json_t *readers, char *err, size_t err_cap)
{
    certlib_err e = load_reader_roots(r, reader_roots, err, err_cap);
    if (!e) e = load_matters(r, matters, err, err_cap);
    if (!e) e = load_readers(r, readers, err, err_cap);
    return e;
}

void certlib__registry_clear(certlib__registry *r)
{
    X509_STORE_free(r->reader_store);
    for (size_t i = 0; i < r->n_matters; i++) {
        free(r->matters[i].code);
        free(r->matters[i].name);
        for (size_t k = 0; k < r->matters[i].n_needs; k++) {
            certlib__need *n = &r->matters[i].needs[k];
            free(n->type_name);
            for (size_t e = 0; e < n->n_elements; e++)
                free(n->elements[e]);
            free(n->elements);
        }
    }
    free(r->matters);
    for (size_t i = 0; i < r->n_readers; i++) {
        free(r->readers[i].client_id);
        free(r->readers[i].name);
        free(r->readers[i].matters);
    }
    free(r->readers);
    memset(r, 0, sizeof(*r));
}

const certlib__reader *certlib__registry_reader(const certlib__registry *r, const char *client_id)
{
    for (size_t i = 0; i < r->n_readers; i++)
        if (r->readers[i].client_id && strcmp(r->readers[i].client_id, client_id) == 0) return &r->readers[i];
    return NULL;
}
