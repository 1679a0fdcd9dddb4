/* Names and descriptions of certlib_err codes. */
#include "certlib/error.h"

struct err_text {
    certlib_err code;
    const char *name;
    const char *text;
};

static const struct err_text texts[] = {
    {CERTLIB_OK, "ok", "success"},
    {CERTLIB_E_INVALID_ARGUMENT, "invalid_argument", "invalid argument to a certlib function"},
    {CERTLIB_E_NOMEM, "out_of_memory", "out of memory"},
    {CERTLIB_E_BUFFER_TOO_SMALL, "buffer_too_small", "output buffer too small"},
    {CERTLIB_E_INTERNAL, "internal_error", "internal error in a cryptographic or system library"},
    {CERTLIB_E_IDENT_EMPTY, "ident_empty", "the identifier is empty"},
    {CERTLIB_E_IDENT_ENCODING, "ident_encoding",
     "the identifier contains control characters or invalid UTF-8"},
    {CERTLIB_E_IDENT_LENGTH, "ident_length",
     "no identifier kind has this length (15 or 18 for people, 18 for a USCC, 9 for an organisation code)"},
    {CERTLIB_E_IDENT_CHARSET, "ident_charset", "a character is not allowed at its position"},
    {CERTLIB_E_IDENT_CHECKSUM, "ident_checksum", "the check character does not match"},
    {CERTLIB_E_IDENT_REGION, "ident_region", "the region code never appeared in GB/T 2260"},
    {CERTLIB_E_IDENT_DATE, "ident_date", "the birth date is not a calendar date"},
    {CERTLIB_E_IDENT_DATE_RANGE, "ident_date_range", "the birth date is before 1870 or in the future"},
    {CERTLIB_E_IDENT_CATEGORY, "ident_category",
     "the registration authority and organisation category pair is not assigned by GB 32100"},
    {CERTLIB_E_IDENT_ORG_CODE, "ident_org_code",
     "the embedded GB 11714 organisation code fails its check character"},
    {CERTLIB_E_IDENT_KIND, "ident_kind", "the identifier is valid but not of an accepted kind"},
    {CERTLIB_E_IDENT_NOT_LEGACY, "ident_not_legacy",
     "only a legacy 15-digit identity number can be upgraded"},
    {CERTLIB_E_REGION_CODE, "region_code", "a region code must have six digits and a province part"},
    {CERTLIB_E_IO_OPEN, "io_open", "a file could not be opened"},
    {CERTLIB_E_IO_READ, "io_read", "reading a file failed"},
    {CERTLIB_E_IO_FORMAT, "io_format", "a data file is not in the documented format"},
};

static const struct err_text *find(certlib_err err)
{
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (texts[i].code == err) return &texts[i];
    return NULL;
}

certlib_err_class certlib_err_class_of(certlib_err err)
{
    if (!find(err)) return CERTLIB_CLASS_UNKNOWN;
    int code = (int)err;
    if (code == 0) return CERTLIB_CLASS_OK;
    if (code < 100) return CERTLIB_CLASS_MISUSE;
    if (code < 200) return CERTLIB_CLASS_IDENT;
    if (code < 300) return CERTLIB_CLASS_MALFORMED;
    if (code < 400) return CERTLIB_CLASS_CRYPTO;
    if (code < 500) return CERTLIB_CLASS_POLICY;
    if (code < 600) return CERTLIB_CLASS_IO;
    return CERTLIB_CLASS_UNKNOWN;
}

const char *certlib_err_name(certlib_err err)
{
    const struct err_text *t = find(err);
    return t ? t->name : "unknown_error";
}

const char *certlib_strerror(certlib_err err)
{
    const struct err_text *t = find(err);
    return t ? t->text : "unknown error code";
}
