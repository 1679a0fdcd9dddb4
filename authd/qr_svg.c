/* One SVG path of unit squares, one per dark module, inside a 4-module quiet zone. */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>

#include "qr_svg.h"

char *authd_qr_svg(const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr) return NULL;
    int w = qr->width, size = w + 8;
    size_t cap = 256 + (size_t)w * (size_t)w * 16, n = 0;
    char *svg = malloc(cap);
    if (svg) {
        n +=
            (size_t)snprintf(svg, cap,
                             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                             "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
                             "<path fill=\"#000\" d=\"",
                             size, size, size, size);
        for (int y = 0; y < w; y++)
            for (int x = 0; x < w; x++)
                if (qr->data[y * w + x] & 1)
                    n += (size_t)snprintf(svg + n, cap - n, "M%d %dh1v1h-1z", x + 4, y + 4);
        snprintf(svg + n, cap - n, "\"/></svg>");
    }
    QRcode_free(qr);
    return svg;
}
