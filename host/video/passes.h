/* The network passes of one frame in the released loop: one pass at the network input size,
 * or with multi-scale + mirror six: three scales, each plain and mirrored (passes 0-2 the
 * scales, 3-5 the same mirrored: the order in which the released loop averages them). Pass k
 * uses the model's anchor slot k. */
#ifndef ADN_PASSES_H
#define ADN_PASSES_H

#include "model.h"
#include "scheduler.h"

/* The released evaluation's network input size and threshold: the defaults of `adnet segment`
 * and of the public session. */
#define ADN_RELEASED_WIDTH     857
#define ADN_RELEASED_HEIGHT    481
#define ADN_RELEASED_THRESHOLD 0.5f

/* Passes of multi-scale + mirror: 3 scales, each plain and mirrored. */
#define ADN_MSM_PASSES 6

typedef struct adn_pass {
    int w, h, fw, fh; /* input and feature size */
    int mirror;       /* the input is the mirror of pass `source`'s */
    int source;
} adn_pass;

typedef struct adn_passes {
    adn_pass p[ADN_MSM_PASSES];
    int n;
} adn_passes;

/* The network input sizes of multi-scale + mirror for a base size W x H: W and H scaled by
 * 0.75, 1 and 1.5, each side rounded to (s - 1) // 8 * 8 + 1 as the released loop does it
 * (in floating point; 857 x 481 gives 641 x 353, 857 x 481, 1281 x 721). */
void adn_msm_sizes(int width, int height, int w[3], int h[3]);

/* The passes for input size width x height, one or (ms_mirror) six; fails when a scale of
 * multi-scale is empty. */
adnet_status adn_passes_make(int width, int height, int ms_mirror, adn_passes *out);

/* The distinct input sizes of ps, the largest first (planned in this order, the activation
 * arena grows once); returns how many (1 or 3). */
int adn_passes_sizes(const adn_passes *ps, int w[3], int h[3]);

/* A scheduler over devs with a replica of the model (w, arch) on each, planned for every size
 * of ps: how `adnet segment` and the multi-device session start. */
adnet_status adn_passes_sched_create(const adn_device_entry *devs, int n, const adn_weights *w,
                                     const adn_arch *arch, const adn_passes *ps, adn_sched **out);

/* Plans m for every size of ps, the largest first. */
adnet_status adn_passes_prepare(adnet_model *m, const adn_passes *ps);

/* Preprocesses a BGR frame for every pass into inputs[k] (3 x h x w floats each): resized and
 * mean-subtracted, mirrored for the mirrored passes. */
adnet_status adn_passes_preprocess(const adn_passes *ps, const adnet_image *bgr,
                                   float *const inputs[]);

/* Computes the anchor embedding of every pass (slot k for pass k) from preprocessed inputs. */
adnet_status adn_passes_set_anchors(adnet_model *m, const adn_passes *ps, float *const inputs[]);

/* Submits every pass of a frame without waiting: logits[k] (fh x fw floats) is valid once
 * done[k] completes; *n_done counts the events made (release them even on failure). */
adnet_status adn_passes_submit(adnet_model *m, const adn_passes *ps, float *const inputs[],
                               float *const logits[], adn_event done[], int *n_done);

/* The frame's logits at its own size w x h into acc: the one pass upsampled (bilinear,
 * align_corners=True), or every pass upsampled, the mirrored ones flipped back, averaged. tmp
 * holds w x h floats of scratch (unused with one pass). */
void adn_passes_combine(const adn_passes *ps, const float *const logits[], float *acc, float *tmp,
                        int w, int h);

#endif
