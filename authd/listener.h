/* A configured listener made ready to serve: its address resolved, its TLS context (with mutual TLS when a
 * client CA is given) and the port checked to be free of other processes. Each worker then binds a socket
 * of its own to it (SO_REUSEPORT). */
#ifndef AUTHD_LISTENER_H
#define AUTHD_LISTENER_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

struct authd_listener {
    const struct authd_listener_config *config;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    SSL_CTX *ssl_ctx; /* shared by all workers; NULL for plain HTTP; freed by the caller (SSL_CTX_free) */
};

/* 0, or -1 with a message: an address that is not numeric, a certificate or key that does not load, a
 * port another process holds. */
int authd_listener_prepare(struct authd_listener *l, const struct authd_listener_config *config, char *err,
                           size_t err_cap);

/* A listening socket bound to it for one worker (SO_REUSEPORT); -1 with a message. Accepted connections
 * inherit its receive buffer, `receive_buffer` bytes (limits.receive_buffer_bytes): fixed rather than
 * autotuned up to net.ipv4.tcp_rmem's 6 MB, it bounds what one read of a connection brings in, hence what h2o
 * parses before the worker turns to its other connections (http2_guard.h). */
int authd_listener_socket(const struct authd_listener *l, size_t receive_buffer, char *err, size_t err_cap);

#endif
