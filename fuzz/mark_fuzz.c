/* libFuzzer target for disclosure marks: any bytes, taken as the text of a mark, are signed with a fixed
 * key (when they are valid note text) and opened, so the mark's own parser sees every input rather than
 * only those that pass a signature; a mark that opens formats back to the same text, opens as well when
 * batched with another (certlib/mark.h), its reference parses back to its index and entry hash, and any
 * bytes are tried as a reference and as a whole mark, signed alone or batched, too. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/mark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char origin[] = "fuzz.example/access";

/* The mark's text as the second of a batch of two: the batch note signed, the mark opened again. */
static certlib_err batched_opens(const uint8_t *text, size_t len, const uint8_t sk[64],
                                 const certlib_note_verifier *verifier)
{
    static char batch[256], note[1024], mark[CERTLIB_MARK_MAX + 2048];
    static certlib_mark again;
    certlib_tlog_hash leaves[2], root;
    size_t blen, nlen, mlen;
    certlib_tlog_leaf_hash((const uint8_t *)"another mark\n", 13, leaves[0]);
    certlib_tlog_leaf_hash(text, len, leaves[1]);
    certlib_tlog_node_hash(leaves[0], leaves[1], root);
    certlib_err e = certlib_mark_batch_format(origin, 2, root, batch, sizeof(batch), &blen);
    if (!e) e = certlib_note_sign(batch, blen, origin, sk, note, sizeof(note), &nlen);
    if (!e)
        e = certlib_mark_batched((const char *)text, len, 1, (const certlib_tlog_hash *)leaves, 1, note, nlen,
                                 mark, sizeof(mark), &mlen);
    if (!e) e = mlen > CERTLIB_MARK_MAX ? CERTLIB_OK : certlib_mark_open(mark, mlen, verifier, &again);
    return e;
}

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
    (void)certlib_mark_open((const char *)data, size, &verifier, &m);
    size_t n, again_len;
    if (size > CERTLIB_MARK_MAX - 256 ||
        certlib_note_sign((const char *)data, size, origin, sk, note, sizeof(note), &n) != CERTLIB_OK)
        return 0;
    if (certlib_mark_open(note, n, &verifier, &m) != CERTLIB_OK) return 0;
    if (certlib_mark_format(&m, again, sizeof(again), &again_len) != CERTLIB_OK || again_len != size ||
        memcmp(again, data, size) != 0)
        abort();                                                         /* one text per mark */
    if (batched_opens(data, size, sk, &verifier) != CERTLIB_OK) abort(); /* batched, it opens the same */
    char ref[CERTLIB_MARK_REFERENCE_MAX];
    certlib_mark_reference(&m, ref);
    if (certlib_mark_reference_parse(ref, strlen(ref), &index, hash) != CERTLIB_OK || index != m.index ||
        memcmp(hash, m.entry_hash, sizeof(hash)) != 0)
        abort();
    return 0;
}
