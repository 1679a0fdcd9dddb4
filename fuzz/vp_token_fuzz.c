/* libFuzzer target for a wallet's vp_token (authd/vp_token.h), differential: whatever the plain reader
 * takes, jansson must read to an object of the same keys, each with one string of the same bytes; the
 * full reader never fails to give a reason or entries; and neither reads outside the input (ASan). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vp_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct authd_vp_token plain, full;
    if (authd_vp_token_read_plain(text, size, &plain)) {
        json_t *ref = json_loadb(text, size, 0, NULL);
        if (!json_is_object(ref) || json_object_size(ref) != plain.n) abort();
        for (size_t i = 0; i < plain.n; i++) {
            const struct authd_vp_entry *e = &plain.entries[i];
            char *key = strndup(e->id, e->id_len);
            json_t *list = json_object_get(ref, key), *p = json_array_get(list, 0);
            free(key);
            if (json_array_size(list) != 1 || !json_is_string(p) ||
                json_string_length(p) != e->presentation_len ||
                memcmp(json_string_value(p), e->presentation, e->presentation_len) != 0)
                abort();
        }
        json_decref(ref);
    }
    const char *why = authd_vp_token_read(text, size, &full);
    if (!why && (full.n == 0 || full.n > AUTHD_MATTER_MAX_NEEDS)) abort();
    authd_vp_token_free(&full);
    return 0;
}
