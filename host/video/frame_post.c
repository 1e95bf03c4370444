#include "frame_post.h"

#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void adn_frame_post_init(adn_frame_post *fp, float threshold, int temporal) {
    memset(fp, 0, sizeof *fp);
    fp->threshold = threshold;
    fp->temporal_on = temporal;
    adn_temporal_init(&fp->temporal);
    adn_pruning_init(&fp->pruning);
}

void adn_frame_post_free(adn_frame_post *fp) {
    adn_temporal_free(&fp->temporal);
    adn_pruning_free(&fp->pruning);
    free(fp->acc);
    free(fp->tmp);
    fp->acc = fp->tmp = NULL;
    fp->cap = 0;
}

void adn_frame_post_begin_video(adn_frame_post *fp, int pruning_on) {
    adn_temporal_free(&fp->temporal);
    adn_temporal_init(&fp->temporal);
    adn_pruning_free(&fp->pruning);
    adn_pruning_init(&fp->pruning);
    /* the released loop compares with its --threshold everywhere, these steps included */
    fp->temporal.threshold = fp->threshold;
    fp->pruning.threshold = fp->threshold;
    fp->pruning_on = pruning_on;
}

adnet_status adn_frame_post_combine(adn_frame_post *fp, const adn_passes *ps,
                                    const float *const logits[], int w, int h) {
    size_t n = (size_t)w * h;
    if (n > fp->cap) {
        free(fp->acc);
        free(fp->tmp);
        fp->acc = malloc(n * sizeof *fp->acc);
        fp->tmp = malloc(n * sizeof *fp->tmp);
        fp->cap = fp->acc && fp->tmp ? n : 0;
        if (!fp->cap) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    adn_passes_combine(ps, logits, fp->acc, fp->tmp, w, h);
    return ADNET_OK;
}

adnet_status adn_frame_post_apply(adn_frame_post *fp, const uint8_t *prune_mask, int w, int h) {
    if (fp->pruning_on) ADN_TRY(adn_pruning_apply(&fp->pruning, fp->acc, prune_mask, w, h));
    if (fp->temporal_on) ADN_TRY(adn_temporal_apply(&fp->temporal, fp->acc, w, h));
    return ADNET_OK;
}

size_t adn_frame_post_mask(const adn_frame_post *fp, size_t n, uint8_t *mask) {
    return adn_threshold(fp->acc, n, fp->threshold, mask);
}

void adn_frame_post_saliency(const adn_frame_post *fp, size_t n, uint8_t *saliency) {
    for (size_t i = 0; i < n; i++)
        saliency[i] = (uint8_t)lrintf(255.0f / (1.0f + expf(-fp->acc[i])));
}
