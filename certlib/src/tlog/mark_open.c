/* Opening a signed mark, signed alone or in a batch (mark.h): the one entry point above mark.c (the
 * mark's text) and mark_batch.c (the batched form). */
#include "certlib/mark.h"
#include "tlog/tlog_internal.h"

certlib_err certlib_mark_open(const char *note, size_t len, const certlib_note_verifier *log,
                              certlib_mark *out)
{
    if (!note || !log || !out) return CERTLIB_E_INVALID_ARGUMENT;
    if (len > CERTLIB_MARK_MAX) return CERTLIB_E_MARK;
    if (certlib__mark_is_batched(note, len)) return certlib__mark_open_batched(note, len, log, out);
    size_t text_len, verified;
    certlib_err err = certlib_note_open(note, len, log, 1, &text_len, &verified);
    if (err) return err;
    return certlib__mark_text_open(note, text_len, log, out);
}
