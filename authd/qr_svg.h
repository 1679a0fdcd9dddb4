/* A QR code (libqrencode, error correction level M) as an SVG image, for pages authd serves. */
#ifndef AUTHD_QR_SVG_H
#define AUTHD_QR_SVG_H

/* A malloc'd, NUL-terminated SVG document of `text`; NULL when it does not fit a QR code or memory
 * runs out. */
char *authd_qr_svg(const char *text);

#endif
