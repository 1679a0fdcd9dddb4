/* The one writer: a thread that takes queued writes (issuances, status changes, access records) in
 * batches and applies each batch with one storage transaction, so one durable commit covers many
 * licences (group commit). Workers sign in parallel before they submit; after each commit the writer
 * publishes the logs' new checkpoints, signs the batch's disclosure marks with one signature, then runs
 * the jobs' completions. */
#ifndef AUTHD_WRITER_H
#define AUTHD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "certlib/tlog.h"
#include "storage/storage.h"

struct authd_mark_batch;

struct authd_write_job {
    struct authd_storage_write w;
    /* Runs on the writer thread once the batch is committed (w.result says how this write fared). */
    void (*done)(struct authd_write_job *job);
    /* For a write whose answer goes out under a disclosure mark (access_record.h), else NULL. Runs on
     * the writer thread once the write is stored, before `done`, with w.log_index known: writes the leaf
     * of the mark's text. The writer then signs the marks of the batch together and sets `marks` and
     * `mark_position` (marks NULL: the batch could not be signed; the job signs its mark alone). */
    authd_err (*mark_leaf)(struct authd_write_job *job, certlib_tlog_hash leaf);
    struct authd_mark_batch *marks; /* held once for this job: it lets go (mark_batch.h) */
    size_t mark_position;
    struct authd_write_job *next;
    int64_t submitted_ns; /* the writer's: when it was submitted (CLOCK_MONOTONIC), for its wait */
};

/* The struct a write job is embedded in (the embedding idiom), from the job the writer hands back. */
#define AUTHD_JOB_OWNER(type, member, job) ((type *)(void *)((char *)(job)-offsetof(type, member)))

struct authd_writer;
struct authd_metrics;
struct authd_log;

/* How many requests the process has in flight, the one whose write it is included (admission.h). */
typedef size_t (*authd_writer_company_fn)(void *arg);

/* Under load, a commit of fewer than `fill` writes first waits up to `delay_us` for more, like
 * PostgreSQL's commit_delay (with `fill` as its commit_siblings): fewer commits, so fewer fsyncs, page
 * writes and checkpoint signatures per write. Load is `fill` requests in flight as `company` counts
 * them; with fewer, one request after another among them, the wait could not fill the batch and the
 * writer commits at once. Without `company` (NULL), load is work that waited for the last commit or a
 * commit less than 5 ms ago, and an idle writer commits at once. delay_us 0 turns this off. */
struct authd_writer *authd_writer_start(struct authd_storage *storage,
                                        struct authd_log *const logs[AUTHD_LOG_COUNT], size_t max_batch,
                                        size_t delay_us, size_t fill, struct authd_metrics *metrics,
                                        authd_writer_company_fn company, void *company_arg);
/* Queues a job; never blocks on the disk. */
void authd_writer_submit(struct authd_writer *w, struct authd_write_job *job);
/* Waits until every job submitted so far is done (its completion has run). */
void authd_writer_drain(struct authd_writer *w);
/* Why the last batch failed as a whole (full, unavailable, I/O), when that was within `within_ms`;
 * AUTHD_OK when it was stored, or failed longer ago (a store that came back is not written to until a
 * request comes, and a node out of its load balancer's rotation gets none). */
authd_err authd_writer_failing(struct authd_writer *w, int64_t within_ms);
/* Writes everything queued, then stops the thread. */
void authd_writer_stop(struct authd_writer *w);

#endif
