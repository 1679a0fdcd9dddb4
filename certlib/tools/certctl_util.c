/* File and time helpers shared by certctl's subcommands. */
#include <stdarg.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certctl.h"
#include "certlib/encoding.h"
#include "certlib/licence.h"
#include "certlib/qr.h"
#include "certlib/tlog.h"

int certctl_read_file(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "certctl %s: cannot open %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap >= max) break;
            cap = cap * 2 > max ? max : cap * 2;
            uint8_t *grown = realloc(buf, cap + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int failed = !buf || ferror(f);
    int too_big = buf && n == cap && cap >= max && fgetc(f) != EOF;
    if (f != stdin) fclose(f);
    if (failed || too_big) {
        fprintf(stderr, "certctl %s: cannot read %s: %s\n", cmd, path,
                too_big          ? "file too large"
                : failed && !buf ? "out of memory"
                                 : "read error");
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int certctl_write_file(const char *cmd, const char *path, const uint8_t *bytes, size_t len)
{
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(bytes, 1, len, stdout) != len || fflush(stdout) != 0) {
            fprintf(stderr, "certctl %s: error writing standard output\n", cmd);
            return -1;
        }
        return 0;
    }
    /* Write beside the target and rename, so a failed run never leaves half a licence behind. */
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) return -1;
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "certctl %s: cannot write %s: %s\n", cmd, path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + (int64_t)(yoe * 365 + yoe / 4 - yoe / 100 + doy) - 719468;
}

int certctl_parse_time(const char *s, int64_t *t)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    char tail = 0;
    int n = 0;
    if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) == 3 && n == 10) {
        if (s[10] == '\0') {
            *t = days_from_civil(y, mo, d) * 86400 - 8 * 3600; /* midnight in China Standard Time */
        } else if (sscanf(s + 10, "T%2u:%2u:%2u%c", &h, &mi, &sec, &tail) == 4 && tail == 'Z' &&
                   s[20] == '\0') {
            *t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
        } else {
            return -1;
        }
        return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 60 ? 0 : -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0) return -1;
    *t = v;
    return 0;
}

void certctl_format_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t);
}

char *certctl_text_arg(const char *cmd, const char *arg, size_t *len)
{
    uint8_t *text;
    if (access(arg, F_OK) != 0) { /* the text itself */
        *len = strlen(arg);
        return strdup(arg);
    }
    if (certctl_read_file(cmd, arg, 4096, &text, len)) return NULL;
    while (*len && (text[*len - 1] == '\n' || text[*len - 1] == '\r' || text[*len - 1] == ' '))
        (*len)--;
    text[*len] = '\0'; /* certctl_read_file leaves room for it */
    return (char *)text;
}

int certctl_load_log_key(const char *cmd, const char *arg, struct certlib_note_verifier *out)
{
    size_t len;
    char *key = certctl_text_arg(cmd, arg, &len);
    if (!key) return -1;
    certlib_err err = certlib_note_verifier_parse(key, len, out);
    free(key);
    if (err) {
        fprintf(stderr, "certctl %s: the log key is not a C2SP verifier key (<origin>+<id>+<base64 key>)\n",
                cmd);
        return -1;
    }
    return 0;
}

/* True when all of s is in the base64url alphabet (the form of licences in authd's JSON answers). */
static bool base64url_text(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-' || s[i] == '_'))
            return false;
    return len > 0;
}

int certctl_read_licence(const char *cmd, const char *path, uint8_t **out, size_t *len)
{
    uint8_t *bytes, *decoded = NULL;
    size_t n, decoded_len = 0;
    if (certctl_read_file(cmd, path, CERTLIB_LICENCE_MAX_BYTES * 2, &bytes, &n)) return CERTCTL_EXIT_USAGE;
    size_t text_len = n;
    while (text_len && (bytes[text_len - 1] == '\n' || bytes[text_len - 1] == '\r'))
        text_len--;
    size_t prefix = sizeof(CERTLIB_QR_PREFIX) - 1;
    certlib_err err = CERTLIB_OK;
    if (text_len >= prefix && memcmp(bytes, CERTLIB_QR_PREFIX, prefix) == 0) { /* scanned QR text */
        uint8_t *cbor;
        if (!(err = certlib_qr_decode((const char *)bytes, text_len, &cbor, &decoded_len))) {
            decoded = malloc(decoded_len ? decoded_len : 1);
            if (decoded) memcpy(decoded, cbor, decoded_len);
            certlib_free(cbor);
        }
    } else if (base64url_text(bytes, text_len)) {
        decoded = malloc(CERTLIB_BASE64URL_DECODED_MAX(text_len));
        if (decoded)
            err = certlib_base64url_decode((const char *)bytes, text_len, decoded,
                                           CERTLIB_BASE64URL_DECODED_MAX(text_len), &decoded_len);
    } else { /* CBOR as it is */
        *out = bytes;
        *len = n;
        return n > CERTLIB_LICENCE_MAX_BYTES ? (fprintf(stderr, "certctl %s: %s: too large\n", cmd, path),
                                                free(bytes), CERTCTL_EXIT_USAGE)
                                             : CERTCTL_EXIT_OK;
    }
    free(bytes);
    if (err) {
        free(decoded);
        fprintf(stderr, "certctl %s: %s: not valid QR or base64url text: %s (%s)\n", cmd, path,
                certlib_strerror(err), certlib_err_name(err));
        return CERTCTL_EXIT_INVALID;
    }
    if (!decoded) {
        fprintf(stderr, "certctl %s: out of memory\n", cmd);
        return CERTCTL_EXIT_USAGE;
    }
    *out = decoded;
    *len = decoded_len;
    return CERTCTL_EXIT_OK;
}

int certctl_witness_add(const char *cmd, const char *arg, struct certctl_witnesses *w)
{
    if (w->n == CERTCTL_MAX_WITNESSES)
        return fprintf(stderr, "certctl %s: at most %d --witness\n", cmd, CERTCTL_MAX_WITNESSES), -1;
    size_t len;
    char *key = certctl_text_arg(cmd, arg, &len);
    if (!key) return -1;
    certlib_err err = certlib_cosigner_parse(key, len, &w->keys[w->n]);
    free(key);
    if (err)
        return fprintf(stderr,
                       "certctl %s: --witness is not a cosigner key (<name>+<id>+<base64(0x04 || key)>)\n",
                       cmd),
               -1;
    w->n++;
    return 0;
}

int certctl_witness_quorum(const char *cmd, const char *arg, struct certctl_witnesses *w)
{
    char *end;
    unsigned long q = strtoul(arg, &end, 10);
    if (*end || q == 0 || q > CERTCTL_MAX_WITNESSES)
        return fprintf(stderr, "certctl %s: --quorum is 1 to %d\n", cmd, CERTCTL_MAX_WITNESSES), -1;
    w->quorum = q;
    return 0;
}

int certctl_witness_done(const char *cmd, struct certctl_witnesses *w)
{
    if (w->quorum > w->n)
        return fprintf(stderr, "certctl %s: --quorum %zu needs as many --witness keys\n", cmd, w->quorum), -1;
    if (w->n && !w->quorum) w->quorum = w->n;
    return 0;
}

int certctl_refuse(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "certctl %s: REFUSED: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CERTCTL_EXIT_INVALID;
}
