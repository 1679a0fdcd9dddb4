/* The environment of identifier checks (ident_env.h). */
#include <time.h>

#include "ident/ident_env.h"
#include "ident/region_table.h"

static uint32_t china_today(void)
{
    time_t now = time(NULL) + 8 * 3600; /* birth dates are local dates in UTC+8 */
    struct tm tm;
    if (!gmtime_r(&now, &tm)) return 99991231u;
    return (uint32_t)(tm.tm_year + 1900) * 10000u + (uint32_t)(tm.tm_mon + 1) * 100u + (uint32_t)tm.tm_mday;
}

void certlib__ident_env_init(struct ident_env *env, const certlib_ident_opts *opts)
{
    env->regions = opts ? opts->regions : NULL;
    env->bits = certlib__regions_bitmap(env->regions);
    env->today = opts && opts->today ? opts->today : china_today();
}
