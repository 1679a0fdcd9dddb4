/* Names of authd_err codes. */
#include "errors.h"

const char *authd_err_name(authd_err err)
{
    switch (err) {
    case AUTHD_OK:
        return "ok";
    case AUTHD_E_NOT_FOUND:
        return "not_found";
    case AUTHD_E_EXISTS:
        return "exists";
    case AUTHD_E_CONFLICT:
        return "conflict";
    case AUTHD_E_FULL:
        return "full";
    case AUTHD_E_NOMEM:
        return "out_of_memory";
    case AUTHD_E_IO:
        return "io";
    case AUTHD_E_CORRUPT:
        return "corrupt";
    case AUTHD_E_SCHEMA:
        return "schema";
    case AUTHD_E_CONFIG:
        return "config";
    case AUTHD_E_UNAVAILABLE:
        return "unavailable";
    case AUTHD_E_INDOUBT:
        return "in_doubt";
    case AUTHD_E_INTERNAL:
    default:
        return "internal";
    }
}
