/* 电子证照标识: the GB/T 36904 e-licence identifier.
 *
 *   1.2.156.3005.2.<证照类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>
 *
 * The licence type code is the defining body's USCC plus three digits (21 characters), the issuer code
 * the issuing body's USCC, the serial 1-64 characters of [0-9A-Z], the version three digits, and the
 * check character ISO/IEC 7064 MOD 37,36 over the five segments concatenated without dots or root.
 * Both embedded USCCs must pass the GB 32100 check.
 */
#ifndef CERTLIB_LICENCE_ID_H
#define CERTLIB_LICENCE_ID_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_LICENCE_ID_ROOT "1.2.156.3005.2."
#define CERTLIB_LICENCE_ID_MAX 128 /* longest identifier, with room for the NUL */
#define CERTLIB_LICENCE_SERIAL_MAX 64

typedef struct certlib_licence_id {
    char type_code[22];                          /* 证照类型代码, 21 characters */
    char issuer_code[19];                        /* 颁发机构代码 (USCC), 18 characters */
    char serial[CERTLIB_LICENCE_SERIAL_MAX + 1]; /* 流水号 */
    unsigned version;                            /* 版本号, 0-999 */
    char check;                                  /* 校验位 */
} certlib_licence_id;

/**
 * Parses and validates an identifier. `s` need not be NUL-terminated. Returns CERTLIB_E_LICENCE_ID
 * for a wrong shape (root, segment count or lengths, characters, or an embedded code failing its
 * GB 32100 check) and CERTLIB_E_LICENCE_ID_CHECKSUM for a wrong check character.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_id_parse(const char *s, size_t len,
                                                                   certlib_licence_id *out);

/**
 * Composes an identifier with its check character into `out` (at most CERTLIB_LICENCE_ID_MAX bytes
 * with the NUL). The inputs are validated as certlib_licence_id_parse would.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_id_make(const char *type_code,
                                                                  const char *issuer_code, const char *serial,
                                                                  unsigned version, char *out, size_t cap);

/** The ISO/IEC 7064 MOD 37,36 check character of `len` characters of [0-9A-Z]; '\0' if any other
 *  character occurs. */
CERTLIB_API char certlib_mod37_36(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
