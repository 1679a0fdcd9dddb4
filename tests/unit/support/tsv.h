/* Reads the tab-separated vector files under tests/vectors/: '#' comments, one header row, then rows.
 * Fields may use \xNN escapes for bytes a text file cannot hold. Test helper. */
#ifndef TESTS_TSV_H
#define TESTS_TSV_H

#include <stddef.h>

#define TSV_MAX_FIELDS 8
#define TSV_FIELD_MAX 512

struct tsv_row {
    size_t line;
    size_t count;
    char fields[TSV_MAX_FIELDS][TSV_FIELD_MAX];
    size_t lens[TSV_MAX_FIELDS]; /* byte length after unescaping (fields may hold NUL) */
};

/* Calls fn for every data row; returns the number of rows, or -1 if the file cannot be read. */
long tsv_each(const char *path, void (*fn)(const struct tsv_row *row, void *arg), void *arg);

#endif
