/* Disclosure marks: their text, reference and checks against the access log (mark.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"
#include "base/utf8.h"
#include "certlib/encoding.h"
#include "certlib/mark.h"
#include "crypto/crypto.h"
#include "tlog/tlog_internal.h"

#define MARK_HEADER "disclosure/v1"
#define REFERENCE_PREFIX "ELM1:"

void certlib__mark_hash_text(const uint8_t h[32], char out[CERTLIB__MARK_HASH + 1])
{
    out[certlib_base64url_encode(h, 32, out)] = '\0';
}

bool certlib__mark_hash_parse(const char *s, size_t len, uint8_t out[32])
{
    size_t n = 0;
    return len == CERTLIB__MARK_HASH && certlib_base64url_decode(s, len, out, 32, &n) == CERTLIB_OK &&
           n == 32;
}

/* A client id or matter code: a log entry's plain field (logentry.h), short enough for the mark. */
static bool plain_text(const char *s)
{
    size_t n = strlen(s);
    return n < CERTLIB_MARK_FIELD_MAX && certlib__log_plain((const uint8_t *)s, n);
}

certlib_err certlib_mark_format(const certlib_mark *m, char *out, size_t cap, size_t *out_len)
{
    if (!m || !out || !out_len || m->n_licences > CERTLIB_MARK_MAX_LICENCES)
        return CERTLIB_E_INVALID_ARGUMENT;
    if ((m->kind != CERTLIB_LOG_LOOKUP && m->kind != CERTLIB_LOG_VERIFY) || !plain_text(m->client) ||
        (m->matter[0] && !plain_text(m->matter)) || !m->origin[0] || strchr(m->origin, '\n'))
        return CERTLIB_E_MARK;
    char when[21], entry[CERTLIB__MARK_HASH + 1], cause[CERTLIB_LOG_FIELD_MAX * 3];
    certlib__tdate_format(m->time, when);
    certlib__mark_hash_text(m->entry_hash, entry);
    if (!certlib_log_field_encode(m->use_cause, strlen(m->use_cause), cause, sizeof(cause)))
        return CERTLIB_E_MARK;
    int n = snprintf(out, cap, "%s\n" MARK_HEADER " %llu %s\n%s %s %s %s %s\n", m->origin,
                     (unsigned long long)m->index, entry, m->kind == CERTLIB_LOG_LOOKUP ? "lookup" : "verify",
                     when, m->client, m->matter[0] ? m->matter : "-", cause);
    if (n < 0 || (size_t)n >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    size_t len = (size_t)n;
    for (size_t i = 0; i < m->n_licences; i++) {
        if (cap - len < CERTLIB__MARK_HASH + 2) return CERTLIB_E_BUFFER_TOO_SMALL;
        certlib__mark_hash_text(m->licences[i], out + len);
        len += CERTLIB__MARK_HASH;
        out[len++] = '\n';
        out[len] = '\0';
    }
    *out_len = len;
    return CERTLIB_OK;
}

/* The next line of [*p, end) without its newline; false at the end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
    if (*p >= end) return false;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl) return false; /* note text always ends with a newline */
    *line = *p;
    *len = (size_t)(nl - *p);
    *p = nl + 1;
    return true;
}

/* Splits a line at single spaces into exactly `n` non-empty fields. */
static bool split(const char *line, size_t len, certlib_slice *f, size_t n)
{
    size_t k = 0;
    const char *p = line, *end = line + len;
    while (k < n) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp) sp = end;
        if (sp == p) return false;
        f[k].ptr = (const uint8_t *)p;
        f[k++].len = (size_t)(sp - p);
        if (sp == end) break;
        p = sp + 1;
    }
    return k == n && (const char *)f[n - 1].ptr + f[n - 1].len == end;
}

static bool copy_field(certlib_slice f, char *out, size_t cap)
{
    if (f.len >= cap) return false;
    memcpy(out, f.ptr, f.len);
    out[f.len] = '\0';
    return f.len == 1 && out[0] == '-' ? (out[0] = '\0', true) : plain_text(out);
}

/* The text of a mark (without signatures), into *m; origin is the first line. */
static certlib_err mark_parse(const char *text, size_t len, certlib_mark *m)
{
    const char *p = text, *end = text + len, *line;
    size_t n;
    certlib_slice f[6];
    memset(m, 0, offsetof(certlib_mark, licences));
    if (!next_line(&p, end, &line, &n) || n == 0 || n >= sizeof(m->origin)) return CERTLIB_E_MARK;
    memcpy(m->origin, line, n);
    if (!next_line(&p, end, &line, &n) || !split(line, n, f, 3) || f[0].len != strlen(MARK_HEADER) ||
        memcmp(f[0].ptr, MARK_HEADER, f[0].len) != 0 ||
        certlib__parse_u64((const char *)f[1].ptr, f[1].len, &m->index) ||
        !certlib__mark_hash_parse((const char *)f[2].ptr, f[2].len, m->entry_hash))
        return CERTLIB_E_MARK;
    if (!next_line(&p, end, &line, &n) || !split(line, n, f, 5)) return CERTLIB_E_MARK;
    if (f[0].len == 6 && memcmp(f[0].ptr, "lookup", 6) == 0)
        m->kind = CERTLIB_LOG_LOOKUP;
    else if (f[0].len == 6 && memcmp(f[0].ptr, "verify", 6) == 0)
        m->kind = CERTLIB_LOG_VERIFY;
    else
        return CERTLIB_E_MARK;
    if (certlib__tdate_parse(f[1].ptr, f[1].len, &m->time) ||
        !copy_field(f[2], m->client, sizeof(m->client)) || !m->client[0] ||
        !copy_field(f[3], m->matter, sizeof(m->matter)))
        return CERTLIB_E_MARK;
    if (certlib__log_field_decode(f[4], m->use_cause, sizeof(m->use_cause))) return CERTLIB_E_MARK;
    while (next_line(&p, end, &line, &n)) {
        if (m->n_licences == CERTLIB_MARK_MAX_LICENCES ||
            !certlib__mark_hash_parse(line, n, m->licences[m->n_licences]))
            return CERTLIB_E_MARK;
        m->n_licences++;
    }
    return p == end ? CERTLIB_OK : CERTLIB_E_MARK;
}

certlib_err certlib__mark_text_open(const char *text, size_t len, const certlib_note_verifier *log,
                                    certlib_mark *out)
{
    certlib_err err = mark_parse(text, len, out);
    if (err) return err;
    /* one text per mark: no other spelling of a number, time or use cause is accepted */
    char again[CERTLIB_MARK_MAX];
    size_t again_len;
    if (certlib_mark_format(out, again, sizeof(again), &again_len) != CERTLIB_OK || again_len != len ||
        memcmp(again, text, len) != 0)
        return CERTLIB_E_MARK;
    return strcmp(out->origin, log->name) == 0 ? CERTLIB_OK : CERTLIB_E_LOG_ORIGIN;
}

void certlib_mark_digest(const uint8_t (*licences)[32], size_t n, uint8_t out[32])
{
    certlib__sha256((const uint8_t *)licences, n * 32, out);
}

void certlib_mark_licence_hash(const uint8_t *licence, size_t len, uint8_t out[32])
{
    certlib__sha256(licence, len, out);
}

static bool slice_is(certlib_slice s, const char *text)
{
    return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

certlib_err certlib_mark_check_entry(const certlib_mark *m, const uint8_t *entry, size_t len)
{
    if (!m || (!entry && len)) return CERTLIB_E_INVALID_ARGUMENT;
    certlib_tlog_hash leaf;
    certlib_tlog_leaf_hash(entry, len, leaf);
    certlib_log_entry e;
    uint8_t digest[32];
    certlib_mark_digest((const uint8_t(*)[32])m->licences, m->n_licences, digest);
    bool same = sodium_memcmp(leaf, m->entry_hash, sizeof(leaf)) == 0 &&
                certlib_log_entry_parse(entry, len, &e) == CERTLIB_OK && e.has_disclosed &&
                e.kind == m->kind && e.time == m->time && slice_is(e.client, m->client) &&
                slice_is(e.matter, m->matter) && strcmp(e.text, m->use_cause) == 0 &&
                memcmp(e.disclosed, digest, sizeof(digest)) == 0;
    return same ? CERTLIB_OK : CERTLIB_E_MARK_ENTRY;
}

bool certlib_mark_names(const certlib_mark *m, const uint8_t *licence, size_t len)
{
    uint8_t h[32];
    certlib__sha256(licence, len, h);
    for (size_t i = 0; m && i < m->n_licences; i++)
        if (memcmp(m->licences[i], h, sizeof(h)) == 0) return true;
    return false;
}

void certlib_mark_reference(const certlib_mark *m, char out[CERTLIB_MARK_REFERENCE_MAX])
{
    char hash[CERTLIB__MARK_HASH + 1];
    certlib__mark_hash_text(m->entry_hash, hash);
    snprintf(out, CERTLIB_MARK_REFERENCE_MAX, REFERENCE_PREFIX "%llu:%s", (unsigned long long)m->index, hash);
}

certlib_err certlib_mark_reference_parse(const char *text, size_t len, uint64_t *index,
                                         certlib_tlog_hash entry_hash)
{
    size_t prefix = strlen(REFERENCE_PREFIX);
    if (!text || !index || !entry_hash) return CERTLIB_E_INVALID_ARGUMENT;
    if (len < prefix + 2 + CERTLIB__MARK_HASH || memcmp(text, REFERENCE_PREFIX, prefix) != 0)
        return CERTLIB_E_MARK;
    const char *colon = memchr(text + prefix, ':', len - prefix);
    if (!colon || certlib__parse_u64(text + prefix, (size_t)(colon - text) - prefix, index) ||
        !certlib__mark_hash_parse(colon + 1, len - (size_t)(colon + 1 - text), entry_hash))
        return CERTLIB_E_MARK;
    return CERTLIB_OK;
}
