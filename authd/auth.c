/* Authentication by bearer token or client certificate, and the role check every protected route
 * starts with. */
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <string.h>

#include "auth.h"

/* libh2o-evloop 2.2 gives no access to the peer certificate. Its socket's TLS state begins with the
 * SSL_CTX and the SSL (lib/common/socket.c, struct st_h2o_socket_ssl_t); read those two fields, and
 * trust them only when the SSL really belongs to that context. */
struct h2o22_socket_ssl_prefix {
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

static const struct authd_client *by_certificate(struct authd_request *r)
{
    h2o_socket_t *sock =
        r->req->conn->callbacks->get_socket ? r->req->conn->callbacks->get_socket(r->req->conn) : NULL;
    if (!sock || !sock->ssl) return NULL;
    const struct h2o22_socket_ssl_prefix *tls = (const void *)sock->ssl;
    if (!tls->ossl || SSL_get_SSL_CTX(tls->ossl) != tls->ssl_ctx) return NULL;
    /* Only a certificate the handshake verified against the listener's client CA counts. */
    if (SSL_get_verify_result(tls->ossl) != X509_V_OK) return NULL;
    X509 *peer = SSL_get1_peer_certificate(tls->ossl);
    if (!peer) return NULL;
    unsigned char *der = NULL;
    int len = i2d_X509(peer, &der);
    X509_free(peer);
    if (len <= 0) return NULL;
    uint8_t fp[32];
    SHA256(der, (size_t)len, fp);
    OPENSSL_free(der);
    return authd_policy_client_by_cert(r->policy, fp);
}

static const struct authd_client *by_token(struct authd_request *r, int *presented)
{
    ssize_t at = h2o_find_header(&r->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (at < 0) return NULL;
    *presented = 1;
    h2o_iovec_t v = r->req->headers.entries[at].value;
    static const char scheme[] = "bearer "; /* h2o_lcstris compares the lower-cased header with this */
    if (v.len <= sizeof(scheme) - 1 || !h2o_lcstris(v.base, sizeof(scheme) - 1, scheme, sizeof(scheme) - 1) ||
        v.len > 512)
        return NULL;
    return authd_policy_client_by_token(r->policy, v.base + sizeof(scheme) - 1, v.len - (sizeof(scheme) - 1));
}

const struct authd_client *authd_authenticate(struct authd_request *r)
{
    int presented = 0;
    const struct authd_client *c = by_token(r, &presented);
    if (!c && !presented) c = by_certificate(r);
    if (c) return c;
    h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                   H2O_STRLIT("Bearer realm=\"authd\""));
    if (presented)
        authd_problem(r->req, 401, "invalid_credentials", "the bearer token is not one of a known client");
    else
        authd_problem(r->req, 401, "unauthenticated", "send a bearer token or a client certificate");
    return NULL;
}

const struct authd_client *authd_require(struct authd_request *r, unsigned roles)
{
    const struct authd_client *c = authd_authenticate(r);
    if (!c) return NULL;
    if (!(roles & AUTHD_ROLE(c->role))) {
        authd_problemf(r->req, 403, "forbidden_role", "a client with role %s may not use this route",
                       authd_role_name(c->role));
        return NULL;
    }
    return c;
}
