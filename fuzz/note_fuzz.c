/* libFuzzer target for C2SP signed notes and checkpoints: any bytes opened as a note under two keys
 * (the signed-note spec's example key and the example signature log's), then as a checkpoint. */
#include <stdlib.h>
#include <string.h>

#include "certlib/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const vkeys[] = {
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "authd.hangzhou.example/log/signatures+cbb6bb74+AZJcIPSaxFhOFHoZqMB4P7+3I+OMbk11W0Qx9t5FgUTg",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_note_verifier v[2];
    for (int i = 0; i < 2; i++)
        if (certlib_note_verifier_parse(vkeys[i], strlen(vkeys[i]), &v[i]) != CERTLIB_OK) abort();
    const char *note = (const char *)data;
    size_t text_len, verified;
    if (certlib_note_open(note, size, v, 2, &text_len, &verified) == CERTLIB_OK) {
        if (text_len == 0 || text_len > size || note[text_len - 1] != '\n' || verified == 0) abort();
    }
    certlib_checkpoint cp;
    if (certlib_checkpoint_parse(note, size, &cp) == CERTLIB_OK) {
        char text[512];
        size_t len;
        /* what parses formats back to the same first three lines */
        if (certlib_checkpoint_format(&cp, text, sizeof(text), &len) == CERTLIB_OK &&
            (len > size || memcmp(text, note, len) != 0))
            abort();
    }
    (void)certlib_checkpoint_open(note, size, &v[1], &cp);
    certlib_note_verifier parsed;
    (void)certlib_note_verifier_parse(note, size, &parsed);
    return 0;
}
