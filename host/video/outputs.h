/* The writer of the video pipeline: turns finished frames into files (masks, heat maps, logits,
 * overlays), scores masks against annotations, writes each video's summary.json and reports
 * progress. It runs on the pipeline's writer thread and never touches the model or the device:
 * everything it needs comes in an adn_frame_output. */
#ifndef ADN_OUTPUTS_H
#define ADN_OUTPUTS_H

#include "dataset.h"
#include "metrics.h"
#include "passes.h"
#include "scheduler.h"
#include "segment_options.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* Where the device thread's time went in a video: computing the anchors, waiting for the
 * device, for the loader's next frame, for room in the writer's queue. */
enum { ADN_WAIT_ANCHOR, ADN_WAIT_DEVICE, ADN_WAIT_LOADER, ADN_WAIT_WRITER, ADN_WAIT_COUNT };

typedef enum adn_output_kind {
    ADN_OUT_VIDEO_BEGIN, /* a video starts: its folders and summary begin */
    ADN_OUT_FRAME,       /* a frame's results */
    ADN_OUT_VIDEO_END,   /* a video ends: scores and summary.json */
    ADN_OUT_WARNING      /* a device was retired: told to the caller in order */
} adn_output_kind;

/* One item for the writer (it owns the buffers). */
typedef struct adn_frame_output {
    adn_output_kind kind;
    int video, frame;
    int width, height;
    uint8_t *mask;     /* 0 / 255 */
    uint8_t *heat;     /* or NULL */
    float *logits;     /* or NULL */
    size_t shape[3];   /* of logits */
    adnet_image image; /* for the overlay, or empty */
    adnet_image gt;    /* annotation, or empty */
    size_t foreground; /* mask pixels */
    int prune_missing;
    double waits[ADN_WAIT_COUNT];              /* VIDEO_END: the device thread's time in seconds */
    double ms;                                 /* the frame's share of the run's time */
    int n_passes, pass_device[ADN_MSM_PASSES]; /* FRAME: the device of each pass */
    adn_sched_device_stats *devices;           /* VIDEO_END: each device's share and state */
    int n_devices;
    char *message; /* WARNING */
} adn_frame_output;

void adn_frame_output_free(adn_frame_output *o);

/* The writer's state; the caller fills the first block, adn_writer_init the rest. */
typedef struct adn_writer {
    const adn_video_set *set;
    const char *out;
    const adn_segment_options *o;
    const adn_passes *passes;
    adn_segment_progress_fn progress;
    void *user;
    double t0;             /* the run's start (adn_now_seconds) */
    adnet_model_info info; /* the model, for summaries */

    adn_metrics *metrics;
    cJSON *summary, *per_frame;
    double video_t0;
    int video_scored;
    int video_prune_missing;
    adn_segment_result result;
} adn_writer;

adnet_status adn_writer_init(adn_writer *w);
void adn_writer_free(adn_writer *w);
/* Writes what o asks for; a failure names the file. */
adnet_status adn_writer_handle(adn_writer *w, adn_frame_output *o);

/* Whether video v's outputs in out are complete for options o: its summary (written last)
 * names all its frames, and every frame's files exist (--resume skips such videos). */
/* Where a video's files of a kind ("masks", "overlays", ...) go under out: out/kind/<video>
 * for a DAVIS tree, out/kind for a folder of frames. */
void adn_video_output_dir(const char *out, const adn_video *v, const char *kind, char *dst,
                          size_t cap);

int adn_video_outputs_complete(const char *out, const adn_video *v, const adn_segment_options *o);

/* Monotonic seconds. */
double adn_now_seconds(void);

#endif
