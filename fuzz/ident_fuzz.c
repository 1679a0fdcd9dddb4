/* libFuzzer target for the identifier checks: any bytes, checked singly and as a newline-split batch,
 * rendered as JSON (which must come out as valid UTF-8), masked and upgraded, and searched as free text
 * (what is found must lie inside the text and check valid on its own). */
#include <stdlib.h>
#include <string.h>

#include "certlib/ident.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    certlib_ident_opts opts = {.today = 20261122};
    certlib_ident r;
    certlib_err err = certlib_ident_check(s, size, &opts, &r);
    if (err != r.reason) abort();
    if (err == CERTLIB_OK && (r.normalized_len == 0 || strlen(r.normalized) != r.normalized_len)) abort();

    char json[4096];
    size_t need = certlib_ident_to_json(&r, NULL, s, size, json, sizeof(json));
    if (need >= sizeof(json) || !certlib__utf8_valid((const uint8_t *)json, need)) abort();

    char upgraded[19];
    if (certlib_ident_upgrade15(s, size, &opts, upgraded) == CERTLIB_OK) {
        certlib_ident again;
        if (certlib_ident_check(upgraded, 18, &opts, &again) != CERTLIB_OK) abort();
    }
    char *masked = malloc(size + 1);
    if (masked && certlib_ident_mask(s, size, 6, 4, masked, size + 1) == CERTLIB_OK && strlen(masked) != size)
        abort();
    free(masked);

    certlib_slice lines[64];
    certlib_ident results[64];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < 64; i++)
        if (i == size || data[i] == '\n') {
            lines[n++] = (certlib_slice){data + start, i - start};
            start = i + 1;
        }
    size_t valid = certlib_ident_check_batch(lines, n, &opts, results);
    if (valid > n) abort();

    certlib_ident found;
    size_t at = 0, len = 0;
    if (certlib_ident_find(s, size, &opts, &found, &at, &len)) {
        if (at > size || len > size - at || len < 15 || found.reason != CERTLIB_OK) abort();
        certlib_ident again;
        if (certlib_ident_check(found.normalized, found.normalized_len, &opts, &again) != CERTLIB_OK) abort();
    }
    return 0;
}
