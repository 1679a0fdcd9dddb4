/* POST /v1/challenges (counter): a fresh holder-binding challenge for the citizen's app (challenges.h),
 * with a QR code of it for the counter page. POST /v1/verify takes the answers. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "auth.h"
#include "challenges.h"
#include "qr_svg.h"
#include "router.h"

void authd_route_challenge(struct authd_request *r)
{
    const struct authd_client *client = r->client;
    certlib_challenge c;
    char text[CERTLIB_CHALLENGE_TEXT_MAX];
    uint32_t retry_after = 0;
    switch (authd_challenges_issue(r->server->challenges, client->id, time(NULL), &c, &retry_after)) {
    case AUTHD_CHALLENGE_ISSUED:
        break;
    case AUTHD_CHALLENGE_QUOTA: {
        char seconds[16];
        int n = snprintf(seconds, sizeof(seconds), "%u", retry_after);
        h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       h2o_strdup(&r->req->pool, seconds, (size_t)n).base, (size_t)n);
        authd_problemf(r->req, 429, "challenge_quota",
                       "this counter had %zu challenges in the last %u seconds; answer or let one expire",
                       r->server->config->challenge_per_counter, (unsigned)r->server->config->challenge_ttl);
        return;
    }
    case AUTHD_CHALLENGE_STORE_UNAVAILABLE:
        authd_problem_store(r->req, AUTHD_E_UNAVAILABLE, "store_failed", "the challenge cannot be kept");
        return;
    case AUTHD_CHALLENGE_FULL:
    default:
        authd_problem(r->req, 503, "too_many_challenges", "every challenge slot holds a live challenge");
        return;
    }
    if (certlib_challenge_format(&c, text, sizeof(text)) != CERTLIB_OK) {
        authd_problem(r->req, 500, "internal_error", "the challenge cannot be written");
        return;
    }
    char *svg = authd_qr_svg(text);
    json_t *doc = json_pack("{s:s, s:s, s:i}", "challenge", text, "counter", client->id, "expires_in",
                            (int)r->server->config->challenge_ttl);
    if (svg) json_object_set_new(doc, "qr_svg", json_string(svg)); /* for the counter page */
    free(svg);
    authd_send_json_doc(r->req, 201, doc);
}
