/* authd router.h: the route table. Every route matches a path made from its own pattern and gets its
 * parameters; a known path with another method is a 405, anything else a 404; HEAD is GET; the roles
 * each route requires are the table's; personal data in a path never reaches a log through its
 * pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "router.h"

static h2o_iovec_t iov(const char *s)
{
    return h2o_iovec_init(s, strlen(s));
}

static const struct authd_route *match(const char *method, const char *path, h2o_iovec_t *params, size_t *n,
                                       int *path_matched)
{
    return authd_route_match(iov(method), iov(path), params, n, path_matched);
}

/* A path for a pattern: each {name} becomes "p<i>", a final {*name} "a/b/c". */
static void path_for(const char *pattern, char *out, size_t cap, size_t *n_params)
{
    size_t o = 0;
    *n_params = 0;
    for (const char *p = pattern; *p && o + 8 < cap;) {
        if (*p == '{') {
            o += (size_t)snprintf(out + o, cap - o, p[1] == '*' ? "a/b/c" : "p%zu", *n_params);
            (*n_params)++;
            p = strchr(p, '}') + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static void test_every_route_matches_itself(void **state)
{
    (void)state;
    size_t n;
    const struct authd_route *routes = authd_routes(&n);
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        char path[256];
        size_t want_params;
        path_for(routes[i].pattern, path, sizeof(path), &want_params);
        h2o_iovec_t params[AUTHD_MAX_PARAMS];
        size_t got_params = 99;
        int path_matched;
        const struct authd_route *r = match(routes[i].method, path, params, &got_params, &path_matched);
        if (r != &routes[i]) fail_msg("%s %s matched %s", routes[i].method, path, r ? r->pattern : "nothing");
        assert_int_equal(got_params, want_params);
        for (size_t k = 0; k < got_params; k++) {
            char want[24];
            snprintf(want, sizeof(want), "p%zu", k);
            bool rest = k == got_params - 1 && strstr(routes[i].pattern, "{*");
            assert_true(
                h2o_memis(params[k].base, params[k].len, rest ? "a/b/c" : want, rest ? 5 : strlen(want)));
        }
        /* and the query string is not part of the path */
        char with_query[300];
        snprintf(with_query, sizeof(with_query), "%s?x=1&y=%%2F", path);
        assert_ptr_equal(match(routes[i].method, with_query, params, &got_params, &path_matched), &routes[i]);
        /* one pattern per method and path */
        for (size_t j = i + 1; j < n; j++)
            assert_false(strcmp(routes[i].method, routes[j].method) == 0 &&
                         strcmp(routes[i].pattern, routes[j].pattern) == 0);
    }
}

static void test_not_found_and_not_allowed(void **state)
{
    (void)state;
    h2o_iovec_t params[AUTHD_MAX_PARAMS];
    size_t n;
    int path_matched = -1;
    assert_null(match("DELETE", "/v1/verify", params, &n, &path_matched));
    assert_int_equal(path_matched, 1);
    assert_null(match("POST", "/healthz", params, &n, &path_matched));
    assert_int_equal(path_matched, 1);
    static const char *const missing[] = {"/",
                                          "/v1",
                                          "/v1/ident/",
                                          "/v1/ident/1/2",
                                          "/healthz/",
                                          "/v1/verify/x",
                                          "/log/x/tile/",
                                          "//healthz",
                                          "/v1/holders/x/licences/y",
                                          "/v1/licences//status",
                                          ""};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        path_matched = -1;
        if (match("GET", missing[i], params, &n, &path_matched) || path_matched != 0)
            fail_msg("'%s' should be a 404", missing[i]);
    }
    /* HEAD is GET without a body */
    const struct authd_route *head = match("HEAD", "/healthz", params, &n, &path_matched);
    assert_non_null(head);
    assert_string_equal(head->method, "GET");
    assert_null(match("HEAD", "/v1/verify", params, &n, &path_matched));
}

static void test_rest_of_path(void **state)
{
    (void)state;
    h2o_iovec_t params[AUTHD_MAX_PARAMS];
    size_t n;
    int path_matched;
    const struct authd_route *r =
        match("GET", "/log/signatures/tile/0/x001/234.p/5", params, &n, &path_matched);
    assert_non_null(r);
    assert_string_equal(r->pattern, "/log/{log}/tile/{*tile}");
    assert_int_equal(n, 2);
    assert_true(h2o_memis(params[0].base, params[0].len, H2O_STRLIT("signatures")));
    assert_true(h2o_memis(params[1].base, params[1].len, H2O_STRLIT("0/x001/234.p/5")));
}

static unsigned roles_of(const char *method, const char *pattern)
{
    size_t n;
    const struct authd_route *routes = authd_routes(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(routes[i].method, method) == 0 && strcmp(routes[i].pattern, pattern) == 0)
            return routes[i].roles;
    fail_msg("no route %s %s", method, pattern);
    return 0;
}

static void test_roles(void **state)
{
    (void)state;
    const unsigned issuer = AUTHD_ROLE(AUTHD_ROLE_ISSUER), counter = AUTHD_ROLE(AUTHD_ROLE_COUNTER),
                   auditor = AUTHD_ROLE(AUTHD_ROLE_AUDITOR), admin = AUTHD_ROLE(AUTHD_ROLE_ADMIN);
    assert_int_equal(roles_of("POST", "/v1/licences"), issuer);
    assert_int_equal(roles_of("POST", "/v1/licences/{licence_id}/status"), issuer);
    assert_int_equal(roles_of("GET", "/v1/licences/{licence_id}"), issuer | counter | auditor);
    /* a peer authd (federation) may do this and nothing else */
    const unsigned peer = AUTHD_ROLE(AUTHD_ROLE_PEER);
    assert_int_equal(roles_of("GET", "/v1/holders/{holder_id}/licences"), counter | peer);
    size_t n_routes;
    const struct authd_route *all = authd_routes(&n_routes);
    for (size_t i = 0; i < n_routes; i++)
        if (all[i].roles & peer) assert_string_equal(all[i].pattern, "/v1/holders/{holder_id}/licences");
    assert_int_equal(roles_of("POST", "/v1/verify"), counter);
    assert_int_equal(roles_of("POST", "/v1/challenges"), counter);
    assert_int_equal(roles_of("GET", "/metrics"), admin | auditor);
    assert_int_equal(roles_of("GET", "/v1/ident/{number}"), AUTHD_ANY_ROLE);
    /* public: what a citizen's app, a verifier offline or a monitor fetches without credentials */
    static const char *const public_routes[] = {"/healthz",  "/v1/status/{list_id}",
                                                "/v1/trust", "/v1/trust-list",
                                                "/counter/", "/log/{log}/checkpoint"};
    for (size_t i = 0; i < sizeof(public_routes) / sizeof(public_routes[0]); i++)
        assert_int_equal(roles_of("GET", public_routes[i]), 0);
    /* nothing that writes is public, but the witness's add-checkpoint: C2SP tlog-witness takes no
     * credentials, the log's signature on the checkpoint is what authenticates it. The use record is a
     * public POST that writes nothing: the citizen has no client credentials, the device signature in
     * the body is what authenticates the holder. So is a wallet's OpenID4VP answer: it answers a request
     * once, and the device signature over that request's session is what counts */
    size_t n;
    const struct authd_route *routes = authd_routes(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(routes[i].method, "POST") == 0 &&
            strcmp(routes[i].pattern, "/witness/add-checkpoint") != 0 &&
            strcmp(routes[i].pattern, "/v1/use-record") != 0 &&
            strcmp(routes[i].pattern, "/v1/presentation-requests/{id}/response") != 0)
            assert_int_not_equal(routes[i].roles, 0);
    assert_int_equal(roles_of("POST", "/witness/add-checkpoint"), 0);
    assert_int_equal(roles_of("POST", "/v1/use-record"), 0);
    assert_int_equal(roles_of("GET", "/v1/use-record/nonce"), 0);
    assert_int_equal(roles_of("POST", "/v1/presentation-requests/{id}/response"), 0);
    assert_int_equal(roles_of("GET", "/v1/presentation-requests/{id}/request"), 0);
    assert_int_equal(roles_of("POST", "/v1/presentation-requests"), counter);
    assert_int_equal(roles_of("GET", "/v1/presentation-requests/{id}"), counter);
}

static void test_patterns_for_logs(void **state)
{
    (void)state;
    assert_string_equal(authd_route_pattern(iov("GET"), iov("/v1/ident/11010519491231002X")),
                        "/v1/ident/{number}");
    assert_string_equal(
        authd_route_pattern(iov("GET"), iov("/v1/holders/11010519491231002X/licences?matter=x")),
        "/v1/holders/{holder_id}/licences");
    /* the method is wrong, the pattern still names the path without its data */
    assert_string_equal(authd_route_pattern(iov("PUT"), iov("/v1/ident/11010519491231002X")),
                        "/v1/ident/{number}");
    assert_null(authd_route_pattern(iov("GET"), iov("/v2/11010519491231002X")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_matches_itself),
        cmocka_unit_test(test_not_found_and_not_allowed),
        cmocka_unit_test(test_rest_of_path),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_patterns_for_logs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
