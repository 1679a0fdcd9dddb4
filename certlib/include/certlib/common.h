/* Definitions every certlib header shares: symbol export, result annotations and the borrowed-slice
 * type. */
#ifndef CERTLIB_COMMON_H
#define CERTLIB_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(CERTLIB_BUILDING) && defined(__GNUC__)
#define CERTLIB_API __attribute__((visibility("default")))
#else
#define CERTLIB_API
#endif

#if defined(__GNUC__)
#define CERTLIB_NODISCARD __attribute__((warn_unused_result))
#else
#define CERTLIB_NODISCARD
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Borrowed bytes: `ptr` is owned by whoever made the slice and must outlive every use of it.
 * Functions taking slices never keep them past their return unless their documentation says so.
 */
typedef struct certlib_slice {
    const uint8_t *ptr;
    size_t len;
} certlib_slice;

/**
 * True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points past
 * U+10FFFF), the rule certlib applies to every text it reads. Control characters are allowed.
 */
CERTLIB_API bool certlib_utf8_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
