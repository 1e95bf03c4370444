/* JPEG through libjpeg-turbo's TurboJPEG API, decoding as OpenCV's imread does (OpenCV reads
 * through the same libjpeg-turbo, so the pixels can be identical):
 * - the accurate integer IDCT and fancy (smooth) chroma upsampling: the libjpeg defaults that
 *   OpenCV keeps (TurboJPEG's TJFLAG_FASTDCT or TJFLAG_FASTUPSAMPLE change up to half of the
 *   values, by up to 6 and 39 grey levels here). TurboJPEG 2.1 decodes with the accurate IDCT
 *   by default; TJFLAG_ACCURATEDCT says so explicitly;
 * - greyscale JPEGs are replicated into B, G and R by libjpeg's colour conversion;
 * - CMYK and YCCK JPEGs are decoded to the stored CMYK values (libjpeg turns YCCK into CMYK)
 *   and converted to BGR as OpenCV does: each of C, M, Y becomes K - ((255 - X) * K >> 8), and
 *   B, G, R = Y', M', C'. The stored values are taken as they are, which suits the inverted
 *   CMYK that Adobe applications write (the common kind). Established by experiment against
 *   cv2.imread on CMYK and YCCK JPEGs: identical on every pixel;
 * - the EXIF orientation tag is applied.
 * Unlike OpenCV, any libjpeg warning is an error: a truncated file or corrupt data would
 * otherwise decode "successfully" into a partly grey image.
 * A large declared size must come with data to match (JPEG_MAX_RATIO): the arithmetic decoder
 * supplies zeros without a warning once it meets a marker, so a 247-byte file that declared
 * 65281 x 2808 (found by the image fuzz target) decoded "successfully" into 550 MB of pixels,
 * taking 4.8 s and 1 GB of memory: a decompression bomb. */
#include "image_jpeg.h"

#include "image_exif.h"

#include "files.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

/* Decoded bytes per file byte. Huffman coding spends at least a bit per 8x8 block even on a
 * flat image (a progressive DC scan), so no Huffman JPEG exceeds 1536:1 (a greyscale block
 * decodes to 192 bytes of BGR); 4096:1 leaves room and refuses only bombs and huge, nearly flat
 * arithmetic-coded images, which no camera writes. Sizes up to JPEG_RATIO_FLOOR (64 MiB decoded: a
 * 4096 x 4096 CMYK frame, about 4700 x 4700 in BGR) are never refused: they cost too little to
 * matter. */
#define JPEG_MAX_RATIO   4096ull
#define JPEG_RATIO_FLOOR (64ull << 20)

static adnet_status tj_fail(tjhandle tj, const char *name, const char *what) {
    int warning = tjGetErrorCode(tj) == TJERR_WARNING;
    return adn_fail(ADNET_ERR_FORMAT, "'%s': %s JPEG%s: %s", name, what,
                    warning ? " (libjpeg warning)" : "", tjGetErrorStr2(tj));
}

/* CMYK as OpenCV converts it, in place: 4 bytes per pixel become 3. */
static void cmyk_to_bgr(uint8_t *px, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int c = px[i * 4], m = px[i * 4 + 1], y = px[i * 4 + 2], k = px[i * 4 + 3];
        px[i * 3 + 0] = (uint8_t)(k - ((255 - y) * k >> 8));
        px[i * 3 + 1] = (uint8_t)(k - ((255 - m) * k >> 8));
        px[i * 3 + 2] = (uint8_t)(k - ((255 - c) * k >> 8));
    }
}

adnet_status adn_jpeg_decode_bgr(const uint8_t *data, size_t size, const char *name,
                                 adnet_image *out) {
    memset(out, 0, sizeof *out);
    tjhandle tj = tjInitDecompress();
    if (!tj)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "'%s': cannot start a JPEG decoder: %s", name,
                        tjGetErrorStr2(NULL));
    adnet_status st = ADNET_OK;
    /* TurboJPEG can succeed without setting the size (a tables-only stream) */
    int width = 0, height = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, (unsigned long)size, &width, &height, &subsamp,
                            &colorspace) != 0) {
        st = tj_fail(tj, name, "corrupt or unsupported");
        goto done;
    }
    st = adn_image_check_size(name, "JPEG", width, height);
    if (st != ADNET_OK) goto done;
    int cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    int decoded_channels = cmyk ? 4 : 3;
    unsigned long long decoded = (unsigned long long)width * (unsigned long long)height *
                                 (unsigned long long)decoded_channels;
    if (decoded > JPEG_RATIO_FLOOR && decoded / JPEG_MAX_RATIO > size) {
        st = adn_fail(ADNET_ERR_FORMAT,
                      "'%s': a %dx%d JPEG cannot be held in %zu bytes (it would decode to %llu "
                      "MiB, more than %llu times its size): corrupt or a decompression bomb",
                      name, width, height, size, decoded >> 20, JPEG_MAX_RATIO);
        goto done;
    }
    /* room for the decoded pixels; CMYK is converted to 3 channels in place afterwards */
    st = adn_image_alloc(out, width, height, decoded_channels);
    if (st != ADNET_OK) {
        adn_fail_context(st, "'%s': ", name);
        goto done;
    }
    int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING;
    if (tjDecompress2(tj, data, (unsigned long)size, out->data, width, 0, height,
                      cmyk ? TJPF_CMYK : TJPF_BGR, flags) != 0) {
        st = tj_fail(tj, name, "corrupt");
        goto done;
    }
    if (cmyk) {
        cmyk_to_bgr(out->data, (size_t)width * height);
        out->channels = 3;
    }
    st = adn_image_apply_orientation(out, adn_jpeg_exif_orientation(data, size));
done:
    tjDestroy(tj);
    if (st != ADNET_OK) adnet_image_free(out);
    return st;
}

adnet_status adn_jpeg_write_bgr(const char *path, const adnet_image *img, int quality) {
    if (!img || !img->data || img->width <= 0 || img->height <= 0 ||
        (img->channels != 3 && img->channels != 1))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "writing '%s': a JPEG needs a BGR or greyscale image", path);
    if (quality < 1 || quality > 100)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "writing '%s': JPEG quality %d not in 1..100",
                        path, quality);
    tjhandle tj = tjInitCompress();
    if (!tj)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "writing '%s': cannot start a JPEG encoder: %s",
                        path, tjGetErrorStr2(NULL));
    unsigned char *jpeg = NULL;
    unsigned long jpeg_size = 0;
    int grey = img->channels == 1;
    adnet_status st;
    if (tjCompress2(tj, img->data, img->width, 0, img->height, grey ? TJPF_GRAY : TJPF_BGR, &jpeg,
                    &jpeg_size, grey ? TJSAMP_GRAY : TJSAMP_420, quality, TJFLAG_ACCURATEDCT) != 0)
        st = adn_fail(ADNET_ERR_INTERNAL, "writing '%s': JPEG compression failed: %s", path,
                      tjGetErrorStr2(tj));
    else
        st = adn_write_file_atomic(path, jpeg, jpeg_size);
    tjFree(jpeg);
    tjDestroy(tj);
    return st;
}
