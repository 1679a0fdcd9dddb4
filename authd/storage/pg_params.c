/* Connection parameters for the PostgreSQL backend (pg_conn.h): the conninfo as the operator wrote it,
 * checked where libpq would fail later and less clearly, with authd's own choices where it makes none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/pg_conn.h"

/* authd's choices where the conninfo makes none. libpq's own defaults suit a server on the same
 * network that closes connections when it stops: a host that vanishes (a site lost, the network cut
 * between sites) answers nothing, and a request sent to it waited for the kernel's retransmissions,
 * about 15 minutes, before failing; one awaiting an answer already acknowledged, for ever. With these, a
 * connection to a lost host fails within about 20 seconds, its requests get 503, and authd reconnects
 * to whichever host of the conninfo now takes writes. A live server, however slow (a synchronous
 * standby's acknowledgement awaited), acknowledges what it is sent and answers the probes. */
static const char *const defaults[][2] = {
    /* a host that does not answer must not hold up the next one of a multi-host conninfo for long */
    {"connect_timeout", "5"},
    /* what was sent and not acknowledged for 10 s: the host is gone */
    {"tcp_user_timeout", "10000"},
    /* an idle connection, or one awaiting an answer: probed after 10 s, given up after 3 probes 3 s
     * apart */
    {"keepalives_idle", "10"},
    {"keepalives_interval", "3"},
    {"keepalives_count", "3"},
    /* how pg_stat_activity and the server's log name authd's sessions; a conninfo naming each node
     * (application_name=authd-hz1) tells the nodes of one database apart */
    {"application_name", "authd"},
};

/* libpq passes over a passfile it will not use with a warning only, and the login then fails with "no
 * password supplied"; its rules (fe-connect.c: a plain file, no access for group or others) are checked
 * here first, so the operator reads which file and what to do. */
static authd_err passfile_usable(const char *path, char *err, size_t err_cap)
{
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return snprintf(err, err_cap, "store.postgresql.passfile %s: %s", path, strerror(errno)),
               AUTHD_E_CONFIG;
    if (!S_ISREG(st.st_mode))
        return snprintf(err, err_cap, "store.postgresql.passfile %s: not a plain file", path), AUTHD_E_CONFIG;
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return snprintf(err, err_cap,
                        "store.postgresql.passfile %s: group or others may use it (mode %04o), and libpq "
                        "ignores such a file: chmod 600 it",
                        path, (unsigned)(st.st_mode & 07777)),
               AUTHD_E_CONFIG;
    return AUTHD_OK;
}

static const char *option_value(const PQconninfoOption *parsed, const char *keyword)
{
    for (const PQconninfoOption *o = parsed; o->keyword; o++)
        if (o->val && strcmp(o->keyword, keyword) == 0) return o->val;
    return NULL;
}

/* Several hosts are listed so that after a failover authd finds the new primary; libpq takes the first
 * that answers unless told to want one taking writes, and a standby answers: every write would then
 * fail, on every reconnection, until an operator came. */
static authd_err hosts_choose_the_primary(const PQconninfoOption *parsed, char *err, size_t err_cap)
{
    const char *host = option_value(parsed, "host");
    if (!host) host = option_value(parsed, "hostaddr");
    if (!host) host = getenv("PGHOST"); /* libpq's defaults from the environment count too */
    size_t hosts = host ? 1 : 0;
    for (const char *c = host; c && *c; c++)
        hosts += *c == ',';
    const char *attrs = option_value(parsed, "target_session_attrs");
    if (!attrs) attrs = getenv("PGTARGETSESSIONATTRS");
    if (hosts < 2 || (attrs && (strcmp(attrs, "read-write") == 0 || strcmp(attrs, "primary") == 0)))
        return AUTHD_OK;
    snprintf(err, err_cap,
             "store.postgresql.conninfo lists %zu hosts: add target_session_attrs=read-write, so that authd "
             "connects to the one taking writes (after a failover, not to a standby)",
             hosts);
    return AUTHD_E_CONFIG;
}

authd_err pg_params_init(struct pg_params *p, const char *conninfo, const char *passfile, char *err,
                         size_t err_cap)
{
    memset(p, 0, sizeof(*p));
    if (passfile && passfile_usable(passfile, err, err_cap) != AUTHD_OK) return AUTHD_E_CONFIG;
    char *msg = NULL;
    if (!(p->parsed = PQconninfoParse(conninfo, &msg))) {
        snprintf(err, err_cap, "store.postgresql.conninfo: %s", msg ? msg : "out of memory");
        if (msg) PQfreemem(msg);
        return AUTHD_E_CONFIG;
    }
    size_t n = 0;
    for (const PQconninfoOption *o = p->parsed; o->keyword; o++) {
        if (!o->val) continue;
        if (strcmp(o->keyword, "password") == 0) {
            snprintf(err, err_cap,
                     "store.postgresql.conninfo: no password here; use store.postgresql.passfile");
            pg_params_free(p);
            return AUTHD_E_CONFIG;
        }
        n++;
    }
    if (hosts_choose_the_primary(p->parsed, err, err_cap) != AUTHD_OK) {
        pg_params_free(p);
        return AUTHD_E_CONFIG;
    }
    size_t cap = n + 2 + sizeof(defaults) / sizeof(defaults[0]); /* passfile, NULL */
    p->keywords = calloc(cap, sizeof(*p->keywords));
    p->values = calloc(cap, sizeof(*p->values));
    if (!p->keywords || !p->values || (passfile && !(p->passfile = strdup(passfile)))) {
        pg_params_free(p);
        snprintf(err, err_cap, "out of memory");
        return AUTHD_E_NOMEM;
    }
    size_t k = 0;
    for (const PQconninfoOption *o = p->parsed; o->keyword; o++)
        if (o->val) p->keywords[k] = o->keyword, p->values[k++] = o->val;
    if (p->passfile) p->keywords[k] = "passfile", p->values[k++] = p->passfile;
    for (size_t d = 0; d < sizeof(defaults) / sizeof(defaults[0]); d++)
        if (!option_value(p->parsed, defaults[d][0]))
            p->keywords[k] = defaults[d][0], p->values[k++] = defaults[d][1];
    return AUTHD_OK;
}

void pg_params_free(struct pg_params *p)
{
    if (p->parsed) PQconninfoFree(p->parsed);
    free(p->keywords);
    free(p->values);
    free(p->passfile);
    memset(p, 0, sizeof(*p));
}
