/* The signer's insides, shared by the licence and status-list builders. Internal. */
#ifndef CERTLIB_SIGNER_INTERNAL_H
#define CERTLIB_SIGNER_INTERNAL_H

#include "crypto/certinfo.h"

struct certlib_signer {
    certlib__privkey key;
    certlib__certinfo cert;
    uint8_t *cert_der;
    size_t cert_der_len;
};

#endif
