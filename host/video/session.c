/* The public video session (adnet_session_* in adnet.h): the released loop on the calling
 * thread, with the same passes, scheduler and post-processing as the pipeline. A session runs
 * on one model (adnet_session_create) or on several devices at once
 * (adnet_session_create_devices: a replica per device); a batch of frames is spread over the
 * devices and post-processed in order. */
#include "frame_post.h"
#include "passes.h"
#include "scheduler.h"
#include "status.h"
#include "weights.h"
#include "device_select.h"

#include <stdlib.h>
#include <string.h>

struct adnet_session {
    adn_sched *sched;
    adn_weights *weights; /* a multi-device session's, open while its replicas are */
    adn_device_entry *devs;
    int n_devs;
    adnet_session_options o;
    adn_passes passes;
    adn_frame_post post;
    /* per frame of a batch and pass: inputs and logits; units */
    float **inputs, **logits;
    adn_unit *units;
    int cap_frames;
    int video; /* the current video's number (anchors are per video) */
    int has_anchor;
};

void adnet_session_options_default(adnet_session_options *o) {
    memset(o, 0, sizeof *o);
    o->width = ADN_RELEASED_WIDTH;
    o->height = ADN_RELEASED_HEIGHT;
    o->threshold = ADN_RELEASED_THRESHOLD;
    o->temporal = 1;
}

static void free_buffers(adnet_session *s) {
    for (int i = 0; i < s->cap_frames * ADN_MSM_PASSES; i++) {
        if (s->inputs) free(s->inputs[i]);
        if (s->logits) free(s->logits[i]);
    }
    free(s->inputs);
    free(s->logits);
    free(s->units);
    s->inputs = s->logits = NULL;
    s->units = NULL;
    s->cap_frames = 0;
}

void adnet_session_free(adnet_session *s) {
    if (!s) return;
    if (s->sched) adn_sched_drain(s->sched);
    adn_sched_free(s->sched);
    adn_weights_close(s->weights);
    adn_device_list_free(s->devs, s->n_devs);
    free_buffers(s);
    adn_frame_post_free(&s->post);
    free(s);
}

/* Host buffers for a batch of n frames (grown, never shrunk). */
static adnet_status reserve_frames(adnet_session *s, int n) {
    if (n <= s->cap_frames) return ADNET_OK;
    free_buffers(s);
    size_t slots = (size_t)n * ADN_MSM_PASSES;
    s->inputs = calloc(slots, sizeof *s->inputs);
    s->logits = calloc(slots, sizeof *s->logits);
    s->units = calloc(slots, sizeof *s->units);
    if (!s->inputs || !s->logits || !s->units)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    s->cap_frames = n;
    for (int f = 0; f < n; f++)
        for (int k = 0; k < s->passes.n; k++) {
            const adn_pass *p = &s->passes.p[k];
            size_t i = (size_t)f * ADN_MSM_PASSES + (size_t)k;
            s->inputs[i] = malloc((size_t)3 * p->w * p->h * sizeof(float));
            s->logits[i] = malloc((size_t)p->fw * p->fh * sizeof(float));
            if (!s->inputs[i] || !s->logits[i])
                return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        }
    return ADNET_OK;
}

static adnet_status check_options(const adnet_session_options *o) {
    if (o->width < 1 || o->height < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session: input size %dx%d", o->width,
                        o->height);
    if (o->outputs & ~(ADNET_OUTPUT_LOGITS | ADNET_OUTPUT_SALIENCY))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session: unknown outputs 0x%x",
                        (unsigned)o->outputs);
    return ADNET_OK;
}

/* The parts every session has, before its scheduler. */
static adnet_status new_session(const adnet_session_options *o, adnet_session **out) {
    *out = NULL;
    adnet_session_options opts;
    if (o)
        opts = *o;
    else
        adnet_session_options_default(&opts);
    ADN_TRY(check_options(&opts));
    adnet_session *s = calloc(1, sizeof *s);
    if (!s) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    s->o = opts;
    s->video = -1;
    adn_frame_post_init(&s->post, opts.threshold, opts.temporal);
    adnet_status st = adn_passes_make(opts.width, opts.height, opts.ms_mirror, &s->passes);
    if (st == ADNET_OK) st = reserve_frames(s, 1);
    if (st != ADNET_OK) {
        adnet_session_free(s);
        return st;
    }
    *out = s;
    return ADNET_OK;
}

adnet_status adnet_session_create(adnet_model *model, const adnet_session_options *o,
                                  adnet_session **out) {
    if (!out) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_create: out is NULL");
    *out = NULL;
    if (!model) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_create: no model");
    adnet_session *s;
    ADN_TRY(new_session(o, &s));
    adnet_status st = adn_passes_prepare(model, &s->passes);
    if (st == ADNET_OK) st = adn_sched_create_from_model(model, &s->sched);
    if (st == ADNET_OK) st = adn_sched_wait_ready(s->sched);
    if (st != ADNET_OK) {
        adnet_session_free(s);
        return st;
    }
    *out = s;
    return ADNET_OK;
}

adnet_status adnet_session_create_devices(const char *weights_path, adnet_model_kind kind,
                                          const char *devices, const adnet_session_options *o,
                                          adnet_session **out) {
    if (!out)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_create_devices: out is NULL");
    *out = NULL;
    adnet_session *s;
    ADN_TRY(new_session(o, &s));
    adn_arch arch;
    adnet_status st = adn_device_list_resolve(devices, &s->devs, &s->n_devs);
    if (st == ADNET_OK) st = adn_weights_open_checked(weights_path, kind, &s->weights, &arch);
    if (st == ADNET_OK)
        st = adn_passes_sched_create(s->devs, s->n_devs, s->weights, &arch, &s->passes, &s->sched);
    if (st == ADNET_OK) st = adn_sched_wait_ready(s->sched);
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
    int w[ADN_MSM_PASSES], h[ADN_MSM_PASSES];
    for (int k = 0; k < s->passes.n; k++) {
        w[k] = s->passes.p[k].w;
        h[k] = s->passes.p[k].h;
    }
    s->video++;
    ADN_TRY(adn_sched_set_anchor(s->sched, s->video, s->passes.n, w, h,
                                 (const float *const *)s->inputs));
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

/* The pruning mask frame f uses, checked; NULL when pruning is off or it has none. */
static adnet_status prune_of(const adnet_session *s, const adnet_image *frame,
                             const adnet_image *mask, const uint8_t **out) {
    *out = NULL;
    if (!s->o.pruning || !mask || !mask->data) return ADNET_OK;
    if (mask->channels != 1 || mask->width != frame->width || mask->height != frame->height)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "adnet_session_segment: the pruning mask is %dx%d with %d channels, "
                        "the frame %dx%d (one channel of the frame's size is needed)",
                        mask->width, mask->height, mask->channels, frame->width, frame->height);
    *out = mask->data;
    return ADNET_OK;
}

/* Post-processes frame f of a batch (in order) into out. */
static adnet_status finish(adnet_session *s, int f, const adnet_image *frame, const uint8_t *prune,
                           adnet_frame_result *out) {
    int w = frame->width, h = frame->height;
    size_t n = (size_t)w * h;
    ADN_TRY(adn_frame_post_combine(
        &s->post, &s->passes, (const float *const *)s->logits + (size_t)f * ADN_MSM_PASSES, w, h));
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
    if (st != ADNET_OK) return st;
    out->foreground = adn_frame_post_mask(&s->post, n, out->mask.data);
    if (out->saliency.data) adn_frame_post_saliency(&s->post, n, out->saliency.data);
    return ADNET_OK;
}

adnet_status adnet_session_segment_frames(adnet_session *s, const adnet_image *frames, int n,
                                          const adnet_image *prune_masks, adnet_frame_result *out) {
    if (!out || n < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_segment: no frames or no out");
    memset(out, 0, (size_t)n * sizeof *out);
    if (!s) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_segment: no session");
    if (!s->has_anchor)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "adnet_session_segment: no video started (adnet_session_begin_video)");
    if (n > 64)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_session_segment: at most 64 frames");
    const uint8_t *prune[64];
    for (int f = 0; f < n; f++) {
        ADN_TRY(check_bgr(&frames[f], "adnet_session_segment"));
        ADN_TRY(prune_of(s, &frames[f], prune_masks ? &prune_masks[f] : NULL, &prune[f]));
    }
    ADN_TRY(reserve_frames(s, n));
    /* every pass of every frame to the scheduler, then the frames in order */
    int submitted = 0;
    adnet_status st = ADNET_OK;
    for (int f = 0; f < n && st == ADNET_OK; f++) {
        float **in = s->inputs + (size_t)f * ADN_MSM_PASSES;
        float **lo = s->logits + (size_t)f * ADN_MSM_PASSES;
        st = adn_passes_preprocess(&s->passes, &frames[f], in);
        for (int k = 0; k < s->passes.n && st == ADNET_OK; k++) {
            adn_unit *u = &s->units[(size_t)f * ADN_MSM_PASSES + (size_t)k];
            const adn_pass *p = &s->passes.p[k];
            *u = (adn_unit){s->video, k, p->w, p->h, in[k], lo[k], NULL, -1};
            st = adn_sched_submit(s->sched, u);
            if (st == ADNET_OK) submitted++;
        }
    }
    for (int done = 0; done < submitted && st == ADNET_OK;) {
        adn_unit *u = NULL;
        st = adn_sched_poll(s->sched, 0.5, &u);
        if (u) done++;
    }
    if (st != ADNET_OK) {
        adn_sched_drain(s->sched);
        return st;
    }
    for (int f = 0; f < n && st == ADNET_OK; f++) st = finish(s, f, &frames[f], prune[f], &out[f]);
    if (st != ADNET_OK)
        for (int f = 0; f < n; f++) adnet_frame_result_free(&out[f]);
    return st;
}

adnet_status adnet_session_segment(adnet_session *s, const adnet_image *frame,
                                   const adnet_image *prune_mask, adnet_frame_result *out) {
    return adnet_session_segment_frames(s, frame, 1, prune_mask, out);
}
