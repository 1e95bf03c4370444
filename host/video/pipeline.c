/* The video pipeline. Three threads hand work along two bounded queues, and the scheduler's
 * device workers compute:
 *
 *   loader ──work──> dispatcher (the calling thread) ──writes──> writer
 *      ^                 │  ^
 *      └───free_slots────┘  └── scheduler (sched/): one worker thread per device
 *
 * - The loader decodes the next frames (and preprocesses them for every pass, reads their
 *   pruning masks and annotations) while the devices compute: a frame's host buffers live in
 *   one of the frame slots (two per device and two more), which the dispatcher hands back once
 *   the frame is post-processed, so the loader runs ahead by at most the free slots.
 * - The dispatcher hands each frame's passes to the scheduler while a device could take more
 *   (each device keeps about two in flight, so its in-order queue always holds work), takes
 *   finished passes back in any order, and post-processes frames strictly in frame order
 *   (pruning and the temporal step need frame t's final logits before frame t + 1's): the
 *   items taken from the loader wait in order until their passes are done. A video's anchor
 *   is computed once, on one device, when its anchor item arrives.
 * - The writer writes every file (masks, heat maps, logits, overlays, summary.json), scores
 *   masks against annotations, and reports progress, so PNG and JPEG encoding never delay the
 *   device.
 * Every item goes down the queues in frame order, errors included: when the loader fails on
 * frame k, the frames before k still reach the writer, then the run stops with the loader's
 * message. The first failure of any thread is the run's failure. */
#include "pipeline.h"

#include "files.h"
#include "frame_post.h"
#include "image.h"
#include "outputs.h"
#include "passes.h"
#include "scheduler.h"
#include "resources.h"
#include "status.h"
#include "work_queue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* frames whose host buffers exist at once (see above): four with one device, two more for
 * each further device (each keeps two in flight) */
#define MIN_SLOTS   4
#define MAX_SLOTS   64
#define WRITE_QUEUE 8 /* finished frames waiting for the writer */

void adn_segment_options_default(adn_segment_options *o) {
    memset(o, 0, sizeof *o);
    o->width = ADN_RELEASED_WIDTH;
    o->height = ADN_RELEASED_HEIGHT;
    o->threshold = ADN_RELEASED_THRESHOLD;
    o->temporal = 1;
}

/* ---- work items -------------------------------------------------------------------------- */

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
    adnet_image image;              /* the decoded frame (its size; the overlay's background) */
    adnet_image prune;              /* pruning mask, or empty */
    adnet_image gt;                 /* annotation, or empty */
    int prune_missing;              /* pruning is on but this frame has no pruning mask file */
    adn_unit units[ADN_MSM_PASSES]; /* the frame's passes, with the scheduler */
    int units_left;
    adnet_status status; /* ITEM_ERROR */
    char *message;
} item;

static void item_free(item *it) {
    if (!it) return;
    adnet_image_free(&it->image);
    adnet_image_free(&it->prune);
    adnet_image_free(&it->gt);
    free(it->message);
    free(it);
}

/* ---- the pipeline ------------------------------------------------------------------------ */

typedef struct pipeline {
    adn_sched *sched;
    const adn_video_set *set;
    const char *out;
    const adn_segment_options *o;
    adn_passes passes;
    slot slots[MAX_SLOTS];
    int n_slots;
    long long *video_units; /* units per device in the current video */
    adn_queue free_slots, work, writes;
    double t0;

    /* the run's first failure, from whichever thread */
    pthread_mutex_t err_mutex;
    adnet_status err;
    char err_msg[4096];
    atomic_int stop;
    atomic_int cancelled;

    /* device thread: post-processing state of the current video, and where the thread's time
     * went in it */
    adn_frame_post post;
    double waits[ADN_WAIT_COUNT];
    double t_last;
    double anchor_s; /* the current video's anchor computation */

    /* writer thread */
    adn_writer writer;
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

/* ---- loader thread ----------------------------------------------------------------------- */

/* Decodes frame f of video v and preprocesses it for every pass into s. */
static adnet_status load_inputs(pipeline *p, const adn_video *v, int f, slot *s, adnet_image *img) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", v->frames.dir, v->frames.names[f]);
    ADN_TRY(adnet_image_load_bgr(path, img));
    adnet_status st = adn_passes_preprocess(&p->passes, img, s->input);
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

static void *writer_main(void *arg) {
    pipeline *p = arg;
    int failed = 0;
    adn_frame_output *oi;
    while ((oi = adn_queue_pop(&p->writes)) != NULL) {
        adnet_status st = ADNET_OK;
        if (!failed) st = adn_writer_handle(&p->writer, oi);
        if (st != ADNET_OK) {
            record_error(p, st, NULL);
            failed = 1; /* keep emptying the queue so that the device thread never blocks */
        }
        adn_frame_output_free(oi);
    }
    return NULL;
}

/* ---- device thread ----------------------------------------------------------------------- */

static adnet_status push_out(pipeline *p, adn_frame_output *oi) {
    double t = adn_now_seconds();
    int rc = adn_queue_push(&p->writes, oi);
    p->waits[ADN_WAIT_WRITER] += adn_now_seconds() - t;
    if (rc != 0) {
        adn_frame_output_free(oi);
        return adn_fail(ADNET_ERR_INTERNAL, "the writer stopped");
    }
    return ADNET_OK;
}

static adnet_status push_marker(pipeline *p, adn_output_kind kind, int video) {
    adn_frame_output *oi = calloc(1, sizeof *oi);
    if (!oi) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    oi->kind = kind;
    oi->video = video;
    memcpy(oi->waits, p->waits, sizeof oi->waits);
    return push_out(p, oi);
}

/* A video's anchor: computed once by the scheduler on one device (the frame's slot is free
 * again at once). */
static adnet_status compute_anchor(pipeline *p, item *it) {
    const adn_video *v = &p->set->videos[it->video];
    int w[ADN_MSM_PASSES], h[ADN_MSM_PASSES];
    for (int k = 0; k < p->passes.n; k++) {
        w[k] = p->passes.p[k].w;
        h[k] = p->passes.p[k].h;
    }
    double t0 = adn_now_seconds();
    adnet_status st = adn_sched_set_anchor(p->sched, it->video, p->passes.n, w, h,
                                           (const float *const *)it->slot->input);
    p->anchor_s = adn_now_seconds() - t0;
    if (st != ADNET_OK)
        return adn_fail_context(st, "anchor frame '%s/%s': ", v->frames.dir,
                                v->frames.names[it->frame]);
    adn_queue_push(&p->free_slots, it->slot);
    it->slot = NULL;
    return ADNET_OK;
}

/* The video's post-processing starts when its anchor marker reaches the head of the order. */
static adnet_status start_video(pipeline *p, item *it) {
    const adn_video *v = &p->set->videos[it->video];
    adn_frame_post_begin_video(&p->post, v->prune_masks != NULL);
    memset(p->waits, 0, sizeof p->waits);
    memset(p->video_units, 0, (size_t)adn_sched_device_count(p->sched) * sizeof *p->video_units);
    p->waits[ADN_WAIT_ANCHOR] = p->anchor_s;
    p->t_last = adn_now_seconds();
    return push_marker(p, ADN_OUT_VIDEO_BEGIN, it->video);
}

/* The video's end, with what each device did in it. */
static adnet_status end_video(pipeline *p, item *it) {
    adn_frame_output *oi = calloc(1, sizeof *oi);
    int n = adn_sched_device_count(p->sched);
    adn_sched_device_stats *stats = calloc((size_t)n, sizeof *stats);
    if (!oi || !stats) {
        free(oi);
        free(stats);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (int d = 0; d < n; d++) {
        adn_sched_stats(p->sched, d, &stats[d]);
        stats[d].units = p->video_units[d]; /* this video's share */
    }
    oi->kind = ADN_OUT_VIDEO_END;
    oi->video = it->video;
    oi->devices = stats;
    oi->n_devices = n;
    memcpy(oi->waits, p->waits, sizeof oi->waits);
    return push_out(p, oi);
}

static adnet_status submit_frame(pipeline *p, item *it) {
    it->units_left = p->passes.n;
    for (int k = 0; k < p->passes.n; k++) {
        adn_unit *u = &it->units[k];
        const adn_pass *ps = &p->passes.p[k];
        *u =
            (adn_unit){it->video, k, ps->w, ps->h, it->slot->input[k], it->slot->logits[k], it, -1};
        ADN_TRY(adn_sched_submit(p->sched, u));
    }
    return ADNET_OK;
}

/* Post-processes a computed frame (in frame order) and hands it to the writer. */
static adnet_status finish_frame(pipeline *p, item *it) {
    const adn_segment_options *o = p->o;
    adnet_status st;
    int w = it->image.width, h = it->image.height;
    size_t n = (size_t)w * h;
    const float *const *logits = (const float *const *)it->slot->logits;
    ADN_TRY(adn_frame_post_combine(&p->post, &p->passes, logits, w, h));
    adn_frame_output *oi = calloc(1, sizeof *oi);
    if (!oi) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    oi->kind = ADN_OUT_FRAME;
    oi->video = it->video;
    oi->frame = it->frame;
    oi->n_passes = p->passes.n;
    for (int k = 0; k < p->passes.n; k++) {
        oi->pass_device[k] = it->units[k].device;
        if (it->units[k].device >= 0) p->video_units[it->units[k].device]++;
    }
    oi->width = w;
    oi->height = h;
    oi->mask = malloc(n);
    int ok = oi->mask != NULL;
    if (ok && o->save_heatmaps) ok = (oi->heat = malloc(n)) != NULL;
    if (ok && o->save_logits) {
        /* one pass: the network's raw output; six: their average at the frame's size */
        const adn_pass *ps = &p->passes.p[0];
        int one = p->passes.n == 1;
        size_t count = one ? (size_t)ps->fw * ps->fh : n;
        oi->shape[0] = 1;
        oi->shape[1] = one ? (size_t)ps->fh : (size_t)h;
        oi->shape[2] = one ? (size_t)ps->fw : (size_t)w;
        ok = (oi->logits = malloc(count * sizeof *oi->logits)) != NULL;
        if (ok) memcpy(oi->logits, one ? logits[0] : p->post.acc, count * sizeof *oi->logits);
    }
    if (!ok) {
        adn_frame_output_free(oi);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    /* the slot's buffers are no longer needed: the loader may refill them */
    adn_queue_push(&p->free_slots, it->slot);
    it->slot = NULL;

    st = adn_frame_post_apply(&p->post, it->prune.data, w, h);
    if (st != ADNET_OK) {
        const adn_video *v = &p->set->videos[it->video];
        adn_frame_output_free(oi);
        return adn_fail_context(st, "post-processing '%s/%s': ", v->frames.dir,
                                v->frames.names[it->frame]);
    }
    oi->foreground = adn_frame_post_mask(&p->post, n, oi->mask);
    if (oi->heat) adn_frame_post_saliency(&p->post, n, oi->heat);
    if (o->overlay) {
        oi->image = it->image;
        memset(&it->image, 0, sizeof it->image);
    }
    oi->gt = it->gt;
    memset(&it->gt, 0, sizeof it->gt);
    oi->prune_missing = it->prune_missing;
    double t = adn_now_seconds();
    oi->ms = (t - p->t_last) * 1000.0;
    p->t_last = t;
    return push_out(p, oi);
}

/* The items taken from the loader and not yet finished, in the loader's order (frames wait
 * here until all their passes are computed, on whichever devices: this is the reorder
 * buffer that keeps post-processing in frame order). */
typedef struct order {
    item *items[MAX_SLOTS + 8];
    int head, count;
} order;

static void order_push(order *q, item *it) {
    q->items[(q->head + q->count++) % (MAX_SLOTS + 8)] = it;
}

static item *order_pop(order *q) {
    item *it = q->items[q->head];
    q->head = (q->head + 1) % (MAX_SLOTS + 8);
    q->count--;
    return it;
}

/* Hands the scheduler's warnings (a device retired) to the writer, in order. */
static adnet_status forward_warnings(pipeline *p) {
    char msg[700];
    while (adn_sched_take_warning(p->sched, msg, sizeof msg)) {
        adn_frame_output *oi = calloc(1, sizeof *oi);
        if (!oi || !(oi->message = strdup(msg))) {
            free(oi);
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        }
        oi->kind = ADN_OUT_WARNING;
        ADN_TRY(push_out(p, oi));
    }
    return ADNET_OK;
}

/* Finishes the items at the head of the order that are complete. Returns 1 when the loader's
 * last item (its end or its error) was reached. */
static int finish_ready(pipeline *p, order *q, adnet_status *st) {
    while (q->count > 0 && *st == ADNET_OK) {
        item *it = q->items[q->head];
        if (it->kind == ITEM_FRAME && it->units_left > 0) return 0;
        order_pop(q);
        int last = it->kind == ITEM_END || it->kind == ITEM_ERROR;
        switch (it->kind) {
            case ITEM_ANCHOR:
                *st = start_video(p, it);
                break;
            case ITEM_FRAME:
                *st = finish_frame(p, it);
                break;
            case ITEM_VIDEO_END:
                *st = end_video(p, it);
                break;
            case ITEM_ERROR:
                record_error(p, it->status, it->message);
                break;
            case ITEM_END:
                break;
        }
        if (it->slot) adn_queue_push(&p->free_slots, it->slot);
        it->slot = NULL;
        item_free(it);
        if (last) return 1;
    }
    return 0;
}

/* Takes one item from the loader into the order: an anchor is computed at once, a frame's
 * passes go to the scheduler. */
static adnet_status arrive(pipeline *p, order *q, item *it) {
    adnet_status st = ADNET_OK;
    if (it->kind == ITEM_ANCHOR) st = compute_anchor(p, it);
    if (it->kind == ITEM_FRAME) st = submit_frame(p, it);
    order_push(q, it); /* even a failed one: it is freed with the order */
    return st;
}

/* Runs the device side until the loader's last item, or the first failure: takes items while
 * a device could use more work, hands finished units to their frames, and finishes frames in
 * order. */
static void device_loop(pipeline *p) {
    order q = {{0}, 0, 0};
    adnet_status st = ADNET_OK;
    int taking = 1, done = 0;
    while (!done && st == ADNET_OK && !stopping(p)) {
        if (p->o->cancel && *p->o->cancel && taking) {
            /* interrupted: finish what the devices have, take nothing more */
            atomic_store(&p->cancelled, 1);
            taking = 0;
        }
        /* more work while a device could take it (and the order has room) */
        while (taking && st == ADNET_OK && q.count < MAX_SLOTS + 4 &&
               (q.count == 0 || adn_sched_hungry(p->sched))) {
            double t0 = adn_now_seconds();
            int timed_out = 0;
            item *it = adn_sched_outstanding(p->sched) == 0 && q.count == 0
                           ? adn_queue_pop(&p->work)
                           : adn_queue_pop_timed(&p->work, 0, &timed_out);
            if (!it) break;
            if (it->kind == ITEM_FRAME) p->waits[ADN_WAIT_LOADER] += adn_now_seconds() - t0;
            if (it->kind == ITEM_END || it->kind == ITEM_ERROR) taking = 0;
            st = arrive(p, &q, it);
        }
        if (st == ADNET_OK) st = forward_warnings(p);
        if (st != ADNET_OK) break;
        done = finish_ready(p, &q, &st);
        if (done || st != ADNET_OK) break;
        if (!taking && q.count == 0) break; /* cancelled, and everything taken is finished */
        if (adn_sched_outstanding(p->sched) > 0) {
            double t0 = adn_now_seconds();
            adn_unit *u = NULL;
            st = adn_sched_poll(p->sched, 0.01, &u);
            p->waits[ADN_WAIT_DEVICE] += adn_now_seconds() - t0;
            if (u) ((item *)u->tag)->units_left--;
        }
    }
    if (st != ADNET_OK) record_error(p, st, NULL);
    if (st == ADNET_OK) st = forward_warnings(p);
    /* a failure left units with the devices: they must be done with the frames' buffers
     * before those go */
    adn_sched_drain(p->sched);
    while (q.count > 0) {
        item *it = order_pop(&q);
        if (it->slot) adn_queue_push(&p->free_slots, it->slot);
        it->slot = NULL;
        item_free(it);
    }
}

static adnet_status setup_passes(pipeline *p) {
    const adn_segment_options *o = p->o;
    ADN_TRY(adn_passes_make(o->width, o->height, o->ms_mirror, &p->passes));
    for (int i = 0; i < p->n_slots; i++) {
        slot *s = &p->slots[i];
        for (int k = 0; k < p->passes.n; k++) {
            const adn_pass *ps = &p->passes.p[k];
            s->input[k] = malloc((size_t)3 * ps->w * ps->h * sizeof(float));
            s->logits[k] = malloc((size_t)ps->fw * ps->fh * sizeof(float));
            if (!s->input[k] || !s->logits[k])
                return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory (frame buffers)");
        }
    }
    return ADNET_OK;
}

adnet_status adn_segment_videos_on(adn_sched *sched, const adn_video_set *set, const char *out_dir,
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
    p->sched = sched;
    int n_dev = adn_sched_device_count(sched);
    p->n_slots = 2 * n_dev + 2 < MIN_SLOTS ? MIN_SLOTS : 2 * n_dev + 2;
    if (p->n_slots > MAX_SLOTS) p->n_slots = MAX_SLOTS;
    p->video_units = calloc((size_t)n_dev, sizeof *p->video_units);
    p->set = set;
    p->out = out_dir;
    p->o = o;
    p->t0 = adn_now_seconds();
    pthread_mutex_init(&p->err_mutex, NULL);
    adn_frame_post_init(&p->post, o->threshold, o->temporal);
    adn_writer *wr = &p->writer;
    wr->set = set;
    wr->out = out_dir;
    wr->o = o;
    wr->passes = &p->passes;
    wr->progress = progress;
    wr->user = user;
    wr->t0 = p->t0;
    adnet_status st = p->video_units ? adn_sched_wait_ready(sched)
                                     : adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    /* read once: the writer never touches the model */
    if (st == ADNET_OK) adn_sched_model_info(sched, &wr->info);
    if (st == ADNET_OK) st = setup_passes(p);
    if (st == ADNET_OK) st = adn_writer_init(wr);
    if (st == ADNET_OK) st = adn_queue_init(&p->free_slots, p->n_slots);
    if (st == ADNET_OK) st = adn_queue_init(&p->work, p->n_slots + 4);
    if (st == ADNET_OK) st = adn_queue_init(&p->writes, WRITE_QUEUE);
    for (int i = 0; i < p->n_slots && st == ADNET_OK; i++)
        adn_queue_push(&p->free_slots, &p->slots[i]);
    pthread_t loader, writer;
    int have_loader = 0, have_writer = 0;
    if (st == ADNET_OK) {
        st = adn_thread_start(&writer, writer_main, p, "the writer thread");
        have_writer = st == ADNET_OK;
    }
    if (st == ADNET_OK) {
        st = adn_thread_start(&loader, loader_main, p, "the loader thread");
        have_loader = st == ADNET_OK;
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

    if (p->err == ADNET_OK && wr->result.videos_scored > 0) {
        adn_dataset_metrics ds;
        if (adn_metrics_dataset(wr->metrics, &ds) == ADNET_OK) {
            wr->result.mean_iou = ds.released_iou;
            wr->result.j_mean = ds.j.mean;
            wr->result.f_mean = ds.f.mean;
        }
    }
    wr->result.seconds = adn_now_seconds() - p->t0;
    wr->result.cancelled = atomic_load(&p->cancelled);
    if (result) *result = wr->result;
    st = p->err;
    if (st != ADNET_OK) adn_fail(st, "%s", p->err_msg);

    adn_queue_destroy(&p->free_slots);
    adn_queue_destroy(&p->work);
    adn_queue_destroy(&p->writes);
    for (int i = 0; i < p->n_slots; i++)
        for (int k = 0; k < ADN_MSM_PASSES; k++) {
            free(p->slots[i].input[k]);
            free(p->slots[i].logits[k]);
        }
    adn_frame_post_free(&p->post);
    adn_writer_free(wr);
    pthread_mutex_destroy(&p->err_mutex);
    free(p->video_units);
    free(p);
    return st;
}

adnet_status adn_segment_videos(adnet_model *m, const adn_video_set *set, const char *out_dir,
                                const adn_segment_options *o, adn_segment_progress_fn progress,
                                void *user, adn_segment_result *result) {
    if (result) memset(result, 0, sizeof *result);
    adn_passes ps;
    ADN_TRY(adn_passes_make(o->width, o->height, o->ms_mirror, &ps));
    ADN_TRY(adn_passes_prepare(m, &ps));
    adn_sched *sched;
    ADN_TRY(adn_sched_create_from_model(m, &sched));
    adnet_status st = adn_segment_videos_on(sched, set, out_dir, o, progress, user, result);
    adn_sched_free(sched);
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
