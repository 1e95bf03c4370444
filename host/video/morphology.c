#include "morphology.h"

#include "status.h"

#include <stdlib.h>

/* On binary images both operations ask one question per output pixel: does the kernel's window
 * (clipped to the image) hold a pixel of a given kind? Dilation: is there any foreground pixel
 * (the result is foreground if so). Erosion: is there any background pixel (the result is
 * background if so). Clipping the window is exactly OpenCV's default border: outside pixels
 * are the neutral element (the maximum for erosion, the minimum for dilation), never the
 * winner.
 *
 * A square window is a row window followed by a column window, so the question is answered
 * in two passes: `rows` gets 1 where the row window holds a wanted pixel (prefix counts along
 * the row), then running counts of `rows` down each column give the answer for the square.
 * Both are O(1) per pixel whatever the kernel's size. */
static adnet_status window_holds(const uint8_t *src, uint8_t *dst, int width, int height, int ksize,
                                 int want_foreground) {
    if (width <= 0 || height <= 0 || ksize <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "morphology: bad size %d x %d or kernel %d x %d", width, height, ksize,
                        ksize);
    size_t w = (size_t)width, h = (size_t)height;
    uint8_t *rows = malloc(w * h);
    int *prefix = malloc((w + 1) * sizeof *prefix);
    int *count = calloc(w, sizeof *count);
    if (!rows || !prefix || !count) {
        free(rows);
        free(prefix);
        free(count);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "morphology: out of host memory");
    }
    /* OpenCV's default anchor: the window of pixel i is i - a .. i - a + ksize - 1 */
    int a = ksize / 2;

    for (size_t y = 0; y < h; y++) {
        const uint8_t *s = src + y * w;
        prefix[0] = 0;
        for (size_t x = 0; x < w; x++) prefix[x + 1] = prefix[x] + ((s[x] != 0) == want_foreground);
        uint8_t *r = rows + y * w;
        for (int x = 0; x < width; x++) {
            int lo = x - a < 0 ? 0 : x - a;
            int hi = x - a + ksize > width ? width : x - a + ksize;
            r[x] = prefix[hi] > prefix[lo];
        }
    }

    /* rows lo .. hi - 1 are summed in count */
    int lo = 0, hi = 0;
    for (int y = 0; y < height; y++) {
        int want_lo = y - a < 0 ? 0 : y - a;
        int want_hi = y - a + ksize > height ? height : y - a + ksize;
        for (; hi < want_hi; hi++) {
            const uint8_t *r = rows + (size_t)hi * w;
            for (size_t x = 0; x < w; x++) count[x] += r[x];
        }
        for (; lo < want_lo; lo++) {
            const uint8_t *r = rows + (size_t)lo * w;
            for (size_t x = 0; x < w; x++) count[x] -= r[x];
        }
        uint8_t *d = dst + (size_t)y * w;
        if (want_foreground)
            for (size_t x = 0; x < w; x++) d[x] = count[x] > 0;
        else
            for (size_t x = 0; x < w; x++) d[x] = count[x] == 0;
    }
    free(rows);
    free(prefix);
    free(count);
    return ADNET_OK;
}

adnet_status adn_erode_square(const uint8_t *src, uint8_t *dst, int width, int height, int ksize) {
    return window_holds(src, dst, width, height, ksize, 0);
}

adnet_status adn_dilate_square(const uint8_t *src, uint8_t *dst, int width, int height, int ksize) {
    return window_holds(src, dst, width, height, ksize, 1);
}

adnet_status adn_open_square(const uint8_t *src, uint8_t *dst, int width, int height, int ksize) {
    ADN_TRY(adn_erode_square(src, dst, width, height, ksize));
    return adn_dilate_square(dst, dst, width, height, ksize);
}
