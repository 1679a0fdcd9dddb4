/* The trust bundle's registry of relying parties (docs/formats.md, "The wallet's checks"): the reader roots
 * that vouch for counters' reader certificates, the matters catalogue (each matter's licence types and
 * elements), and each reader registered for the matters it may ask for. Internal: trust_bundle.c loads
 * it, wallet.c reads it. */
#ifndef CERTLIB_TRUST_REGISTRY_H
#define CERTLIB_TRUST_REGISTRY_H

#include <jansson.h>
#include <openssl/x509.h>

#include "certlib/error.h"

#define CERTLIB__MATTERS_MAX 1024
#define CERTLIB__MATTER_NEEDS_MAX 16
#define CERTLIB__NEED_ELEMENTS_MAX 64
#define CERTLIB__READERS_MAX 4096

typedef struct certlib__need {
    char type[22]; /* GB/T 36904 type code */
    char *type_name;
    char **elements;
    size_t n_elements;
} certlib__need;

typedef struct certlib__matter {
    char *code, *name;
    certlib__need needs[CERTLIB__MATTER_NEEDS_MAX];
    size_t n_needs;
} certlib__matter;

typedef struct certlib__reader {
    char *client_id; /* "x509_hash:<base64url SHA-256 of the reader certificate>" */
    char *name;
    size_t *matters; /* indices into the registry's matters */
    size_t n_matters;
} certlib__reader;

typedef struct certlib__registry {
    X509_STORE *reader_store; /* never a licence's or a status list's roots: a store of its own */
    size_t n_reader_roots;
    certlib__matter *matters;
    size_t n_matters;
    certlib__reader *readers;
    size_t n_readers;
} certlib__registry;

/* Reads the bundle's "reader_roots", "matters" and "readers" (each optional) into `r`; a message in `err`
 * with CERTLIB_E_TRUST_BUNDLE when one is malformed (a reader registered for a matter the catalogue
 * lacks, say). */
certlib_err certlib__registry_load(certlib__registry *r, json_t *reader_roots, json_t *matters,
                                   json_t *readers, char *err, size_t err_cap);
void certlib__registry_clear(certlib__registry *r);

/* The reader registered under `client_id`, or NULL. */
const certlib__reader *certlib__registry_reader(const certlib__registry *r, const char *client_id);

#endif
