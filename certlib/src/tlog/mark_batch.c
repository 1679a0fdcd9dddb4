/* Batched disclosure marks: many marks' texts under one signed Merkle root (mark.h). */
#include <stdio.h>
#include <string.h>

#include "certlib/mark.h"
#include "tlog/tlog_internal.h"

#define BATCH_HEADER "disclosure-batch/v1"
#define BATCH_LINE "batch "

/* Where the first empty line of s[0..len) starts (its '\n'), or NULL: a mark's text has none. */
static const char *first_empty_line(const char *s, size_t len)
{
    for (size_t i = 1; i < len; i++)
        if (s[i] == '\n' && s[i - 1] == '\n') return s + i;
    return NULL;
}

certlib_err certlib_mark_batch_format(const char *origin, uint64_t size, const certlib_tlog_hash root,
                                      char *out, size_t cap, size_t *out_len)
{
    if (!origin || !root || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    if (!origin[0] || strchr(origin, '\n') || size == 0) return CERTLIB_E_MARK;
    char r[CERTLIB__MARK_HASH + 1];
    certlib__mark_hash_text(root, r);
    int n = snprintf(out, cap, "%s\n" BATCH_HEADER " %llu %s\n", origin, (unsigned long long)size, r);
    if (n < 0 || (size_t)n >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    *out_len = (size_t)n;
    return CERTLIB_OK;
}

certlib_err certlib_mark_batched(const char *text, size_t text_len, uint64_t position,
                                 const certlib_tlog_hash *path, size_t n_path, const char *batch_note,
                                 size_t note_len, char *out, size_t cap, size_t *out_len)
{
    if (!text || (n_path && !path) || !batch_note || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    if (text_len == 0 || text[text_len - 1] != '\n' || first_empty_line(text, text_len) || note_len == 0 ||
        batch_note[note_len - 1] != '\n' || n_path > CERTLIB_TLOG_MAX_PROOF)
        return CERTLIB_E_MARK;
    int head = snprintf(NULL, 0, "\n" BATCH_LINE "%llu\n", (unsigned long long)position);
    size_t need = text_len + (size_t)head + n_path * (CERTLIB__MARK_HASH + 1) + 1 + note_len;
    if (head < 0 || need >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    char *p = out;
    memcpy(p, text, text_len);
    p += text_len;
    p += snprintf(p, cap - (size_t)(p - out), "\n" BATCH_LINE "%llu\n", (unsigned long long)position);
    for (size_t i = 0; i < n_path; i++) {
        certlib__mark_hash_text(path[i], p);
        p += CERTLIB__MARK_HASH;
        *p++ = '\n';
    }
    *p++ = '\n';
    memcpy(p, batch_note, note_len);
    p += note_len;
    *p = '\0';
    *out_len = (size_t)(p - out);
    return CERTLIB_OK;
}

bool certlib__mark_is_batched(const char *mark, size_t len)
{
    const char *empty = first_empty_line(mark, len);
    size_t rest = empty ? len - (size_t)(empty + 1 - mark) : 0;
    return rest >= strlen(BATCH_LINE) && memcmp(empty + 1, BATCH_LINE, strlen(BATCH_LINE)) == 0;
}

/* The batch note's text, "<origin>\ndisclosure-batch/v1 <size> <root>\n", into its size and root;
 * only the one spelling certlib_mark_batch_format writes. */
static certlib_err batch_parse(const char *text, size_t len, const char *origin, uint64_t *size,
                               certlib_tlog_hash root)
{
    size_t o = strlen(origin), h = strlen(BATCH_HEADER);
    if (len < o + 1 || memcmp(text, origin, o) != 0 || text[o] != '\n') return CERTLIB_E_LOG_ORIGIN;
    if (len < o + 1 + h + 1 || memcmp(text + o + 1, BATCH_HEADER " ", h + 1) != 0) return CERTLIB_E_MARK;
    const char *num = text + o + 1 + h + 1, *end = text + len;
    const char *space = memchr(num, ' ', (size_t)(end - num));
    if (!space || certlib__parse_u64(num, (size_t)(space - num), size) || *size == 0 ||
        (size_t)(end - space) != 1 + CERTLIB__MARK_HASH + 1 ||
        !certlib__mark_hash_parse(space + 1, CERTLIB__MARK_HASH, root) || end[-1] != '\n')
        return CERTLIB_E_MARK;
    return CERTLIB_OK;
}

certlib_err certlib__mark_open_batched(const char *mark, size_t len, const certlib_note_verifier *log,
                                       certlib_mark *out)
{
    const char *empty = first_empty_line(mark, len), *end = mark + len;
    size_t text_len = (size_t)(empty - mark); /* through the text's last newline */
    const char *p = empty + 1 + strlen(BATCH_LINE);
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    uint64_t position;
    if (!nl || certlib__parse_u64(p, (size_t)(nl - p), &position)) return CERTLIB_E_MARK;
    certlib_tlog_hash path[CERTLIB_TLOG_MAX_PROOF];
    size_t n_path = 0;
    for (p = nl + 1; p < end && *p != '\n'; p += CERTLIB__MARK_HASH + 1) {
        if (n_path == CERTLIB_TLOG_MAX_PROOF || end - p < CERTLIB__MARK_HASH + 1 ||
            p[CERTLIB__MARK_HASH] != '\n' || !certlib__mark_hash_parse(p, CERTLIB__MARK_HASH, path[n_path]))
            return CERTLIB_E_MARK;
        n_path++;
    }
    if (p >= end) return CERTLIB_E_MARK; /* no empty line before the batch note */
    const char *note = p + 1;
    size_t note_len = (size_t)(end - note), note_text_len, verified;
    certlib_err err = certlib_note_open(note, note_len, log, 1, &note_text_len, &verified);
    if (err) return err;
    uint64_t size;
    certlib_tlog_hash root, leaf;
    if ((err = batch_parse(note, note_text_len, log->name, &size, root))) return err;
    certlib_tlog_leaf_hash((const uint8_t *)mark, text_len, leaf);
    if (position >= size ||
        certlib_tlog_verify_inclusion(position, size, leaf, path, n_path, root) != CERTLIB_OK)
        return CERTLIB_E_NOTE_SIGNATURE; /* the signed root does not cover this text */
    return certlib__mark_text_open(mark, text_len, log, out);
}
