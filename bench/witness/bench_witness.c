/* bench/witness: authd's witness (authd/witness.c) on one core, against the cost of the one step it
 * cannot skip in the same run: verifying the log's signature on the checkpoint.
 *
 * A log of N entries is built in memory; for every size 1..N its checkpoint is signed and the one-step
 * consistency proof from the size before is computed, all before timing. Then the witness is fed those
 * requests in order (each extends the one it cosigned last, as a log's witnessing loop does), once with
 * its state directory on the disk and once on tmpfs, so the state file's fsync shows apart. Figures are
 * medians of alternating rounds.
 * usage: bench_witness [ENTRIES] [ROUNDS] */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_clock.h"
#include "certlib/certlib.h"
#include "config.h"
#include "witness.h"

static const char origin[] = "bench.example/log";

/* The tree's stored hashes, level by level, in memory. */
struct tree {
    certlib_tlog_hash *level[64];
    uint64_t size;
};

static certlib_err read_hash(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    struct tree *t = arg;
    if (level >= 64 || !t->level[level] || index >= (t->size >> level)) return CERTLIB_E_TLOG_INDEX;
    memcpy(out, t->level[level][index], sizeof(certlib_tlog_hash));
    return CERTLIB_OK;
}

static void append(struct tree *t, uint64_t n_max)
{
    certlib_tlog_hash leaf;
    uint8_t entry[32];
    randombytes_buf(entry, sizeof(entry));
    certlib_tlog_leaf_hash(entry, sizeof(entry), leaf);
    certlib_tlog_stored_hash stored[CERTLIB_TLOG_MAX_STORED];
    size_t n;
    if (certlib_tlog_stored_hashes(t->size, leaf, read_hash, t, stored, &n) != CERTLIB_OK) abort();
    for (size_t i = 0; i < n; i++) {
        unsigned L = stored[i].level;
        if (!t->level[L] && !(t->level[L] = calloc((n_max >> L) + 1, sizeof(certlib_tlog_hash)))) abort();
        memcpy(t->level[L][stored[i].index], stored[i].hash, sizeof(certlib_tlog_hash));
    }
    t->size++;
}

/* A PEM file of an Ed25519 key with this seed, for the witness's configuration. */
static void write_key(const char *path, const uint8_t seed[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    FILE *f = fopen(path, "w");
    if (!k || !f || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1) abort();
    fclose(f);
    EVP_PKEY_free(k);
}

struct feed {
    struct authd_witness *w;
    char **bodies;
    size_t *lens;
    size_t next, count;
};

static int add_one(void *arg)
{
    struct feed *f = arg;
    if (f->next == f->count) return 0;
    struct authd_witness_answer a;
    authd_witness_add_checkpoint(f->w, f->bodies[f->next], f->lens[f->next], 1796025600, &a);
    f->next++;
    return a.status == 200;
}

struct verify {
    certlib_note_verifier *key;
    char **notes;
    size_t *lens;
    size_t next, count;
};

static int verify_one(void *arg)
{
    struct verify *v = arg;
    size_t i = v->next++ % v->count, text_len, verified;
    return certlib_note_open(v->notes[i], v->lens[i], v->key, 1, &text_len, &verified) == CERTLIB_OK;
}

static struct authd_witness *open_witness(const char *state_dir, const char *key_path, char *vkey)
{
    struct authd_config c = {0};
    char *logs[1] = {vkey};
    c.state_dir = (char *)state_dir;
    c.witness = (struct authd_witness_config){
        .name = "bench.example/witness", .key = (char *)key_path, .logs = logs, .n_logs = 1};
    char err[512];
    struct authd_witness *w;
    if (authd_witness_open(&c, &w, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "bench_witness: %s\n", err);
        exit(1);
    }
    return w;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 60000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (sodium_init() < 0 || n < 100 || rounds < 1) return 2;
    uint8_t log_pk[32], log_sk[64], seed[32];
    crypto_sign_keypair(log_pk, log_sk);
    certlib_note_verifier key;
    char vkey[512];
    if (certlib_note_verifier_from_key(origin, log_pk, &key) != CERTLIB_OK ||
        certlib_note_verifier_format(&key, vkey, sizeof(vkey)) != CERTLIB_OK)
        return 1;

    /* every request, made before timing: checkpoint of size s, proof from s - 1 */
    printf("bench/witness: building a log of %zu entries, its checkpoints and one-step proofs\n", n);
    struct tree t = {0};
    char **bodies = calloc(n, sizeof(*bodies)), **notes = calloc(n, sizeof(*notes));
    size_t *lens = calloc(n, sizeof(*lens)), *note_lens = calloc(n, sizeof(*note_lens));
    if (!bodies || !notes || !lens || !note_lens) return 1;
    for (size_t s = 1; s <= n; s++) {
        append(&t, n);
        certlib_checkpoint cp = {.size = s};
        memcpy(cp.origin, origin, sizeof(origin));
        char text[512], note[1024];
        size_t tlen, nlen, np = 0;
        certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
        if (certlib_tlog_root(s, read_hash, &t, cp.root) != CERTLIB_OK ||
            certlib_checkpoint_format(&cp, text, sizeof(text), &tlen) != CERTLIB_OK ||
            certlib_note_sign(text, tlen, origin, log_sk, note, sizeof(note), &nlen) != CERTLIB_OK ||
            (s > 1 && certlib_tlog_consistency_proof(s - 1, s, read_hash, &t, proof, &np) != CERTLIB_OK))
            return 1;
        char body[4096];
        size_t len;
        if (certlib_witness_request_format(s - 1, (const certlib_tlog_hash *)proof, np, note, nlen, body,
                                           sizeof(body), &len) != CERTLIB_OK)
            return 1;
        bodies[s - 1] = strndup(body, len);
        lens[s - 1] = len;
        notes[s - 1] = strndup(note, nlen);
        note_lens[s - 1] = nlen;
    }

    char dir[] = "/tmp/bench_witness.XXXXXX", shm[] = "/dev/shm/bench_witness.XXXXXX", key_path[256];
    if (!mkdtemp(dir) || !mkdtemp(shm)) return 1;
    snprintf(key_path, sizeof(key_path), "%s/witness.key", dir);
    randombytes_buf(seed, sizeof(seed));
    write_key(key_path, seed);

    /* each round: a fresh witness per state directory fed from size 1, alternating with the baseline */
    double disk[64], mem[64], base[64], ratio[64];
    if (rounds > 64) rounds = 64;
    for (int r = 0; r < rounds; r++) {
        const char *dirs[2] = {dir, shm};
        double *out[2] = {&disk[r], &mem[r]};
        for (int d = 0; d < 2; d++) {
            char state[300];
            snprintf(state, sizeof(state), "%s/witness.state", dirs[d]);
            unlink(state);
            struct feed f = {open_witness(dirs[d], key_path, vkey), bodies, lens, 0, n};
            *out[d] = bench_round_rate(add_one, &f, 1.0);
            if (f.next == n)
                fprintf(stderr, "bench_witness: the log ran out within a round: use more ENTRIES\n");
            authd_witness_close(f.w);
        }
        struct verify v = {&key, notes, note_lens, 0, n};
        base[r] = bench_round_rate(verify_one, &v, 1.0);
        ratio[r] = mem[r] / base[r];
    }
    double md = median(disk, (size_t)rounds), mm = median(mem, (size_t)rounds),
           mb = median(base, (size_t)rounds), mr = median(ratio, (size_t)rounds);
    printf("witness add-checkpoint, one core, one-step proofs, medians of %d rounds of 1 s:\n", rounds);
    printf("  state on disk  %8.0f/s  (target >= 5,000/s: %s)\n", md, md >= 5000 ? "met" : "NOT met");
    printf("  state on tmpfs %8.0f/s\n", mm);
    printf("  baseline: the log's signature checked alone %8.0f/s; tmpfs witness = %.3f of it\n", mb, mr);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, shm);
    return system(cmd) == 0 ? 0 : 1;
}
