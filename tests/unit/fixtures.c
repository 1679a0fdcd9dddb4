/* Test fixtures over keys-example/ (see fixtures.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

const char *fixture_keys_dir = "keys-example";

const char *fixture_path(const char *rel)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s", fixture_keys_dir, rel);
    return path;
}

certlib_signer *fixture_signer(const char *alg, const char *name)
{
    char key[1024], crt[1024];
    snprintf(key, sizeof(key), "%s/pki/%s/%s.key", fixture_keys_dir, alg, name);
    snprintf(crt, sizeof(crt), "%s/pki/%s/%s.crt", fixture_keys_dir, alg, name);
    certlib_signer *s = NULL;
    certlib_err err = certlib_signer_load(key, crt, &s);
    if (err) fail_msg("signer %s/%s: %s", alg, name, certlib_err_name(err));
    return s;
}

certlib_ctx *fixture_ctx(void)
{
    certlib_ctx *ctx = NULL;
    assert_int_equal(certlib_ctx_new(&ctx), CERTLIB_OK);
    certlib_err err = certlib_ctx_load_trust_file(ctx, fixture_path("trust.json"));
    if (err) fail_msg("trust.json: %s", certlib_ctx_trust_error(ctx));
    return ctx;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static json_t *pem_array(const char *list)
{
    json_t *arr = json_array();
    if (!list) return arr;
    char *copy = strdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char rel[256];
        snprintf(rel, sizeof(rel), "pki/%s.crt", tok);
        char *pem = read_text(fixture_path(rel));
        json_array_append_new(arr, json_string(pem));
        free(pem);
    }
    free(copy);
    return arr;
}

char *fixture_bundle(const char *roots, const char *types, const char *regions, const char *signers,
                     const char *status_signers)
{
    json_t *doc = json_object(), *root_list = json_array();
    json_object_set_new(doc, "version", json_integer(1));
    char *copy = strdup(roots), *save = NULL;
    for (char *alg = strtok_r(copy, ",", &save); alg; alg = strtok_r(NULL, ",", &save)) {
        char rel[256];
        snprintf(rel, sizeof(rel), "pki/%s/root.crt", alg);
        char *pem = read_text(fixture_path(rel));
        json_t *root = json_object();
        json_object_set_new(root, "name", json_string(alg));
        json_object_set_new(root, "certificate", json_string(pem));
        json_object_set_new(root, "licence_types", json_loads(types, 0, NULL));
        json_object_set_new(root, "regions", json_loads(regions, 0, NULL));
        json_array_append_new(root_list, root);
        free(pem);
    }
    free(copy);
    json_object_set_new(doc, "roots", root_list);
    json_object_set_new(doc, "signers", pem_array(signers));
    json_object_set_new(doc, "status_signers", pem_array(status_signers));
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

certlib_ctx *fixture_ctx_from(const char *bundle_json)
{
    certlib_ctx *ctx = NULL;
    assert_int_equal(certlib_ctx_new(&ctx), CERTLIB_OK);
    certlib_err err = certlib_ctx_load_trust(ctx, (const uint8_t *)bundle_json, strlen(bundle_json));
    if (err) fail_msg("bundle: %s", certlib_ctx_trust_error(ctx));
    return ctx;
}

static const certlib_element fixture_elements[] = {
    {.identifier = "registered_capital", .type = CERTLIB_VALUE_INT, .integer = 1000000},
    {.identifier = "business_scope", .type = CERTLIB_VALUE_TEXT, .text = "软件开发；信息技术咨询服务"},
    {.identifier = "established", .type = CERTLIB_VALUE_DATE, .text = "2020-05-01"},
};

void fixture_spec(certlib_licence_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->licence_type_code = FIXTURE_TYPE;
    spec->licence_name = "营业执照";
    spec->holder_name = "杭州某某科技有限公司";
    spec->holder_id = FIXTURE_HOLDER_ID;
    spec->signed_at = 1795400000; /* 2026-11-23, inside the demo certificates' validity */
    spec->valid_until = 1795400000 + 10LL * 365 * 86400;
    spec->elements = fixture_elements;
    spec->n_elements = sizeof(fixture_elements) / sizeof(fixture_elements[0]);
}

uint8_t *fixture_licence(certlib_signer *signer, certlib_licence_spec *overrides, size_t *len)
{
    certlib_licence_spec spec;
    if (overrides)
        spec = *overrides;
    else
        fixture_spec(&spec);
    uint8_t *out = NULL;
    certlib_err err = certlib_licence_issue(signer, &spec, &out, len, NULL);
    if (err) fail_msg("issue: %s", certlib_err_name(err));
    return out;
}

certlib_result *fixture_verify(const certlib_ctx *ctx, const uint8_t *licence, size_t len, int64_t now)
{
    certlib_verify_opts opts = {.now = now ? now : FIXTURE_NOW};
    certlib_result *r = NULL;
    assert_int_equal(certlib_licence_verify(ctx, licence, len, &opts, &r), CERTLIB_OK);
    assert_non_null(r);
    return r;
}
