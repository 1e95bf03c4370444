/* What the released loop does to a frame's logits after the network, with its state across
 * the frames of one video: the passes combined at the frame's size, instance pruning (when the
 * video has pruning masks), the temporal step (unless off), then the threshold. The video
 * pipeline and the public video session (adnet_session) both run frames through this. */
#ifndef ADN_FRAME_POST_H
#define ADN_FRAME_POST_H

#include "passes.h"
#include "postproc.h"

typedef struct adn_frame_post {
    float threshold; /* on raw logits, in every step (the released --threshold) */
    int temporal_on;
    int pruning_on; /* this video has pruning masks */
    adn_temporal temporal;
    adn_pruning pruning;
    float *acc, *tmp; /* the frame's logits at its size (after adn_frame_post_combine), scratch */
    size_t cap;
} adn_frame_post;

void adn_frame_post_init(adn_frame_post *fp, float threshold, int temporal);
void adn_frame_post_free(adn_frame_post *fp);

/* Starts a video: the temporal and pruning state of the last one are dropped. */
void adn_frame_post_begin_video(adn_frame_post *fp, int pruning_on);

/* The frame's logits at w x h into fp->acc, from every pass's logits (adn_passes_combine). */
adnet_status adn_frame_post_combine(adn_frame_post *fp, const adn_passes *ps,
                                    const float *const logits[], int w, int h);

/* Pruning (with prune_mask, w x h, or NULL when this frame has none: the released loop then
 * skips the product but not the box logic) and the temporal step on fp->acc, in place. */
adnet_status adn_frame_post_apply(adn_frame_post *fp, const uint8_t *prune_mask, int w, int h);

/* The mask (255 where fp->acc > threshold) of n pixels; returns the foreground count. */
size_t adn_frame_post_mask(const adn_frame_post *fp, size_t n, uint8_t *mask);
/* The saliency map: 255 x sigmoid(fp->acc), rounded, of n pixels. */
void adn_frame_post_saliency(const adn_frame_post *fp, size_t n, uint8_t *saliency);

#endif
