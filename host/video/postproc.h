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
 * foreground count (logits > threshold), starting with a count of 0. */
typedef struct adn_temporal {
    float *last;
    size_t n_last;
    int width, height;
    /* The released loop counts and masks with its --threshold (args.threshold) everywhere;
     * adn_temporal_init sets 0.5, set it after init to use another. */
    float threshold;
    /* Whether the last adn_temporal_apply multiplied the logits by the dilated mask. */
    int applied;
} adn_temporal;

void adn_temporal_init(adn_temporal *t);
/* Frees the state and resets it for another video (the threshold is kept). */
void adn_temporal_free(adn_temporal *t);
/* Applies the temporal step to logits (width x height, at the frame's size) in place: if
 * 5000 < n_last < 100000, the previous logits > threshold (a 0/1 mask) are opened with a
 * 15 x 15 square, dilated with a 101 x 101 square, and multiply the current logits (as 0/1
 * floats), after the current logits, as they came in, and their count became the new `last`;
 * otherwise only the state is updated. The constants are the released ones, in pixels, whatever
 * the frame's size. Fails with ADNET_ERR_INVALID_ARGUMENT when the size differs from the
 * previous frame's, ADNET_ERR_OUT_OF_MEMORY; on failure neither logits nor the state change. */
adnet_status adn_temporal_apply(adn_temporal *t, float *logits, int width, int height);

/* What adn_pruning_apply did to the last frame, in the order the released code decides. */
typedef enum adn_prune_outcome {
    ADN_PRUNE_NOT_RUN = 0,   /* nothing applied yet */
    ADN_PRUNE_COUNT_OUTSIDE, /* count(logits > threshold) not in (40000, 100000) */
    ADN_PRUNE_ONE_CONTOUR,   /* at most one external contour */
    ADN_PRUNE_SMALL_CONTOUR, /* the largest contour's area (cv2.contourArea) <= 30000 */
    ADN_PRUNE_LOW_IOU,       /* IoU(previous result > threshold, box) <= 0.3 */
    ADN_PRUNE_BOX_APPLIED    /* the logits outside the box were zeroed */
} adn_prune_outcome;

/* Instance pruning's state for one video: the previous pruned result (logits > threshold, as
 * 0/1 bytes: the released loop keeps the logits but only ever compares them with it). */
typedef struct adn_pruning {
    uint8_t *prev;
    int width, height, has_prev;
    float threshold;                /* as adn_temporal's: 0.5 after init */
    adn_prune_outcome outcome;      /* of the last apply */
    int box_x, box_y, box_w, box_h; /* the largest contour's box, for the last three outcomes */
} adn_pruning;

void adn_pruning_init(adn_pruning *p);
/* Frees the state and resets it for another video (the threshold is kept). */
void adn_pruning_free(adn_pruning *p);
/* Applies instance pruning to logits in place: multiplies by prune_mask (0 = cut, else keep;
 * width x height; NULL when the frame has no pruning mask, as the released loop skips the
 * multiplication when a frame's mask file is missing), then the box logic of the spec
 * (40000 < count < 100000: open 15 x 15, dilate 31 x 31, external contours; with more than
 * one, the bounding box of the first contour of largest cv2.contourArea in OpenCV's order; that
 * area above 30000 and no previous result or IoU with it above 0.3: zero outside the box), and
 * remembers the result. Fails with ADNET_ERR_INVALID_ARGUMENT when the size differs from the
 * previous frame's, ADNET_ERR_OUT_OF_MEMORY; on failure neither logits nor the state change. */
adnet_status adn_pruning_apply(adn_pruning *p, float *logits, const uint8_t *prune_mask, int width,
                               int height);

#endif
