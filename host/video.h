/* The video pipeline: frames of a video in, masks (and optionally logits) out, with the
 * anchor's embedding computed once per video. */
#ifndef ADN_VIDEO_H
#define ADN_VIDEO_H

#include "frames.h"
#include "model.h"

typedef struct adn_segment_options {
    int width, height; /* network input size (default 857 x 481) */
    float threshold;   /* on raw logits (default 0.5) */
    int anchor_index;  /* the anchor frame (default 0, the first) */
    int save_logits;   /* write logits/<frame>.npy */
} adn_segment_options;

void adn_segment_options_default(adn_segment_options *o);

/* Called after each frame is written (for progress display); may be NULL. */
typedef void (*adn_progress_fn)(void *user, int frame, int n_frames, const char *name);

/* Segments every frame of frames into out_dir/masks/<stem>.png (and out_dir/logits/<stem>.npy
 * with save_logits). Frames written before a failure are kept; no file is half-written. */
adnet_status adn_segment_video(adnet_model *m, const adn_frame_list *frames, const char *out_dir,
                               const adn_segment_options *o, adn_progress_fn progress, void *user);

#endif
