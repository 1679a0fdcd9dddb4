/* UTF-8 check through jansson's own validator (it refuses invalid UTF-8 in strings), so authd keeps no
 * second decoder of its own. */
#include <jansson.h>

#include "utf8_check.h"

bool authd_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) return false;
    json_t *probe = json_stringn(s, len); /* NULL for invalid UTF-8 */
    if (!probe) return false;
    json_decref(probe);
    return true;
}
