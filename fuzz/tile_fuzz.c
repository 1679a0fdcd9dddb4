/* libFuzzer target for C2SP tiles: any bytes as a tile path (what parses formats back to itself) and
 * as an entry bundle (the first byte is how many entries it should hold). */
#include <stdlib.h>
#include <string.h>

#include "certlib/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static certlib_err count(void *arg, uint64_t i, const uint8_t *entry, size_t len)
{
    size_t *total = arg;
    (void)i;
    (void)entry;
    *total += len;
    return CERTLIB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_tile t;
    if (certlib_tile_parse_path((const char *)data, size, &t) == CERTLIB_OK) {
        char back[128];
        if (certlib_tile_path(&t, back, sizeof(back)) != CERTLIB_OK || strlen(back) != size ||
            memcmp(back, data, size) != 0)
            abort();
    }
    if (size == 0) return 0;
    size_t total = 0;
    if (certlib_entry_bundle_each(data + 1, size - 1, data[0], count, &total) == CERTLIB_OK &&
        total + 2u * data[0] != size - 1)
        abort();
    return 0;
}
