/* Offline verification of a licence (ISO/IEC 18013-5 §9.3.1, with this profile's scope and status
 * rules). Structure, signer and signature gate everything: without them the licence's claims mean
 * nothing. Past the signature, every remaining check runs, so a counter learns everything that is
 * wrong at once (expired and revoked, say). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/ident.h"
#include "certlib/logentry.h"
#include "trust/ctx_internal.h"
#include "present/device_auth.h"
#include "verify/result.h"
#include "base/timeutil.h"
#include "verify/verify_internal.h"

struct run {
    const certlib_ctx *ctx;
    certlib_result *r;
    certlib__licence lic;
    certlib_licence_id id;
    const certlib__trusted *signer;
    int64_t now, skew;
    const certlib_verify_opts *opts;
    const struct certlib__holder_proof *proof;
};

static void set(struct run *run, certlib_check check, certlib_check_state state, certlib_err reason)
{
    run->r->checks[check] = (certlib_check_result){state, reason};
}

static bool pass_or_fail(struct run *run, certlib_check check, certlib_err err)
{
    set(run, check, err ? CERTLIB_CHECK_FAILED : CERTLIB_CHECK_PASSED, err);
    return err == CERTLIB_OK;
}

/* Disclosed items with the same digestID in one namespace would let one digest vouch for two
 * values. */
static certlib_err unique_items(const certlib__licence *lic)
{
    for (size_t i = 1; i < lic->n_items; i++)
        for (size_t j = 0; j < i; j++)
            if (lic->items[i].digest_id == lic->items[j].digest_id &&
                lic->items[i].ns.ptr == lic->items[j].ns.ptr)
                return CERTLIB_E_DUPLICATE_DIGEST_ID;
    return CERTLIB_OK;
}

static certlib_err check_structure(struct run *run)
{
    certlib_err err = certlib__licence_parse(run->r->input, run->r->input_len, &run->lic);
    if (err) return err;
    const certlib__mso *mso = &run->lic.mso;
    if (!slice_eq_str(mso->doc_type, CERTLIB_DOCTYPE)) return CERTLIB_E_DOCTYPE;
    if (mso->valid_until <= mso->valid_from) return CERTLIB_E_MSO;
    if ((err = unique_items(&run->lic))) return err;
    if ((err = certlib__result_fill(run->r, &run->lic))) return err;
    /* The licence identifier names the type and the issuer the scope rules judge: it must be there. */
    const certlib_element *id = certlib_result_find(run->r, CERTLIB_NS_META, "licence_id");
    if (!id) return CERTLIB_E_ELEMENT_MISSING;
    if (id->type != CERTLIB_VALUE_TEXT) return CERTLIB_E_ELEMENT_VALUE;
    return certlib_licence_id_parse(id->text, id->text_len, &run->id);
}

static certlib_err check_certificates(struct run *run)
{
    if (run->now + run->skew < run->signer->chain_not_before) return CERTLIB_E_CERT_NOT_YET_VALID;
    if (run->now - run->skew > run->signer->chain_not_after) return CERTLIB_E_CERT_EXPIRED;
    return CERTLIB_OK;
}

/* The root's scope, then the signer's own when the bundle gives it one: both must allow the licence. */
static certlib_err check_scope(struct run *run)
{
    const certlib__scope *root = &run->ctx->trust.roots[run->signer->root].scope, *own = &run->signer->scope;
    const certlib__certinfo *cert = &run->signer->cert;
    if (!cert->issuer_code[0] || strcmp(cert->issuer_code, run->id.issuer_code) != 0)
        return CERTLIB_E_ISSUER_MISMATCH;
    if (!certlib__listed(root->types, run->id.type_code, false) ||
        !certlib__listed(own->types, run->id.type_code, false))
        return CERTLIB_E_SCOPE_TYPE;
    char region[7];
    memcpy(region, run->id.issuer_code + 2, 6); /* GB 32100: characters 3-8 are the GB/T 2260 code */
    region[6] = '\0';
    if (!certlib__listed(root->regions, region, true) || !certlib__listed(own->regions, region, true))
        return CERTLIB_E_SCOPE_REGION;
    /* Disclosed metadata may not contradict the identifier. */
    const certlib_result *r = run->r;
    if ((r->licence_type && strcmp(r->licence_type, run->id.type_code) != 0) ||
        (r->issuer_code && strcmp(r->issuer_code, run->id.issuer_code) != 0))
        return CERTLIB_E_ELEMENT_INCONSISTENT;
    return CERTLIB_OK;
}

static certlib_err check_validity(struct run *run)
{
    const certlib__mso *mso = &run->lic.mso;
    const certlib__certinfo *cert = &run->signer->cert;
    if (mso->signed_at + run->skew < cert->not_before || mso->signed_at - run->skew > cert->not_after)
        return CERTLIB_E_SIGNED_OUTSIDE_CERT;
    if (run->now + run->skew < mso->valid_from) return CERTLIB_E_NOT_YET_VALID;
    if (run->now - run->skew >= mso->valid_until) return CERTLIB_E_EXPIRED;
    return CERTLIB_OK;
}

static certlib_err check_digests(struct run *run)
{
    certlib__hasher hasher;
    certlib_err err = certlib__hasher_init(&hasher, &run->ctx->hashes, run->lic.mso.digest_alg);
    for (size_t i = 0; !err && i < run->lic.n_items; i++) {
        const certlib__item *it = &run->lic.items[i];
        const uint8_t *want = certlib__mso_digest(&run->lic.mso, it->ns, it->digest_id);
        uint8_t got[CERTLIB_DIGEST_LEN];
        if (!want)
            err = CERTLIB_E_DIGEST_MISSING;
        else if (!(err = certlib__hasher_digest(&hasher, it->whole.ptr, it->whole.len, got)) &&
                 memcmp(got, want, CERTLIB_DIGEST_LEN) != 0) /* public values: no need for constant time */
            err = CERTLIB_E_DIGEST_MISMATCH;
    }
    certlib__hasher_free(&hasher);
    return err;
}

static void check_status(struct run *run)
{
    const certlib__mso *mso = &run->lic.mso;
    if (!mso->has_status) {
        run->r->status = CERTLIB_STATUS_NONE;
        if (run->opts->require_status)
            set(run, CERTLIB_CHECK_STATUS, CERTLIB_CHECK_FAILED, CERTLIB_E_STATUS_UNKNOWN);
        else
            set(run, CERTLIB_CHECK_STATUS, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
        return;
    }
    certlib_err err = certlib__ctx_status(run->ctx, mso->status_uri.ptr, mso->status_uri.len, mso->status_idx,
                                          run->signer->root, run->id.issuer_code, run->now, run->skew,
                                          run->opts->status_max_age, &run->r->status);
    switch (run->r->status) {
    case CERTLIB_STATUS_VALID:
        set(run, CERTLIB_CHECK_STATUS, CERTLIB_CHECK_PASSED, CERTLIB_OK);
        break;
    case CERTLIB_STATUS_REVOKED:
    case CERTLIB_STATUS_SUSPENDED:
        set(run, CERTLIB_CHECK_STATUS, CERTLIB_CHECK_FAILED, err);
        break;
    case CERTLIB_STATUS_NONE:
    case CERTLIB_STATUS_UNKNOWN:
    default: /* no list, a stale one, one from another root, an index past its end: not decided */
        set(run, CERTLIB_CHECK_STATUS, CERTLIB_CHECK_UNKNOWN, err);
        break;
    }
}

/* The receipt's checkpoint, opened under the log's key, or taken from the checkpoints this context saw
 * verify before (the same bytes under the same key): a counter's lookups verify one receipt per
 * licence, all under the log's current checkpoint, and its signature was a tenth of a federated
 * lookup's CPU (bench/federation). */
static certlib_err checkpoint_of(const certlib_ctx *cctx, const certlib_tlog_proof *proof,
                                 const certlib_note_verifier *log, certlib_checkpoint *out)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx; /* the cache is the one mutable part, behind its lock */
    uint8_t key[32];
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const uint8_t *)log->name, strlen(log->name) + 1);
    crypto_hash_sha256_update(&h, log->key, sizeof(log->key));
    crypto_hash_sha256_update(&h, (const uint8_t *)proof->checkpoint, proof->checkpoint_len);
    crypto_hash_sha256_final(&h, key);
    bool seen = false;
    pthread_mutex_lock(&ctx->cache_lock);
    for (size_t i = 0; i < ctx->n_checkpoints && !seen; i++)
        if (memcmp(ctx->checkpoints[i].key, key, sizeof(key)) == 0)
            *out = ctx->checkpoints[i].cp, seen = true;
    pthread_mutex_unlock(&ctx->cache_lock);
    if (seen) return CERTLIB_OK;
    certlib_err e = certlib_checkpoint_open(proof->checkpoint, proof->checkpoint_len, log, out);
    if (e) return e;
    pthread_mutex_lock(&ctx->cache_lock);
    struct certlib__checkpoint_seen *slot = &ctx->checkpoints[ctx->next_checkpoint];
    memcpy(slot->key, key, sizeof(key));
    slot->cp = *out;
    ctx->next_checkpoint = (ctx->next_checkpoint + 1) % CTX_CHECKPOINTS;
    if (ctx->n_checkpoints < CTX_CHECKPOINTS) ctx->n_checkpoints++;
    pthread_mutex_unlock(&ctx->cache_lock);
    return CERTLIB_OK;
}

/* The receipt's entry must be this licence's issuance: same id, same issuerAuth bytes. */
static certlib_err check_logged(struct run *run)
{
    const certlib_verify_opts *o = run->opts;
    if (!o->log_key) return CERTLIB_E_INVALID_ARGUMENT;
    certlib_tlog_proof proof;
    certlib_err e = certlib_tlog_proof_parse(o->receipt, o->receipt_len, &proof);
    if (e) return e;
    certlib_log_entry entry;
    if (certlib_log_entry_parse(proof.extra, proof.extra_len, &entry) != CERTLIB_OK ||
        entry.kind != CERTLIB_LOG_ISSUE)
        return CERTLIB_E_NOT_LOGGED;
    uint8_t hash[CERTLIB_DIGEST_LEN];
    const char *id = run->r->licence_id;
    if ((e = certlib__digest(CERTLIB_DIGEST_SHA256, run->lic.issuer_auth_raw.ptr,
                             run->lic.issuer_auth_raw.len, hash)))
        return e;
    if (!id || entry.licence_id.len != strlen(id) ||
        memcmp(entry.licence_id.ptr, id, entry.licence_id.len) != 0 ||
        memcmp(entry.sig_hash, hash, sizeof(hash)) != 0)
        return CERTLIB_E_NOT_LOGGED;
    certlib_checkpoint cp;
    if ((e = checkpoint_of(run->ctx, &proof, o->log_key, &cp))) return e;
    certlib_tlog_hash leaf;
    certlib_tlog_leaf_hash(proof.extra, proof.extra_len, leaf);
    if ((e = certlib_tlog_verify_inclusion(proof.index, cp.size, leaf, (const certlib_tlog_hash *)proof.path,
                                           proof.path_len, cp.root)))
        return e;
    uint64_t index = proof.index;
    if (o->witness_quorum) { /* the checkpoint, seen by enough independent witnesses: no split view */
        size_t valid;
        if ((e = certlib_cosignatures_verify(proof.checkpoint, proof.checkpoint_len, o->witnesses,
                                             o->n_witnesses, &valid)))
            return e;
        if (valid < o->witness_quorum) return CERTLIB_E_NOT_WITNESSED;
    }
    run->r->logged = true;
    run->r->log_index = index;
    return CERTLIB_OK;
}

static void check_log(struct run *run)
{
    if (!run->opts->receipt) {
        if (run->opts->require_logged)
            set(run, CERTLIB_CHECK_LOGGED, CERTLIB_CHECK_FAILED, CERTLIB_E_NOT_LOGGED);
        else
            set(run, CERTLIB_CHECK_LOGGED, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
        return;
    }
    pass_or_fail(run, CERTLIB_CHECK_LOGGED, check_logged(run));
}

/* certlib_holder_rule: a bound licence proves who shows it only through a presentation. */
static void check_holder_binding(struct run *run)
{
    certlib_holder_rule rule = run->opts->holder;
    if (run->proof && run->opts->challenge_state) { /* the caller's bookkeeping: expired or replayed */
        set(run, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_FAILED, run->opts->challenge_state);
    } else if (!run->r->holder_bound) { /* the "no one's key": nothing to prove */
        if (rule == CERTLIB_HOLDER_REQUIRED)
            set(run, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_FAILED, CERTLIB_E_NOT_HOLDER_BOUND);
        else
            set(run, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
    } else if (run->proof) {
        pass_or_fail(run, CERTLIB_CHECK_HOLDER, certlib__holder_check(run->proof, run->lic.mso.device_key));
    } else if (rule == CERTLIB_HOLDER_NOT_CHECKED) {
        set(run, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
    } else { /* a copy of a bound licence: anyone could be showing it */
        set(run, CERTLIB_CHECK_HOLDER, CERTLIB_CHECK_FAILED, CERTLIB_E_DEVICE_SIGNATURE_MISSING);
    }
}

/* The expected holder: compared with the normalised form when it is a valid number, so a lower-case x
 * matches; a licence that withholds holder_id cannot show it is the one expected. */
static void check_expected_holder(struct run *run)
{
    const char *want = run->opts->expected_holder_id, *holder = run->r->holder_id;
    if (!want) {
        set(run, CERTLIB_CHECK_EXPECTED_HOLDER, CERTLIB_CHECK_NOT_APPLICABLE, CERTLIB_OK);
        return;
    }
    certlib_ident ident;
    if (certlib_ident_check(want, strlen(want), NULL, &ident) == CERTLIB_OK) want = ident.normalized;
    if (!holder)
        set(run, CERTLIB_CHECK_EXPECTED_HOLDER, CERTLIB_CHECK_FAILED, CERTLIB_E_HOLDER_NOT_DISCLOSED);
    else
        pass_or_fail(run, CERTLIB_CHECK_EXPECTED_HOLDER,
                     strcmp(want, holder) == 0 ? CERTLIB_OK : CERTLIB_E_HOLDER_MISMATCH);
    sodium_memzero(&ident, sizeof(ident)); /* an identity number */
}

static void run_checks(struct run *run)
{
    if (!pass_or_fail(run, CERTLIB_CHECK_STRUCTURE, check_structure(run))) return;
    if (!pass_or_fail(run, CERTLIB_CHECK_SIGNER,
                      certlib__ctx_find_signer(run->ctx, &run->lic.auth, false, &run->signer)))
        return;
    run->r->issuer_name =
        certlib__result_str(run->r, run->signer->cert.org_name, strlen(run->signer->cert.org_name));
    if (!pass_or_fail(run, CERTLIB_CHECK_SIGNATURE,
                      certlib__sign1_verify(&run->lic.auth, &run->signer->cert.key)))
        return;
    certlib__ctx_signer_remember(run->ctx, run->signer); /* an x5chain signer that really signed */
    pass_or_fail(run, CERTLIB_CHECK_CERTIFICATES, check_certificates(run));
    pass_or_fail(run, CERTLIB_CHECK_SCOPE, check_scope(run));
    pass_or_fail(run, CERTLIB_CHECK_VALIDITY, check_validity(run));
    pass_or_fail(run, CERTLIB_CHECK_DIGESTS, check_digests(run));
    check_status(run);
    check_log(run);
    check_holder_binding(run);
    check_expected_holder(run);
}

/* A verification, or with no context a read: the structure alone. */
static certlib_err verify_or_read(const certlib_ctx *ctx, const uint8_t *licence, size_t len,
                                  const certlib_verify_opts *opts, const struct certlib__holder_proof *proof,
                                  certlib_result **out);

certlib_err certlib_licence_verify(const certlib_ctx *ctx, const uint8_t *licence, size_t len,
                                   const certlib_verify_opts *opts, certlib_result **out)
{
    if (!ctx) return CERTLIB_E_INVALID_ARGUMENT;
    return verify_or_read(ctx, licence, len, opts, NULL, out);
}

certlib_err certlib_licence_read(const uint8_t *licence, size_t len, certlib_result **out)
{
    return verify_or_read(NULL, licence, len, NULL, NULL, out);
}

certlib_err certlib__verify_licence(const certlib_ctx *ctx, const uint8_t *licence, size_t len,
                                    const certlib_verify_opts *opts,
                                    const struct certlib__holder_proof *proof, certlib_result **out)
{
    if (!ctx) return CERTLIB_E_INVALID_ARGUMENT;
    return verify_or_read(ctx, licence, len, opts, proof, out);
}

static certlib_err verify_or_read(const certlib_ctx *ctx, const uint8_t *licence, size_t len,
                                  const certlib_verify_opts *opts, const struct certlib__holder_proof *proof,
                                  certlib_result **out)
{
    static const certlib_verify_opts defaults = {0};
    if (!out || (!licence && len)) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    if (!opts) opts = &defaults;
    /* Refuse oversize input before copying it. */
    size_t copy_len = len > CERTLIB_LICENCE_MAX_BYTES ? 0 : len;
    certlib_result *r = calloc(1, sizeof(*r) + copy_len);
    if (!r) return CERTLIB_E_NOMEM;
    if (copy_len) memcpy((uint8_t *)(r + 1), licence, copy_len);
    r->input = (const uint8_t *)(r + 1);
    r->input_len = copy_len;

    struct run run = {.ctx = ctx,
                      .r = r,
                      .opts = opts,
                      .proof = proof,
                      .now = opts->now ? opts->now : certlib__now(),
                      .skew = opts->clock_skew > 0 ? opts->clock_skew : 0};
    if (len > CERTLIB_LICENCE_MAX_BYTES)
        set(&run, CERTLIB_CHECK_STRUCTURE, CERTLIB_CHECK_FAILED, CERTLIB_E_CBOR_LIMIT);
    else if (proof && proof->malformed)
        set(&run, CERTLIB_CHECK_STRUCTURE, CERTLIB_CHECK_FAILED, proof->malformed);
    else if (ctx)
        run_checks(&run);
    else
        pass_or_fail(&run, CERTLIB_CHECK_STRUCTURE, check_structure(&run));
    if (run.signer) certlib__ctx_signer_release(ctx, run.signer);
    certlib__licence_clear(&run.lic);
    if (r->checks[CERTLIB_CHECK_STRUCTURE].reason == CERTLIB_E_NOMEM) {
        certlib_result_free(r);
        return CERTLIB_E_NOMEM;
    }
    certlib__result_conclude(r);
    if (!ctx && r->verdict == CERTLIB_VERDICT_VALID) { /* read, never verified */
        r->verdict = CERTLIB_VERDICT_INVALID;
        r->reason = CERTLIB_E_NOT_VERIFIED;
    }
    *out = r;
    return CERTLIB_OK;
}
