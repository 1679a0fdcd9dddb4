/* authd policy.h: the example policies load and answer the run-time lookups; a broken policy file is
 * refused with "file:line: message" pointing at the line that is wrong. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd_support.h"
#include "policy.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    text[n] = '\0';
    if (len) *len = (size_t)n;
    return text;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const FILES[] = {"licence-types.yaml", "matters.yaml", "clients.yaml"};

/* ---- the examples ---- */

static struct authd_policy *load_examples(void)
{
    static struct authd_policy p;
    char dir[4096], err[1024] = "";
    snprintf(dir, sizeof(dir), "%s/policies", test_repo);
    if (authd_policy_load(&p, dir, err, sizeof(err)) != 0) fail_msg("%s", err);
    return &p;
}

static const struct authd_client *client_by_token_file(const struct authd_policy *p, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/keys-example/tokens/%s.token", test_repo, name);
    char *token = read_file(path, NULL);
    token[strcspn(token, "\r\n")] = '\0';
    const struct authd_client *c = authd_policy_client_by_token(p, token, strlen(token));
    free(token);
    return c;
}

static void test_example_lookups(void **state)
{
    (void)state;
    struct authd_policy *p = load_examples();
    const struct authd_licence_type *licence = authd_policy_type(p, "11100000000013338W001", 21);
    assert_non_null(licence);
    assert_string_equal(licence->name, "营业执照");
    assert_int_equal(licence->holder, AUTHD_HOLDER_ORG);
    assert_null(authd_policy_type(p, "11100000000013338W0011", 21 + 1));
    assert_null(authd_policy_type(p, "11100000000013338W0", 19));
    const struct authd_element_schema *e = authd_type_element(licence, "registered_capital");
    assert_non_null(e);
    assert_int_equal(e->type, AUTHD_VALUE_INT);
    assert_true(e->required);
    assert_null(authd_type_element(licence, "holder_name")); /* metadata, not the type's own */

    const struct authd_matter *m = authd_policy_matter(p, "ZJ-QYBG-001", 11);
    assert_non_null(m);
    /* peers name it by the shared catalogue's code */
    assert_ptr_equal(authd_policy_shared_matter(p, "YRD-QYBG-001", 12), m);
    assert_null(authd_policy_shared_matter(p, "ZJ-QYBG-001", 11));
    assert_null(authd_policy_shared_matter(p, "YRD-QYBG-00", 11));
    assert_null(authd_policy_matter(p, "ZJ-CSDJ-001", 11)->shared_code);
    const struct authd_client *peer = NULL;
    for (size_t i = 0; i < p->n_clients; i++)
        if (strcmp(p->clients[i].id, "peer-shanghai") == 0) peer = &p->clients[i];
    assert_non_null(peer);
    assert_int_equal(peer->role, AUTHD_ROLE_PEER);
    assert_string_equal(authd_role_name(peer->role), "peer");
    assert_true(authd_client_serves(peer, m));
    assert_false(authd_client_serves(peer, authd_policy_matter(p, "ZJ-CSDJ-001", 11)));
    assert_int_equal(m->n_needs, 1);
    assert_ptr_equal(m->needs[0].type, licence);
    assert_int_equal(m->needs[0].n_elements, 6);
    assert_string_equal(m->needs[0].elements[1], "holder_id");
    assert_null(authd_policy_matter(p, "ZJ-QYBG-00", 10));

    const struct authd_client *issuer = client_by_token_file(p, "issuer-scjg");
    assert_non_null(issuer);
    assert_string_equal(issuer->id, "issuer-scjg");
    assert_int_equal(issuer->role, AUTHD_ROLE_ISSUER);
    assert_true(authd_client_may_issue(issuer, licence));
    assert_false(authd_client_may_issue(issuer, authd_policy_type(p, "11100000000013338W002", 21)));
    assert_string_equal(authd_role_name(issuer->role), "issuer");

    const struct authd_client *counter = client_by_token_file(p, "counter-hz");
    assert_non_null(counter);
    assert_true(authd_client_serves(counter, m));
    assert_false(counter->unmasked);
    assert_false(authd_client_may_issue(counter, licence));
    const struct authd_client *full = client_by_token_file(p, "counter-hz-full");
    assert_true(full->unmasked);
    assert_false(authd_client_serves(full, m));

    assert_null(authd_policy_client_by_token(p, "not-a-token", 11));
    assert_null(authd_policy_client_by_token(p, "", 0));
    static const uint8_t cert[32] = {0x95, 0x07, 0xb2, 0xa3, 0x61, 0xd9, 0xd4, 0x65, 0x40, 0x7a, 0xc5,
                                     0x58, 0x2c, 0xf0, 0x81, 0x04, 0x2f, 0x24, 0xbb, 0x36, 0x1e, 0x20,
                                     0xdc, 0xc4, 0x42, 0x62, 0xb9, 0x26, 0x54, 0xa8, 0x94, 0x74};
    assert_ptr_equal(authd_policy_client_by_cert(p, cert), counter);
    uint8_t other[32] = {0};
    assert_null(authd_policy_client_by_cert(p, other));
    authd_policy_free(p);
}

/* ---- broken files ---- */

struct broken {
    const char *file;    /* which policy file is changed */
    const char *from;    /* its first occurrence of this ... */
    const char *to;      /* ... replaced by this */
    const char *message; /* what the error says */
    const char *at;      /* the error's line is the first line with this, after the change (NULL: `to`) */
};

static const struct broken BROKEN[] = {
    {"licence-types.yaml", "code: 11100000000013338W001", "code: 1110000000001333",
     "is not a GB/T 36904 type code", NULL},
    {"licence-types.yaml", "type: int, required: true}", "type: float, required: true}",
     "elements.type: expected text, int, bool, date, ric, uscc or ident", "type: float"},
    {"licence-types.yaml", "{name: entity_type,", "{name: holder_name,",
     "'holder_name' is a metadata element", "{name: holder_name,"},
    {"licence-types.yaml", "holder: org", "holder: robot", "holder: expected person or org", NULL},
    {"licence-types.yaml", "code: 11100000000013338W002", "code: 11100000000013338W001",
     "code 11100000000013338W001 twice", "code: 11100000000013338W001\n    name: 结婚证"},
    {"matters.yaml", "household_number, relationship, address]", "household_number, relationship, shoe_size]",
     "has no element 'shoe_size'", NULL},
    {"matters.yaml", "- type: 11100000000013338W003", "- type: 11100000000013338W099",
     "no licence type 11100000000013338W099 in licence-types.yaml", NULL},
    {"matters.yaml", "code: ZJ-HYDJ-001", "code: zj-hydj-001", "code: use A-Z, 0-9 and '-' only", NULL},
    {"clients.yaml", "role: issuer", "role: boss", "role: expected issuer, counter, auditor, admin or peer",
     NULL},
    {"matters.yaml", "shared_code: YRD-HYDJ-001", "shared_code: yrd",
     "shared_code: use A-Z, 0-9 and '-' only", NULL},
    {"matters.yaml", "shared_code: YRD-SBKSL-001", "shared_code: YRD-HYDJ-001", "code YRD-HYDJ-001 twice",
     "code: ZJ-SBKSL-001"},
    {"clients.yaml", "matters: [ZJ-HYDJ-001, ZJ-SBKSL-001, ZJ-QYBG-001]",
     "matters: [ZJ-HYDJ-001, ZJ-CSDJ-001]", "ZJ-CSDJ-001 has no shared_code, so no peer can ask for it",
     "id: peer-shanghai"},
    {"clients.yaml", "role: auditor", "role: auditor\n    unmasked: true",
     "go with role counter or peer, and only with them", "id: auditor"},
    {"clients.yaml", "licence_types: [11100000000013338W002, 11100000000013338W003]",
     "licence_types: [11100000000013338W001]", "does not list issuer 11330100002498121J", "id: issuer-mz"},
    {"clients.yaml", "matters: [ZJ-BDCZY-001, ZJ-HYDJ-001]", "matters: [ZJ-NOPE-001]",
     "no matter ZJ-NOPE-001 in matters.yaml", "id: counter-hz-full"},
    {"clients.yaml", "token_sha256: 8995b152d3acb67b7fef170cf3873bd226efe165f6657e9a317b78dbf0c2d87e",
     "token_sha256: c80f40353a9238b357adfb7a506c787570beb53bbe89d5f52a6681313e90e73d",
     "issuer-mz shares a credential with issuer-scjg", "id: issuer-mz"},
    {"clients.yaml", "token_sha256: 8995b152", "token_sha256: 8995b15",
     "token_sha256: expected 64 hexadecimal digits", NULL},
    {"clients.yaml", "id: issuer-mz", "id: Issuer MZ", "id: 1 to 64 of a-z, 0-9", NULL},
    {"clients.yaml", "clients:", "clients: [", "clients.yaml:", NULL}, /* not YAML at all */
};

/* The policies with one change, in a scratch directory. */
static char *broken_policies(const struct broken *b)
{
    char *dir = scratch_dir();
    for (size_t i = 0; i < 3; i++) {
        char src[4096], dst[4200];
        snprintf(src, sizeof(src), "%s/policies/%s", test_repo, FILES[i]);
        snprintf(dst, sizeof(dst), "%s/%s", dir, FILES[i]);
        char *text = read_file(src, NULL);
        if (strcmp(FILES[i], b->file) == 0) {
            char *at = strstr(text, b->from);
            if (!at) fail_msg("%s has no '%s'", b->file, b->from);
            size_t head = (size_t)(at - text), from = strlen(b->from), to = strlen(b->to);
            char *changed = malloc(strlen(text) - from + to + 1);
            memcpy(changed, text, head);
            memcpy(changed + head, b->to, to);
            strcpy(changed + head + to, at + from);
            free(text);
            text = changed;
        }
        write_file(dst, text);
        free(text);
    }
    return dir;
}

/* The 1-based line of the first occurrence of `needle`. */
static size_t line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    assert_non_null(at);
    size_t line = 1;
    for (const char *c = text; c < at; c++)
        line += *c == '\n';
    return line;
}

static void test_broken_policies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(BROKEN) / sizeof(BROKEN[0]); i++) {
        const struct broken *b = &BROKEN[i];
        char *dir = broken_policies(b);
        struct authd_policy p;
        char err[1024] = "";
        if (authd_policy_load(&p, dir, err, sizeof(err)) == 0)
            fail_msg("case %zu (%s) was accepted", i, b->message);
        if (!strstr(err, b->message)) fail_msg("case %zu: expected '%s' in: %s", i, b->message, err);
        /* "<dir>/<file>:<line>: message", the line the change is on */
        char path[4200], *text;
        snprintf(path, sizeof(path), "%s/%s", dir, b->file);
        text = read_file(path, NULL);
        char want[4400];
        snprintf(want, sizeof(want), "%s:%zu: ", path, line_of(text, b->at ? b->at : b->to));
        if (strncmp(err, want, strlen(want)) != 0 && strcmp(b->from, "clients:") != 0)
            fail_msg("case %zu: expected the error at '%s', got: %s", i, want, err);
        free(text);
        scratch_remove(dir);
    }
}

static void test_limits(void **state)
{
    (void)state;
    /* a matter of 17 licence types: more than a lookup answers (AUTHD_MATTER_MAX_NEEDS) */
    struct broken add = {"matters.yaml", "matters:\n", NULL, "licences: 1 to 16 licence types", "ZJ-BIG-001"};
    char big[4096] = "matters:\n  - code: ZJ-BIG-001\n    name: big\n    licences:\n";
    for (int i = 0; i < AUTHD_MATTER_MAX_NEEDS + 1; i++)
        strcat(big, "      - {type: 11100000000013338W001, elements: [holder_name]}\n");
    add.to = big;
    char *dir = broken_policies(&add);
    struct authd_policy p;
    char err[1024] = "";
    assert_int_not_equal(authd_policy_load(&p, dir, err, sizeof(err)), 0);
    if (!strstr(err, add.message)) fail_msg("expected '%s' in: %s", add.message, err);
    scratch_remove(dir);
    /* a missing file */
    static const struct broken unchanged = {"matters.yaml", "matters:\n", "matters:\n", NULL, NULL};
    dir = broken_policies(&unchanged);
    char path[4200];
    snprintf(path, sizeof(path), "%s/clients.yaml", dir);
    remove(path);
    assert_int_not_equal(authd_policy_load(&p, dir, err, sizeof(err)), 0);
    if (!strstr(err, "clients.yaml")) fail_msg("expected clients.yaml in: %s", err);
    scratch_remove(dir);
}

int main(int argc, char **argv)
{
    if (argc > 1) test_repo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_lookups),
        cmocka_unit_test(test_broken_policies),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
