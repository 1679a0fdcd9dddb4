/* The numbers of a batch check, {"numbers": ["...", ...]}, read without building a JSON tree.
 *
 * Written by hand for a measured reason: jansson reads about 40 MB/s, so a 10,000-number batch (220 KB)
 * held a worker's loop for 5.5 ms before the first result, and a client sending batches back to back
 * made every other client on that worker wait for it. This reader takes only the plain form (no escape
 * in any string, no other field) at memory speed; anything else (escapes, another field, a broken
 * document) is left to the jansson path, which reads all of JSON and says precisely what is wrong. What
 * it accepts, jansson reads to the same strings: the form is a subset of JSON whose strings are their
 * own bytes. */
#ifndef AUTHD_BATCH_NUMBERS_H
#define AUTHD_BATCH_NUMBERS_H

#include <stddef.h>

struct authd_batch_numbers {
    char *strings;   /* the numbers back to back (malloc) */
    size_t *offsets; /* n + 1 of them (malloc) */
    size_t n;
};

enum authd_batch_read {
    AUTHD_BATCH_READ,      /* read into `out` */
    AUTHD_BATCH_NOT_PLAIN, /* not the plain form: read it with jansson */
    AUTHD_BATCH_TOO_MANY,  /* more than `max` numbers (out->n says how many) */
    AUTHD_BATCH_NO_MEMORY,
};

enum authd_batch_read authd_batch_numbers_read(const char *body, size_t len, size_t max,
                                               struct authd_batch_numbers *out);

#endif
