/* authd tlog.h: a Merkle log over the storage interface. Checkpoints verify under the log's key and
 * carry the root the test computes from the entries; only durable, published trees are served; tiles,
 * entry bundles, inclusion and consistency proofs and receipts all check out with certlib; a reopened
 * log signs the same checkpoint again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd_support.h"
#include "tlog.h"

#define ORIGIN "authd.test.example/log/signatures"
enum { ENTRIES = 600 };

struct fixture {
    char *dir;
    struct authd_storage *s;
    struct authd_log *log;
    char entries[ENTRIES][40];
    certlib_tlog_hash leaves[ENTRIES];
    uint64_t size;
};

static struct authd_log *open_log(struct authd_storage *s)
{
    char key[4096], err[512] = "";
    snprintf(key, sizeof(key), "%s/keys-example/log/signatures.key", test_repo);
    struct authd_log *log = NULL;
    if (authd_log_open(s, AUTHD_LOG_SIGNATURES, ORIGIN, key, &log, err, sizeof(err))) fail_msg("%s", err);
    return log;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = scratch_dir();
    f->s = open_lmdb(f->dir, 0);
    f->log = open_log(f->s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    authd_log_close(f->log);
    authd_storage_close(f->s);
    scratch_remove(f->dir);
    free(f);
    return 0;
}

/* Appends n entries in one batch, durable but not yet published. */
static void append(struct fixture *f, size_t n)
{
    struct authd_storage_write *w = calloc(n, sizeof(*w));
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)f->size + i;
        snprintf(f->entries[k], sizeof(f->entries[k]), "sig/v1 test entry %zu", k);
        certlib_tlog_leaf_hash((const uint8_t *)f->entries[k], strlen(f->entries[k]), f->leaves[k]);
        w[i] = (struct authd_storage_write){.op = AUTHD_STORE_APPEND,
                                            .log = AUTHD_LOG_SIGNATURES,
                                            .entry = (const uint8_t *)f->entries[k],
                                            .entry_len = strlen(f->entries[k])};
    }
    assert_int_equal(authd_storage_apply(f->s, w, n), AUTHD_OK);
    f->size += n;
    free(w);
}

static certlib_note_verifier verifier(struct authd_log *log)
{
    certlib_note_verifier v;
    const char *vkey = authd_log_vkey(log);
    assert_int_equal(certlib_note_verifier_parse(vkey, strlen(vkey), &v), CERTLIB_OK);
    return v;
}

/* The published checkpoint, verified; its size and root. */
static certlib_checkpoint published(struct authd_log *log, char note[AUTHD_CHECKPOINT_MAX], size_t *len)
{
    uint64_t size;
    *len = authd_log_checkpoint(log, note, &size);
    certlib_note_verifier v = verifier(log);
    certlib_checkpoint cp;
    assert_int_equal(certlib_checkpoint_open(note, *len, &v, &cp), CERTLIB_OK);
    assert_string_equal(cp.origin, ORIGIN);
    assert_int_equal(cp.size, size);
    return cp;
}

static void test_checkpoints(void **state)
{
    struct fixture *f = *state;
    char note[AUTHD_CHECKPOINT_MAX];
    size_t len;
    certlib_checkpoint cp = published(f->log, note, &len);
    assert_int_equal(cp.size, 0);
    certlib_tlog_hash want;
    tree_hash(NULL, 0, want);
    assert_memory_equal(cp.root, want, 32);
    static const size_t batches[] = {1, 2, 5, 248, 1, 99, 244};
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        append(f, batches[b]);
        /* durable but not published: the log serves the old tree */
        assert_int_equal(published(f->log, note, &len).size, f->size - batches[b]);
        uint8_t *e;
        size_t elen;
        assert_int_equal(authd_log_entry(f->log, f->size - 1, &e, &elen), AUTHD_E_NOT_FOUND);
        assert_int_equal(authd_log_publish(f->log), AUTHD_OK);
        cp = published(f->log, note, &len);
        assert_int_equal(cp.size, f->size);
        tree_hash(f->leaves, f->size, want);
        assert_memory_equal(cp.root, want, 32);
    }
    assert_int_equal(f->size, 600);
    /* reopened, the log signs the same checkpoint (Ed25519 is deterministic) */
    char again[AUTHD_CHECKPOINT_MAX];
    size_t again_len;
    authd_log_close(f->log);
    f->log = open_log(f->s);
    published(f->log, again, &again_len);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, note, len);
}

struct bundle_check {
    struct fixture *f;
    uint64_t first; /* the bundle's first entry */
};

static certlib_err same_entry(void *arg, uint64_t i, const uint8_t *entry, size_t len)
{
    struct bundle_check *c = arg;
    const char *want = c->f->entries[c->first + i];
    return strlen(want) == len && memcmp(want, entry, len) == 0 ? CERTLIB_OK : CERTLIB_E_TILE;
}

static void test_tiles(void **state)
{
    struct fixture *f = *state;
    append(f, ENTRIES);
    assert_int_equal(authd_log_publish(f->log), AUTHD_OK);
    uint8_t *tile;
    size_t len;
    /* level 0: the leaf hashes, a full tile and the partial one after it */
    certlib_tile t = certlib_tile_for(0, 256, ENTRIES);
    assert_int_equal(t.index, 1);
    assert_int_equal(t.width, 256);
    assert_int_equal(authd_log_tile(f->log, &t, &tile, &len), AUTHD_OK);
    assert_int_equal(len, 256 * 32);
    assert_memory_equal(tile, f->leaves[256], len);
    free(tile);
    t = certlib_tile_for(0, 599, ENTRIES);
    assert_int_equal(t.width, 600 - 512);
    assert_int_equal(authd_log_tile(f->log, &t, &tile, &len), AUTHD_OK);
    assert_memory_equal(tile, f->leaves[512], len);
    free(tile);
    /* level 1: roots of 256-leaf subtrees */
    t = certlib_tile_for(1, 1, ENTRIES);
    assert_int_equal(t.width, 2);
    assert_int_equal(authd_log_tile(f->log, &t, &tile, &len), AUTHD_OK);
    certlib_tlog_hash want;
    tree_hash(f->leaves + 256, 256, want);
    assert_memory_equal(tile + 32, want, 32);
    free(tile);
    /* entry bundles */
    t = certlib_tile_for(-1, 300, ENTRIES);
    assert_int_equal(authd_log_tile(f->log, &t, &tile, &len), AUTHD_OK);
    struct bundle_check check = {f, t.index * 256};
    assert_int_equal(certlib_entry_bundle_each(tile, len, t.width, same_entry, &check), CERTLIB_OK);
    free(tile);
    /* wider than the tree, or past it */
    certlib_tile wide = {.level = 0, .index = 2, .width = 89};
    assert_int_equal(authd_log_tile(f->log, &wide, &tile, &len), AUTHD_E_NOT_FOUND);
    certlib_tile past = {.level = 0, .index = 3, .width = 256};
    assert_int_equal(authd_log_tile(f->log, &past, &tile, &len), AUTHD_E_NOT_FOUND);
    certlib_tile high = {.level = 2, .index = 0, .width = 1};
    assert_int_equal(authd_log_tile(f->log, &high, &tile, &len), AUTHD_E_NOT_FOUND);
}

static void test_proofs_and_receipts(void **state)
{
    struct fixture *f = *state;
    append(f, 300);
    assert_int_equal(authd_log_publish(f->log), AUTHD_OK);
    append(f, 10); /* durable, unpublished: no proof reaches it */
    certlib_tlog_hash root, proof[CERTLIB_TLOG_MAX_PROOF];
    tree_hash(f->leaves, 300, root);
    size_t n;
    static const uint64_t indices[] = {0, 1, 255, 256, 299};
    for (size_t i = 0; i < 5; i++) {
        uint64_t k = indices[i];
        assert_int_equal(authd_log_inclusion(f->log, k, 300, proof, &n), AUTHD_OK);
        assert_int_equal(
            certlib_tlog_verify_inclusion(k, 300, f->leaves[k], (const certlib_tlog_hash *)proof, n, root),
            CERTLIB_OK);
    }
    assert_int_equal(authd_log_inclusion(f->log, 300, 300, proof, &n), AUTHD_E_NOT_FOUND);
    assert_int_equal(authd_log_inclusion(f->log, 0, 305, proof, &n), AUTHD_E_NOT_FOUND);
    static const uint64_t olds[] = {0, 1, 7, 256, 299, 300};
    for (size_t i = 0; i < 6; i++) {
        certlib_tlog_hash old_root;
        tree_hash(f->leaves, olds[i], old_root);
        assert_int_equal(authd_log_consistency(f->log, olds[i], 300, proof, &n), AUTHD_OK);
        assert_int_equal(certlib_tlog_verify_consistency(olds[i], 300, (const certlib_tlog_hash *)proof, n,
                                                         old_root, root),
                         CERTLIB_OK);
    }
    assert_int_equal(authd_log_consistency(f->log, 301, 300, proof, &n), AUTHD_E_NOT_FOUND);
    /* a receipt: a C2SP tlog-proof with the entry, verified offline */
    char *receipt;
    size_t len;
    assert_int_equal(authd_log_receipt(f->log, 42, &receipt, &len), AUTHD_OK);
    certlib_note_verifier v = verifier(f->log);
    certlib_checkpoint cp;
    uint64_t index;
    assert_int_equal(certlib_tlog_proof_verify(receipt, len, &v, (const uint8_t *)f->entries[42],
                                               strlen(f->entries[42]), &cp, &index),
                     CERTLIB_OK);
    assert_int_equal(index, 42);
    assert_int_equal(cp.size, 300);
    assert_int_not_equal(certlib_tlog_proof_verify(receipt, len, &v, (const uint8_t *)f->entries[43],
                                                   strlen(f->entries[43]), &cp, &index),
                         CERTLIB_OK);
    free(receipt);
    assert_int_equal(authd_log_receipt(f->log, 300, &receipt, &len), AUTHD_E_NOT_FOUND);
}

static void test_bad_keys_and_origins(void **state)
{
    struct fixture *f = *state;
    char path[4096], err[512] = "";
    struct authd_log *log = (void *)1;
    snprintf(path, sizeof(path), "%s/keys-example/log/signatures.pub", test_repo);
    assert_int_equal(authd_log_open(f->s, AUTHD_LOG_ACCESS, ORIGIN, path, &log, err, sizeof(err)),
                     AUTHD_E_CONFIG);
    assert_null(log);
    assert_non_null(strstr(err, "not a PEM Ed25519 private key"));
    snprintf(path, sizeof(path), "%s/keys-example/pki/p256/ga.key", test_repo);
    assert_int_equal(authd_log_open(f->s, AUTHD_LOG_ACCESS, ORIGIN, path, &log, err, sizeof(err)),
                     AUTHD_E_CONFIG);
    snprintf(path, sizeof(path), "%s/keys-example/log/access.key", test_repo);
    assert_int_equal(authd_log_open(f->s, AUTHD_LOG_ACCESS, "has space", path, &log, err, sizeof(err)),
                     AUTHD_E_CONFIG);
    assert_non_null(strstr(err, "not a valid key name"));
}

int main(int argc, char **argv)
{
    if (argc > 1) test_repo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proofs_and_receipts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys_and_origins, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
