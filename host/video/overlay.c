#include "overlay.h"

#include "image.h"
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void adn_davis_palette(uint8_t rgb[256 * 3]) {
    /* PASCAL VOC's colour map: the bits of the index, three at a time, fill the colour
     * channels from their most significant bit down */
    for (int i = 0; i < 256; i++) {
        int r = 0, g = 0, b = 0, c = i;
        for (int bit = 7; bit >= 0; bit--) {
            r |= (c & 1) << bit;
            g |= ((c >> 1) & 1) << bit;
            b |= ((c >> 2) & 1) << bit;
            c >>= 3;
        }
        rgb[3 * i] = (uint8_t)r;
        rgb[3 * i + 1] = (uint8_t)g;
        rgb[3 * i + 2] = (uint8_t)b;
    }
}

int adn_overlay_line_width(int width, int height) {
    return (width < height ? width : height) > 480 ? 2 : 1;
}

adnet_status adn_overlay_render(const adnet_image *frame, const uint8_t *mask, adnet_image *out) {
    int w = frame->width, h = frame->height, t = adn_overlay_line_width(w, h);
    if (frame->channels != 3)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "overlay: the frame has %d channels, not 3",
                        frame->channels);
    ADN_TRY(adn_image_alloc(out, w, h, 3));
    /* near[i]: some background pixel lies within t columns of i in its row */
    uint8_t *near = malloc((size_t)w * h);
    if (!near) {
        adnet_image_free(out);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory (overlay)");
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *m = mask + (size_t)y * w;
        uint8_t *n = near + (size_t)y * w;
        int last_bg = -1000000; /* the nearest background column to the left, so far */
        for (int x = 0; x < w; x++) {
            if (!m[x]) last_bg = x;
            n[x] = x - last_bg <= t;
        }
        last_bg = 1000000;
        for (int x = w - 1; x >= 0; x--) {
            if (!m[x]) last_bg = x;
            if (last_bg - x <= t) n[x] = 1;
        }
    }
    const float a = ADN_OVERLAY_ALPHA;
    const float tint[3] = {ADN_OVERLAY_TINT_B, ADN_OVERLAY_TINT_G, ADN_OVERLAY_TINT_R};
    const uint8_t line[3] = {ADN_OVERLAY_LINE_B, ADN_OVERLAY_LINE_G, ADN_OVERLAY_LINE_R};
    for (int y = 0; y < h; y++) {
        int y0 = y - t < 0 ? 0 : y - t, y1 = y + t >= h ? h - 1 : y + t;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            const uint8_t *src = frame->data + 3 * i;
            uint8_t *dst = out->data + 3 * i;
            if (!mask[i]) {
                memcpy(dst, src, 3);
                continue;
            }
            int outline = 0;
            for (int yy = y0; yy <= y1 && !outline; yy++) outline = near[(size_t)yy * w + x];
            for (int c = 0; c < 3; c++)
                dst[c] =
                    outline ? line[c] : (uint8_t)lrintf((1.0f - a) * (float)src[c] + a * tint[c]);
        }
    }
    free(near);
    return ADNET_OK;
}
