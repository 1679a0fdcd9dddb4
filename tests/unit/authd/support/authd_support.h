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
    struct authd_storage *inner;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t applies;                   /* apply() calls */
    size_t sizes[SPY_MAX_APPLIES];    /* writes in each */
    authd_err fail_next;              /* non-zero: the next apply() fails with it, changing nothing */
    bool hold;                        /* apply() waits while set */
    bool holding;                     /* an apply() is waiting */
};

/* Takes ownership of `inner` (closed with the spy). */
struct spy_storage *spy_wrap(struct authd_storage *inner);
void spy_set_hold(struct spy_storage *spy, bool hold);
/* Waits until an apply() is held. */
void spy_wait_holding(struct spy_storage *spy);
size_t spy_applies(struct spy_storage *spy);

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
void waiter_destroy(struct waiter *w);

#endif
