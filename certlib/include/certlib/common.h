/* Definitions every certlib header shares: symbol export, result annotations and the borrowed-slice
 * type. */
#ifndef CERTLIB_COMMON_H
#define CERTLIB_COMMON_H

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

#ifdef __cplusplus
}
#endif
#endif
