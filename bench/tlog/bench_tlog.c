/* bench/tlog: the signature log's costs (issue #5 targets), each against a baseline of the same run.
 *
 *   bench_tlog issue KEYS_DIR SECONDS
 *       Durable EdDSA issuance through authd's own storage and writer (2 signing threads, group commit),
 *       alternating rounds with the signature log and without it (records stored with no log entry).
 *       Target: logging costs <= 10% of issuance throughput. Without HTTP in front the log's share is
 *       larger than through authd, so this errs on the strict side.
 *   bench_tlog log KEYS_DIR ENTRIES CERTCTL
 *       Appends ENTRIES issuance entries to a log in LMDB storage (progress on stderr), then times inclusion
 *       proofs at that size (target <= 50 us at 10,000,000; baseline: a proof reading one stored hash),
 *       writes the log out as C2SP tiles and times `certctl audit` over them on one core (targets:
 *       >= 1,000,000 entries/s, <= 15 s at 10,000,000; baseline: reading and hashing the bundles only).
 */
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "certlib/certlib.h"
#include "log_entries.h"
#include "record.h"
#include "storage/storage.h"
#include "tlog.h"
#include "writer.h"

static void die(const char *what)
{
    fprintf(stderr, "bench_tlog: %s\n", what);
    exit(1);
}

/* ---- issuance with and without the log ---- */

#define WORKERS 2
#define IN_FLIGHT 512 /* per worker, like many connections */

struct round {
    struct authd_writer *writer;
    const struct authd_record_keys *keys;
    const certlib_signer *signer;
    bool logged;
    atomic_ulong done;
    atomic_int stop;
};

struct ijob {
    struct authd_write_job job;
    struct round *round;
    sem_t *slots;
    char id[CERTLIB_LICENCE_ID_MAX];
    uint8_t holder_key[AUTHD_HOLDER_KEY_LEN];
    uint8_t *record;
    char entry[CERTLIB_LOG_ENTRY_MAX];
};

static void ijob_done(struct authd_write_job *job)
{
    struct ijob *j = AUTHD_JOB_OWNER(struct ijob, job, job);
    if (job->w.result == AUTHD_OK) atomic_fetch_add(&j->round->done, 1);
    sem_post(j->slots);
    free(j->record);
    free(j);
}

/* What authd's issuance service does per licence, without HTTP: sign, seal, format the log entry. */
static void *issuer_thread(void *arg)
{
    struct round *r = arg;
    sem_t slots;
    sem_init(&slots, 0, IN_FLIGHT);
    static const certlib_element elements[] = {
        {.identifier = "spouse_name", .type = CERTLIB_VALUE_TEXT, .text = "李四"},
        {.identifier = "registration_date", .type = CERTLIB_VALUE_DATE, .text = "2024-05-20"},
        {.identifier = "registration_authority", .type = CERTLIB_VALUE_TEXT, .text = "杭州市西湖区民政局"}};
    uint32_t idx = (uint32_t)randombytes_uniform(1u << 30);
    while (!atomic_load(&r->stop)) {
        sem_wait(&slots);
        struct ijob *j = calloc(1, sizeof(*j));
        int64_t t = time(NULL);
        certlib_licence_spec spec = {.licence_type_code = "11100000000013338W002",
                                     .licence_name = "结婚证",
                                     .holder_name = "张三",
                                     .holder_id = "11010519491231002X",
                                     .signed_at = t,
                                     .valid_until = t + 86400 * 3650,
                                     .elements = elements,
                                     .n_elements = 3,
                                     .status_uri = "http://127.0.0.1/v1/status/11330100002498121J-0",
                                     .status_idx = idx};
        uint8_t *licence, sig_hash[32];
        size_t len;
        if (certlib_licence_issue_ex(r->signer, &spec, &licence, &len, j->id, sig_hash) != CERTLIB_OK)
            die("issuance failed");
        struct authd_licence_meta meta = {.issued_at = t, .status_idx = idx++};
        memcpy(meta.type_code, "11100000000013338W002", sizeof(meta.type_code));
        memcpy(meta.issuer_code, "11330100002498121J", sizeof(meta.issuer_code));
        authd_record_holder_key(r->keys, "11010519491231002X", 18, j->holder_key);
        size_t sealed_len = authd_record_sealed_len(r->keys, len);
        if (!(j->record = malloc(sealed_len))) die("out of memory");
        authd_record_seal(r->keys, j->id, strlen(j->id), &meta, licence, len, j->record);
        certlib_free(licence);
        size_t entry_len = r->logged ? authd_log_entry_issue(j->entry, j->id, &meta, sig_hash) : 0;
        j->job.w = (struct authd_storage_write){.op = AUTHD_STORE_PUT,
                                                .id = j->id,
                                                .id_len = strlen(j->id),
                                                .record = j->record,
                                                .record_len = sealed_len,
                                                .holder_key = j->holder_key,
                                                .log = AUTHD_LOG_SIGNATURES,
                                                .entry = entry_len ? (const uint8_t *)j->entry : NULL,
                                                .entry_len = entry_len};
        j->round = r;
        j->slots = &slots;
        j->job.done = ijob_done;
        authd_writer_submit(r->writer, &j->job);
    }
    authd_writer_drain(r->writer);
    sem_destroy(&slots);
    return NULL;
}

static double issue_round(struct authd_storage *storage, struct authd_log *const logs[AUTHD_LOG_COUNT],
                          const struct authd_record_keys *keys, const certlib_signer *signer, double seconds)
{
    struct round r = {.keys = keys, .signer = signer, .logged = logs[AUTHD_LOG_SIGNATURES] != NULL};
    if (!(r.writer = authd_writer_start(storage, logs, 4096, 0, 1, NULL, NULL, NULL))) die("writer");
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, issuer_thread, &r);
    usleep(200000); /* warm up */
    unsigned long start = atomic_load(&r.done);
    double t0 = now_s();
    usleep((useconds_t)(seconds * 1e6));
    unsigned long end = atomic_load(&r.done);
    double t1 = now_s();
    atomic_store(&r.stop, 1);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    authd_writer_stop(r.writer);
    return (double)(end - start) / (t1 - t0);
}

static int bench_issue(const char *keys, double seconds)
{
    char key[1024], cert[1024], sig_key[1024], acc_key[1024], err[512];
    snprintf(key, sizeof(key), "%s/pki/ed25519/mz.key", keys);
    snprintf(cert, sizeof(cert), "%s/pki/ed25519/mz.crt", keys);
    snprintf(sig_key, sizeof(sig_key), "%s/log/signatures.key", keys);
    snprintf(acc_key, sizeof(acc_key), "%s/log/access.key", keys);
    char data_key[1024];
    snprintf(data_key, sizeof(data_key), "%s/data.key", keys);
    certlib_signer *signer;
    if (certlib_signer_load(key, cert, &signer) != CERTLIB_OK) die("signer");
    char dir_with[] = "/tmp/bench-tlog-with-XXXXXX", dir_without[] = "/tmp/bench-tlog-without-XXXXXX";
    if (!mkdtemp(dir_with) || !mkdtemp(dir_without)) die("mkdtemp");
    struct authd_record_keys *record_keys;
    struct authd_storage *with, *without;
    struct authd_log *logs[AUTHD_LOG_COUNT] = {NULL, NULL}, *none[AUTHD_LOG_COUNT] = {NULL, NULL};
    if (authd_record_keys_load(data_key, &record_keys, err, sizeof(err)) ||
        authd_storage_open_lmdb(&(struct authd_lmdb_options){dir_with, (size_t)16 << 30, NULL, true}, &with,
                                err, sizeof(err)) ||
        authd_storage_open_lmdb(&(struct authd_lmdb_options){dir_without, (size_t)16 << 30, NULL, true},
                                &without, err, sizeof(err)) ||
        authd_log_open(with, AUTHD_LOG_SIGNATURES, "bench.example/log/signatures", sig_key,
                       &logs[AUTHD_LOG_SIGNATURES], err, sizeof(err)) ||
        authd_log_open(with, AUTHD_LOG_ACCESS, "bench.example/log/access", acc_key, &logs[AUTHD_LOG_ACCESS],
                       err, sizeof(err)))
        die(err);
    enum { ROUNDS = 5 };
    double a[ROUNDS], b[ROUNDS], ratio[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        a[i] = issue_round(with, logs, record_keys, signer, seconds);
        b[i] = issue_round(without, none, record_keys, signer, seconds);
        ratio[i] = a[i] / b[i];
        fprintf(stderr, "  round %d: with log %.0f/s, without %.0f/s\n", i + 1, a[i], b[i]);
    }
    double ma = median(a, ROUNDS), mb = median(b, ROUNDS), mr = median(ratio, ROUNDS);
    printf("durable EdDSA issuance (storage + writer, %d signing threads), medians of %d rounds of %.0f s:\n",
           WORKERS, ROUNDS, seconds);
    printf("  with the signature log     %8.0f licences/s\n", ma);
    printf("  without it (baseline)      %8.0f licences/s\n", mb);
    printf("  ratio %.3f: logging costs %.1f%% of throughput (target <= 10%%)\n", mr, (1 - mr) * 100);
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        authd_log_close(logs[l]);
    authd_storage_close(with);
    authd_storage_close(without);
    authd_record_keys_free(record_keys);
    certlib_signer_free(signer);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir_with, dir_without);
    return system(cmd) == 0 ? 0 : 1;
}

/* ---- a large log: proofs and the audit ---- */

static void make_entry(char *out, size_t *len, uint64_t i)
{
    /* a realistic issuance entry: about 230 bytes */
    struct authd_licence_meta meta = {.issued_at = 1795363200 + (int64_t)(i / 100),
                                      .status_idx = (uint32_t)i};
    memcpy(meta.type_code, "11100000000013338W001", 22);
    memcpy(meta.issuer_code, "11330100002498113P", 19);
    char id[CERTLIB_LICENCE_ID_MAX];
    snprintf(id, sizeof(id), "1.2.156.3005.2.11100000000013338W001.11330100002498113P.%020llu.001.X",
             (unsigned long long)i);
    uint8_t hash[32];
    crypto_generichash(hash, 32, (const uint8_t *)&i, sizeof(i), NULL, 0);
    *len = authd_log_entry_issue(out, id, &meta, hash);
}

static int write_file(const char *path, const uint8_t *b, size_t n)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static void export_tiles(struct authd_log *log, uint64_t size, const char *dir)
{
    char cp[AUTHD_CHECKPOINT_MAX], path[8192], rel[128];
    size_t n = authd_log_checkpoint(log, cp, NULL);
    snprintf(path, sizeof(path), "%s/checkpoint", dir);
    if (write_file(path, (const uint8_t *)cp, n)) die("write");
    for (int level = -1; level < 8; level++) {
        unsigned shift = level < 0 ? 0 : (unsigned)level * CERTLIB_TLOG_TILE_HEIGHT;
        uint64_t count = size >> shift;
        if (level >= 0 && count == 0) break;
        for (uint64_t start = 0; start < count; start += CERTLIB_TLOG_TILE_WIDTH) {
            certlib_tile t = certlib_tile_for(level, start, size);
            uint8_t *bytes;
            size_t len;
            if (certlib_tile_path(&t, rel, sizeof(rel)) || authd_log_tile(log, &t, &bytes, &len)) die("tile");
            snprintf(path, sizeof(path), "%s/%s", dir, rel);
            if (write_file(path, bytes, len)) die("write");
            free(bytes);
        }
    }
}

struct mini {
    certlib_tlog_hash stack[64];
    unsigned levels[64];
    size_t depth;
};

static certlib_err mini_add(void *arg, uint64_t i, const uint8_t *entry, size_t len)
{
    struct mini *m = arg;
    (void)i;
    certlib_tlog_leaf_hash(entry, len, m->stack[m->depth]);
    m->levels[m->depth++] = 0;
    while (m->depth >= 2 && m->levels[m->depth - 1] == m->levels[m->depth - 2]) {
        m->depth--;
        certlib_tlog_node_hash(m->stack[m->depth - 1], m->stack[m->depth], m->stack[m->depth - 1]);
        m->levels[m->depth - 1]++;
    }
    return CERTLIB_OK;
}

static int bench_log(const char *keys, uint64_t entries, const char *certctl)
{
    char dir[] = "/tmp/bench-tlog-log-XXXXXX", key[1024], err[512];
    if (!mkdtemp(dir)) die("mkdtemp");
    snprintf(key, sizeof(key), "%s/log/signatures.key", keys);
    struct authd_storage *storage;
    struct authd_log *log;
    if (authd_storage_open_lmdb(&(struct authd_lmdb_options){dir, (size_t)64 << 30, NULL, true}, &storage,
                                err, sizeof(err)) ||
        authd_log_open(storage, AUTHD_LOG_SIGNATURES, "bench.example/log/signatures", key, &log, err,
                       sizeof(err)))
        die(err);

    /* append in large batches: set-up, not the measured issuance path */
    enum { BATCH = 50000 };
    struct authd_storage_write *writes = calloc(BATCH, sizeof(*writes));
    char *texts = malloc((size_t)BATCH * 256);
    if (!writes || !texts) die("out of memory");
    double t0 = now_s(), last = t0;
    char entry[CERTLIB_LOG_ENTRY_MAX];
    size_t len = 0;
    for (uint64_t i = 0; i < entries;) {
        size_t n = 0;
        for (; n < BATCH && i < entries; n++, i++) {
            make_entry(entry, &len, i);
            if (len > 256) die("entry too long");
            memcpy(texts + n * 256, entry, len);
            writes[n] = (struct authd_storage_write){.op = AUTHD_STORE_APPEND,
                                                     .log = AUTHD_LOG_SIGNATURES,
                                                     .entry = (const uint8_t *)texts + n * 256,
                                                     .entry_len = len};
        }
        if (authd_storage_apply(storage, writes, n) || writes[n - 1].log_index != i - 1) die("append");
        if (authd_log_publish(log)) die("publish");
        if (now_s() - last > 2) {
            last = now_s();
            fprintf(stderr, "  appended %llu / %llu entries\n", (unsigned long long)i,
                    (unsigned long long)entries);
        }
    }
    free(writes);
    free(texts);
    double append_s = now_s() - t0;
    printf("log of %llu entries (about %zu bytes each): appended in %.1f s (%.0f entries/s)\n",
           (unsigned long long)entries, len, append_s, (double)entries / append_s);

    /* inclusion proofs at the full size, against one stored-hash read */
    enum { BATCHES = 51, PER = 2000 };
    double proof_us[BATCHES], read_us[BATCHES];
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n;
    size_t hashes = 0;
    for (int b = 0; b < BATCHES; b++) {
        double s = now_s();
        for (int k = 0; k < PER; k++)
            if (authd_log_inclusion(log, randombytes_uniform((uint32_t)entries), entries, proof, &hashes))
                die("proof");
        proof_us[b] = (now_s() - s) / PER * 1e6;
        s = now_s();
        for (int k = 0; k < PER; k++)
            if (authd_log_inclusion(log, 0, 2, proof, &n)) die("proof"); /* size 2: one stored-hash read */
        read_us[b] = (now_s() - s) / PER * 1e6;
    }
    double mp = median(proof_us, BATCHES), mread = median(read_us, BATCHES);
    printf("inclusion proof at %llu entries: %.2f us median (%zu hashes; target <= 50 us)\n",
           (unsigned long long)entries, mp, hashes);
    printf("  baseline, a proof at size 2 (one stored-hash read): %.2f us (ratio %.1f)\n", mread, mp / mread);

    /* the whole log as tiles, audited by certctl on one core */
    char tiles[4096], vkey[512];
    snprintf(tiles, sizeof(tiles), "%s/tiles", dir);
    t0 = now_s();
    export_tiles(log, entries, tiles);
    fprintf(stderr, "  wrote the tiles in %.1f s\n", now_s() - t0);
    snprintf(vkey, sizeof(vkey), "%s", authd_log_vkey(log));
    /* baseline: a minimal auditor: read the same entry bundles and hash them into a tree, nothing else */
    t0 = now_s();
    struct mini mini = {.depth = 0};
    for (uint64_t start = 0; start < entries; start += CERTLIB_TLOG_TILE_WIDTH) {
        certlib_tile t = certlib_tile_for(-1, start, entries);
        char rel[128], path[8192];
        if (certlib_tile_path(&t, rel, sizeof(rel))) die("path");
        snprintf(path, sizeof(path), "%s/%s", tiles, rel);
        FILE *f = fopen(path, "rb");
        static uint8_t bundle[1 << 20];
        size_t got = f ? fread(bundle, 1, sizeof(bundle), f) : 0;
        if (f) fclose(f);
        if (certlib_entry_bundle_each(bundle, got, t.width, mini_add, &mini)) die("bundle");
    }
    double hash_s = now_s() - t0;
    pid_t pid = fork();
    t0 = now_s();
    if (pid == 0) {
        execl(certctl, certctl, "audit", "--log", tiles, "--key", vkey, "--quiet", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    double audit_s = now_s() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("certctl audit failed");
    printf("certctl audit of %llu entries from tiles: %.1f s, %.0f entries/s (targets >= 1,000,000/s; "
           "<= 15 s at 10,000,000)\n",
           (unsigned long long)entries, audit_s, (double)entries / audit_s);
    printf("  baseline, reading the bundles and hashing the tree, nothing else: %.1f s, %.0f entries/s "
           "(audit/baseline %.2f)\n",
           hash_s, (double)entries / hash_s, hash_s / audit_s);
    authd_log_close(log);
    authd_storage_close(storage);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) die("libsodium");
    if (argc == 4 && strcmp(argv[1], "issue") == 0) return bench_issue(argv[2], atof(argv[3]));
    if (argc == 5 && strcmp(argv[1], "log") == 0)
        return bench_log(argv[2], strtoull(argv[3], NULL, 10), argv[4]);
    fprintf(stderr, "usage: bench_tlog issue KEYS_DIR SECONDS | bench_tlog log KEYS_DIR ENTRIES CERTCTL\n");
    return 2;
}
