/* Just enough of klib's khash.h for h2o/http2_internal.h to compile. libh2o-dev installs that header but
 * not the khash.h it includes, and the one Debian package with a copy matching h2o's (htslib's
 * libhts-dev) conflicts with libcurl4-openssl-dev. authd never touches h2o's stream table: http2_guard.c
 * reaches the streams through h2o's scheduler tree. So the table's type stays incomplete and every
 * operation on it is a function that exists nowhere: a use fails to link instead of misreading h2o's
 * memory. Only http2_guard.c sees this file (-iquote authd/compat). */
#ifndef AUTHD_COMPAT_KHASH_H
#define AUTHD_COMPAT_KHASH_H

#include <stdint.h>

typedef uint32_t khint_t;
typedef khint_t khiter_t;

#define khash_t(name) kh_##name##_t
#define KHASH_MAP_INIT_INT64(name, khval_t) typedef struct kh_##name##_s kh_##name##_t;

khiter_t authd_khash_is_not_available(const void *h);
void *authd_khash_value_is_not_available(const void *h, khiter_t i);
#define kh_get(name, h, k) ((void)(k), authd_khash_is_not_available(h))
#define kh_end(h) authd_khash_is_not_available(h)
#define kh_val(h, i) authd_khash_value_is_not_available(h, i)

#endif
