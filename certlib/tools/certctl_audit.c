/* certctl audit: an offline auditor for authd's logs. It fetches a log's checkpoint, every entry
 * bundle and every hash tile (over HTTP with libcurl, or from a directory in the same layout),
 * rebuilds the Merkle tree from the entries, and checks that:
 *   - the checkpoint verifies under the log's key and names the log;
 *   - the tree rebuilt from the entries has the checkpoint's root;
 *   - every hash tile the log serves matches the rebuilt tree;
 *   - the tree extends the checkpoint seen last time (kept in a state file): a log that shrank or
 *     rewrote its history is reported loudly;
 *   - every entry decodes.
 * It can also list the licences an issuer signed in a time window. */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certctl.h"
#include "certctl_fetch.h"
#include "certlib/logentry.h"
#include "certlib/tlog.h"

void certctl_audit_usage(FILE *out)
{
    fprintf(out,
            "usage: certctl audit --log URL|DIR --key KEY [--state FILE] [--token FILE] [--cacert FILE]\n"
            "                     [--mirror DIR] [--issuer USCC [--from TIME] [--to TIME]]\n"
            "                     [--witness KEY... [--quorum K]] [--quiet]\n"
            "\n"
            "Audits a transparency log served in C2SP tlog-tiles layout (authd: URL/log/signatures or\n"
            "URL/log/access), or a directory holding the same files: verifies the checkpoint, rebuilds the\n"
            "tree from every entry, compares every hash tile, decodes every entry, and checks that the log\n"
            "extends the checkpoint it saw last time.\n"
            "\n"
            "  --log URL|DIR   where the log is: http(s)://host/log/NAME or a directory\n"
            "  --key KEY       the log's C2SP verifier key, or a file holding it\n"
            "  --state FILE    the last checkpoint seen; checked against, then updated when all is well\n"
            "  --token FILE    a bearer token (the access log is for auditors only)\n"
            "  --cacert FILE   CA certificate(s) for an https URL\n"
            "  --mirror DIR    also write every file fetched into DIR (a copy to audit offline later)\n"
            "  --issuer USCC   list the licences this issuer signed (with --from/--to: in that window)\n"
            "  --from TIME     window start (YYYY-MM-DD, RFC 3339 UTC or Unix seconds; inclusive)\n"
            "  --to TIME       window end (exclusive)\n"
            "  --witness KEY   a witness's cosigner key (or a file holding it; repeatable): the checkpoint\n"
            "                  must carry their C2SP tlog-cosignature/v1 cosignatures\n"
            "  --quorum K      how many of the --witness keys must have cosigned (default: all)\n"
            "  --quiet         no progress on standard error\n"
            "\n"
            "Exit status: 0 when the log is consistent; 1 on any inconsistency (a bad checkpoint\n"
            "signature, a root or tile mismatch, a missing or malformed entry, a rewritten history);\n"
            "2 on usage errors or when the log cannot be reached.\n");
}

/* ---- rebuilding the tree ---- */

/* The right edge of the tree being rebuilt: complete subtrees of decreasing size. Hashes of levels
 * 0, 8, 16... are kept until their tile is compared. */
struct rebuild {
    certlib_tlog_hash stack[64];
    unsigned levels[64];
    size_t depth;
    uint64_t leaves;
    certlib_tlog_hash *tiles[8]; /* tiles[L]: the hashes of tree level 8L of the current tile */
    unsigned tile_fill[8];
    uint64_t tile_index[8];
};

static int compare_tile(struct certctl_source *s, struct rebuild *r, unsigned L, bool partial);
static int g_failures;

__attribute__((format(printf, 1, 2))) static void report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "certctl audit: INCONSISTENT: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    g_failures++;
}

static int keep_for_tile(struct certctl_source *s, struct rebuild *r, unsigned level,
                         const certlib_tlog_hash h)
{
    if (level % CERTLIB_TLOG_TILE_HEIGHT) return 0;
    unsigned L = level / CERTLIB_TLOG_TILE_HEIGHT;
    if (L >= 8) return 0;
    if (!r->tiles[L] && !(r->tiles[L] = malloc(CERTLIB_TLOG_TILE_WIDTH * sizeof(certlib_tlog_hash))))
        return -1;
    memcpy(r->tiles[L][r->tile_fill[L]++], h, CERTLIB_TLOG_HASH_LEN);
    if (r->tile_fill[L] == CERTLIB_TLOG_TILE_WIDTH) return compare_tile(s, r, L, false);
    return 0;
}

/* The right edge's hash at `level`: the stack holds at most one subtree per level, the newest on top. */
static certlib_err edge_hash(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    (void)index;
    const struct rebuild *r = arg;
    for (size_t i = r->depth; i-- > 0;)
        if (r->levels[i] == level) {
            memcpy(out, r->stack[i], CERTLIB_TLOG_HASH_LEN);
            return CERTLIB_OK;
        }
    return CERTLIB_E_INTERNAL;
}

/* The hashes the log stores for this leaf (certlib_tlog_stored_hashes, as authd computes them), each
 * kept for its tile; the left siblings they merged leave the edge for the new subtree. */
static int add_leaf(struct certctl_source *s, struct rebuild *r, const certlib_tlog_hash leaf)
{
    certlib_tlog_stored_hash stored[CERTLIB_TLOG_MAX_STORED];
    size_t n;
    if (certlib_tlog_stored_hashes(r->leaves, leaf, edge_hash, r, stored, &n) != CERTLIB_OK) return -1;
    r->depth -= n - 1;
    memcpy(r->stack[r->depth], stored[n - 1].hash, CERTLIB_TLOG_HASH_LEN);
    r->levels[r->depth++] = stored[n - 1].level;
    r->leaves++;
    for (size_t i = 0; i < n; i++)
        if (keep_for_tile(s, r, stored[i].level, stored[i].hash)) return -1;
    return 0;
}

static void root_of(const struct rebuild *r, certlib_tlog_hash out)
{
    if (r->depth == 0) {
        static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                          0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                          0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
        memcpy(out, empty, 32); /* SHA-256 of nothing */
        return;
    }
    memcpy(out, r->stack[r->depth - 1], CERTLIB_TLOG_HASH_LEN);
    for (size_t i = r->depth - 1; i-- > 0;)
        certlib_tlog_node_hash(r->stack[i], out, out);
}

/* Compares what the log serves as tile L (full, or the partial one at the end) with the rebuilt
 * hashes. Returns -1 only when the source cannot be reached. */
static int compare_tile(struct certctl_source *s, struct rebuild *r, unsigned L, bool partial)
{
    certlib_tile t = {(int)L, r->tile_index[L], r->tile_fill[L]};
    if (t.width == 0) return 0;
    char path[128];
    if (certlib_tile_path(&t, path, sizeof(path)) != CERTLIB_OK) return -1;
    uint8_t *got;
    size_t len;
    int rc = certctl_fetch(s, path, &got, &len);
    if (rc < 0) return -1;
    if (rc == 1)
        report("the log does not serve %s", path);
    else if (len != (size_t)t.width * CERTLIB_TLOG_HASH_LEN)
        report("%s has the wrong length", path);
    else if (memcmp(got, r->tiles[L], len) != 0)
        report("%s does not match the tree rebuilt from the entries", path);
    if (rc == 0) free(got);
    if (!partial) {
        r->tile_fill[L] = 0;
        r->tile_index[L]++;
    }
    return 0;
}

/* ---- entries ---- */

struct audit {
    struct certctl_source *src;
    struct rebuild tree;
    uint64_t old_size; /* the state's checkpoint */
    certlib_tlog_hash old_root;
    bool old_checked;
    const char *issuer;
    int64_t from, to;
    uint64_t listed;
    uint64_t kinds[5];
};

static void check_old_root(struct audit *a)
{
    if (a->old_checked || a->tree.leaves != a->old_size) return;
    a->old_checked = true;
    certlib_tlog_hash root;
    root_of(&a->tree, root);
    if (memcmp(root, a->old_root, CERTLIB_TLOG_HASH_LEN) != 0)
        report("%s", "HISTORY REWRITTEN: the entries no longer add up to the checkpoint seen last time");
}

static certlib_err on_entry(void *arg, uint64_t i, const uint8_t *entry, size_t len)
{
    struct audit *a = arg;
    uint64_t index = a->tree.leaves;
    (void)i;
    certlib_tlog_hash leaf;
    certlib_tlog_leaf_hash(entry, len, leaf);
    if (add_leaf(a->src, &a->tree, leaf)) return CERTLIB_E_IO_READ;
    check_old_root(a);
    certlib_log_entry e;
    if (certlib_log_entry_parse(entry, len, &e) != CERTLIB_OK) {
        report("entry %llu does not decode", (unsigned long long)index);
        return CERTLIB_OK;
    }
    a->kinds[e.kind]++;
    if (a->issuer && e.kind == CERTLIB_LOG_ISSUE && e.issuer.len == strlen(a->issuer) &&
        memcmp(e.issuer.ptr, a->issuer, e.issuer.len) == 0 && e.time >= a->from && e.time < a->to) {
        char when[32];
        certctl_format_time(e.time, when);
        printf("%s %.*s %.*s (log index %llu)\n", when, (int)e.licence_id.len, (const char *)e.licence_id.ptr,
               (int)e.type_code.len, (const char *)e.type_code.ptr, (unsigned long long)index);
        a->listed++;
    }
    return CERTLIB_OK;
}

/* On a terminal, one line rewritten every second; in a file or a pipe (a cron job's mail, a CI log),
 * a whole line every ten seconds and at the end, never a carriage return. */
static void progress(uint64_t done, uint64_t total, bool final)
{
    static time_t last;
    static int tty = -1;
    if (tty < 0) tty = isatty(STDERR_FILENO);
    time_t now = time(NULL);
    if (!final && now - last < (tty ? 1 : 10)) return;
    last = now;
    fprintf(stderr, "%scertctl audit: %llu / %llu entries (%.0f%%)%s", tty ? "\r" : "",
            (unsigned long long)done, (unsigned long long)total,
            total ? 100.0 * (double)done / (double)total : 100.0, final || !tty ? "\n" : "");
}

/* ---- state ---- */

static int read_state(const char *path, const certlib_note_verifier *key, certlib_checkpoint *cp, bool *have)
{
    *have = false;
    if (!path || access(path, F_OK) != 0) return 0;
    uint8_t *text;
    size_t len;
    if (certctl_read_file("audit", path, CERTLIB_NOTE_MAX_BYTES, &text, &len)) return -1;
    certlib_err e = certlib_checkpoint_open((const char *)text, len, key, cp);
    free(text);
    if (e) {
        fprintf(stderr, "certctl audit: %s: the saved checkpoint does not verify under this key: %s\n", path,
                certlib_err_name(e));
        return -1;
    }
    *have = true;
    return 0;
}

int certctl_audit_main(int argc, char **argv)
{
    enum {
        O_LOG = 256,
        O_KEY,
        O_STATE,
        O_TOKEN,
        O_CACERT,
        O_MIRROR,
        O_ISSUER,
        O_FROM,
        O_TO,
        O_QUIET,
        O_WITNESS,
        O_QUORUM
    };
    static const struct option longopts[] = {{"log", required_argument, NULL, O_LOG},
                                             {"key", required_argument, NULL, O_KEY},
                                             {"state", required_argument, NULL, O_STATE},
                                             {"token", required_argument, NULL, O_TOKEN},
                                             {"cacert", required_argument, NULL, O_CACERT},
                                             {"mirror", required_argument, NULL, O_MIRROR},
                                             {"issuer", required_argument, NULL, O_ISSUER},
                                             {"from", required_argument, NULL, O_FROM},
                                             {"to", required_argument, NULL, O_TO},
                                             {"quiet", no_argument, NULL, O_QUIET},
                                             {"witness", required_argument, NULL, O_WITNESS},
                                             {"quorum", required_argument, NULL, O_QUORUM},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *log = NULL, *key_arg = NULL, *state = NULL, *token = NULL, *cacert = NULL, *mirror = NULL;
    struct audit a = {.from = INT64_MIN, .to = INT64_MAX};
    struct certctl_source src = {0};
    bool quiet = false;
    struct certctl_witnesses witnesses = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_LOG:
            log = optarg;
            break;
        case O_KEY:
            key_arg = optarg;
            break;
        case O_STATE:
            state = optarg;
            break;
        case O_TOKEN:
            token = optarg;
            break;
        case O_CACERT:
            cacert = optarg;
            break;
        case O_MIRROR:
            mirror = optarg;
            break;
        case O_ISSUER:
            a.issuer = optarg;
            break;
        case O_FROM:
        case O_TO:
            if (certctl_parse_time(optarg, opt == O_FROM ? &a.from : &a.to))
                return fprintf(stderr, "certctl audit: bad --%s\n", opt == O_FROM ? "from" : "to"),
                       CERTCTL_EXIT_USAGE;
            break;
        case O_WITNESS:
            if (certctl_witness_add("audit", optarg, &witnesses)) return CERTCTL_EXIT_USAGE;
            break;
        case O_QUORUM:
            if (certctl_witness_quorum("audit", optarg, &witnesses)) return CERTCTL_EXIT_USAGE;
            break;
        case O_QUIET:
            quiet = true;
            break;
        case 'h':
            certctl_audit_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_audit_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (!log || !key_arg || optind != argc) {
        fprintf(stderr, "certctl audit: --log and --key are required\n");
        return CERTCTL_EXIT_USAGE;
    }
    certlib_note_verifier key;
    if (certctl_load_log_key("audit", key_arg, &key) || certctl_witness_done("audit", &witnesses))
        return CERTCTL_EXIT_USAGE;

    int status = CERTCTL_EXIT_USAGE;
    uint8_t *cp_text = NULL;
    if (certctl_source_open(&src, log, token, cacert, mirror)) goto done;

    /* The checkpoint, then the one seen last time. */
    size_t cp_len;
    int rc = certctl_fetch(&src, "checkpoint", &cp_text, &cp_len);
    if (rc) {
        if (rc == 1) fprintf(stderr, "certctl audit: %s has no checkpoint\n", src.base);
        goto done;
    }
    certlib_checkpoint cp, old;
    certlib_err e = certlib_checkpoint_open((const char *)cp_text, cp_len, &key, &cp);
    if (e) {
        fprintf(stderr,
                "certctl audit: INCONSISTENT: the checkpoint does not verify under the key: %s (%s)\n",
                certlib_strerror(e), certlib_err_name(e));
        status = CERTCTL_EXIT_INVALID;
        goto done;
    }
    if (witnesses.quorum) { /* the checkpoint seen by enough witnesses: no split view of this log */
        size_t valid = 0;
        e = certlib_cosignatures_verify((const char *)cp_text, cp_len, witnesses.keys, witnesses.n, &valid);
        if (e || valid < witnesses.quorum) {
            fprintf(stderr, "certctl audit: NOT WITNESSED: %s\n",
                    e ? "a cosignature under a witness's key does not verify (forged)"
                      : "too few cosignatures");
            fprintf(stderr,
                    "certctl audit: %zu of the %zu witnesses given cosigned it; the policy asks %zu\n", valid,
                    witnesses.n, witnesses.quorum);
            status = CERTCTL_EXIT_INVALID;
            goto done;
        }
    }
    bool have_old;
    if (read_state(state, &key, &old, &have_old)) goto done;
    if (have_old) {
        if (old.size > cp.size) {
            fprintf(stderr,
                    "certctl audit: INCONSISTENT: HISTORY REWRITTEN: the log shrank from %llu entries (seen "
                    "before) to %llu\n",
                    (unsigned long long)old.size, (unsigned long long)cp.size);
            status = CERTCTL_EXIT_INVALID;
            goto done;
        }
        a.old_size = old.size;
        memcpy(a.old_root, old.root, CERTLIB_TLOG_HASH_LEN);
        check_old_root(&a); /* size 0 */
    } else {
        a.old_checked = true;
    }
    a.src = &src;

    /* Every entry bundle, in order. */
    uint64_t bundles = (cp.size + CERTLIB_TLOG_TILE_WIDTH - 1) / CERTLIB_TLOG_TILE_WIDTH;
    for (uint64_t b = 0; b < bundles; b++) {
        certlib_tile t = certlib_tile_for(-1, b * CERTLIB_TLOG_TILE_WIDTH, cp.size);
        char path[128];
        uint8_t *bundle;
        size_t len;
        if (certlib_tile_path(&t, path, sizeof(path)) != CERTLIB_OK) goto done;
        rc = certctl_fetch(&src, path, &bundle, &len);
        if (rc < 0) goto done;
        if (rc == 1) {
            report("the log does not serve %s", path);
            break;
        }
        uint64_t before = a.tree.leaves;
        e = certlib_entry_bundle_each(bundle, len, t.width, on_entry, &a);
        free(bundle);
        if (e == CERTLIB_E_IO_READ) goto done;
        if (e) {
            report("%s is truncated or holds the wrong number of entries", path);
            break;
        }
        if (a.tree.leaves != before + t.width) break;
        if (!quiet) progress(a.tree.leaves, cp.size, false);
    }
    if (a.tree.leaves == cp.size) {
        for (unsigned L = 0; L < 8; L++) /* the partial tiles at the right edge */
            if (compare_tile(&src, &a.tree, L, true)) goto done;
        certlib_tlog_hash root;
        root_of(&a.tree, root);
        if (memcmp(root, cp.root, CERTLIB_TLOG_HASH_LEN) != 0)
            report("%s", "the entries do not add up to the checkpoint's root hash");
    }
    if (!quiet) progress(a.tree.leaves, cp.size, true);
    if (g_failures == 0 && state) {
        if (certctl_write_file("audit", state, cp_text, cp_len) != 0) goto done;
    }
    fprintf(stderr,
            "certctl audit: %s: %llu entries (%llu issuances, %llu status changes, %llu lookups, %llu "
            "verifications)%s%s\n",
            cp.origin, (unsigned long long)a.tree.leaves, (unsigned long long)a.kinds[CERTLIB_LOG_ISSUE],
            (unsigned long long)a.kinds[CERTLIB_LOG_STATUS], (unsigned long long)a.kinds[CERTLIB_LOG_LOOKUP],
            (unsigned long long)a.kinds[CERTLIB_LOG_VERIFY], g_failures ? ": INCONSISTENT" : ": consistent",
            g_failures || !have_old ? "" : " with the checkpoint seen last time");
    if (a.issuer) fprintf(stderr, "certctl audit: %llu licences listed\n", (unsigned long long)a.listed);
    status = g_failures ? CERTCTL_EXIT_INVALID : CERTCTL_EXIT_OK;
done:
    for (unsigned L = 0; L < 8; L++)
        free(a.tree.tiles[L]);
    free(cp_text);
    certctl_source_close(&src);
    return status;
}
