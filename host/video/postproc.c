#include "postproc.h"

#include "contours.h"
#include "morphology.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

void adn_upsample_bilinear_ac(const float *src, int sw, int sh, float *dst, int dw, int dh) {
    /* PyTorch's align_corners=True: source coordinate = dst index * (in - 1) / (out - 1),
     * computed in float (its area_pixel_compute_scale) */
    float sy = dh > 1 ? (float)(sh - 1) / (float)(dh - 1) : 0.0f;
    float sx = dw > 1 ? (float)(sw - 1) / (float)(dw - 1) : 0.0f;
    for (int y = 0; y < dh; y++) {
        float fy = sy * (float)y;
        int y0 = (int)fy;
        if (y0 > sh - 1) y0 = sh - 1;
        int y1 = y0 + (y0 < sh - 1);
        float ly = fy - (float)y0, hy = 1.0f - ly;
        const float *r0 = src + (size_t)y0 * sw, *r1 = src + (size_t)y1 * sw;
        float *out = dst + (size_t)y * dw;
        for (int x = 0; x < dw; x++) {
            float fx = sx * (float)x;
            int x0 = (int)fx;
            if (x0 > sw - 1) x0 = sw - 1;
            int x1 = x0 + (x0 < sw - 1);
            float lx = fx - (float)x0, hx = 1.0f - lx;
            out[x] = hy * (hx * r0[x0] + lx * r0[x1]) + ly * (hx * r1[x0] + lx * r1[x1]);
        }
    }
}

size_t adn_threshold(const float *x, size_t n, float threshold, uint8_t *mask) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int on = x[i] > threshold;
        mask[i] = on ? 255 : 0;
        count += (size_t)on;
    }
    return count;
}

/* ---- The temporal step and instance pruning ------------------------------------------------
 *
 * The spec leaves details open; the released evaluation script (yz93/anchor-diff-VOS, eval.py
 * and metrics/iou.py, run with opencv-python 4.1) settles them, and this code follows it:
 * - Every count and mask compares the logits with the script's threshold argument (0.5 by
 *   default) with `>`, on float32 values; the count bounds are strict (5000 < n < 100000,
 *   40000 < n < 100000).
 * - Morphology runs on a uint8 0/1 image (logits > threshold); its 0/1 result multiplies the
 *   logits as 0/1 floats (logits * 1 or logits * 0).
 * - Temporal: the mask comes from the previous frame's logits; `last` becomes the current
 *   logits as they came in (after pruning, before the multiplication), and n_last their count.
 * - Pruning: the pruning mask (its PNG > 0) multiplies first, and only when the frame has one
 *   (a missing file skips the multiplication, not the box logic); the count is taken after
 *   that multiplication.
 *   Contours are cv2.findContours(RETR_EXTERNAL, CHAIN_APPROX_NONE) of the dilated mask;
 *   "largest" is np.argmax over cv2.contourArea (the polygon's area, not the box's, and not the
 *   pixel count), so ties go to the first in OpenCV's order; the box is cv2.boundingRect of
 *   that contour and covers rows y .. y + h - 1, columns x .. x + w - 1. "Its area" in the
 *   30000 rule is that contour's area too (the script compares the maximum contour area).
 * - The IoU is get_iou(previous result, box mask): previous pruned logits > threshold against
 *   the box's pixels, intersection / union of pixel counts, each converted to float32 and
 *   divided in float32, compared with 0.3 in float32; > 0.3 passes.
 * - The previous pruned result is remembered on every frame, whatever branch was taken, and
 *   even when the count is out of range. */

enum {
    TEMPORAL_MIN_COUNT = 5000, /* exclusive bounds on the previous frame's count */
    TEMPORAL_MAX_COUNT = 100000,
    TEMPORAL_OPEN = 15,
    TEMPORAL_DILATE = 101,
    PRUNE_MIN_COUNT = 40000, /* exclusive bounds on the current frame's count */
    PRUNE_MAX_COUNT = 100000,
    PRUNE_OPEN = 15,
    PRUNE_DILATE = 31,
    PRUNE_MIN_TWICE_AREA = 2 * 30000 /* contour area > 30000 */
};
static const float PRUNE_MIN_IOU = 0.3f;

static adnet_status check_size(const char *what, int have_w, int have_h, int width, int height) {
    if (width <= 0 || height <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: bad frame size %d x %d", what, width,
                        height);
    if (have_w && (have_w != width || have_h != height))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: frame size changed from %d x %d to %d x %d within a video", what,
                        have_w, have_h, width, height);
    return ADNET_OK;
}

void adn_temporal_init(adn_temporal *t) {
    memset(t, 0, sizeof *t);
    t->threshold = 0.5f;
}

void adn_temporal_free(adn_temporal *t) {
    if (!t) return;
    free(t->last);
    float threshold = t->threshold;
    memset(t, 0, sizeof *t);
    t->threshold = threshold;
}

adnet_status adn_temporal_apply(adn_temporal *t, float *logits, int width, int height) {
    ADN_TRY(
        check_size("temporal post-processing", t->last ? t->width : 0, t->height, width, height));
    size_t n = (size_t)width * (size_t)height;
    int use_last = t->last && t->n_last > TEMPORAL_MIN_COUNT && t->n_last < TEMPORAL_MAX_COUNT;
    float *last = t->last ? t->last : malloc(n * sizeof *last);
    uint8_t *mask = use_last ? malloc(n) : NULL;
    if (!last || (use_last && !mask)) {
        if (last != t->last) free(last);
        free(mask);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "temporal post-processing: out of host memory");
    }
    if (use_last) {
        for (size_t i = 0; i < n; i++) mask[i] = t->last[i] > t->threshold;
        adnet_status st = adn_open_square(mask, mask, width, height, TEMPORAL_OPEN);
        if (st == ADNET_OK) st = adn_dilate_square(mask, mask, width, height, TEMPORAL_DILATE);
        if (st != ADNET_OK) {
            free(mask);
            return st; /* t->last exists when use_last: nothing to free */
        }
    }
    /* the current logits become `last` before the multiplication, as released */
    memcpy(last, logits, n * sizeof *last);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += logits[i] > t->threshold;
    t->last = last;
    t->n_last = count;
    t->width = width;
    t->height = height;
    t->applied = use_last;
    if (use_last)
        for (size_t i = 0; i < n; i++) logits[i] *= (float)mask[i];
    free(mask);
    return ADNET_OK;
}

void adn_pruning_init(adn_pruning *p) {
    memset(p, 0, sizeof *p);
    p->threshold = 0.5f;
}

void adn_pruning_free(adn_pruning *p) {
    if (!p) return;
    free(p->prev);
    float threshold = p->threshold;
    memset(p, 0, sizeof *p);
    p->threshold = threshold;
}

/* get_iou of metrics/iou.py between the previous result and the box's mask, in float32. */
static float box_iou(const uint8_t *prev, int width, int height, int bx, int by, int bw, int bh) {
    size_t inside = 0, total = 0;
    for (int y = 0; y < height; y++) {
        const uint8_t *r = prev + (size_t)y * width;
        size_t row = 0;
        for (int x = 0; x < width; x++) row += r[x];
        total += row;
        if (y >= by && y < by + bh)
            for (int x = bx; x < bx + bw; x++) inside += r[x];
    }
    size_t uni = total + (size_t)bw * (size_t)bh - inside; /* > 0: the box is never empty */
    return (float)inside / (float)uni;
}

adnet_status adn_pruning_apply(adn_pruning *p, float *logits, const uint8_t *prune_mask, int width,
                               int height) {
    ADN_TRY(check_size("instance pruning", p->prev ? p->width : 0, p->height, width, height));
    size_t n = (size_t)width * (size_t)height;
    uint8_t *prev = p->prev ? p->prev : malloc(n);
    uint8_t *mask = malloc(n);
    if (!prev || !mask) {
        if (prev != p->prev) free(prev);
        free(mask);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "instance pruning: out of host memory");
    }
    /* The foreground after the pruning mask's multiplication; logits stay untouched until
     * every step that can fail has run. */
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        float v = prune_mask ? logits[i] * (float)(prune_mask[i] != 0) : logits[i];
        mask[i] = v > p->threshold;
        count += mask[i];
    }
    adn_prune_outcome outcome = ADN_PRUNE_COUNT_OUTSIDE;
    int bx = 0, by = 0, bw = 0, bh = 0;
    if (count > PRUNE_MIN_COUNT && count < PRUNE_MAX_COUNT) {
        adnet_status st = adn_open_square(mask, mask, width, height, PRUNE_OPEN);
        if (st == ADNET_OK) st = adn_dilate_square(mask, mask, width, height, PRUNE_DILATE);
        adn_contours cs;
        if (st == ADNET_OK) st = adn_find_external_contours(mask, width, height, 0, &cs);
        if (st != ADNET_OK) {
            if (prev != p->prev) free(prev);
            free(mask);
            return st;
        }
        outcome = ADN_PRUNE_ONE_CONTOUR;
        if (cs.count > 1) {
            const adn_contour *c = &cs.items[adn_largest_contour(&cs)];
            bx = c->x;
            by = c->y;
            bw = c->width;
            bh = c->height;
            if (c->twice_area <= PRUNE_MIN_TWICE_AREA)
                outcome = ADN_PRUNE_SMALL_CONTOUR;
            else if (p->has_prev &&
                     !(box_iou(p->prev, width, height, bx, by, bw, bh) > PRUNE_MIN_IOU))
                outcome = ADN_PRUNE_LOW_IOU;
            else
                outcome = ADN_PRUNE_BOX_APPLIED;
        }
        adn_contours_free(&cs);
    }
    /* The multiplications (each by 0 or 1, as the released loop's float masks), and the
     * result remembered for the next frame's IoU. */
    int boxed = outcome == ADN_PRUNE_BOX_APPLIED;
    for (int y = 0; y < height; y++) {
        float *l = logits + (size_t)y * width;
        const uint8_t *pm = prune_mask ? prune_mask + (size_t)y * width : NULL;
        uint8_t *r = prev + (size_t)y * width;
        int row_in = y >= by && y < by + bh;
        for (int x = 0; x < width; x++) {
            float v = pm ? l[x] * (float)(pm[x] != 0) : l[x];
            if (boxed) v *= (float)(row_in && x >= bx && x < bx + bw);
            l[x] = v;
            r[x] = v > p->threshold;
        }
    }
    free(mask);
    p->prev = prev;
    p->has_prev = 1;
    p->width = width;
    p->height = height;
    p->outcome = outcome;
    p->box_x = bx;
    p->box_y = by;
    p->box_w = bw;
    p->box_h = bh;
    return ADNET_OK;
}
