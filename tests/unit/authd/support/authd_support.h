/* What authd's unit tests share: scratch directories, a storage backend wrapper the tests watch and
 * make fail, and an authd_server built from the example configuration with no HTTP front. */
#ifndef AUTHD_TEST_SUPPORT_H
#define AUTHD_TEST_SUPPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "server.h"
#include "storage/storage.h"

/* A fresh directory under $TMPDIR (malloc'd path); scratch_remove deletes it with its contents. */
char *scratch_dir(void);
void scratch_remove(char *dir);

/* The repository's root, from the test's first argument (tests find keys-example/ and policies/ there). */
extern const char *test_repo;

/* A backend that forwards to another and records what the writer hands it. */
#define SPY_MAX_APPLIES 4096
struct spy_storage {
    struct authd_storage base;
    struct authd_storage_ops ops;
    struct authd_storage *inner;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t applies;                /* apply() calls */
    size_t sizes[SPY_MAX_APPLIES]; /* writes in each */
    authd_err fail_next;           /* non-zero: the next apply() fails with it, changing nothing */
    bool hold;                     /* apply() waits while set */
    bool holding;                  /* an apply() is waiting */
};

/* Takes ownership of `inner` (closed with the spy). */
struct spy_storage *spy_wrap(struct authd_storage *inner);
void spy_set_hold(struct spy_storage *spy, bool hold);
/* Waits until an apply() is held. */
void spy_wait_holding(struct spy_storage *spy);
size_t spy_applies(struct spy_storage *spy);
/* The next apply() fails with `err`, changing nothing. */
void spy_fail_next(struct spy_storage *spy, authd_err err);

/* An LMDB store in `dir` (map of `map_bytes`; 0 for 64 MiB), asserting that it opens. */
struct authd_storage *open_lmdb(const char *dir, size_t map_bytes);

/* authd's services from authd/authd.example.yaml, over a spy of an LMDB store in a scratch directory,
 * with status lists of `list_size` entries. */
struct test_server {
    struct authd_config config;
    struct authd_server server;
    struct spy_storage *spy;
    char *dir;
};
void test_server_start(struct test_server *t, uint32_t list_size);
void test_server_stop(struct test_server *t);

struct authd_metrics;
/* The value of one series in `m`'s rendering, as "name" or "name{label=\"value\"}" appears there; fails
 * the test when it is not there. */
double metric_value(struct authd_metrics *m, const char *series);

/* A completion the test thread waits for. */
struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t count;
};
void waiter_init(struct waiter *w);
void waiter_signal(struct waiter *w);
/* Waits until `count` signals have arrived (fails the test after 30 s). */
void waiter_wait(struct waiter *w, size_t count);
size_t waiter_count(struct waiter *w);
void waiter_destroy(struct waiter *w);

#endif

/* RFC 6962's Merkle tree hash of `n` leaf hashes, computed the slow, obvious way (SHA-256 of nothing
 * for none): what a log's stored hashes, roots and proofs are checked against. */
#include "certlib/tlog.h"
void tree_hash(const certlib_tlog_hash *leaves, uint64_t n, certlib_tlog_hash out);

/* The data key of keys-example/ (the demo data key) as record keys. */
struct authd_record_keys;
struct authd_record_keys *demo_record_keys(void);

/* A record as store schema 2 sealed it, from its documented layout (the upgrade's input): version 2,
 * the header of licence_meta.h, the signature-log index (8 bytes), the nonce, the ciphertext, with the
 * id and header bytes [2, 65) as associated data, under the data key's "authdenc" subkey. malloc'd. */
struct authd_licence_meta;
uint8_t *seal_v2_record(const char *data_key_file, const char *id, const struct authd_licence_meta *meta,
                        uint64_t log_index, const uint8_t *licence, size_t licence_len, size_t *len);
