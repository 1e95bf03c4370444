/* The video pipeline: the released evaluation loop (spec, "Official evaluation loop") over a
 * set of videos, with its outputs in DAVIS's results layout.
 *
 * Per video: the anchor's embedding is computed once (once per pass with multi-scale +
 * mirror); per frame: logits (one pass, or the six passes upsampled and averaged) at the
 * frame's size -> instance pruning (with pruning masks) -> the temporal step (unless off) ->
 * threshold on the raw logits. Outputs go to <out>/<kind>/<video.out_sub>/<frame>.<ext>.
 *
 * Three threads: a loader decodes and preprocesses frames ahead (and reads pruning masks and
 * annotations), the calling thread drives the device and post-processes, and a writer
 * writes every file and scores masks. See video.c for how they hand work to each other. */
#ifndef ADN_VIDEO_H
#define ADN_VIDEO_H

#include "dataset.h"
#include "frames.h"
#include "model.h"

#include <signal.h>

/* Passes of multi-scale + mirror: 3 scales, each plain and mirrored. */
#define ADN_MSM_PASSES 6

typedef struct adn_segment_options {
    int width, height;        /* network input size (default 857 x 481) */
    float threshold;          /* on raw logits (default 0.5) */
    int anchor_index;         /* the anchor frame of every video (default 0, the first) */
    int temporal;             /* the released temporal post-processing (default on) */
    int ms_mirror;            /* multi-scale + mirror: six passes (default off) */
    int save_logits;          /* logits/<frame>.npy: the raw 1 x h x w network output; with
                                 ms_mirror the averaged logits at the frame's size, 1 x H x W */
    int save_heatmaps;        /* heatmaps/<frame>.png: sigmoid of the final logits, 8-bit */
    int overlay;              /* overlays/<frame>.jpg */
    int palette;              /* masks as DAVIS palette PNGs (index 1 = object) instead of 0/255 */
    const char *weights_path; /* recorded in summary.json (may be NULL) */
    /* when non-NULL and set (by a signal handler), the run stops after the frames already
     * handed to the device: everything written is complete */
    const volatile sig_atomic_t *cancel;
} adn_segment_options;

void adn_segment_options_default(adn_segment_options *o);

/* The network input sizes of multi-scale + mirror for a base size W x H: W and H scaled by
 * 0.75, 1 and 1.5, each side rounded to (s - 1) // 8 * 8 + 1 as the released loop does it
 * (in floating point; 857 x 481 gives 641 x 353, 857 x 481, 1281 x 721). */
void adn_msm_sizes(int width, int height, int w[3], int h[3]);

/* What the pipeline tells its caller, always from one thread (the writer's), in order. */
typedef enum adn_progress_kind {
    ADN_PROGRESS_VIDEO_BEGIN, /* a video's first frame is about to be written */
    ADN_PROGRESS_FRAME,       /* a frame's files are written */
    ADN_PROGRESS_VIDEO_END    /* a video is complete (its summary is written) */
} adn_progress_kind;

typedef struct adn_progress {
    adn_progress_kind kind;
    int video, n_videos; /* index of the video in the set, and the set's size */
    const char *video_name;
    int frame, n_frames;    /* index of the frame in the video, and the video's length */
    const char *frame_name; /* file name (FRAME) */
    long long frames_done, frames_total; /* over the whole run */
    double elapsed;                      /* seconds since the run started */
    /* VIDEO_END */
    double video_seconds;
    int scored;        /* the video had annotations and at least 3 frames */
    double iou;        /* the released script's IoU (frames 0 < f < n - 1) when scored */
    int prune_missing; /* frames without a pruning mask file (pruning skipped its product) */
} adn_progress;

typedef void (*adn_segment_progress_fn)(void *user, const adn_progress *p);

typedef struct adn_segment_result {
    int videos_done;
    long long frames_done;
    int videos_scored;
    double mean_iou; /* over the scored videos, as the released script averages them */
    double seconds;
    int cancelled; /* stopped by options.cancel */
} adn_segment_result;

/* Segments every video of set into out_dir. A failure stops the run at once with one message
 * naming the file (or call) at fault; the frames finished before it keep complete files, and
 * no file is ever half-written. result may be NULL. */
adnet_status adn_segment_videos(adnet_model *m, const adn_video_set *set, const char *out_dir,
                                const adn_segment_options *o, adn_segment_progress_fn progress,
                                void *user, adn_segment_result *result);

/* One video's frames (no annotations, no pruning masks) into out_dir, as adn_segment_videos
 * does it: the first interface of the video pipeline, kept for its callers. progress (may be
 * NULL) is called after each frame's files are written. */
typedef void (*adn_progress_fn)(void *user, int frame, int n_frames, const char *name);
adnet_status adn_segment_video(adnet_model *m, const adn_frame_list *frames, const char *out_dir,
                               const adn_segment_options *o, adn_progress_fn progress, void *user);

#endif
