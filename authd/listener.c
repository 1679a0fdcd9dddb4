/* Listeners made ready to serve (listener.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <h2o.h>
#include "listener.h"

/* Mutual TLS: ask for a client certificate (without requiring one: bearer tokens work over TLS too)
 * and accept only those the client CA issued. */
static int verify_client(int preverify_ok, X509_STORE_CTX *ctx)
{
    (void)ctx;
    return preverify_ok;
}

static int resolve(struct authd_listener *l)
{
    memset(&l->addr, 0, sizeof(l->addr));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&l->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&l->addr;
    if (inet_pton(AF_INET, l->config->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(l->config->port);
        l->addr_len = sizeof(*v4);
        return 0;
    }
    if (inet_pton(AF_INET6, l->config->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(l->config->port);
        l->addr_len = sizeof(*v6);
        return 0;
    }
    return -1;
}

/* The workers' sockets share their port through SO_REUSEPORT, which would as readily share it with another
 * process of the same user (a second authd with its own store, taking a share of the connections). A
 * socket without the option binds only while nobody holds the port: bound and closed before the others. */
static int port_is_ours(const struct authd_listener *l, char *err, size_t err_cap)
{
    int one = 1;
    int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
             bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) == 0;
    if (!ok)
        snprintf(err, err_cap, "listen on %s:%u: %s", l->config->host, l->config->port,
                 errno == EADDRINUSE ? "Address already in use (by another process)" : strerror(errno));
    if (fd >= 0) close(fd);
    return ok;
}

int authd_listener_socket(const struct authd_listener *l, size_t receive_buffer, char *err, size_t err_cap)
{
    int one = 1, rcvbuf = (int)receive_buffer;
    int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(err, err_cap, "listen on %s:%u: %s", l->config->host, l->config->port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

static void openssl_error(char *err, size_t err_cap, const char *what, const char *path)
{
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    snprintf(err, err_cap, "%s %s: %s", what, path, reason);
    ERR_clear_error();
}

static SSL_CTX *make_ssl_ctx(const struct authd_listener_config *lc, char *err, size_t err_cap)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        openssl_error(err, err_cap, "TLS context for", lc->host);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx,
                        SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(ctx, lc->tls_cert) != 1) {
        openssl_error(err, err_cap, "TLS certificate", lc->tls_cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, lc->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        openssl_error(err, err_cap, "TLS private key", lc->tls_key);
        goto fail;
    }
    if (lc->client_ca) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(lc->client_ca);
        if (!names || SSL_CTX_load_verify_locations(ctx, lc->client_ca, NULL) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            openssl_error(err, err_cap, "TLS client CA", lc->client_ca);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_client);
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

int authd_listener_prepare(struct authd_listener *l, const struct authd_listener_config *config, char *err,
                           size_t err_cap)
{
    l->config = config;
    if (resolve(l) != 0) {
        snprintf(err, err_cap, "listener %s: not a numeric address", config->host);
        return -1;
    }
    if (config->tls_cert && !(l->ssl_ctx = make_ssl_ctx(config, err, err_cap))) return -1;
    return port_is_ours(l, err, err_cap) ? 0 : -1;
}
