/* libFuzzer target for disclosure marks: any bytes, taken as the text of a mark, are signed with a fixed
 * key (when they are valid note text) and opened, so the mark's own parser sees every input rather than
 * only those that pass a signature; a mark that opens formats back to the same text, its reference
 * parses back to its index and entry hash, and any bytes are tried as a reference too. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/mark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char origin[] = "fuzz.example/access";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pk[32], sk[64];
    static certlib_note_verifier verifier;
    static bool ready;
    if (!ready) {
        uint8_t seed[32] = {1};
        crypto_sign_seed_keypair(pk, sk, seed);
        if (certlib_note_verifier_from_key(origin, pk, &verifier) != CERTLIB_OK) abort();
        ready = true;
    }
    uint64_t index;
    certlib_tlog_hash hash;
    (void)certlib_mark_reference_parse((const char *)data, size, &index, hash);

    static char note[CERTLIB_MARK_MAX + 512], again[CERTLIB_MARK_MAX];
    static certlib_mark m;
    size_t n, again_len;
    if (size > CERTLIB_MARK_MAX - 256 ||
        certlib_note_sign((const char *)data, size, origin, sk, note, sizeof(note), &n) != CERTLIB_OK)
        return 0;
    if (certlib_mark_open(note, n, &verifier, &m) != CERTLIB_OK) return 0;
    if (certlib_mark_format(&m, again, sizeof(again), &again_len) != CERTLIB_OK || again_len != size ||
        memcmp(again, data, size) != 0)
        abort(); /* one text per mark */
    char ref[CERTLIB_MARK_REFERENCE_MAX];
    certlib_mark_reference(&m, ref);
    if (certlib_mark_reference_parse(ref, strlen(ref), &index, hash) != CERTLIB_OK || index != m.index ||
        memcmp(hash, m.entry_hash, sizeof(hash)) != 0)
        abort();
    return 0;
}
