/* libFuzzer target for authd's batch reader (authd/batch_numbers.h), differential: whatever it reads as
 * the plain form, jansson must read to an object holding only "numbers", an array of the same strings;
 * and it must never read outside the input (ASan). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch_numbers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct authd_batch_numbers got;
    enum authd_batch_read r = authd_batch_numbers_read((const char *)data, size, 64, &got);
    if (r != AUTHD_BATCH_READ && r != AUTHD_BATCH_TOO_MANY) return 0;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    json_t *numbers = json_object_get(doc, "numbers");
    if (!doc || json_object_size(doc) != 1 || !json_is_array(numbers) || json_array_size(numbers) != got.n)
        abort();
    for (size_t i = 0; r == AUTHD_BATCH_READ && i < got.n; i++) {
        json_t *s = json_array_get(numbers, i);
        size_t len = got.offsets[i + 1] - got.offsets[i];
        if (!json_is_string(s) || json_string_length(s) != len ||
            memcmp(json_string_value(s), got.strings + got.offsets[i], len) != 0)
            abort();
    }
    json_decref(doc);
    free(got.strings);
    free(got.offsets);
    return 0;
}
