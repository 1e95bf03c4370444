/* EXIF orientation. OpenCV's imread turns JPEG and PNG images upright according to the EXIF
 * orientation tag (0x0112 in the first image file directory), so adnet does too: a camera
 * frame stored sideways reaches the network as the released evaluation saw it. */
#include "image_exif.h"

#include "status.h"

#include <stdlib.h>
#include <string.h>

enum { EXIF_TAG_ORIENTATION = 0x0112, TIFF_TYPE_SHORT = 3 };

static unsigned read_u16(const uint8_t *p, int big_endian) {
    return big_endian ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t read_u32(const uint8_t *p, int big_endian) {
    return big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                      : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int adn_exif_orientation(const uint8_t *tiff, size_t size) {
    if (size < 8) return 0;
    int big_endian;
    if (tiff[0] == 'M' && tiff[1] == 'M')
        big_endian = 1;
    else if (tiff[0] == 'I' && tiff[1] == 'I')
        big_endian = 0;
    else
        return 0;
    if (read_u16(tiff + 2, big_endian) != 42) return 0;
    uint32_t ifd = read_u32(tiff + 4, big_endian);
    if (ifd > size - 2) return 0;
    unsigned entries = read_u16(tiff + ifd, big_endian);
    for (unsigned i = 0; i < entries; i++) {
        size_t at = (size_t)ifd + 2 + (size_t)i * 12;
        if (at + 12 > size) return 0;
        if (read_u16(tiff + at, big_endian) != EXIF_TAG_ORIENTATION) continue;
        if (read_u16(tiff + at + 2, big_endian) != TIFF_TYPE_SHORT) return 0;
        unsigned v = read_u16(tiff + at + 8, big_endian);
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

int adn_jpeg_exif_orientation(const uint8_t *data, size_t size) {
    static const uint8_t exif_id[6] = {'E', 'x', 'i', 'f', 0, 0};
    size_t at = 2; /* after SOI */
    while (at + 4 <= size) {
        if (data[at] != 0xff) return 0;
        uint8_t marker = data[at + 1];
        if (marker == 0xff) { /* fill byte */
            at++;
            continue;
        }
        if (marker == 0xda || marker == 0xd9) return 0; /* start of scan, end of image */
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { /* no length */
            at += 2;
            continue;
        }
        size_t len = (size_t)data[at + 2] << 8 | data[at + 3];
        if (len < 2 || at + 2 + len > size) return 0;
        const uint8_t *seg = data + at + 4;
        size_t seg_len = len - 2;
        if (marker == 0xe1 && seg_len >= sizeof exif_id && memcmp(seg, exif_id, 6) == 0)
            return adn_exif_orientation(seg + 6, seg_len - 6);
        at += 2 + len;
    }
    return 0;
}

adnet_status adn_image_apply_orientation(adnet_image *img, int orientation) {
    if (orientation < 2 || orientation > 8) return ADNET_OK;
    int w = img->width, h = img->height, c = img->channels;
    int swap = orientation >= 5; /* 5..8 exchange width and height */
    adnet_image out;
    ADN_TRY(adn_image_alloc(&out, swap ? h : w, swap ? w : h, c));
    /* For each source pixel (x, y), its place (u, v) in the upright image:
     * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
     * 8 rotate 90 counter-clockwise. */
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int u, v;
            switch (orientation) {
                case 2:
                    u = w - 1 - x, v = y;
                    break;
                case 3:
                    u = w - 1 - x, v = h - 1 - y;
                    break;
                case 4:
                    u = x, v = h - 1 - y;
                    break;
                case 5:
                    u = y, v = x;
                    break;
                case 6:
                    u = h - 1 - y, v = x;
                    break;
                case 7:
                    u = h - 1 - y, v = w - 1 - x;
                    break;
                default:
                    u = y, v = w - 1 - x;
                    break;
            }
            memcpy(out.data + ((size_t)v * out.width + u) * c, img->data + ((size_t)y * w + x) * c,
                   (size_t)c);
        }
    }
    free(img->data);
    *img = out;
    return ADNET_OK;
}
