/* What a run of the released evaluation loop is asked for (options), tells (progress) and
 * ends with (result): shared by the pipeline (pipeline.h) and its output writer (outputs.h). */
#ifndef ADN_SEGMENT_OPTIONS_H
#define ADN_SEGMENT_OPTIONS_H

#include "adnet.h"

#include <signal.h>

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

/* What the pipeline tells its caller, always from one thread (the writer's), in order. */
typedef enum adn_progress_kind {
    ADN_PROGRESS_VIDEO_BEGIN, /* a video's first frame is about to be written */
    ADN_PROGRESS_FRAME,       /* a frame's files are written */
    ADN_PROGRESS_VIDEO_END,   /* a video is complete (its summary is written) */
    ADN_PROGRESS_WARNING      /* a device was retired; the run goes on (message) */
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
    int scored;          /* the video had annotations and at least 3 frames */
    double iou;          /* the released script's IoU (frames 0 < f < n - 1) when scored */
    int prune_missing;   /* frames without a pruning mask file (pruning skipped its product) */
    const char *message; /* WARNING */
} adn_progress;

typedef void (*adn_segment_progress_fn)(void *user, const adn_progress *p);

typedef struct adn_segment_result {
    int videos_done;
    long long frames_done;
    int videos_scored;
    double mean_iou;       /* over the scored videos, as the released script averages them */
    double j_mean, f_mean; /* the DAVIS benchmark's J and F means over the scored videos */
    double seconds;
    int cancelled; /* stopped by options.cancel */
} adn_segment_result;

#endif
