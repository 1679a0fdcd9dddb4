/* LMDB reads its pages through a memory map and trusts the page numbers it finds there (it keeps no
 * checksums), so reading a damaged data.mdb can fault. While authd reads the whole store (start-up, the
 * store check) a fault is reported as damage and the process exits 1: never a bare signal that a
 * supervisor would restart into the same fault. */
#ifndef AUTHD_STORE_GUARD_H
#define AUTHD_STORE_GUARD_H

/* From now on SIGSEGV and SIGBUS print that the store is damaged while `what` (a static string), and
 * exit 1. Single-threaded start-up only. */
void authd_store_guard_begin(const char *what);
/* The default dispositions again. */
void authd_store_guard_end(void);

#endif
