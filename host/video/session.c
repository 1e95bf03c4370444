/* The public video session (adnet_session_* in adnet.h): the released loop for one frame at a
 * time on the calling thread, with the same passes and post-processing as the pipeline. */
#include "frame_post.h"
#include "passes.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

struct adnet_session {
    adnet_model *model;
    adnet_session_options o;
    adn_passes passes;
    adn_frame_post post;
    float *inputs[ADN_MSM_PASSES];
    float *logits[ADN_MSM_PASSES];
    int has_anchor;
};

void adnet_session_options_default(adnet_session_options *o) {
    memset(o, 0, sizeof *o);
    o->width = 857;
    o->height = 481;
    o->threshold = 0.5f;
    o->temporal = 1;
}

void adnet_session_free(adnet_session *s) {
    if (!s) return;
    for (int k = 0; k < ADN_MSM_PASSES; k++) {
        free(s->inputs[k]);
        free(s->logits[k]);
    }
    adn_frame_post_free(&s->post);
    free(s);
}

adnet_status adnet_session_create(adnet_model *model, const adnet_session_options *o,
                                  adnet_session **out) {
    if (!out) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_create: out is NULL");
    *out = NULL;
    if (!model) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_create: no model");
    adnet_session_options opts;
    if (o)
        opts = *o;
    else
        adnet_session_options_default(&opts);
    if (opts.width < 1 || opts.height < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_create: input size %dx%d",
                        opts.width, opts.height);
    if (opts.outputs & ~(ADNET_OUTPUT_LOGITS | ADNET_OUTPUT_SALIENCY))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_create: unknown outputs 0x%x",
                        (unsigned)opts.outputs);
    adnet_session *s = calloc(1, sizeof *s);
    if (!s) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    s->model = model;
    s->o = opts;
    adn_frame_post_init(&s->post, opts.threshold, opts.temporal);
    adnet_status st = adn_passes_make(opts.width, opts.height, opts.ms_mirror, &s->passes);
    if (st == ADNET_OK) st = adn_passes_prepare(model, &s->passes);
    for (int k = 0; k < s->passes.n && st == ADNET_OK; k++) {
        const adn_pass *p = &s->passes.p[k];
        s->inputs[k] = malloc((size_t)3 * p->w * p->h * sizeof(float));
        s->logits[k] = malloc((size_t)p->fw * p->fh * sizeof(float));
        if (!s->inputs[k] || !s->logits[k])
            st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    if (st != ADNET_OK) {
        adnet_session_free(s);
        return st;
    }
    *out = s;
    return ADNET_OK;
}

static adnet_status check_bgr(const adnet_image *img, const char *what) {
    if (!img || !img->data || img->width < 1 || img->height < 1 || img->channels != 3)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: a BGR image (3 channels) is needed", what);
    return ADNET_OK;
}

adnet_status adnet_session_begin_video(adnet_session *s, const adnet_image *anchor) {
    if (!s) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_begin_video: no session");
    ADN_TRY(check_bgr(anchor, "adnet_session_begin_video"));
    s->has_anchor = 0;
    ADN_TRY(adn_passes_preprocess(&s->passes, anchor, s->inputs));
    ADN_TRY(adn_passes_set_anchors(s->model, &s->passes, s->inputs));
    adn_frame_post_begin_video(&s->post, s->o.pruning);
    s->has_anchor = 1;
    return ADNET_OK;
}

void adnet_frame_result_free(adnet_frame_result *r) {
    if (!r) return;
    adnet_image_free(&r->mask);
    adnet_image_free(&r->saliency);
    free(r->logits);
    memset(r, 0, sizeof *r);
}

static adnet_status alloc_plane(adnet_image *img, int w, int h) {
    img->data = malloc((size_t)w * h);
    if (!img->data) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    img->width = w;
    img->height = h;
    img->channels = 1;
    return ADNET_OK;
}

/* Runs every pass of the frame and waits for them. */
static adnet_status run_passes(adnet_session *s) {
    adn_event done[ADN_MSM_PASSES] = {0};
    int n_done = 0;
    adnet_status st = adn_passes_submit(s->model, &s->passes, s->inputs, s->logits, done, &n_done);
    adnet_status wait = adn_events_wait(n_done, done, "running the model");
    for (int k = 0; k < n_done; k++) adn_event_release(done[k]);
    return st != ADNET_OK ? st : wait;
}

adnet_status adnet_session_segment(adnet_session *s, const adnet_image *frame,
                                   const adnet_image *prune_mask, adnet_frame_result *out) {
    if (!out) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_segment: out is NULL");
    memset(out, 0, sizeof *out);
    if (!s) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_segment: no session");
    if (!s->has_anchor)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "adnet_session_segment: no video started (adnet_session_begin_video)");
    ADN_TRY(check_bgr(frame, "adnet_session_segment"));
    int w = frame->width, h = frame->height;
    const uint8_t *prune = NULL;
    if (s->o.pruning && prune_mask) {
        if (!prune_mask->data || prune_mask->channels != 1 || prune_mask->width != w ||
            prune_mask->height != h)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "adnet_session_segment: the pruning mask is %dx%d with %d channels, "
                            "the frame %dx%d (one channel of the frame's size is needed)",
                            prune_mask->width, prune_mask->height, prune_mask->channels, w, h);
        prune = prune_mask->data;
    }
    size_t n = (size_t)w * h;
    ADN_TRY(adn_passes_preprocess(&s->passes, frame, s->inputs));
    ADN_TRY(run_passes(s));
    ADN_TRY(adn_frame_post_combine(&s->post, &s->passes, (const float *const *)s->logits, w, h));
    adnet_status st = alloc_plane(&out->mask, w, h);
    if (st == ADNET_OK && (s->o.outputs & ADNET_OUTPUT_LOGITS)) {
        out->logits = malloc(n * sizeof *out->logits);
        if (out->logits)
            memcpy(out->logits, s->post.acc, n * sizeof *out->logits);
        else
            st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    if (st == ADNET_OK && (s->o.outputs & ADNET_OUTPUT_SALIENCY))
        st = alloc_plane(&out->saliency, w, h);
    if (st == ADNET_OK) st = adn_frame_post_apply(&s->post, prune, w, h);
    if (st != ADNET_OK) {
        adnet_frame_result_free(out);
        return st;
    }
    out->foreground = adn_frame_post_mask(&s->post, n, out->mask.data);
    if (out->saliency.data) adn_frame_post_saliency(&s->post, n, out->saliency.data);
    return ADNET_OK;
}
