/* Parsing the text entries of authd's logs (the forms are in logentry.h). */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "certlib/logentry.h"
#include "base/timeutil.h"
#include "certlib/encoding.h"
#include "tlog/tlog_internal.h"
#include "base/utf8.h"

#define MAX_FIELDS 12

static int field_byte_ok(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != '%';
}

size_t certlib_log_field_encode(const char *s, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!out || cap < 2 || (!s && len)) return 0;
    if (len == 0) {
        out[0] = '-';
        out[1] = '\0';
        return 1;
    }
    if (!certlib__utf8_valid((const uint8_t *)s, len)) return 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = field_byte_ok(c) && !(i == 0 && len == 1 && c == '-');
        if (n + (plain ? 1 : 3) >= cap) return 0;
        if (plain) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
    return n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int certlib__log_field_decode(certlib_slice f, char *out, size_t cap)
{
    size_t n = 0;
    if (f.len == 1 && f.ptr[0] == '-') {
        out[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < f.len; i++) {
        int c = f.ptr[i];
        if (c == '%') {
            if (f.len - i < 3) return -1;
            int hi = hexval((char)f.ptr[i + 1]), lo = hexval((char)f.ptr[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            c = hi << 4 | lo;
            i += 2;
        } else if (!field_byte_ok((unsigned char)c)) {
            return -1;
        }
        if (n + 1 >= cap) return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return certlib__utf8_valid((const uint8_t *)out, n) ? 0 : -1;
}

static int is(certlib_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

/* A "-" field is absent: an empty slice. */
static certlib_slice optional(certlib_slice s)
{
    if (is(s, "-")) s.len = 0;
    return s;
}

/* Printable ASCII but '%': a table, because the auditor checks every byte of every entry. */
static const bool plain_byte[256] = {['!'] = 1, ['"' ... '$'] = 1, ['&' ... '~'] = 1};

int certlib__log_plain(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!plain_byte[s[i]]) return 0;
    return len > 0;
}

static int plain_field(certlib_slice s)
{
    return certlib__log_plain(s.ptr, s.len);
}

certlib_err certlib_log_entry_parse(const uint8_t *entry, size_t len, certlib_log_entry *out)
{
    if ((!entry && len) || !out) return CERTLIB_E_INVALID_ARGUMENT;
    memset(out, 0, offsetof(certlib_log_entry, text)); /* not the 1 KiB text: it is written when used */
    out->text[0] = '\0';
    if (len == 0 || len > CERTLIB_LOG_ENTRY_MAX) return CERTLIB_E_LOG_ENTRY;
    certlib_slice f[MAX_FIELDS];
    size_t n = 0;
    const uint8_t *p = entry, *end = entry + len;
    for (;;) { /* memchr: a byte loop here was most of certctl audit's time */
        const uint8_t *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp) sp = end;
        if (n == MAX_FIELDS || sp == p) return CERTLIB_E_LOG_ENTRY; /* too many, or an empty field */
        f[n].ptr = p;
        f[n].len = (size_t)(sp - p);
        n++;
        if (sp == end) break;
        p = sp + 1;
    }
    if (n < 3 || certlib__tdate_parse(f[2].ptr, f[2].len, &out->time)) return CERTLIB_E_LOG_ENTRY;

    if (is(f[0], "sig/v1")) {
        if (is(f[1], "issue") && n == 9)
            out->kind = CERTLIB_LOG_ISSUE;
        else if (is(f[1], "status") && n == 10)
            out->kind = CERTLIB_LOG_STATUS;
        else
            return CERTLIB_E_LOG_ENTRY;
        for (size_t i = 3; i < 7; i++)
            if (!plain_field(f[i])) return CERTLIB_E_LOG_ENTRY;
        out->licence_id = f[3];
        out->type_code = f[4];
        out->issuer = f[5];
        out->status_list = f[6];
        if (certlib__parse_u64((const char *)f[7].ptr, f[7].len, &out->status_idx))
            return CERTLIB_E_LOG_ENTRY;
        if (out->kind == CERTLIB_LOG_ISSUE) {
            size_t hl = 0;
            if (f[8].len != 43 ||
                certlib_base64url_decode((const char *)f[8].ptr, f[8].len, out->sig_hash,
                                         sizeof(out->sig_hash), &hl) ||
                hl != 32)
                return CERTLIB_E_LOG_ENTRY;
            return CERTLIB_OK;
        }
        if (!is(f[8], "valid") && !is(f[8], "revoked") && !is(f[8], "suspended")) return CERTLIB_E_LOG_ENTRY;
        out->status = f[8];
        return certlib__log_field_decode(f[9], out->text, sizeof(out->text)) ? CERTLIB_E_LOG_ENTRY
                                                                             : CERTLIB_OK;
    }

    /* v2 adds the disclosure digest (mark.h); v1 entries stay readable */
    bool v2 = is(f[0], "access/v2") && n == 10;
    if (v2 || (is(f[0], "access/v1") && n == 9)) {
        if (is(f[1], "lookup"))
            out->kind = CERTLIB_LOG_LOOKUP;
        else if (is(f[1], "verify"))
            out->kind = CERTLIB_LOG_VERIFY;
        else
            return CERTLIB_E_LOG_ENTRY;
        for (size_t i = 3; i < 8; i++)
            if (!plain_field(f[i])) return CERTLIB_E_LOG_ENTRY;
        out->client = f[3];
        out->matter = optional(f[4]);
        out->holder = optional(f[5]);
        out->outcome = f[6];
        out->licences = optional(f[7]);
        if (v2) {
            size_t hl = 0;
            if (f[9].len != 43 ||
                certlib_base64url_decode((const char *)f[9].ptr, f[9].len, out->disclosed,
                                         sizeof(out->disclosed), &hl) ||
                hl != 32)
                return CERTLIB_E_LOG_ENTRY;
            out->has_disclosed = true;
        }
        return certlib__log_field_decode(f[8], out->text, sizeof(out->text)) ? CERTLIB_E_LOG_ENTRY
                                                                             : CERTLIB_OK;
    }
    return CERTLIB_E_LOG_ENTRY;
}
