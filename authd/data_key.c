/* The data key, plain or wrapped by a key in a token (data_key.h). */
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "data_key.h"
#include "pkcs11_key.h"
#include "secret_file.h"

#define WRAPPED_PREFIX "aes-256-gcm:"
#define IV_LEN 12
#define TAG_LEN 16
#define WRAPPED_LEN (IV_LEN + 32 + TAG_LEN)
static const uint8_t aad[] = "authd data key v1";

static authd_err unwrap(const struct authd_config *c, const char *text, size_t len, uint8_t master[32],
                        char *err, size_t err_cap)
{
    uint8_t wrapped[WRAPPED_LEN];
    size_t bin_len = 0, prefix = strlen(WRAPPED_PREFIX);
    if (len <= prefix || strncmp(text, WRAPPED_PREFIX, prefix) != 0 ||
        sodium_hex2bin(wrapped, sizeof(wrapped), text + prefix, len - prefix, NULL, &bin_len, NULL) != 0 ||
        bin_len != WRAPPED_LEN)
        return snprintf(
                   err, err_cap,
                   "data key %s: not a wrapped data key (aes-256-gcm:...); data_key_wrapping is set, so make "
                   "one with `authd --config FILE data-key wrap PLAIN`",
                   c->data_key),
               AUTHD_E_CONFIG;
    /* tokens want room for as much as they are given, tag included: the key goes through locked memory */
    uint8_t *plain = sodium_malloc(WRAPPED_LEN);
    size_t plain_len = WRAPPED_LEN;
    if (!plain) return snprintf(err, err_cap, "out of protected memory"), AUTHD_E_NOMEM;
    struct authd_p11_key *k = NULL;
    char why[400];
    authd_p11_default_module(c->pkcs11_module);
    authd_err rc = authd_p11_wrapping_key_open(c->data_key_wrapping, &k, why, sizeof(why));
    if (!rc)
        rc = authd_p11_aes_gcm(k, false, wrapped, aad, sizeof(aad) - 1, wrapped + IV_LEN,
                               WRAPPED_LEN - IV_LEN, plain, &plain_len, why, sizeof(why));
    authd_p11_key_close(k);
    if (!rc && plain_len != 32)
        rc = (snprintf(why, sizeof(why), "the unwrapped key is not 32 bytes"), AUTHD_E_CONFIG);
    if (!rc) memcpy(master, plain, 32);
    sodium_free(plain); /* wipes */
    if (rc) snprintf(err, err_cap, "data_key_wrapping: %s", why);
    return rc;
}

authd_err authd_data_key_load(const struct authd_config *c, struct authd_record_keys **out, char *err,
                              size_t err_cap)
{
    *out = NULL;
    if (!c->data_key_wrapping) return authd_record_keys_load(c->data_key, out, err, err_cap);
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), AUTHD_E_INTERNAL;
    char *text = NULL;
    size_t len = 0;
    authd_err rc = authd_secret_file_read(c->data_key, "data key", &text, &len, err, err_cap);
    uint8_t *master = rc ? NULL : sodium_malloc(32);
    if (!rc && !master) rc = (snprintf(err, err_cap, "out of protected memory"), AUTHD_E_NOMEM);
    if (!rc) rc = unwrap(c, text, len, master, err, err_cap);
    if (!rc) rc = authd_record_keys_from_master(master, out, err, err_cap);
    if (master) sodium_free(master); /* wipes */
    if (text) sodium_free(text);
    return rc;
}

int authd_data_key_wrap_command(const struct authd_config *c, const char *plain_path)
{
    char *text = NULL, why[400] = "";
    size_t len = 0, bin_len = 0, out_len = 32 + TAG_LEN;
    if (!c->data_key_wrapping) {
        fprintf(stderr, "authd: data-key wrap: the configuration names no data_key_wrapping key\n");
        return 2;
    }
    if (sodium_init() < 0 ||
        authd_secret_file_read(plain_path, "data key", &text, &len, why, sizeof(why)) != AUTHD_OK) {
        fprintf(stderr, "authd: data-key wrap: %s\n", why);
        return 2;
    }
    uint8_t *master = sodium_malloc(32), wrapped[WRAPPED_LEN];
    bool plain_ok = master && len == 64 && sodium_hex2bin(master, 32, text, len, NULL, &bin_len, NULL) == 0 &&
                    bin_len == 32;
    sodium_free(text); /* wipes */
    struct authd_p11_key *k = NULL;
    authd_err rc = AUTHD_E_CONFIG;
    if (plain_ok) {
        authd_p11_default_module(c->pkcs11_module);
        randombytes_buf(wrapped, IV_LEN);
        rc = authd_p11_wrapping_key_open(c->data_key_wrapping, &k, why, sizeof(why));
        if (!rc)
            rc = authd_p11_aes_gcm(k, true, wrapped, aad, sizeof(aad) - 1, master, 32, wrapped + IV_LEN,
                                   &out_len, why, sizeof(why));
        if (!rc && out_len != 32 + TAG_LEN)
            rc = (snprintf(why, sizeof(why), "the token's ciphertext is not 48 bytes"), AUTHD_E_CONFIG);
    }
    authd_p11_key_close(k);
    if (master) sodium_free(master); /* wipes */
    if (!plain_ok) {
        fprintf(stderr, "authd: data-key wrap: %s holds no data key (64 hexadecimal digits)\n", plain_path);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "authd: data-key wrap: %s\n", why);
        return 1;
    }
    char hex[2 * WRAPPED_LEN + 1];
    sodium_bin2hex(hex, sizeof(hex), wrapped, sizeof(wrapped));
    printf("%s%s\n", WRAPPED_PREFIX, hex);
    return 0;
}
