/* GB/T 2260 administrative division codes (行政区划代码).
 *
 * Identity numbers keep the address code of the county where the number was assigned, even after that
 * county is merged away, and USCCs carry the region of registration. So a code is acceptable when it
 * appeared in any published revision of GB/T 2260 (1980-12 to 2019-04 in the built-in table), not
 * only in the latest one. The built-in table is compiled into the library; a deployment that must
 * accept codes published after the table was made adds them to its own certlib_regions.
 */
#ifndef CERTLIB_REGION_H
#define CERTLIB_REGION_H

#include <stdbool.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A region table: the built-in GB/T 2260 codes plus any a deployment added. Immutable once built, so
 *  one table may be shared by any number of threads checking identifiers. NULL wherever a
 *  `const certlib_regions *` is taken means the built-in table. */
typedef struct certlib_regions certlib_regions;

/** What the table knows of one code. `name` is borrowed from the table and lives as long as it. */
typedef struct certlib_region_info {
    uint32_t code;    /* six digits, e.g. 330902 */
    uint32_t first;   /* earliest GB/T 2260 revision listing it, YYYYMM; 0 if added by configuration */
    uint32_t last;    /* latest revision listing it, YYYYMM; 0 if added by configuration */
    const char *name; /* UTF-8 name in the latest revision listing it, e.g. "定海区" */
} certlib_region_info;

/** Creates a table holding the built-in codes, to which certlib_regions_add can add more.
 *  Free it with certlib_regions_free. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_regions_new(certlib_regions **out);
CERTLIB_API void certlib_regions_free(certlib_regions *regions);

/** Adds (or renames) a code. `code` must be six digits with a non-zero province part
 *  (CERTLIB_E_REGION_CODE otherwise); `name` is UTF-8 (CERTLIB_E_IDENT_ENCODING otherwise) and is
 *  copied. Not thread-safe: finish adding before sharing the table. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_regions_add(certlib_regions *regions, uint32_t code,
                                                              const char *name, size_t name_len);

/** Adds every code of a file in the built-in data format: UTF-8 text, `#` comments, then a header
 *  line and tab-separated `code first last name` rows. On a bad row, returns the error and writes its
 *  1-based line number to `*bad_line` (when not NULL); rows before it stay added. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_regions_load_tsv(certlib_regions *regions, const char *path,
                                                                   size_t *bad_line);

/** Number of codes in the table (built-in plus added). */
CERTLIB_API size_t certlib_regions_count(const certlib_regions *regions);

/** True when `code` appeared in some GB/T 2260 revision or was added to `regions`. O(1). */
CERTLIB_API bool certlib_region_exists(const certlib_regions *regions, uint32_t code);

/** Fills `out` for one code; CERTLIB_E_IDENT_REGION when the table does not hold it. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_region_lookup(const certlib_regions *regions, uint32_t code,
                                                                certlib_region_info *out);

/** Writes the full place name of a county-level code, province first, e.g. 330902 → "浙江省 舟山市
 *  定海区", skipping levels the table does not hold and placeholder levels such as 市辖区. Always
 *  NUL-terminates when cap > 0. Returns the length the full text needs (excluding the NUL), like
 *  snprintf; 0 when no level of the code is known. */
CERTLIB_API size_t certlib_region_describe(const certlib_regions *regions, uint32_t code, char *buf,
                                           size_t cap);

#ifdef __cplusplus
}
#endif
#endif
