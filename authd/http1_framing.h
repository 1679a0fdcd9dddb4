/* Ambiguously framed HTTP/1.1 requests (Content-Length with Transfer-Encoding, or Content-Lengths that
 * disagree) reach the router carrying this header in place of the conflicting Content-Length; see
 * http1_framing.c. */
#ifndef AUTHD_HTTP1_FRAMING_H
#define AUTHD_HTTP1_FRAMING_H

#define AUTHD_FRAMING_CONFLICT_HEADER "authd-framing-conflict"

#endif
