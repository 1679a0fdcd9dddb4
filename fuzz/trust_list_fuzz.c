/* libFuzzer target for signed trust lists. The first byte picks what the rest is: even, a signed list
 * checked under a pinned certificate (keys-example's 杭州市民政局 signer stands in for a trust-list key);
 * odd, a payload, which is signed with that key and loaded, so the JSON reader behind the signature is
 * reached too. A refused list leaves the context empty with a message; an accepted one has roots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/certlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static certlib_signer *signer;
static uint8_t pin[8192];
static size_t pin_len;

static void setup(void)
{
    if (signer) return;
    if (certlib_signer_load(KEYS_DIR "/pki/ed25519/mz.key", KEYS_DIR "/pki/ed25519/mz.crt", &signer)) abort();
    FILE *f = fopen(KEYS_DIR "/pki/ed25519/mz.crt", "rb");
    if (!f) abort();
    pin_len = fread(pin, 1, sizeof(pin), f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size == 0) return 0;
    const uint8_t *list = data + 1;
    size_t len = size - 1;
    uint8_t *signed_list = NULL;
    if (data[0] & 1) {
        char why[256];
        if (certlib_trust_list_sign(signer, data + 1, size - 1, &signed_list, &len, why, sizeof(why))) return 0;
        list = signed_list;
    }
    certlib_ctx *ctx;
    if (certlib_ctx_new(&ctx)) abort();
    certlib_trust_list_info info;
    certlib_err err = certlib_ctx_load_trust_list(ctx, list, len, pin, pin_len, 1796000000, 0, &info);
    if (err == CERTLIB_OK && (certlib_ctx_root_count(ctx) == 0 || info.sequence == 0)) abort();
    if (err != CERTLIB_OK && (certlib_ctx_root_count(ctx) != 0 || !*certlib_ctx_trust_error(ctx))) abort();
    certlib_ctx_free(ctx);
    free(signed_list);
    return 0;
}
