/* Writing CBOR items (RFC 8949) into the same growing buffer as jsonw.h, for the answers authd sends
 * in CBOR (a lookup's answer to a peer, peer_answer.h). Heads are always the shortest form (libcbor's
 * encoders), lengths always definite: what certlib's strict reader insists on. */
#ifndef AUTHD_CBORW_H
#define AUTHD_CBORW_H

#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"

void authd_cborw_map(struct authd_jsonw *w, size_t n);   /* a map of n pairs follows */
void authd_cborw_array(struct authd_jsonw *w, size_t n); /* an array of n items follows */
void authd_cborw_text(struct authd_jsonw *w, const char *s, size_t n);
void authd_cborw_ctext(struct authd_jsonw *w, const char *s); /* NUL-terminated */
void authd_cborw_bytes(struct authd_jsonw *w, const uint8_t *b, size_t n);

#endif
