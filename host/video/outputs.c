/* The writer side of the video pipeline: every output file of a run (masks, heat maps,
 * logits, overlays, summary.json per video), the scores against annotations, and the progress
 * reports, in the order the frames come. */
#include "outputs.h"

#include "files.h"
#include "image.h"
#include "npy.h"
#include "overlay.h"
#include "status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef ADNET_GIT_COMMIT
#define ADNET_GIT_COMMIT "unknown"
#endif

static const char *const wait_names[ADN_WAIT_COUNT] = {"anchor_s", "device_wait_s", "loader_wait_s",
                                                       "writer_wait_s"};

double adn_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void adn_frame_output_free(adn_frame_output *o) {
    if (!o) return;
    free(o->mask);
    free(o->heat);
    free(o->logits);
    adnet_image_free(&o->image);
    adnet_image_free(&o->gt);
    free(o->devices);
    free(o->message);
    free(o);
}

adnet_status adn_writer_init(adn_writer *w) {
    return adn_metrics_create(&w->metrics);
}

void adn_writer_free(adn_writer *w) {
    adn_metrics_free(w->metrics);
    cJSON_Delete(w->summary);
    w->metrics = NULL;
    w->summary = NULL;
}

/* <out>/<kind>/<video's sub-folder> */
void adn_video_output_dir(const char *out, const adn_video *v, const char *kind, char *dst,
                          size_t cap) {
    if (v->out_sub[0])
        snprintf(dst, cap, "%s/%s/%s", out, kind, v->out_sub);
    else
        snprintf(dst, cap, "%s/%s", out, kind);
}

static void kind_dir(const adn_writer *p, const adn_video *v, const char *kind, char *dst,
                     size_t cap) {
    adn_video_output_dir(p->out, v, kind, dst, cap);
}

static void summary_path(const char *out, const adn_video *v, char *dst, size_t cap) {
    if (v->out_sub[0])
        snprintf(dst, cap, "%s/summary/%s.json", out, v->name);
    else
        snprintf(dst, cap, "%s/summary.json", out);
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
}

int adn_video_outputs_complete(const char *out, const adn_video *v, const adn_segment_options *o) {
    char path[5200], dir[4096], stem[1024];
    summary_path(out, v, path, sizeof path);
    unsigned char *text;
    size_t size;
    if (adn_read_file(path, &text, &size) != ADNET_OK) {
        adn_clear_error();
        return 0;
    }
    cJSON *s = cJSON_Parse((const char *)text);
    free(text);
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(s, "frames");
    const cJSON *per_frame = cJSON_GetObjectItemCaseSensitive(s, "per_frame");
    int ok = cJSON_IsNumber(frames) && frames->valueint == v->frames.n &&
             cJSON_IsArray(per_frame) && cJSON_GetArraySize(per_frame) == v->frames.n;
    cJSON_Delete(s);
    /* the summary is written last, but a file may have been removed since */
    const char *kinds[4] = {"masks", o->save_heatmaps ? "heatmaps" : NULL,
                            o->save_logits ? "logits" : NULL, o->overlay ? "overlays" : NULL};
    const char *ext[4] = {"png", "png", "npy", "jpg"};
    for (int k = 0; k < 4 && ok; k++) {
        if (!kinds[k]) continue;
        adn_video_output_dir(out, v, kinds[k], dir, sizeof dir);
        for (int f = 0; f < v->frames.n && ok; f++) {
            adn_frame_stem(v->frames.names[f], stem, sizeof stem);
            snprintf(path, sizeof path, "%s/%s.%s", dir, stem, ext[k]);
            ok = exists(path);
        }
    }
    return ok;
}

/* Tells the caller where the run is (writer thread only). */
static void report(adn_writer *p, adn_progress_kind kind, int video, int frame,
                   double video_seconds, int scored, double iou) {
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
        .elapsed = adn_now_seconds() - p->t0,
        .video_seconds = video_seconds,
        .scored = scored,
        .iou = iou,
        .prune_missing = p->video_prune_missing,
    };
    p->progress(p->user, &ev);
}

static adnet_status begin_video(adn_writer *p, const adn_frame_output *oi) {
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
    for (int k = 0; k < p->passes->n; k++) {
        const adn_pass *ps = &p->passes->p[k];
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
    p->video_t0 = adn_now_seconds();
    if (!p->per_frame) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");

    report(p, ADN_PROGRESS_VIDEO_BEGIN, oi->video, 0, 0, 0, 0);
    return ADNET_OK;
}

static adnet_status write_frame(adn_writer *p, adn_frame_output *oi) {
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
    /* which device computed it: one per pass with multi-scale + mirror */
    if (oi->n_passes == 1) {
        cJSON_AddNumberToObject(fr, "device", oi->pass_device[0]);
    } else if (oi->n_passes > 1) {
        cJSON *d = cJSON_AddArrayToObject(fr, "devices");
        for (int k = 0; k < oi->n_passes; k++)
            cJSON_AddItemToArray(d, cJSON_CreateNumber(oi->pass_device[k]));
    }
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

static adnet_status end_video(adn_writer *p, const adn_frame_output *oi) {
    const adn_video *v = &p->set->videos[oi->video];
    double seconds = adn_now_seconds() - p->video_t0, iou = 0.0;
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
    cJSON *devs = cJSON_AddArrayToObject(s, "devices");
    for (int d = 0; d < oi->n_devices; d++) {
        const adn_sched_device_stats *ds = &oi->devices[d];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(devs, e);
        cJSON_AddNumberToObject(e, "index", d);
        cJSON_AddStringToObject(e, "device", ds->label);
        cJSON_AddNumberToObject(e, "units", (double)ds->units);
        cJSON_AddNumberToObject(e, "mean_ms", round(ds->mean_s * 1e6) / 1000.0);
        cJSON_AddNumberToObject(e, "device_bytes", (double)ds->device_bytes);
        cJSON_AddNumberToObject(e, "device_peak_bytes", (double)ds->device_peak_bytes);
        cJSON_AddStringToObject(e, "state", ds->state);
    }
    cJSON *timing = cJSON_AddObjectToObject(s, "device_thread");
    for (int k = 0; k < ADN_WAIT_COUNT; k++)
        cJSON_AddNumberToObject(timing, wait_names[k], round(oi->waits[k] * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(s, "fps", seconds > 0 ? v->frames.n / seconds : 0.0);
    char *text = cJSON_Print(s);
    if (!text) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    char path[4200];
    summary_path(p->out, v, path, sizeof path);
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

adnet_status adn_writer_handle(adn_writer *w, adn_frame_output *o) {
    switch (o->kind) {
        case ADN_OUT_VIDEO_BEGIN:
            return begin_video(w, o);
        case ADN_OUT_FRAME:
            return write_frame(w, o);
        case ADN_OUT_VIDEO_END:
            return end_video(w, o);
        case ADN_OUT_WARNING:
            if (w->progress) {
                adn_progress ev = {.kind = ADN_PROGRESS_WARNING,
                                   .message = o->message,
                                   .frames_done = w->result.frames_done,
                                   .frames_total = w->set->total_frames,
                                   .elapsed = adn_now_seconds() - w->t0};
                w->progress(w->user, &ev);
            }
            return ADNET_OK;
    }
    return adn_fail(ADNET_ERR_INTERNAL, "unknown output kind %d", (int)o->kind);
}
