/* POST /v1/challenges (counter): a fresh holder-binding challenge for the citizen's app (challenges.h),
 * with a QR code of it for the counter page. POST /v1/verify takes the answers. */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "auth.h"
#include "challenges.h"
#include "qr_svg.h"
#include "router.h"

void authd_route_challenge(struct authd_request *r)
{
    const struct authd_client *client = authd_require(r, AUTHD_ROLE(AUTHD_ROLE_COUNTER));
    if (!client) return;
    certlib_challenge c;
    char text[CERTLIB_CHALLENGE_TEXT_MAX];
    if (authd_challenges_issue(r->server->challenges, client->id, time(NULL), &c) != 0 ||
        certlib_challenge_format(&c, text, sizeof(text)) != CERTLIB_OK) {
        authd_problem(r->req, 503, "too_many_challenges", "every challenge slot holds a live challenge");
        return;
    }
    char *svg = authd_qr_svg(text);
    json_t *doc = json_pack("{s:s, s:s, s:i}", "challenge", text, "counter", client->id, "expires_in",
                            (int)r->server->config->challenge_ttl);
    if (svg) json_object_set_new(doc, "qr_svg", json_string(svg)); /* for the counter page */
    free(svg);
    authd_send_json_doc(r->req, 201, doc);
}
