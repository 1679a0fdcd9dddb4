/* The logs' Merkle trees in PostgreSQL: which subtree hashes are stored, and the others computed from
 * the entries when read (pg_internal.h, PG_STORED_FROM; docs/postgresql.md, "The database"). */
#include <string.h>

#include "storage/pg_internal.h"

/* clang-format off */
const struct pg_statement pg_border_st = {
    "authd_border",
    "SELECT s.size, b.level, b.idx, b.data FROM authd_log_state s LEFT JOIN LATERAL ("
    "SELECT 0::int2 AS level, e.idx, e.entry AS data FROM authd_log_entries e WHERE e.log = s.log AND "
    "e.idx >= (s.size >> " PG_STR(PG_STORED_FROM) ") << " PG_STR(PG_STORED_FROM) " AND e.idx < s.size "
    "UNION ALL "
    "SELECT g::int2, (s.size >> g) - 1, (SELECT h.hash FROM authd_log_hashes h WHERE h.log = s.log AND "
    "h.level = g AND h.idx = (s.size >> g) - 1) FROM generate_series(" PG_STR(PG_STORED_FROM) ", 62) AS g "
    "WHERE (s.size >> g) & 1 = 1) b ON true WHERE s.log = $1",
    1,
    {PG_INT2}};
/* clang-format on */

void pg_subtrees(certlib_tlog_hash *hashes, size_t count, unsigned levels)
{
    /* in place: the k-th hash of a level is written after its children, 2k and 2k + 1, were read */
    for (size_t n = count << levels; n > count; n /= 2)
        for (size_t k = 0; k < n / 2; k++)
            certlib_tlog_node_hash(hashes[2 * k], hashes[2 * k + 1], hashes[k]);
}

/* The tail's leaves, [base, size): row by row, each once. */
static authd_err tail_leaf(const PGresult *r, int row, uint64_t base, uint64_t size,
                           certlib_tlog_hash leaves[1 << PG_STORED_FROM], uint32_t *got)
{
    int64_t idx = pg_int8(r, row, 2);
    if (idx < 0 || (uint64_t)idx < base || (uint64_t)idx >= size || (*got >> (idx - base)) & 1)
        return AUTHD_E_CORRUPT;
    *got |= 1u << (idx - base);
    certlib_tlog_leaf_hash((const uint8_t *)PQgetvalue(r, row, 3), (size_t)PQgetlength(r, row, 3),
                           leaves[idx - base]);
    return AUTHD_OK;
}

/* A stored hash of the border: at a level of the size's bits, the rightmost subtree's. */
static authd_err stored_border_hash(const PGresult *r, int row, int16_t level, uint64_t size,
                                    struct pg_border *border)
{
    int64_t idx = pg_int8(r, row, 2);
    if (level < PG_STORED_FROM || level > 62 || !((size >> level) & 1) || border->level[level].have ||
        idx != (int64_t)(size >> level) - 1 || PQgetlength(r, row, 3) != CERTLIB_TLOG_HASH_LEN)
        return AUTHD_E_CORRUPT;
    border->level[level].have = true;
    border->level[level].index = (uint64_t)idx;
    memcpy(border->level[level].hash, PQgetvalue(r, row, 3), CERTLIB_TLOG_HASH_LEN);
    return AUTHD_OK;
}

authd_err pg_border_parse(const PGresult *r, struct pg_border *border)
{
    memset(border, 0, sizeof(*border));
    int rows = PQntuples(r);
    if (rows < 1 || PQgetisnull(r, 0, 0) || pg_int8(r, 0, 0) < 0) return AUTHD_E_CORRUPT;
    uint64_t size = (uint64_t)pg_int8(r, 0, 0);
    uint64_t base = size >> PG_STORED_FROM << PG_STORED_FROM;
    certlib_tlog_hash leaves[1 << PG_STORED_FROM];
    uint32_t got = 0; /* the tail's leaves read, a bit each */
    for (int row = 0; row < rows; row++) {
        if (PQgetisnull(r, row, 1)) { /* the empty tree's one row */
            if (size || rows != 1) return AUTHD_E_CORRUPT;
            continue;
        }
        if (PQgetisnull(r, row, 3)) return AUTHD_E_CORRUPT; /* a subtree of the tree without its hash */
        int16_t level = pg_int2(r, row, 1);
        authd_err rc = level == 0 ? tail_leaf(r, row, base, size, leaves, &got)
                                  : stored_border_hash(r, row, level, size, border);
        if (rc) return rc;
    }
    if (got != (1u << (size - base)) - 1) return AUTHD_E_CORRUPT;
    for (unsigned l = 0; l < 64; l++) {
        if (!((size >> l) & 1)) continue;
        if (l >= PG_STORED_FROM) {
            if (!border->level[l].have) return AUTHD_E_CORRUPT;
            continue;
        }
        /* the subtree's leaves, then its hash computed in their place */
        uint64_t index = (size >> l) - 1, first = (index << l) - base;
        certlib_tlog_hash subtree[1 << PG_STORED_FROM];
        memcpy(subtree, leaves[first], sizeof(certlib_tlog_hash) << l);
        pg_subtrees(subtree, 1, l);
        border->level[l].have = true;
        border->level[l].index = index;
        memcpy(border->level[l].hash, subtree[0], CERTLIB_TLOG_HASH_LEN);
    }
    border->size = size;
    border->valid = true;
    return AUTHD_OK;
}
