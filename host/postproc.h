/* Host-side post-processing of the network's logits into masks, as the released evaluation
 * loop does it (spec, "Official evaluation loop"): bilinear upsampling with
 * align_corners=True to the frame's size, instance pruning (optional), the temporal step (on
 * by default), then a threshold on the raw logits. Morphology follows OpenCV: square
 * kernels, and pixels outside the image never win. */
#ifndef ADN_POSTPROC_H
#define ADN_POSTPROC_H

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

/* dst (dh x dw) = src (sh x sw) resized bilinearly with align_corners=True (the scale is
 * (s - 1) / (d - 1); a 1-pixel side maps to 0). Computed in float like PyTorch. */
void adn_upsample_bilinear_ac(const float *src, int sw, int sh, float *dst, int dw, int dh);

/* mask = 255 where x > threshold, else 0; returns the foreground count. */
size_t adn_threshold(const float *x, size_t n, float threshold, uint8_t *mask);

/* The temporal step's state for one video: the previous frame's raw logits and their
 * foreground count (logits > 0.5), starting with a count of 0. */
typedef struct adn_temporal {
    float *last;
    size_t n_last;
    int width, height;
} adn_temporal;

void adn_temporal_init(adn_temporal *t);
void adn_temporal_free(adn_temporal *t);
/* Applies the temporal step to logits (width x height, at the frame's size) in place: if
 * 5000 < n_last < 100000, the previous logits > 0.5 are opened with a 15 x 15 square, dilated
 * with a 101 x 101 square, and multiply the current logits (after the current raw logits and
 * count became the new `last`); otherwise only the state is updated. */
adnet_status adn_temporal_apply(adn_temporal *t, float *logits, int width, int height);

/* Instance pruning's state for one video: the previous pruned result. */
typedef struct adn_pruning {
    uint8_t *prev;
    int width, height, has_prev;
} adn_pruning;

void adn_pruning_init(adn_pruning *p);
void adn_pruning_free(adn_pruning *p);
/* Applies instance pruning to logits in place: multiplies by prune_mask (0 = cut, else keep;
 * width x height), then the box logic of the spec (40000 < count < 100000: open 15 x 15,
 * dilate 31 x 31, external contours; with more than one, the largest contour's bounding box;
 * area above 30000 and no previous result or IoU with it above 0.3: zero outside the box),
 * and remembers the result. */
adnet_status adn_pruning_apply(adn_pruning *p, float *logits, const uint8_t *prune_mask, int width,
                               int height);

#endif
