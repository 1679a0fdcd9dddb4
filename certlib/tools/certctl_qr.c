/* certctl qr: a QR code (libqrencode, error correction level M) of QR text or of a licence, as a PNG
 * image (libpng) or on the terminal. Base45 is the QR alphanumeric alphabet, so libqrencode packs
 * "EL1:" texts in alphanumeric mode, 5.5 bits a character. */
#include <errno.h>
#include <getopt.h>
#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certctl.h"
#include "certlib/licence.h"
#include "certlib/qr.h"

#define QUIET_ZONE 4 /* modules of light margin, as ISO/IEC 18004 asks */

void certctl_qr_usage(FILE *out)
{
    fprintf(out, "usage: certctl qr [--png FILE [--scale PIXELS] | --terminal] TEXT|FILE\n"
                 "\n"
                 "Draws a QR code (error correction level M) of QR text (\"EL1:...\"), or of a licence or\n"
                 "presentation file (CBOR, encoded as EL1: text first; a file holding EL1: text is used as\n"
                 "it is). Prints the QR version and size on standard error.\n"
                 "\n"
                 "  --png FILE      write a PNG image (- for standard output)\n"
                 "  --scale PIXELS  pixels per module in the PNG (default 4)\n"
                 "  --terminal      draw it on the terminal with block characters (the default)\n"
                 "\n"
                 "Exit status: 0 on success, 1 when the text does not fit a QR code, 2 on usage errors.\n");
}

/* The text to encode: the argument itself, or what the file it names holds. */
static char *qr_text(const char *arg)
{
    if (access(arg, F_OK) != 0) return strdup(arg);
    uint8_t *bytes;
    size_t len;
    if (certctl_read_file("qr", arg, CERTLIB_QR_MAX_CBOR, &bytes, &len)) return NULL;
    char *text = NULL;
    size_t prefix = sizeof(CERTLIB_QR_PREFIX) - 1;
    if (len >= prefix && memcmp(bytes, CERTLIB_QR_PREFIX, prefix) == 0) {
        while (len && (bytes[len - 1] == '\n' || bytes[len - 1] == '\r'))
            len--;
        if ((text = malloc(len + 1))) {
            memcpy(text, bytes, len);
            text[len] = '\0';
        }
    } else {
        char *encoded = NULL;
        certlib_err err = certlib_qr_encode(bytes, len, &encoded);
        if (err)
            fprintf(stderr, "certctl qr: %s: %s\n", arg, certlib_strerror(err));
        else
            text = strdup(encoded);
        certlib_free(encoded);
    }
    free(bytes);
    return text;
}

static int dark(const QRcode *qr, int x, int y)
{
    return x >= 0 && y >= 0 && x < qr->width && y < qr->width && (qr->data[y * qr->width + x] & 1);
}

/* Two modules a character cell: the upper half block in the top module's colour on the bottom
 * module's, with explicit ANSI colours so dark terminals draw it the right way round. */
static void draw_terminal(const QRcode *qr)
{
    int w = qr->width + 2 * QUIET_ZONE;
    for (int y = -QUIET_ZONE; y < qr->width + QUIET_ZONE; y += 2) {
        for (int x = -QUIET_ZONE; x < w - QUIET_ZONE; x++)
            printf("\033[%d;%dm\xe2\x96\x80", dark(qr, x, y) ? 30 : 97, dark(qr, x, y + 1) ? 40 : 107);
        printf("\033[0m\n");
    }
}

static int write_png(const QRcode *qr, const char *path, int scale)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "certctl qr: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    int size = (qr->width + 2 * QUIET_ZONE) * scale, rc = -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *row = malloc((size_t)size);
    if (png && info && row && setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_GRAY,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++)
                row[x] = dark(qr, x / scale - QUIET_ZONE, y / scale - QUIET_ZONE) ? 0 : 255;
            png_write_row(png, row);
        }
        png_write_end(png, NULL);
        rc = 0;
    }
    png_destroy_write_struct(&png, &info);
    free(row);
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) rc = -1;
    if (rc) fprintf(stderr, "certctl qr: writing %s failed\n", path);
    return rc;
}

int certctl_qr_main(int argc, char **argv)
{
    enum { O_PNG = 256, O_SCALE, O_TERMINAL };
    static const struct option longopts[] = {{"png", required_argument, NULL, O_PNG},
                                             {"scale", required_argument, NULL, O_SCALE},
                                             {"terminal", no_argument, NULL, O_TERMINAL},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *png = NULL;
    int scale = 4, opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_PNG:
            png = optarg;
            break;
        case O_SCALE:
            scale = (int)strtol(optarg, &end, 10);
            if (*end || scale < 1 || scale > 64)
                return fprintf(stderr, "certctl qr: --scale is 1 to 64\n"), CERTCTL_EXIT_USAGE;
            break;
        case O_TERMINAL:
            png = NULL;
            break;
        case 'h':
            certctl_qr_usage(stdout);
            return CERTCTL_EXIT_OK;
        default:
            certctl_qr_usage(stderr);
            return CERTCTL_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "certctl qr: give exactly one TEXT or FILE\n");
        return CERTCTL_EXIT_USAGE;
    }
    char *text = qr_text(argv[optind]);
    if (!text) return CERTCTL_EXIT_USAGE;
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    size_t text_len = strlen(text);
    free(text);
    if (!qr) {
        fprintf(stderr, "certctl qr: %zu characters do not fit a QR code at error correction level M%s\n",
                text_len, errno == ERANGE ? "" : " (or out of memory)");
        return CERTCTL_EXIT_INVALID;
    }
    fprintf(stderr, "certctl qr: %zu characters, QR version %d (%d x %d modules), level M\n", text_len,
            qr->version, qr->width, qr->width);
    int rc = png ? write_png(qr, png, scale) : (draw_terminal(qr), 0);
    QRcode_free(qr);
    return rc ? CERTCTL_EXIT_USAGE : CERTCTL_EXIT_OK;
}
