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
 * writes every file and scores masks. See pipeline.c for how they hand work to each other. */
#ifndef ADN_PIPELINE_H
#define ADN_PIPELINE_H

#include "dataset.h"
#include "frames.h"
#include "model.h"
#include "scheduler.h"
#include "segment_options.h"

/* Segments every video of set into out_dir. A failure stops the run at once with one message
 * naming the file (or call) at fault; the frames finished before it keep complete files, and
 * no file is ever half-written. result may be NULL. */
adnet_status adn_segment_videos(adnet_model *m, const adn_video_set *set, const char *out_dir,
                                const adn_segment_options *o, adn_segment_progress_fn progress,
                                void *user, adn_segment_result *result);

/* The same on a scheduler's devices (several at once: sched/scheduler.h); the model planned
 * for the options' sizes on each (adn_sched_create). */
adnet_status adn_segment_videos_on(adn_sched *sched, const adn_video_set *set, const char *out_dir,
                                   const adn_segment_options *o, adn_segment_progress_fn progress,
                                   void *user, adn_segment_result *result);

/* One video's frames (no annotations, no pruning masks) into out_dir, as adn_segment_videos
 * does it: the first interface of the video pipeline, kept for its callers. progress (may be
 * NULL) is called after each frame's files are written. */
typedef void (*adn_progress_fn)(void *user, int frame, int n_frames, const char *name);
adnet_status adn_segment_video(adnet_model *m, const adn_frame_list *frames, const char *out_dir,
                               const adn_segment_options *o, adn_progress_fn progress, void *user);

#endif
