/* The built-in GB/T 2260 table, generated at build time (data/gen_regions.py). Internal. */
#ifndef CERTLIB_REGION_TABLE_H
#define CERTLIB_REGION_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define CERTLIB_REGION_BITMAP_WORDS (1000000 / 64 + 1)

struct certlib__region_row {
    uint32_t code;
    uint32_t first; /* YYYYMM */
    uint32_t last;  /* YYYYMM */
    uint32_t name_offset;
};

extern const size_t certlib__region_row_count;
extern const uint64_t certlib__region_bits[CERTLIB_REGION_BITMAP_WORDS];
extern const char certlib__region_names[];
extern const struct certlib__region_row certlib__region_rows[];

struct certlib_regions;
/* The existence bitmap of a table (the built-in one for NULL): one bit per six-digit code. */
const uint64_t *certlib__regions_bitmap(const struct certlib_regions *regions);

#endif
