/* UTF-8 check for paths and queries: certlib's decoder (authd keeps no second one), plus no control
 * characters. */
#include "certlib/common.h"
#include "utf8_check.h"

bool authd_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) return false;
    return certlib_utf8_valid(s, len);
}
