/* Disclosure marks (certlib/mark.h): format, sign, open, reference, and the checks against the
 * access-log entry and the licence bytes, each refusal on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "certlib/certlib.h"

static const char origin[] = "authd.example/access";
static uint8_t pk[32], sk[64];
static certlib_note_verifier verifier;
static const uint8_t licence_a[] = "licence A bytes", licence_b[] = "licence B bytes";

/* An access/v2 entry for `m`'s fields and licences, and m's entry hash set from it. */
static size_t entry_for(certlib_mark *m, char *entry, size_t cap)
{
    uint8_t digest[32];
    char text[48];
    certlib_mark_digest((const uint8_t(*)[32])m->licences, m->n_licences, digest);
    sodium_bin2base64(text, sizeof(text), digest, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int n = snprintf(entry, cap,
                     "access/v2 lookup 2026-11-30T08:00:00Z %s %s - ok L1,L2 %%E5%%A9%%9A%%E5%%A7%%BB %s",
                     m->client, m->matter, text);
    certlib_tlog_leaf_hash((const uint8_t *)entry, (size_t)n, m->entry_hash);
    return (size_t)n;
}

static void make_mark(certlib_mark *m)
{
    memset(m, 0, sizeof(*m));
    strcpy(m->origin, origin);
    m->index = 41;
    m->kind = CERTLIB_LOG_LOOKUP;
    m->time = 1796025600; /* 2026-11-30T08:00:00Z */
    strcpy(m->client, "counter-hz");
    strcpy(m->matter, "ZJ-HYDJ-001");
    strcpy(m->use_cause, "婚姻");
    m->n_licences = 2;
    crypto_hash_sha256(m->licences[0], licence_a, sizeof(licence_a));
    crypto_hash_sha256(m->licences[1], licence_b, sizeof(licence_b));
}

static size_t sign(const certlib_mark *m, char *note, size_t cap)
{
    char text[CERTLIB_MARK_MAX];
    size_t tlen, nlen;
    assert_int_equal(certlib_mark_format(m, text, sizeof(text), &tlen), CERTLIB_OK);
    assert_int_equal(certlib_note_sign(text, tlen, origin, sk, note, cap, &nlen), CERTLIB_OK);
    return nlen;
}

static int setup(void **state)
{
    (void)state;
    crypto_sign_keypair(pk, sk);
    return certlib_note_verifier_from_key(origin, pk, &verifier) == CERTLIB_OK ? 0 : -1;
}

static void test_round_trip(void **state)
{
    (void)state;
    static certlib_mark m, back;
    char entry[512], note[CERTLIB_MARK_MAX];
    make_mark(&m);
    size_t elen = entry_for(&m, entry, sizeof(entry));
    size_t n = sign(&m, note, sizeof(note));
    assert_non_null(strstr(note, "disclosure/v1 41 "));
    assert_int_equal(certlib_mark_open(note, n, &verifier, &back), CERTLIB_OK);
    assert_int_equal(back.index, 41);
    assert_int_equal(back.time, m.time);
    assert_string_equal(back.client, "counter-hz");
    assert_string_equal(back.matter, "ZJ-HYDJ-001");
    assert_string_equal(back.use_cause, "婚姻");
    assert_int_equal(back.n_licences, 2);
    assert_memory_equal(back.entry_hash, m.entry_hash, 32);
    assert_int_equal(certlib_mark_check_entry(&back, (const uint8_t *)entry, elen), CERTLIB_OK);
    assert_true(certlib_mark_names(&back, licence_a, sizeof(licence_a)));
    assert_true(certlib_mark_names(&back, licence_b, sizeof(licence_b)));
    assert_false(certlib_mark_names(&back, licence_a, sizeof(licence_a) - 1)); /* another licence */

    char ref[CERTLIB_MARK_REFERENCE_MAX];
    uint64_t index;
    certlib_tlog_hash hash;
    certlib_mark_reference(&back, ref);
    assert_int_equal(strncmp(ref, "ELM1:41:", 8), 0);
    assert_int_equal(certlib_mark_reference_parse(ref, strlen(ref), &index, hash), CERTLIB_OK);
    assert_int_equal(index, 41);
    assert_memory_equal(hash, m.entry_hash, 32);
    static const char *const bad_refs[] = {"ELM1:041:", "ELM2:41:", "ELM1:41", "ELM1::", "ELM1:41:x"};
    for (size_t i = 0; i < sizeof(bad_refs) / sizeof(bad_refs[0]); i++) {
        char r[128];
        snprintf(r, sizeof(r), "%s%s", bad_refs[i], strchr(strchr(ref, ':') + 1, ':') + 1);
        assert_int_equal(certlib_mark_reference_parse(r, strlen(r), &index, hash), CERTLIB_E_MARK);
    }
    ref[strlen(ref) - 1] = '\0'; /* a hash one character short */
    assert_int_equal(certlib_mark_reference_parse(ref, strlen(ref), &index, hash), CERTLIB_E_MARK);
}

static void test_altered(void **state)
{
    (void)state;
    static certlib_mark m, back;
    char note[CERTLIB_MARK_MAX];
    make_mark(&m);
    size_t n = sign(&m, note, sizeof(note));
    /* any byte of the signed text changed: the signature fails */
    char *at = strstr(note, "counter-hz");
    at[8] = 'x';
    assert_int_equal(certlib_mark_open(note, n, &verifier, &back), CERTLIB_E_NOTE_SIGNATURE);
    at[8] = 'h';
    assert_int_equal(certlib_mark_open(note, n, &verifier, &back), CERTLIB_OK);
    /* another key's verifier: refused */
    uint8_t pk2[32], sk2[64];
    certlib_note_verifier other;
    crypto_sign_keypair(pk2, sk2);
    assert_int_equal(certlib_note_verifier_from_key(origin, pk2, &other), CERTLIB_OK);
    assert_int_equal(certlib_mark_open(note, n, &other, &back), CERTLIB_E_NOTE_SIGNATURE);
    /* a checkpoint under the same key is not a mark */
    char cp[256], cpn[1024];
    size_t cpl = (size_t)snprintf(cp, sizeof(cp), "%s\n7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                                  origin),
           cpnl;
    assert_int_equal(certlib_note_sign(cp, cpl, origin, sk, cpn, sizeof(cpn), &cpnl), CERTLIB_OK);
    assert_int_equal(certlib_mark_open(cpn, cpnl, &verifier, &back), CERTLIB_E_MARK);
}

static void test_entry_mismatch(void **state)
{
    (void)state;
    static certlib_mark m, other;
    char entry[512];
    make_mark(&m);
    size_t elen = entry_for(&m, entry, sizeof(entry));
    assert_int_equal(certlib_mark_check_entry(&m, (const uint8_t *)entry, elen), CERTLIB_OK);
    /* each field of the mark changed on its own (the entry hash kept) */
    other = m;
    strcpy(other.client, "counter-nb");
    assert_int_equal(certlib_mark_check_entry(&other, (const uint8_t *)entry, elen), CERTLIB_E_MARK_ENTRY);
    other = m;
    strcpy(other.matter, "ZJ-CSDJ-001");
    assert_int_equal(certlib_mark_check_entry(&other, (const uint8_t *)entry, elen), CERTLIB_E_MARK_ENTRY);
    other = m;
    strcpy(other.use_cause, "其他");
    assert_int_equal(certlib_mark_check_entry(&other, (const uint8_t *)entry, elen), CERTLIB_E_MARK_ENTRY);
    other = m;
    other.time++;
    assert_int_equal(certlib_mark_check_entry(&other, (const uint8_t *)entry, elen), CERTLIB_E_MARK_ENTRY);
    other = m;
    other.n_licences = 1; /* a licence dropped from the set the log recorded */
    assert_int_equal(certlib_mark_check_entry(&other, (const uint8_t *)entry, elen), CERTLIB_E_MARK_ENTRY);
    other = m;
    other.kind = CERTLIB_LOG_VERIFY;
    assert_int_equal(certlib_mark_check_entry(&other, (const uint8_t *)entry, elen), CERTLIB_E_MARK_ENTRY);
    /* another entry (its own fields would all match a mark made for it, but not this one's hash) */
    entry[elen - 1] = entry[elen - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(certlib_mark_check_entry(&m, (const uint8_t *)entry, elen), CERTLIB_E_MARK_ENTRY);
    /* a v1 entry has no disclosure digest: it cannot be the one a mark names */
    static const char v1[] = "access/v1 lookup 2026-11-30T08:00:00Z counter-hz ZJ-HYDJ-001 - ok L1,L2 -";
    other = m;
    certlib_tlog_leaf_hash((const uint8_t *)v1, strlen(v1), other.entry_hash);
    other.use_cause[0] = '\0';
    assert_int_equal(certlib_mark_check_entry(&other, (const uint8_t *)v1, strlen(v1)), CERTLIB_E_MARK_ENTRY);
}

static void test_malformed(void **state)
{
    (void)state;
    static certlib_mark m, back;
    char text[CERTLIB_MARK_MAX], note[CERTLIB_MARK_MAX];
    size_t tlen;
    make_mark(&m);
    strcpy(m.client, "counter hz"); /* a space would shift the fields */
    assert_int_equal(certlib_mark_format(&m, text, sizeof(text), &tlen), CERTLIB_E_MARK);
    make_mark(&m);
    m.kind = CERTLIB_LOG_ISSUE;
    assert_int_equal(certlib_mark_format(&m, text, sizeof(text), &tlen), CERTLIB_E_MARK);
    make_mark(&m);
    assert_int_equal(certlib_mark_format(&m, text, 100, &tlen), CERTLIB_E_BUFFER_TOO_SMALL);
    /* signed texts that are not marks */
    static const char *const bad[] = {
        "authd.example/access\ndisclosure/v2 41 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n"
        "lookup 2026-11-30T08:00:00Z c - -\n",
        "authd.example/access\ndisclosure/v1 041 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n"
        "lookup 2026-11-30T08:00:00Z c - -\n",
        "authd.example/access\ndisclosure/v1 41 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n"
        "peek 2026-11-30T08:00:00Z c - -\n",
        "authd.example/access\ndisclosure/v1 41 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n"
        "lookup 2026-11-30T08:00:00Z c - - extra\n",
        "authd.example/access\ndisclosure/v1 41 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n"
        "lookup 2026-11-30T08:00:00Z c - %ZZ\n",
        "authd.example/access\ndisclosure/v1 41 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n"
        "lookup 2026-11-30T08:00:00Z c - -\nnot-a-hash\n",
        "authd.example/access\ndisclosure/v1 41 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF\n"
        "lookup 2026-11-30T08:00:00Z c - -\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t nlen;
        assert_int_equal(certlib_note_sign(bad[i], strlen(bad[i]), origin, sk, note, sizeof(note), &nlen),
                         CERTLIB_OK);
        assert_int_equal(certlib_mark_open(note, nlen, &verifier, &back), CERTLIB_E_MARK);
    }
    /* a mark signed under another origin's name (the same key): not this log's */
    size_t nlen;
    make_mark(&m);
    assert_int_equal(certlib_mark_format(&m, text, sizeof(text), &tlen), CERTLIB_OK);
    char *other_text = text + strlen(origin);
    char renamed[CERTLIB_MARK_MAX];
    snprintf(renamed, sizeof(renamed), "authd.other/access%s", other_text);
    certlib_note_verifier other;
    assert_int_equal(certlib_note_verifier_from_key("authd.other/access", pk, &other), CERTLIB_OK);
    assert_int_equal(certlib_note_sign(renamed, strlen(renamed), origin, sk, note, sizeof(note), &nlen),
                     CERTLIB_OK);
    assert_int_equal(certlib_mark_open(note, nlen, &verifier, &back), CERTLIB_E_LOG_ORIGIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_altered),
        cmocka_unit_test(test_entry_mismatch),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
