/* Access log lines, written with one write(2) each so concurrent workers never interleave. */
#define _GNU_SOURCE /* dup3 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "metrics.h"
#include "router.h"

struct authd_accesslog {
    int fd;
    int owns_fd;
    char *path;                    /* NULL for standard error */
    struct authd_metrics *metrics; /* fed from the same hook: it sees every request's final status */
};

void authd_accesslog_set_metrics(struct authd_accesslog *log, struct authd_metrics *metrics)
{
    if (log) log->metrics = metrics;
}

struct logger {
    h2o_logger_t super;
    struct authd_accesslog *log;
};

int authd_accesslog_open(struct authd_accesslog **out, const char *path, char *err, size_t err_cap)
{
    struct authd_accesslog *log = calloc(1, sizeof(*log));
    if (!log) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    log->fd = STDERR_FILENO;
    if (path && strcmp(path, "-") != 0) {
        log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (log->fd < 0) {
            snprintf(err, err_cap, "access log %s: %s", path, strerror(errno));
            free(log);
            return -1;
        }
        log->owns_fd = 1;
        if (!(log->path = strdup(path))) {
            close(log->fd);
            free(log);
            snprintf(err, err_cap, "out of memory");
            return -1;
        }
    }
    *out = log;
    return 0;
}

int authd_accesslog_reopen(struct authd_accesslog *log, char *err, size_t err_cap)
{
    if (!log || !log->path) return 0;
    int fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, err_cap, "access log %s: %s (still writing to the file open before)", log->path,
                 strerror(errno));
        return -1;
    }
    /* dup2 replaces the descriptor in one step: a worker's write goes wholly to the old file or the new */
    int rc = dup3(fd, log->fd, O_CLOEXEC);
    int why = errno;
    close(fd);
    if (rc < 0) {
        snprintf(err, err_cap, "access log %s: %s", log->path, strerror(why));
        return -1;
    }
    return 0;
}

void authd_accesslog_close(struct authd_accesslog *log)
{
    if (!log) return;
    if (log->owns_fd) close(log->fd);
    free(log->path);
    free(log);
}

static int safe_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("/-._~", c);
}

void authd_accesslog_redact_path(h2o_iovec_t path, char *out, size_t cap)
{
    size_t n = 0, i = 0;
    const char *q = memchr(path.base, '?', path.len);
    size_t len = q ? (size_t)(q - path.base) : path.len;
    while (i < len && n + 12 < cap) {
        size_t seg = i;
        while (seg < len && path.base[seg] != '/')
            seg++;
        if (seg - i > 8) {
            n += (size_t)snprintf(out + n, cap - n, "{redacted}");
            i = seg;
            continue;
        }
        for (; i < seg; i++)
            out[n++] = safe_char(path.base[i]) ? path.base[i] : '?';
        if (i < len) out[n++] = path.base[i++]; /* the '/' */
    }
    out[n] = '\0';
}

static void copy_token(char *dst, size_t cap, h2o_iovec_t src)
{
    size_t n = src.len < cap - 1 ? src.len : cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = safe_char(src.base[i]) ? src.base[i] : '?';
    dst[n] = '\0';
}

static void log_access(h2o_logger_t *self, h2o_req_t *req)
{
    struct authd_accesslog *log = ((struct logger *)self)->log;
    char remote[NI_MAXHOST] = "-", method[16], route[160], when[32];
    struct sockaddr_storage ss;
    socklen_t sslen = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (sslen) h2o_socket_getnumerichost((struct sockaddr *)&ss, sslen, remote);
    copy_token(method, sizeof(method), req->method);
    const char *pattern = authd_route_pattern(req->method, req->path);
    if (pattern)
        snprintf(route, sizeof(route), "%s", pattern);
    else
        authd_accesslog_redact_path(req->path, route, sizeof(route));

    struct timeval end;
    gettimeofday(&end, NULL);
    struct tm tm;
    time_t secs = end.tv_sec;
    gmtime_r(&secs, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    double ms = req->timestamps.request_begin_at.tv_sec
                    ? (double)(end.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1e3 +
                          (double)(end.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1e3
                    : 0.0;
    authd_metrics_request(log->metrics, pattern, req->res.status, ms / 1e3);
    const char *proto = req->version >= 0x200 ? "HTTP/2" : req->version == 0x101 ? "HTTP/1.1" : "HTTP/1.0";

    char line[512];
    int n = snprintf(
        line, sizeof(line),
        "{\"time\":\"%s.%03dZ\",\"remote\":\"%s\",\"proto\":\"%s\",\"method\":\"%s\",\"route\":\"%s\","
        "\"status\":%d,\"bytes\":%zu,\"ms\":%.3f}\n",
        when, (int)(end.tv_usec / 1000), remote, proto, method, route, req->res.status, req->bytes_sent, ms);
    if (n > 0 && (size_t)n < sizeof(line)) {
        /* A failed log write must not fail the request; there is nowhere better to report it. */
        ssize_t w = write(log->fd, line, (size_t)n);
        (void)w;
    }
}

void authd_accesslog_register(struct authd_accesslog *log, h2o_pathconf_t *pathconf)
{
    struct logger *logger = (struct logger *)h2o_create_logger(pathconf, sizeof(*logger));
    logger->super.log_access = log_access;
    logger->log = log;
}
