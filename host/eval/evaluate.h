/* Scoring a folder of results against the DAVIS annotations, the way the DAVIS-2016 benchmark
 * does it (the measures themselves are in metrics.h; this module finds, decodes and checks the
 * files and feeds them to the accumulator).
 *
 * Layout (DAVIS's own):
 *   ROOT/Annotations/480p/<video>/<frame>.png   annotations (any non-zero value is the object)
 *   ROOT/ImageSets/2016/{val,train}.txt         one video name per line
 *   RESULTS/<video>/<frame>.png                 masks (grey levels or palette indices)
 *   HEATMAPS/<video>/<frame>.png                optional 8-bit saliency maps (sigmoid x 255)
 * The annotated frames of a video define what is scored: a result mask that is missing counts
 * as an empty mask (and a missing heat map as an all-zero one); both are listed in the report.
 * A result that is present but is not a readable 1-channel PNG, or has another size than its
 * annotation, is an error naming the file. */
#ifndef ADN_EVALUATE_H
#define ADN_EVALUATE_H

#include "metrics.h"

typedef struct adn_eval_options {
    const char *results;  /* RESULTS */
    const char *davis;    /* ROOT */
    const char *heatmaps; /* HEATMAPS, or NULL for none */
    int threshold;        /* a result pixel is the object when its value > threshold (0..254) */
    int threads;          /* decoding threads; 0: one per online CPU, at most 8 */
} adn_eval_options;

/* What was found for one video, besides its scores. */
typedef struct adn_eval_video {
    char *name;
    int n_frames;
    char **frames;            /* the annotated frames' names without ".png", in order */
    int results_dir_missing;  /* RESULTS/<video> does not exist: every frame is missing */
    int n_missing;            /* result masks that do not exist (counted as empty) */
    int *missing;             /* their indices into frames */
    int heatmaps_dir_missing; /* with heat maps: HEATMAPS/<video> does not exist */
    int n_missing_heat;       /* heat maps that do not exist (counted as all zero) */
    int *missing_heat;
    int n_ignored;  /* files in RESULTS/<video> that are not "<annotated frame>.png" */
    char **ignored; /* their names (hidden files and folders are not listed) */
} adn_eval_video;

typedef struct adn_eval {
    int n_videos;
    adn_eval_video *videos;
    adn_metrics *metrics; /* sequence i is videos[i] */
    adn_dataset_metrics dataset;
    int has_heatmaps;
} adn_eval;

/* The videos of a set: "val" or "train" (the names in ROOT/ImageSets/2016/<set>.txt), "all"
 * (every folder of ROOT/Annotations/480p, in name order) or a comma-separated list of names.
 * A listed name without a folder in ROOT/Annotations/480p fails: ADNET_ERR_INVALID_ARGUMENT
 * for a name given in set itself (the command line is wrong), ADNET_ERR_IO for one read from
 * an ImageSets file (the dataset is incomplete). A name listed twice is an error too. *names
 * is malloc'd, as is each name; free with adn_eval_free_names. */
adnet_status adn_eval_resolve_set(const char *davis_root, const char *set, char ***names, int *n);
void adn_eval_free_names(char **names, int n);

/* Scores videos[0 .. n_videos - 1] in that order. Decoding runs on a few threads; the scores
 * do not depend on their number. On failure nothing is returned (*out = NULL). */
adnet_status adn_eval_run(const adn_eval_options *o, const char *const *videos, int n_videos,
                          adn_eval **out);
void adn_eval_free(adn_eval *e);

#endif
