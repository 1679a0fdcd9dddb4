/* C2SP tlog-checkpoint: the signed text "<origin>\n<size>\n<base64 root>\n[extension lines]". */
#include <stdio.h>
#include <string.h>

#include "certlib/tlog.h"
#include "tlog/tlog_internal.h"
#include "base/utf8.h"

certlib_err certlib_checkpoint_format(const certlib_checkpoint *cp, char *out, size_t cap, size_t *out_len)
{
    if (!cp || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    size_t olen = strnlen(cp->origin, sizeof(cp->origin));
    if (olen == 0 || olen == sizeof(cp->origin) || memchr(cp->origin, '\n', olen))
        return CERTLIB_E_CHECKPOINT;
    char b64[48];
    certlib__b64_encode(cp->root, CERTLIB_TLOG_HASH_LEN, b64, sizeof(b64));
    int n = snprintf(out, cap, "%s\n%llu\n%s\n", cp->origin, (unsigned long long)cp->size, b64);
    if (n < 0 || (size_t)n >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    *out_len = (size_t)n;
    return CERTLIB_OK;
}

/* The next line of text[*pos..len) without its newline; -1 when there is no complete line left. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len)
{
    if (*pos >= len) return -1;
    const char *nl = memchr(text + *pos, '\n', len - *pos);
    if (!nl) return -1;
    *line = text + *pos;
    *line_len = (size_t)(nl - *line);
    *pos = (size_t)(nl - text) + 1;
    return 0;
}

certlib_err certlib_checkpoint_parse(const char *text, size_t len, certlib_checkpoint *out)
{
    if (!text || !out) return CERTLIB_E_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    size_t pos = 0, l;
    const char *line;
    if (next_line(text, len, &pos, &line, &l) || l == 0 || l >= sizeof(out->origin) ||
        !certlib__utf8_valid((const uint8_t *)line, l))
        return CERTLIB_E_CHECKPOINT;
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) return CERTLIB_E_CHECKPOINT;
    memcpy(out->origin, line, l);
    if (next_line(text, len, &pos, &line, &l) || certlib__parse_u64(line, l, &out->size))
        return CERTLIB_E_CHECKPOINT;
    size_t hlen;
    if (next_line(text, len, &pos, &line, &l) ||
        certlib__b64_decode(line, l, out->root, CERTLIB_TLOG_HASH_LEN, &hlen) ||
        hlen != CERTLIB_TLOG_HASH_LEN)
        return CERTLIB_E_CHECKPOINT;
    while (pos < len) /* extension lines: opaque, but each a non-empty line */
        if (next_line(text, len, &pos, &line, &l) || l == 0) return CERTLIB_E_CHECKPOINT;
    return CERTLIB_OK;
}

certlib_err certlib_checkpoint_open(const char *note, size_t len, const certlib_note_verifier *log,
                                    certlib_checkpoint *out)
{
    if (!note || !log || !out) return CERTLIB_E_INVALID_ARGUMENT;
    size_t tlen, verified;
    certlib_err e = certlib_note_open(note, len, log, 1, &tlen, &verified);
    if (e) return e;
    if ((e = certlib_checkpoint_parse(note, tlen, out))) return e;
    return strcmp(out->origin, log->name) == 0 ? CERTLIB_OK : CERTLIB_E_LOG_ORIGIN;
}
