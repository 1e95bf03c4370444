/* Bilinear resizing with OpenCV's INTER_LINEAR arithmetic on 8-bit images.
 *
 * Matching OpenCV bit for bit needs its exact steps, established by comparing with
 * cv2.resize (Debian 12's OpenCV 4.6) over many sizes:
 * - source coordinate of output pixel d: f = (float)((d + 0.5) * scale - 0.5) with
 *   scale = 1 / (dst / src) in double; s = floor(f); the fraction f - s is rounded to
 *   float, and the weights (1 - f, f) become 11-bit fixed point (x 2048, rounded to nearest);
 * - horizontally, a tap left of the first or right of the last pixel is clamped (s = 0 or
 *   s = src - 1 with weights 1, 0); vertically the weights are kept and only the row index
 *   is clamped, so the top and bottom rows of an upscaled image mix a row with itself with
 *   weights that need not sum to 2048;
 * - the horizontal pass keeps exact integer sums (pixel x weight, at most 255 x 2049);
 * - the vertical pass rounds as OpenCV's SIMD code does: each row sum is shifted right by 4,
 *   multiplied by its 16-bit weight keeping the high 16 bits of the product, the two terms
 *   are added, and (sum + 2) >> 2 is saturated to 8 bits. This differs from the exact
 *   rounding (b0 * S0 + b1 * S1 + 2^21) >> 22 in about one value in eight, by one level.
 *   The SIMD form is what OpenCV computes on x86-64 (SSE2 is always there, and it covered
 *   whole rows, tails included, in every case tried); a build that used the exact form would
 *   still be within the contract's one grey level.
 * Scaling by exactly 1/2 goes through OpenCV's area path there, which gives the same values
 * as these formulas. */
#include "image_resize.h"

#include "status.h"

#include <math.h>
#include <stdlib.h>

enum { COEF_SCALE = 2048 };

typedef struct linear_tap {
    int index;      /* first source pixel (or row) */
    int32_t w0, w1; /* fixed-point weights of index and index + 1 */
} linear_tap;

/* The taps of one axis; clamp_weights selects the horizontal border treatment. */
static void linear_taps(int src, int dst, int clamp_weights, linear_tap *taps) {
    double scale = 1.0 / ((double)dst / (double)src);
    for (int d = 0; d < dst; d++) {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (clamp_weights) {
            if (s < 0) s = 0, f = 0.0f;
            if (s >= src - 1) s = src - 1, f = 0.0f;
        }
        taps[d].index = s;
        taps[d].w0 = (int32_t)lrintf((1.0f - f) * (float)COEF_SCALE);
        taps[d].w1 = (int32_t)lrintf(f * (float)COEF_SCALE);
    }
}

static int clamp_int(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* One source row resized horizontally: dw * channels sums in 11-bit fixed point. */
static void resize_row(const uint8_t *row, int sw, int channels, const linear_tap *xt, int dw,
                       int32_t *out) {
    for (int x = 0; x < dw; x++) {
        const uint8_t *p0 = row + (size_t)xt[x].index * channels;
        const uint8_t *p1 =
            row + (size_t)(xt[x].index + 1 < sw ? xt[x].index + 1 : sw - 1) * channels;
        for (int c = 0; c < channels; c++)
            out[x * channels + c] = p0[c] * xt[x].w0 + p1[c] * xt[x].w1;
    }
}

typedef struct row_cache {
    int32_t *buf[2];
    int row[2]; /* source row held by each buffer, -1 for none */
} row_cache;

/* Source row `row` resized horizontally, computed into the buffer that does not hold `keep`
 * unless it is cached already. */
static const int32_t *cached_row(row_cache *c, int row, int keep, const uint8_t *src_row, int sw,
                                 int channels, const linear_tap *xt, int dw) {
    for (int k = 0; k < 2; k++)
        if (c->row[k] == row) return c->buf[k];
    int slot = c->row[0] == keep ? 1 : 0;
    resize_row(src_row, sw, channels, xt, dw, c->buf[slot]);
    c->row[slot] = row;
    return c->buf[slot];
}

/* OpenCV's SIMD vertical step: 16 x 16 -> high 16 bits products, then (sum + 2) >> 2. The
 * operands are non-negative, so the shifts are plain divisions. */
static uint8_t blend_rows(int32_t s0, int32_t s1, int32_t b0, int32_t b1) {
    int32_t v = ((b0 * (s0 >> 4)) >> 16) + ((b1 * (s1 >> 4)) >> 16);
    v = (v + 2) >> 2;
    return (uint8_t)(v > 255 ? 255 : v);
}

adnet_status adn_resize_linear_u8(const uint8_t *src, int sw, int sh, int channels, uint8_t *dst,
                                  int dw, int dh) {
    if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || channels <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "resize: bad size %dx%d (%d channels) -> %dx%d",
                        sw, sh, channels, dw, dh);
    size_t row_len = (size_t)dw * channels;
    linear_tap *xt = malloc(sizeof *xt * (size_t)dw);
    linear_tap *yt = malloc(sizeof *yt * (size_t)dh);
    int32_t *rows = malloc(sizeof *rows * row_len * 2);
    if (!xt || !yt || !rows) {
        free(xt), free(yt), free(rows);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "resize: out of memory for %dx%d -> %dx%d", sw, sh,
                        dw, dh);
    }
    linear_taps(sw, dw, 1, xt);
    linear_taps(sh, dh, 0, yt);
    /* two horizontally resized source rows are cached; rows are needed in non-decreasing
     * order, so each is computed once */
    row_cache cache = {{rows, rows + row_len}, {-1, -1}};
    size_t src_stride = (size_t)sw * channels;
    for (int y = 0; y < dh; y++) {
        int r0 = clamp_int(yt[y].index, 0, sh - 1), r1 = clamp_int(yt[y].index + 1, 0, sh - 1);
        const int32_t *s0 =
            cached_row(&cache, r0, r1, src + (size_t)r0 * src_stride, sw, channels, xt, dw);
        const int32_t *s1 =
            cached_row(&cache, r1, r0, src + (size_t)r1 * src_stride, sw, channels, xt, dw);
        uint8_t *out = dst + (size_t)y * row_len;
        for (size_t i = 0; i < row_len; i++) out[i] = blend_rows(s0[i], s1[i], yt[y].w0, yt[y].w1);
    }
    free(xt);
    free(yt);
    free(rows);
    return ADNET_OK;
}
