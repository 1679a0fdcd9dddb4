/* Vector-file reader for the unit tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsv.h"

static size_t unescape(const char *in, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < TSV_FIELD_MAX - 1; i++) {
        if (in[i] == '\\' && i + 3 < len && in[i + 1] == 'x') {
            char hex[3] = {in[i + 2], in[i + 3], 0};
            out[n++] = (char)strtol(hex, NULL, 16);
            i += 3;
        } else {
            out[n++] = in[i];
        }
    }
    out[n] = '\0';
    return n;
}

long tsv_each(const char *path, void (*fn)(const struct tsv_row *row, void *arg), void *arg)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[4096];
    long rows = 0;
    int header_seen = 0;
    struct tsv_row *row = malloc(sizeof(*row));
    row->line = 0;
    while (fgets(line, sizeof(line), f)) {
        row->line++;
        size_t len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (line[0] == '#' || (len == 0 && !header_seen)) continue;
        if (!header_seen) {
            header_seen = 1;
            continue;
        }
        row->count = 0;
        char *start = line;
        for (;;) {
            char *tab = strchr(start, '\t');
            size_t flen = tab ? (size_t)(tab - start) : strlen(start);
            if (row->count < TSV_MAX_FIELDS) {
                row->lens[row->count] = unescape(start, flen, row->fields[row->count]);
                row->count++;
            }
            if (!tab) break;
            start = tab + 1;
        }
        for (size_t i = row->count; i < TSV_MAX_FIELDS; i++) {
            row->fields[i][0] = '\0';
            row->lens[i] = 0;
        }
        fn(row, arg);
        rows++;
    }
    free(row);
    fclose(f);
    return rows;
}
