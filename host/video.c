/* The video pipeline. Three threads hand work along two bounded queues:
 *
 *   loader ──work──> device (the calling thread) ──writes──> writer
 *      ^                 │
 *      └───free_slots────┘
 *
 * - The loader decodes frame t + 2 (and preprocesses it for every pass, reads its pruning mask
 *   and annotation) while the device computes frames t and t + 1: a frame's host buffers live
 *   in one of N_SLOTS slots, which the device thread hands back once the frame's logits are
 *   read, so the loader runs ahead by at most the free slots (double buffering and then some).
 * - The device thread submits frame t + 1 before it waits for frame t's logits, so the
 *   in-order OpenCL queue always holds the next frame's work while the host post-processes
 *   (pruning and the temporal step need frame t's final logits before frame t + 1's, which
 *   this order gives for free: post-processing stays on one thread, in frame order). The
 *   queue drains only at a video's start, where the anchor's embedding is needed.
 * - The writer writes every file (masks, heat maps, logits, overlays, summary.json), scores
 *   masks against annotations, and reports progress, so PNG and JPEG encoding never delay the
 *   device.
 * Every item goes down the queues in frame order, errors included: when the loader fails on
 * frame k, the frames before k still reach the writer, then the run stops with the loader's
 * message. The first failure of any thread is the run's failure. */
#include "video.h"

#include "fsutil.h"
#include "image.h"
#include "metrics.h"
#include "npy.h"
#include "overlay.h"
#include "postproc.h"
#include "queue.h"
#include "status.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef ADNET_GIT_COMMIT
#define ADNET_GIT_COMMIT "unknown"
#endif

#define N_SLOTS     4 /* frames whose host buffers exist at once (see above) */
#define WRITE_QUEUE 8 /* finished frames waiting for the writer */

void adn_segment_options_default(adn_segment_options *o) {
    memset(o, 0, sizeof *o);
    o->width = 857;
    o->height = 481;
    o->threshold = 0.5f;
    o->temporal = 1;
}

void adn_msm_sizes(int width, int height, int w[3], int h[3]) {
    static const double scales[3] = {0.75, 1.0, 1.5};
    for (int i = 0; i < 3; i++) {
        /* Python's (s - 1) // 8 on a float is floor((s - 1) / 8) */
        w[i] = (int)(floor(((double)width * scales[i] - 1.0) / 8.0) * 8.0 + 1.0);
        h[i] = (int)(floor(((double)height * scales[i] - 1.0) / 8.0) * 8.0 + 1.0);
    }
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- work items -------------------------------------------------------------------------- */

/* One network pass: its input size, feature size, and whether the input is mirrored. With
 * multi-scale + mirror, passes 0-2 are the three scales and 3-5 the same scales mirrored (the
 * order in which the released loop averages them); pass k uses anchor slot k. */
typedef struct pass {
    int w, h, fw, fh, mirror, source; /* source: the plain pass a mirrored one flips */
} pass;

/* Host buffers of one frame in flight: an input per pass, logits per pass. */
typedef struct slot {
    float *input[ADN_MSM_PASSES];
    float *logits[ADN_MSM_PASSES];
} slot;

typedef enum item_kind { ITEM_ANCHOR, ITEM_FRAME, ITEM_VIDEO_END, ITEM_ERROR, ITEM_END } item_kind;

/* From the loader to the device thread. */
typedef struct item {
    item_kind kind;
    int video, frame;
    slot *slot;
    adnet_image image; /* the decoded frame (its size; the overlay's background) */
    adnet_image prune; /* pruning mask, or empty */
    adnet_image gt;    /* annotation, or empty */
    int prune_missing; /* pruning is on but this frame has no pruning mask file */
    cl_event done[ADN_MSM_PASSES];
    int n_done;
    adnet_status status; /* ITEM_ERROR */
    char *message;
} item;

typedef enum out_kind { OUT_VIDEO_BEGIN, OUT_FRAME, OUT_VIDEO_END } out_kind;

/* From the device thread to the writer. */
typedef struct out_item {
    out_kind kind;
    int video, frame;
    int width, height;
    uint8_t *mask; /* 0 / 255 */
    uint8_t *heat; /* or NULL */
    float *logits; /* or NULL */
    size_t shape[3];
    adnet_image image; /* for the overlay, or empty */
    adnet_image gt;    /* annotation, or empty */
    size_t foreground; /* mask pixels */
    int prune_missing;
    double waits[4]; /* OUT_VIDEO_END: the device thread's time in seconds (see video_waits) */
    double ms;       /* the frame's share of the run's time */
} out_item;

static void item_free(item *it) {
    if (!it) return;
    for (int k = 0; k < it->n_done; k++)
        if (it->done[k]) clReleaseEvent(it->done[k]);
    adnet_image_free(&it->image);
    adnet_image_free(&it->prune);
    adnet_image_free(&it->gt);
    free(it->message);
    free(it);
}

static void out_free(out_item *o) {
    if (!o) return;
    free(o->mask);
    free(o->heat);
    free(o->logits);
    adnet_image_free(&o->image);
    adnet_image_free(&o->gt);
    free(o);
}

/* ---- the pipeline ------------------------------------------------------------------------ */

enum { WAIT_ANCHOR, WAIT_DEVICE, WAIT_LOADER, WAIT_WRITER };
static const char *const wait_names[4] = {"anchor_s", "device_wait_s", "loader_wait_s",
                                          "writer_wait_s"};

typedef struct pipeline {
    adnet_model *m;
    const adn_video_set *set;
    const char *out;
    const adn_segment_options *o;
    adn_segment_progress_fn progress;
    void *user;
    pass passes[ADN_MSM_PASSES];
    int n_passes;
    slot slots[N_SLOTS];
    adn_queue free_slots, work, writes;
    double t0;

    /* the run's first failure, from whichever thread */
    pthread_mutex_t err_mutex;
    adnet_status err;
    char err_msg[4096];
    atomic_int stop;
    atomic_int cancelled;

    /* device thread: post-processing state of the current video */
    adn_temporal temporal;
    adn_pruning pruning;
    /* where the device thread's time went in this video: computing the anchors, waiting for
     * the device, for the loader's next frame, for room in the writer's queue */
    double waits[4];
    float *acc, *tmp;
    size_t acc_cap;
    double t_last;

    /* writer thread */
    adn_metrics *metrics;
    cJSON *summary, *per_frame;
    double video_t0;
    int video_scored;
    int video_prune_missing;
    adn_segment_result result;
    adnet_model_info info; /* read once: the writer never touches the model */
} pipeline;

/* Records the calling thread's last error as the run's failure, unless one came first. */
static void record_error(pipeline *p, adnet_status st, const char *message) {
    pthread_mutex_lock(&p->err_mutex);
    if (p->err == ADNET_OK) {
        p->err = st;
        const char *msg = message ? message : adnet_last_error();
        snprintf(p->err_msg, sizeof p->err_msg, "%s", msg && *msg ? msg : adnet_strerror(st));
    }
    pthread_mutex_unlock(&p->err_mutex);
    atomic_store(&p->stop, 1);
}

static int stopping(const pipeline *p) {
    return atomic_load(&p->stop);
}

/* <out>/<kind>/<video's sub-folder> */
static void kind_dir(const pipeline *p, const adn_video *v, const char *kind, char *dst,
                     size_t cap) {
    if (v->out_sub[0])
        snprintf(dst, cap, "%s/%s/%s", p->out, kind, v->out_sub);
    else
        snprintf(dst, cap, "%s/%s", p->out, kind);
}

/* ---- loader thread ----------------------------------------------------------------------- */

static void mirror_input(const float *src, float *dst, int w, int h) {
    for (size_t row = 0; row < (size_t)3 * h; row++) {
        const float *s = src + row * w;
        float *d = dst + row * w;
        for (int x = 0; x < w; x++) d[x] = s[w - 1 - x];
    }
}

/* Decodes frame f of video v and preprocesses it for every pass into s. */
static adnet_status load_inputs(pipeline *p, const adn_video *v, int f, slot *s, adnet_image *img) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", v->frames.dir, v->frames.names[f]);
    ADN_TRY(adnet_image_load_bgr(path, img));
    adnet_status st = ADNET_OK;
    for (int k = 0; k < p->n_passes && st == ADNET_OK; k++) {
        const pass *ps = &p->passes[k];
        if (ps->mirror)
            mirror_input(s->input[ps->source], s->input[k], ps->w, ps->h);
        else
            st = adnet_preprocess(img, ps->w, ps->h, s->input[k]);
    }
    if (st != ADNET_OK) {
        adnet_image_free(img);
        return adn_fail_context(st, "preprocessing '%s': ", path);
    }
    return ADNET_OK;
}

/* Reads <dir>/<frame stem>.png as a mask of the frame's size. */
static adnet_status load_mask_for(const char *what, const char *dir, const char *frame_path,
                                  const char *name, const adnet_image *frame, adnet_image *out) {
    char stem[1024], path[4096];
    adn_frame_stem(name, stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s.png", dir, stem);
    adnet_status st = adn_image_load_mask(path, out);
    if (st != ADNET_OK) return adn_fail_context(st, "%s: ", what);
    if (out->width != frame->width || out->height != frame->height) {
        st = adn_fail(ADNET_ERR_FORMAT, "%s '%s' is %dx%d, but its frame '%s' is %dx%d", what, path,
                      out->width, out->height, frame_path, frame->width, frame->height);
        adnet_image_free(out);
    }
    return st;
}

static adnet_status load_frame_item(pipeline *p, const adn_video *v, int f, item *it) {
    ADN_TRY(load_inputs(p, v, f, it->slot, &it->image));
    char frame_path[4096];
    snprintf(frame_path, sizeof frame_path, "%s/%s", v->frames.dir, v->frames.names[f]);
    if (v->prune_masks) {
        /* the released loop multiplies by a frame's pruning mask only when its file exists */
        char stem[1024], path[5200];
        adn_frame_stem(v->frames.names[f], stem, sizeof stem);
        snprintf(path, sizeof path, "%s/%s.png", v->prune_masks, stem);
        struct stat sb;
        if (stat(path, &sb) != 0 && errno == ENOENT)
            it->prune_missing = 1;
        else
            ADN_TRY(load_mask_for("pruning mask", v->prune_masks, frame_path, v->frames.names[f],
                                  &it->image, &it->prune));
    }
    if (v->annotations)
        ADN_TRY(load_mask_for("annotation", v->annotations, frame_path, v->frames.names[f],
                              &it->image, &it->gt));
    return ADNET_OK;
}

/* Pushes an item to the device thread; on a closed queue (the run is stopping) frees it. */
static int push_work(pipeline *p, item *it) {
    if (adn_queue_push(&p->work, it) == 0) return 0;
    if (it->slot) adn_queue_push(&p->free_slots, it->slot);
    item_free(it);
    return -1;
}

static void *loader_main(void *arg) {
    pipeline *p = arg;
    const adn_segment_options *o = p->o;
    for (int vi = 0; vi < p->set->n; vi++) {
        const adn_video *v = &p->set->videos[vi];
        for (int f = -1; f < v->frames.n; f++) { /* f = -1: the anchor */
            if (o->cancel && *o->cancel) {
                atomic_store(&p->cancelled, 1);
                goto end;
            }
            if (stopping(p)) return NULL;
            item *it = calloc(1, sizeof *it);
            if (!it) {
                record_error(p, adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory"), NULL);
                return NULL;
            }
            it->kind = f < 0 ? ITEM_ANCHOR : ITEM_FRAME;
            it->video = vi;
            it->frame = f < 0 ? o->anchor_index : f;
            it->slot = adn_queue_pop(&p->free_slots);
            if (!it->slot) { /* closed: the run is stopping */
                item_free(it);
                return NULL;
            }
            adnet_status st = f < 0 ? load_inputs(p, v, o->anchor_index, it->slot, &it->image)
                                    : load_frame_item(p, v, f, it);
            if (f < 0) adnet_image_free(&it->image);
            if (st != ADNET_OK) {
                /* the error travels in frame order: the frames before it are finished first */
                adn_queue_push(&p->free_slots, it->slot);
                it->slot = NULL;
                adnet_image_free(&it->image);
                adnet_image_free(&it->prune);
                adnet_image_free(&it->gt);
                it->kind = ITEM_ERROR;
                it->status = st;
                it->message = strdup(adnet_last_error());
                push_work(p, it);
                return NULL;
            }
            if (push_work(p, it) != 0) return NULL;
        }
        item *end = calloc(1, sizeof *end);
        if (!end) {
            record_error(p, adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory"), NULL);
            return NULL;
        }
        end->kind = ITEM_VIDEO_END;
        end->video = vi;
        if (push_work(p, end) != 0) return NULL;
    }
end:;
    item *it = calloc(1, sizeof *it);
    if (!it) {
        record_error(p, adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory"), NULL);
        return NULL;
    }
    it->kind = ITEM_END;
    push_work(p, it);
    return NULL;
}

/* ---- writer thread ----------------------------------------------------------------------- */

/* Tells the caller where the run is (writer thread only). */
static void report(pipeline *p, adn_progress_kind kind, int video, int frame, double video_seconds,
                   int scored, double iou) {
    if (!p->progress) return;
    const adn_video *v = &p->set->videos[video];
    adn_progress ev = {
        .kind = kind,
        .video = video,
        .n_videos = p->set->n,
        .video_name = v->name,
        .frame = frame,
        .n_frames = v->frames.n,
        .frame_name = kind == ADN_PROGRESS_FRAME ? v->frames.names[frame] : NULL,
        .frames_done = p->result.frames_done,
        .frames_total = p->set->total_frames,
        .elapsed = now_seconds() - p->t0,
        .video_seconds = video_seconds,
        .scored = scored,
        .iou = iou,
        .prune_missing = p->video_prune_missing,
    };
    p->progress(p->user, &ev);
}

static adnet_status begin_video(pipeline *p, const out_item *oi) {
    const adn_video *v = &p->set->videos[oi->video];
    const adn_segment_options *o = p->o;
    char dir[4096];
    const char *kinds[4] = {"masks", o->save_heatmaps ? "heatmaps" : NULL,
                            o->save_logits ? "logits" : NULL, o->overlay ? "overlays" : NULL};
    for (int k = 0; k < 4; k++) {
        if (!kinds[k]) continue;
        kind_dir(p, v, kinds[k], dir, sizeof dir);
        ADN_TRY(adn_mkdir_p(dir));
    }
    if (v->out_sub[0]) {
        snprintf(dir, sizeof dir, "%s/summary", p->out);
        ADN_TRY(adn_mkdir_p(dir));
    }
    p->video_scored = v->annotations && v->frames.n >= 3;
    p->video_prune_missing = 0;
    if (p->video_scored) ADN_TRY(adn_metrics_begin_sequence(p->metrics, v->name));

    cJSON_Delete(p->summary);
    cJSON *s = p->summary = cJSON_CreateObject();
    if (!s) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    cJSON_AddStringToObject(s, "video", v->name);
    cJSON_AddStringToObject(s, "frames_dir", v->frames.dir);
    cJSON_AddNumberToObject(s, "frames", v->frames.n);
    char stem[1024];
    adn_frame_stem(v->frames.names[o->anchor_index], stem, sizeof stem);
    cJSON_AddStringToObject(s, "anchor", stem);
    cJSON *sizes = cJSON_AddArrayToObject(s, "input_sizes");
    cJSON *feats = cJSON_AddArrayToObject(s, "feature_sizes");
    for (int k = 0; k < p->n_passes; k++) {
        const pass *ps = &p->passes[k];
        if (ps->mirror) continue;
        int wh[2] = {ps->w, ps->h}, fhw[2] = {ps->fw, ps->fh};
        cJSON_AddItemToArray(sizes, cJSON_CreateIntArray(wh, 2));
        cJSON_AddItemToArray(feats, cJSON_CreateIntArray(fhw, 2));
    }
    cJSON_AddStringToObject(s, "device", p->info.device);
    cJSON *model = cJSON_AddObjectToObject(s, "model");
    cJSON_AddStringToObject(model, "kind", adnet_model_kind_name(p->info.kind));
    cJSON_AddNumberToObject(model, "depth", p->info.depth);
    cJSON_AddNumberToObject(model, "embed", p->info.embed);
    if (o->weights_path) cJSON_AddStringToObject(model, "weights", o->weights_path);
    cJSON *opt = cJSON_AddObjectToObject(s, "options");
    int size[2] = {o->width, o->height};
    cJSON_AddItemToObject(opt, "size", cJSON_CreateIntArray(size, 2));
    char thr[32]; /* the float as the user wrote it (0.7, not 0.699999988) */
    snprintf(thr, sizeof thr, "%.7g", (double)o->threshold);
    cJSON_AddNumberToObject(opt, "threshold", strtod(thr, NULL));
    cJSON_AddNumberToObject(opt, "anchor", o->anchor_index);
    cJSON_AddBoolToObject(opt, "temporal", o->temporal);
    cJSON_AddBoolToObject(opt, "ms_mirror", o->ms_mirror);
    if (v->prune_masks)
        cJSON_AddStringToObject(opt, "prune_masks", v->prune_masks);
    else
        cJSON_AddNullToObject(opt, "prune_masks");
    if (v->annotations)
        cJSON_AddStringToObject(opt, "annotations", v->annotations);
    else
        cJSON_AddNullToObject(opt, "annotations");
    cJSON_AddBoolToObject(opt, "palette", o->palette);
    cJSON_AddBoolToObject(opt, "save_heatmaps", o->save_heatmaps);
    cJSON_AddBoolToObject(opt, "save_logits", o->save_logits);
    cJSON_AddBoolToObject(opt, "overlay", o->overlay);
    cJSON_AddStringToObject(s, "adnet_version", ADNET_VERSION_STRING " (" ADNET_GIT_COMMIT ")");
    p->per_frame = cJSON_AddArrayToObject(s, "per_frame");
    p->video_t0 = now_seconds();
    if (!p->per_frame) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");

    report(p, ADN_PROGRESS_VIDEO_BEGIN, oi->video, 0, 0, 0, 0);
    return ADNET_OK;
}

static adnet_status write_frame(pipeline *p, out_item *oi) {
    const adn_video *v = &p->set->videos[oi->video];
    const adn_segment_options *o = p->o;
    const char *name = v->frames.names[oi->frame];
    char stem[1024], dir[4096], path[5200];
    adn_frame_stem(name, stem, sizeof stem);
    int w = oi->width, h = oi->height;
    size_t n = (size_t)w * h;

    kind_dir(p, v, "masks", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s.png", dir, stem);
    if (o->palette) {
        uint8_t palette[256 * 3];
        adn_davis_palette(palette);
        uint8_t *idx = malloc(n);
        if (!idx) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        for (size_t i = 0; i < n; i++) idx[i] = oi->mask[i] ? 1 : 0;
        adnet_status st = adn_png_write_indexed(path, w, h, idx, palette, 256);
        free(idx);
        ADN_TRY(st);
    } else {
        ADN_TRY(adn_png_write_gray(path, w, h, oi->mask));
    }
    if (oi->heat) {
        kind_dir(p, v, "heatmaps", dir, sizeof dir);
        snprintf(path, sizeof path, "%s/%s.png", dir, stem);
        ADN_TRY(adn_png_write_gray(path, w, h, oi->heat));
    }
    if (oi->logits) {
        kind_dir(p, v, "logits", dir, sizeof dir);
        snprintf(path, sizeof path, "%s/%s.npy", dir, stem);
        ADN_TRY(adn_npy_write_f32(path, oi->logits, 3, oi->shape));
    }
    if (o->overlay) {
        adnet_image ov = {0};
        ADN_TRY(adn_overlay_render(&oi->image, oi->mask, &ov));
        kind_dir(p, v, "overlays", dir, sizeof dir);
        snprintf(path, sizeof path, "%s/%s.jpg", dir, stem);
        adnet_status st = adn_jpeg_write_bgr(path, &ov, 90);
        adnet_image_free(&ov);
        ADN_TRY(st);
    }

    cJSON *fr = cJSON_CreateObject();
    if (!fr) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    cJSON_AddItemToArray(p->per_frame, fr);
    cJSON_AddStringToObject(fr, "frame", stem);
    int wh[2] = {w, h};
    cJSON_AddItemToObject(fr, "size", cJSON_CreateIntArray(wh, 2));
    cJSON_AddNumberToObject(fr, "foreground", (double)oi->foreground / (double)n);
    cJSON_AddNumberToObject(fr, "ms", round(oi->ms * 1000.0) / 1000.0);
    if (v->prune_masks) cJSON_AddBoolToObject(fr, "prune_mask", !oi->prune_missing);
    p->video_prune_missing += oi->prune_missing;
    if (oi->gt.data && p->video_scored) {
        adn_frame_metrics fm;
        ADN_TRY(adn_metrics_add_frame(p->metrics, oi->mask, oi->gt.data, NULL, h, w, &fm));
        cJSON_AddNumberToObject(fr, "iou", fm.j);
        cJSON_AddNumberToObject(fr, "f", fm.f);
    }

    p->result.frames_done++;
    report(p, ADN_PROGRESS_FRAME, oi->video, oi->frame, 0, 0, 0);
    return ADNET_OK;
}

static adnet_status end_video(pipeline *p, const out_item *oi) {
    const adn_video *v = &p->set->videos[oi->video];
    double seconds = now_seconds() - p->video_t0, iou = 0.0;
    cJSON *s = p->summary;
    if (p->video_scored) {
        ADN_TRY(adn_metrics_end_sequence(p->metrics));
        const adn_sequence_metrics *sm =
            adn_metrics_sequence(p->metrics, adn_metrics_sequence_count(p->metrics) - 1);
        iou = sm->released_iou;
        cJSON_AddNumberToObject(s, "released_iou", iou);
        cJSON_AddNumberToObject(s, "j_mean", sm->j.mean);
        cJSON_AddNumberToObject(s, "f_mean", sm->f.mean);
        p->result.videos_scored++;
    } else {
        cJSON_AddNullToObject(s, "released_iou");
    }
    if (v->prune_masks) cJSON_AddNumberToObject(s, "prune_masks_missing", p->video_prune_missing);
    cJSON_AddNumberToObject(s, "seconds", round(seconds * 1000.0) / 1000.0);
    cJSON *timing = cJSON_AddObjectToObject(s, "device_thread");
    for (int k = 0; k < 4; k++)
        cJSON_AddNumberToObject(timing, wait_names[k], round(oi->waits[k] * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(s, "fps", seconds > 0 ? v->frames.n / seconds : 0.0);
    char *text = cJSON_Print(s);
    if (!text) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    char path[4200];
    if (v->out_sub[0])
        snprintf(path, sizeof path, "%s/summary/%s.json", p->out, v->name);
    else
        snprintf(path, sizeof path, "%s/summary.json", p->out);
    adn_atomic_file f;
    adnet_status st = adn_atomic_open(&f, path);
    if (st == ADNET_OK) {
        fputs(text, f.fp);
        fputc('\n', f.fp);
        st = adn_atomic_commit(&f);
    }
    cJSON_free(text);
    ADN_TRY(st);
    p->result.videos_done++;
    report(p, ADN_PROGRESS_VIDEO_END, oi->video, v->frames.n - 1, seconds, p->video_scored, iou);
    return ADNET_OK;
}

static void *writer_main(void *arg) {
    pipeline *p = arg;
    int failed = 0;
    out_item *oi;
    while ((oi = adn_queue_pop(&p->writes)) != NULL) {
        adnet_status st = ADNET_OK;
        if (!failed) {
            switch (oi->kind) {
                case OUT_VIDEO_BEGIN:
                    st = begin_video(p, oi);
                    break;
                case OUT_FRAME:
                    st = write_frame(p, oi);
                    break;
                case OUT_VIDEO_END:
                    st = end_video(p, oi);
                    break;
            }
        }
        if (st != ADNET_OK) {
            record_error(p, st, NULL);
            failed = 1; /* keep emptying the queue so that the device thread never blocks */
        }
        out_free(oi);
    }
    return NULL;
}

/* ---- device thread ----------------------------------------------------------------------- */

static adnet_status push_out(pipeline *p, out_item *oi) {
    double t = now_seconds();
    int rc = adn_queue_push(&p->writes, oi);
    p->waits[WAIT_WRITER] += now_seconds() - t;
    if (rc != 0) {
        out_free(oi);
        return adn_fail(ADNET_ERR_INTERNAL, "the writer stopped");
    }
    return ADNET_OK;
}

static adnet_status push_marker(pipeline *p, out_kind kind, int video) {
    out_item *oi = calloc(1, sizeof *oi);
    if (!oi) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    oi->kind = kind;
    oi->video = video;
    memcpy(oi->waits, p->waits, sizeof oi->waits);
    return push_out(p, oi);
}

static adnet_status start_video(pipeline *p, item *it) {
    adn_temporal_free(&p->temporal);
    adn_temporal_init(&p->temporal);
    adn_pruning_free(&p->pruning);
    adn_pruning_init(&p->pruning);
    /* the released loop compares with its --threshold everywhere, these steps included */
    p->temporal.threshold = p->o->threshold;
    p->pruning.threshold = p->o->threshold;
    memset(p->waits, 0, sizeof p->waits);
    double t0 = now_seconds();
    for (int k = 0; k < p->n_passes; k++) {
        const pass *ps = &p->passes[k];
        adnet_status st = adn_model_anchor(p->m, k, it->slot->input[k], ps->w, ps->h);
        if (st != ADNET_OK) {
            const adn_video *v = &p->set->videos[it->video];
            return adn_fail_context(st, "anchor frame '%s/%s': ", v->frames.dir,
                                    v->frames.names[it->frame]);
        }
    }
    p->t_last = now_seconds();
    p->waits[WAIT_ANCHOR] = p->t_last - t0;
    return push_marker(p, OUT_VIDEO_BEGIN, it->video);
}

static adnet_status submit_frame(pipeline *p, item *it) {
    for (int k = 0; k < p->n_passes; k++) {
        const pass *ps = &p->passes[k];
        ADN_TRY(adn_model_submit(p->m, k, it->slot->input[k], ps->w, ps->h, it->slot->logits[k],
                                 &it->done[k]));
        it->n_done++;
    }
    return ADNET_OK;
}

/* The frame's logits at its own size: the one pass upsampled, or the six passes upsampled,
 * the mirrored ones flipped back, and averaged. */
static void frame_logits(pipeline *p, const slot *s, float *acc, int w, int h) {
    size_t n = (size_t)w * h;
    if (p->n_passes == 1) {
        adn_upsample_bilinear_ac(s->logits[0], p->passes[0].fw, p->passes[0].fh, acc, w, h);
        return;
    }
    for (int k = 0; k < p->n_passes; k++) {
        const pass *ps = &p->passes[k];
        float *dst = k == 0 ? acc : p->tmp;
        adn_upsample_bilinear_ac(s->logits[k], ps->fw, ps->fh, dst, w, h);
        if (k == 0) continue;
        for (int y = 0; y < h; y++) {
            float *a = acc + (size_t)y * w;
            const float *t = p->tmp + (size_t)y * w;
            if (ps->mirror)
                for (int x = 0; x < w; x++) a[x] += t[w - 1 - x];
            else
                for (int x = 0; x < w; x++) a[x] += t[x];
        }
    }
    for (size_t i = 0; i < n; i++) acc[i] /= (float)p->n_passes;
}

/* Waits for a submitted frame, post-processes it and hands it to the writer. */
static adnet_status finish_frame(pipeline *p, item *it) {
    const adn_segment_options *o = p->o;
    double t0 = now_seconds();
    cl_int err = clWaitForEvents(it->n_done, it->done);
    p->waits[WAIT_DEVICE] += now_seconds() - t0;
    if (err != CL_SUCCESS) return adn_cl_fail(err, "running the model");
    int w = it->image.width, h = it->image.height;
    size_t n = (size_t)w * h;
    if (n > p->acc_cap) {
        free(p->acc);
        free(p->tmp);
        p->acc = malloc(n * sizeof *p->acc);
        p->tmp = malloc(n * sizeof *p->tmp);
        p->acc_cap = p->acc && p->tmp ? n : 0;
        if (!p->acc_cap) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    out_item *oi = calloc(1, sizeof *oi);
    if (!oi) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    oi->kind = OUT_FRAME;
    oi->video = it->video;
    oi->frame = it->frame;
    oi->width = w;
    oi->height = h;
    oi->mask = malloc(n);
    int ok = oi->mask != NULL;
    if (ok && o->save_heatmaps) ok = (oi->heat = malloc(n)) != NULL;
    frame_logits(p, it->slot, p->acc, w, h);
    if (ok && o->save_logits) {
        /* one pass: the network's raw output; six: their average at the frame's size */
        const pass *ps = &p->passes[0];
        size_t count = p->n_passes == 1 ? (size_t)ps->fw * ps->fh : n;
        oi->shape[0] = 1;
        oi->shape[1] = p->n_passes == 1 ? (size_t)ps->fh : (size_t)h;
        oi->shape[2] = p->n_passes == 1 ? (size_t)ps->fw : (size_t)w;
        ok = (oi->logits = malloc(count * sizeof *oi->logits)) != NULL;
        if (ok)
            memcpy(oi->logits, p->n_passes == 1 ? it->slot->logits[0] : p->acc,
                   count * sizeof *oi->logits);
    }
    if (!ok) {
        out_free(oi);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    /* the slot's buffers are no longer needed: the loader may refill them */
    adn_queue_push(&p->free_slots, it->slot);
    it->slot = NULL;

    adnet_status st = ADNET_OK;
    const adn_video *v = &p->set->videos[it->video];
    if (v->prune_masks) st = adn_pruning_apply(&p->pruning, p->acc, it->prune.data, w, h);
    if (st == ADNET_OK && o->temporal) st = adn_temporal_apply(&p->temporal, p->acc, w, h);
    if (st != ADNET_OK) {
        out_free(oi);
        return adn_fail_context(st, "post-processing '%s/%s': ", v->frames.dir,
                                v->frames.names[it->frame]);
    }
    oi->foreground = adn_threshold(p->acc, n, o->threshold, oi->mask);
    if (oi->heat)
        for (size_t i = 0; i < n; i++)
            oi->heat[i] = (uint8_t)lrintf(255.0f / (1.0f + expf(-p->acc[i])));
    if (o->overlay) {
        oi->image = it->image;
        memset(&it->image, 0, sizeof it->image);
    }
    oi->gt = it->gt;
    memset(&it->gt, 0, sizeof it->gt);
    oi->prune_missing = it->prune_missing;
    double t = now_seconds();
    oi->ms = (t - p->t_last) * 1000.0;
    p->t_last = t;
    return push_out(p, oi);
}

/* Runs the device side until the loader's last item, or the first failure. */
static void device_loop(pipeline *p) {
    item *pending = NULL; /* submitted, not yet finished */
    adnet_status st = ADNET_OK;
    for (;;) {
        double t0 = now_seconds();
        item *it = adn_queue_pop(&p->work);
        if (!it) break;
        if (it->kind == ITEM_FRAME) p->waits[WAIT_LOADER] += now_seconds() - t0;
        int last = it->kind == ITEM_END || it->kind == ITEM_ERROR;
        if (p->o->cancel && *p->o->cancel && it->kind != ITEM_ERROR) {
            /* interrupted: finish what the device has, submit nothing more */
            atomic_store(&p->cancelled, 1);
            item_free(it);
            if (pending) st = finish_frame(p, pending);
            item_free(pending);
            pending = NULL;
            if (st != ADNET_OK) record_error(p, st, NULL);
            break;
        }
        if (it->kind == ITEM_FRAME) {
            st = submit_frame(p, it); /* frame t + 1 goes in before frame t is waited for */
            if (st == ADNET_OK && pending) st = finish_frame(p, pending);
            item_free(pending);
            pending = it;
        } else {
            if (pending) st = finish_frame(p, pending);
            item_free(pending);
            pending = NULL;
            if (st == ADNET_OK) {
                if (it->kind == ITEM_ANCHOR)
                    st = start_video(p, it);
                else if (it->kind == ITEM_VIDEO_END)
                    st = push_marker(p, OUT_VIDEO_END, it->video);
                else if (it->kind == ITEM_ERROR)
                    record_error(p, it->status, it->message);
            }
            if (it->slot) adn_queue_push(&p->free_slots, it->slot);
            item_free(it);
        }
        if (st != ADNET_OK) record_error(p, st, NULL);
        if (last || stopping(p)) break;
    }
    if (pending) {
        /* a failure left a frame on the device: let the queue run dry before its buffers go */
        adn_finish(adn_model_device(p->m));
        item_free(pending);
    }
}

static adnet_status setup_passes(pipeline *p) {
    const adn_segment_options *o = p->o;
    if (!o->ms_mirror) {
        p->n_passes = 1;
        p->passes[0] = (pass){o->width, o->height, 0, 0, 0, 0};
    } else {
        int w[3], h[3];
        adn_msm_sizes(o->width, o->height, w, h);
        p->n_passes = ADN_MSM_PASSES;
        for (int k = 0; k < 3; k++) {
            if (w[k] < 1 || h[k] < 1)
                return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                                "--size %dx%d is too small for multi-scale (0.75 x gives %dx%d)",
                                o->width, o->height, w[k], h[k]);
            p->passes[k] = (pass){w[k], h[k], 0, 0, 0, k};
            p->passes[k + 3] = (pass){w[k], h[k], 0, 0, 1, k};
        }
    }
    for (int k = 0; k < p->n_passes; k++) {
        pass *ps = &p->passes[k];
        adnet_feature_size(ps->w, ps->h, &ps->fw, &ps->fh);
    }
    /* plan the largest size first: the activation arena then grows once, before any frame */
    int order[3] = {0, 1, 2}, n_sizes = p->n_passes == 1 ? 1 : 3;
    for (int a = 0; a < n_sizes; a++)
        for (int b = a + 1; b < n_sizes; b++)
            if ((long)p->passes[order[b]].w * p->passes[order[b]].h >
                (long)p->passes[order[a]].w * p->passes[order[a]].h) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    for (int a = 0; a < n_sizes; a++)
        ADN_TRY(adn_model_prepare(p->m, p->passes[order[a]].w, p->passes[order[a]].h));
    for (int i = 0; i < N_SLOTS; i++) {
        slot *s = &p->slots[i];
        for (int k = 0; k < p->n_passes; k++) {
            const pass *ps = &p->passes[k];
            s->input[k] = malloc((size_t)3 * ps->w * ps->h * sizeof(float));
            s->logits[k] = malloc((size_t)ps->fw * ps->fh * sizeof(float));
            if (!s->input[k] || !s->logits[k])
                return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory (frame buffers)");
        }
    }
    return ADNET_OK;
}

adnet_status adn_segment_videos(adnet_model *m, const adn_video_set *set, const char *out_dir,
                                const adn_segment_options *o, adn_segment_progress_fn progress,
                                void *user, adn_segment_result *result) {
    if (result) memset(result, 0, sizeof *result);
    for (int i = 0; i < set->n; i++)
        if (o->anchor_index < 0 || o->anchor_index >= set->videos[i].frames.n)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "anchor frame %d does not exist: video '%s' has %d frames",
                            o->anchor_index, set->videos[i].name, set->videos[i].frames.n);
    ADN_TRY(adn_mkdir_p(out_dir));

    pipeline *p = calloc(1, sizeof *p);
    if (!p) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    p->m = m;
    p->set = set;
    p->out = out_dir;
    p->o = o;
    p->progress = progress;
    p->user = user;
    p->t0 = now_seconds();
    pthread_mutex_init(&p->err_mutex, NULL);
    adn_temporal_init(&p->temporal);
    adn_pruning_init(&p->pruning);
    adnet_model_get_info(m, &p->info);

    adnet_status st = setup_passes(p);
    if (st == ADNET_OK) st = adn_metrics_create(&p->metrics);
    if (st == ADNET_OK) st = adn_queue_init(&p->free_slots, N_SLOTS);
    if (st == ADNET_OK) st = adn_queue_init(&p->work, N_SLOTS + 4);
    if (st == ADNET_OK) st = adn_queue_init(&p->writes, WRITE_QUEUE);
    for (int i = 0; i < N_SLOTS && st == ADNET_OK; i++)
        adn_queue_push(&p->free_slots, &p->slots[i]);
    pthread_t loader, writer;
    int have_loader = 0, have_writer = 0;
    if (st == ADNET_OK) {
        if (pthread_create(&writer, NULL, writer_main, p) != 0)
            st = adn_fail(ADNET_ERR_INTERNAL, "cannot start the writer thread");
        else
            have_writer = 1;
    }
    if (st == ADNET_OK) {
        if (pthread_create(&loader, NULL, loader_main, p) != 0)
            st = adn_fail(ADNET_ERR_INTERNAL, "cannot start the loader thread");
        else
            have_loader = 1;
    }
    if (st != ADNET_OK)
        record_error(p, st, NULL);
    else
        device_loop(p);

    /* wind down: the loader stops at its next push or slot, the writer finishes what it has */
    if (p->work.items) adn_queue_close(&p->work);
    if (p->free_slots.items) adn_queue_close(&p->free_slots);
    if (have_loader) pthread_join(loader, NULL);
    if (p->work.items) {
        item *it;
        while ((it = adn_queue_pop(&p->work)) != NULL) item_free(it);
    }
    if (p->writes.items) adn_queue_close(&p->writes);
    if (have_writer) pthread_join(writer, NULL);

    if (p->err == ADNET_OK && p->result.videos_scored > 0) {
        adn_dataset_metrics ds;
        if (adn_metrics_dataset(p->metrics, &ds) == ADNET_OK) p->result.mean_iou = ds.released_iou;
    }
    p->result.seconds = now_seconds() - p->t0;
    p->result.cancelled = atomic_load(&p->cancelled);
    if (result) *result = p->result;
    st = p->err;
    if (st != ADNET_OK) adn_fail(st, "%s", p->err_msg);

    adn_queue_destroy(&p->free_slots);
    adn_queue_destroy(&p->work);
    adn_queue_destroy(&p->writes);
    for (int i = 0; i < N_SLOTS; i++)
        for (int k = 0; k < ADN_MSM_PASSES; k++) {
            free(p->slots[i].input[k]);
            free(p->slots[i].logits[k]);
        }
    adn_temporal_free(&p->temporal);
    adn_pruning_free(&p->pruning);
    free(p->acc);
    free(p->tmp);
    adn_metrics_free(p->metrics);
    cJSON_Delete(p->summary);
    pthread_mutex_destroy(&p->err_mutex);
    free(p);
    return st;
}

/* ---- one video, the first interface ------------------------------------------------------ */

typedef struct frame_progress {
    adn_progress_fn fn;
    void *user;
} frame_progress;

static void forward_frame(void *user, const adn_progress *e) {
    const frame_progress *f = user;
    if (e->kind == ADN_PROGRESS_FRAME) f->fn(f->user, e->frame, e->n_frames, e->frame_name);
}

adnet_status adn_segment_video(adnet_model *m, const adn_frame_list *frames, const char *out_dir,
                               const adn_segment_options *o, adn_progress_fn progress, void *user) {
    /* a one-video set that borrows the frame list (never freed here) */
    const char *slash = strrchr(frames->dir, '/');
    adn_video v = {0};
    v.name = (char *)(slash && slash[1] ? slash + 1 : frames->dir);
    v.frames = *frames;
    v.out_sub = "";
    adn_video_set set = {&v, 1, frames->n};
    frame_progress fp = {progress, user};
    return adn_segment_videos(m, &set, out_dir, o, progress ? forward_frame : NULL, &fp, NULL);
}
