/* certctl trace: traces a disclosed copy back to the access that released it (数据水印溯源). From a
 * disclosure mark (or the ELM1: reference printed on a paper copy) it finds the access-log entry that
 * recorded the release, proves the entry is in the log's signed checkpoint with an inclusion proof
 * computed from the log's tiles, checks that the entry is the one the mark describes, and that each
 * licence shown with the mark is one it was given for. The tiles are untrusted: everything read from
 * them is checked against the checkpoint's root. */
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certctl_fetch.h"
#include "certlib/logentry.h"
#include "certlib/mark.h"
#include "certlib/tlog.h"

#define MAX_LICENCES 16

void certctl_trace_usage(FILE *out)
{
    fprintf(
        out,
        "usage: certctl trace --log URL|DIR --key KEY (--mark FILE | --reference REF)\n"
        "                     [--licence FILE]... [--token FILE] [--cacert FILE]\n"
        "\n"
        "Traces a disclosed copy to the access that released it: checks the disclosure mark's\n"
        "signature under the access log's key, finds the access-log entry it names, proves that\n"
        "entry is in the log's signed checkpoint, checks the entry is the access the mark describes\n"
        "(counter, matter, use cause, time, released licences) and that each licence given is one\n"
        "the mark was released with. Prints who was given the copy, for what and when.\n"
        "\n"
        "  --log URL|DIR    the access log: http(s)://host/log/access, or a directory mirroring it\n"
        "  --key KEY        the access log's C2SP verifier key, or a file holding it\n"
        "  --mark FILE      the signed mark (the \"mark\" of an answer's \"disclosure\")\n"
        "  --reference REF  instead, a printed copy's ELM1: reference (its QR code), or a file holding it\n"
        "  --licence FILE   a licence found with the mark: CBOR, EL1: QR text or base64url (repeatable)\n"
        "  --token FILE     a bearer token (the access log is for auditors only)\n"
        "  --cacert FILE    CA certificate(s) for an https URL\n"
        "\n"
        "Exit status: 0 traced; 1 refused (an altered mark, a licence it was not given for, an entry\n"
        "that is absent, not yet in a checkpoint or not the one named, a proof that fails); 2 on usage\n"
        "errors or when the log cannot be reached.\n");
}

/* The hash tiles read so far, one per tile level (a proof needs at most one tile of each). */
struct tiles {
    struct certctl_source *src;
    uint64_t size;
    uint8_t *hashes[8];
    certlib_tile tile[8];
    bool unreachable;
};

static certlib_err tile_hash(struct tiles *t, unsigned L, uint64_t index, certlib_tlog_hash out)
{
    certlib_tile want = certlib_tile_for((int)L, index, t->size);
    if (!t->hashes[L] || t->tile[L].index != want.index || t->tile[L].width != want.width) {
        char path[128];
        uint8_t *bytes;
        size_t len;
        if (certlib_tile_path(&want, path, sizeof(path)) != CERTLIB_OK) return CERTLIB_E_TILE;
        int rc = certctl_fetch(t->src, path, &bytes, &len);
        if (rc < 0) t->unreachable = true;
        if (rc) return rc < 0 ? CERTLIB_E_IO_READ : CERTLIB_E_TILE;
        if (len != (size_t)want.width * CERTLIB_TLOG_HASH_LEN) {
            free(bytes);
            return CERTLIB_E_TILE;
        }
        free(t->hashes[L]);
        t->hashes[L] = bytes;
        t->tile[L] = want;
    }
    uint64_t at = index % CERTLIB_TLOG_TILE_WIDTH;
    if (at >= t->tile[L].width) return CERTLIB_E_TILE;
    memcpy(out, t->hashes[L] + at * CERTLIB_TLOG_HASH_LEN, CERTLIB_TLOG_HASH_LEN);
    return CERTLIB_OK;
}

/* The stored hash (level, index) from the tile of level/8: read, or hashed up from the 2^(level%8)
 * hashes under it, which that tile holds too. */
static certlib_err read_stored(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    struct tiles *t = arg;
    unsigned L = level / CERTLIB_TLOG_TILE_HEIGHT, below = level % CERTLIB_TLOG_TILE_HEIGHT;
    if (L >= 8) return CERTLIB_E_TLOG_INDEX;
    if (below == 0) return tile_hash(t, L, index, out);
    certlib_tlog_hash left, right;
    certlib_err e = read_stored(arg, level - 1, index * 2, left);
    if (!e) e = read_stored(arg, level - 1, index * 2 + 1, right);
    if (!e) certlib_tlog_node_hash(left, right, out);
    return e;
}

struct pick {
    uint64_t want;
    uint8_t *entry;
    size_t len;
};

static certlib_err pick_entry(void *arg, uint64_t i, const uint8_t *entry, size_t len)
{
    struct pick *p = arg;
    if (i == p->want && (p->entry = malloc(len ? len : 1))) {
        memcpy(p->entry, entry, len);
        p->len = len;
    }
    return CERTLIB_OK;
}

#define refuse(...) certctl_refuse("trace", __VA_ARGS__)

/* Entry `index` of the log whose checkpoint is `cp`, proven in it. CERTCTL_EXIT_OK, or the status. */
static int proven_entry(struct certctl_source *src, const certlib_checkpoint *cp, uint64_t index,
                        struct pick *p, certlib_tlog_hash leaf)
{
    if (index >= cp->size)
        return refuse("the log's checkpoint (%llu entries) has no entry %llu: it is absent, or not yet "
                      "published",
                      (unsigned long long)cp->size, (unsigned long long)index);
    certlib_tile t = certlib_tile_for(-1, index, cp->size);
    char path[128];
    uint8_t *bundle;
    size_t len;
    if (certlib_tile_path(&t, path, sizeof(path)) != CERTLIB_OK) return CERTCTL_EXIT_USAGE;
    int rc = certctl_fetch(src, path, &bundle, &len);
    if (rc) return rc < 0 ? CERTCTL_EXIT_USAGE : refuse("the log does not serve %s", path);
    p->want = index % CERTLIB_TLOG_TILE_WIDTH;
    certlib_err e = certlib_entry_bundle_each(bundle, len, t.width, pick_entry, p);
    free(bundle);
    if (e || !p->entry) return refuse("%s is malformed or lacks entry %llu", path, (unsigned long long)index);
    certlib_tlog_leaf_hash(p->entry, p->len, leaf);

    struct tiles tiles = {.src = src, .size = cp->size};
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n = 0;
    e = certlib_tlog_inclusion_proof(index, cp->size, read_stored, &tiles, proof, &n);
    for (unsigned L = 0; L < 8; L++)
        free(tiles.hashes[L]);
    if (tiles.unreachable) return CERTCTL_EXIT_USAGE;
    if (!e)
        e = certlib_tlog_verify_inclusion(index, cp->size, leaf, (const certlib_tlog_hash *)proof, n,
                                          cp->root);
    if (e)
        return refuse("entry %llu is not proven in the log's checkpoint: %s (%s)", (unsigned long long)index,
                      certlib_strerror(e), certlib_err_name(e));
    return CERTCTL_EXIT_OK;
}

static void print_field(const char *name, certlib_slice s)
{
    printf("  %-10s %.*s\n", name, (int)s.len, s.len ? (const char *)s.ptr : "-");
}

static void print_entry(const certlib_log_entry *e, uint64_t index, const certlib_checkpoint *cp)
{
    char when[32];
    certctl_format_time(e->time, when);
    printf("traced: entry %llu of %s (proven in its checkpoint of %llu entries)\n", (unsigned long long)index,
           cp->origin, (unsigned long long)cp->size);
    printf("  %-10s %s\n", "access", e->kind == CERTLIB_LOG_LOOKUP ? "lookup" : "verify");
    print_field("counter", e->client);
    print_field("matter", e->matter);
    printf("  %-10s %s\n", "use cause", e->text[0] ? e->text : "-");
    printf("  %-10s %s\n", "time", when);
    print_field("licences", e->licences);
}

int certctl_trace_main(int argc, char **argv)
{
    enum { O_LOG = 1, O_KEY, O_MARK, O_REFERENCE, O_LICENCE, O_TOKEN, O_CACERT };
    static const struct option options[] = {{"log", required_argument, NULL, O_LOG},
                                            {"key", required_argument, NULL, O_KEY},
                                            {"mark", required_argument, NULL, O_MARK},
                                            {"reference", required_argument, NULL, O_REFERENCE},
                                            {"licence", required_argument, NULL, O_LICENCE},
                                            {"token", required_argument, NULL, O_TOKEN},
                                            {"cacert", required_argument, NULL, O_CACERT},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *log = NULL, *key_arg = NULL, *mark_path = NULL, *reference = NULL, *token = NULL,
               *cacert = NULL, *licences[MAX_LICENCES];
    size_t n_licences = 0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case O_LOG:
            log = optarg;
            break;
        case O_KEY:
            key_arg = optarg;
            break;
        case O_MARK:
            mark_path = optarg;
            break;
        case O_REFERENCE:
            reference = optarg;
            break;
        case O_TOKEN:
            token = optarg;
            break;
        case O_CACERT:
            cacert = optarg;
            break;
        case O_LICENCE:
            if (n_licences == MAX_LICENCES)
                return fprintf(stderr, "certctl trace: at most %d --licence\n", MAX_LICENCES),
                       CERTCTL_EXIT_USAGE;
            licences[n_licences++] = optarg;
            break;
        case 'h':
            certctl_trace_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_trace_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (!log || !key_arg || !mark_path == !reference || optind != argc || (reference && n_licences)) {
        fprintf(stderr, "certctl trace: give --log, --key and one of --mark or --reference (a reference "
                        "names no licence bytes: --licence goes with --mark)\n");
        return CERTCTL_EXIT_USAGE;
    }
    certlib_note_verifier key;
    if (certctl_load_log_key("trace", key_arg, &key)) return CERTCTL_EXIT_USAGE;

    /* What the copy says: the mark, checked under the key, or the printed reference. */
    static certlib_mark mark;
    uint64_t index;
    certlib_tlog_hash named;
    if (mark_path) {
        uint8_t *text;
        size_t len;
        if (certctl_read_file("trace", mark_path, CERTLIB_MARK_MAX, &text, &len)) return CERTCTL_EXIT_USAGE;
        certlib_err e = certlib_mark_open((const char *)text, len, &key, &mark);
        free(text);
        if (e)
            return refuse("the mark does not verify under the access log's key: %s (%s)", certlib_strerror(e),
                          certlib_err_name(e));
        index = mark.index;
        memcpy(named, mark.entry_hash, sizeof(named));
    } else {
        size_t len;
        char *text = certctl_text_arg("trace", reference, &len);
        if (!text) return CERTCTL_EXIT_USAGE;
        certlib_err e = certlib_mark_reference_parse(text, len, &index, named);
        free(text);
        if (e) return refuse("not an ELM1: reference: %s (%s)", certlib_strerror(e), certlib_err_name(e));
    }

    /* The log as it is now: its checkpoint, the entry, and the proof between them. */
    struct certctl_source src;
    int status = CERTCTL_EXIT_USAGE;
    uint8_t *cp_text = NULL;
    struct pick entry = {0};
    if (certctl_source_open(&src, log, token, cacert, NULL)) goto done;
    size_t cp_len;
    int rc = certctl_fetch(&src, "checkpoint", &cp_text, &cp_len);
    if (rc) {
        if (rc == 1) fprintf(stderr, "certctl trace: %s has no checkpoint\n", src.base);
        goto done;
    }
    certlib_checkpoint cp;
    certlib_err e = certlib_checkpoint_open((const char *)cp_text, cp_len, &key, &cp);
    if (e) {
        status = refuse("the log's checkpoint does not verify under the key: %s (%s)", certlib_strerror(e),
                        certlib_err_name(e));
        goto done;
    }
    certlib_tlog_hash leaf;
    if ((status = proven_entry(&src, &cp, index, &entry, leaf)) != CERTCTL_EXIT_OK) goto done;
    if (memcmp(leaf, named, sizeof(leaf)) != 0) {
        status = refuse("entry %llu of the log is not the one the %s names", (unsigned long long)index,
                        mark_path ? "mark" : "reference");
        goto done;
    }
    if (mark_path && certlib_mark_check_entry(&mark, entry.entry, entry.len) != CERTLIB_OK) {
        status = refuse("the mark does not describe entry %llu (%s)", (unsigned long long)index,
                        certlib_err_name(CERTLIB_E_MARK_ENTRY));
        goto done;
    }
    static certlib_log_entry parsed;
    if (certlib_log_entry_parse(entry.entry, entry.len, &parsed) != CERTLIB_OK ||
        (parsed.kind != CERTLIB_LOG_LOOKUP && parsed.kind != CERTLIB_LOG_VERIFY)) {
        status = refuse("entry %llu is not an access-log entry", (unsigned long long)index);
        goto done;
    }

    /* The copies found with the mark: each must be one it was released with. */
    for (size_t i = 0; i < n_licences; i++) {
        uint8_t *bytes;
        size_t len;
        if ((status = certctl_read_licence("trace", licences[i], &bytes, &len)) != CERTCTL_EXIT_OK) goto done;
        bool named_licence = certlib_mark_names(&mark, bytes, len);
        free(bytes);
        if (!named_licence) {
            status = refuse("%s is not a licence the mark was given for (%s)", licences[i],
                            certlib_err_name(CERTLIB_E_MARK_LICENCE));
            goto done;
        }
    }
    print_entry(&parsed, index, &cp);
    if (mark_path)
        printf("  %-10s %zu released with the mark%s\n", "copies", mark.n_licences,
               n_licences ? "; every --licence given is one of them" : "");
    status = CERTCTL_EXIT_OK;
done:
    free(entry.entry);
    free(cp_text);
    certctl_source_close(&src);
    return status;
}
