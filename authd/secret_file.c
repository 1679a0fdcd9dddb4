/* Secrets from files (secret_file.h). */
#include <sodium.h>
#include <stdio.h>

#include "secret_file.h"

authd_err authd_secret_file_read(const char *path, const char *what, char **out, size_t *len, char *err,
                                 size_t err_cap)
{
    *out = NULL;
    *len = 0;
    char *s = sodium_malloc(AUTHD_SECRET_MAX + 1);
    if (!s) return snprintf(err, err_cap, "out of protected memory"), AUTHD_E_NOMEM;
    FILE *f = fopen(path, "r");
    if (!f) {
        sodium_free(s);
        return snprintf(err, err_cap, "the %s file %s cannot be read", what, path), AUTHD_E_CONFIG;
    }
    size_t n = fread(s, 1, AUTHD_SECRET_MAX, f);
    fclose(f);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    s[n] = '\0';
    *out = s;
    *len = n;
    return AUTHD_OK;
}
