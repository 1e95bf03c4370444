/* The DAVIS-2016 benchmark's measures on host arrays: region similarity J, contour accuracy F,
 * their per-sequence statistics (mean, recall, decay), the released AD-Net script's own IoU
 * score, and the saliency measures (MAE, F-max) on 8-bit heat maps.
 *
 * Masks are h x w arrays of 8-bit values, row-major; any non-zero value is foreground (pass the
 * prediction already thresholded, the annotation as read). No OpenCL, no files: the caller
 * reads the masks and prints the results.
 *
 * Sums of per-frame values are taken in the order NumPy's pairwise summation uses, so the
 * statistics are bit-identical to the benchmark's NumPy code, not only close to them. */
#ifndef ADN_METRICS_H
#define ADN_METRICS_H

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

/* ---- One frame ------------------------------------------------------------------------ */

typedef struct adn_frame_metrics {
    double j;         /* region similarity |P and G| / |P or G|; 1 when both are empty */
    double f;         /* contour accuracy 2PR / (P + R); 0 when P + R = 0 */
    double precision; /* fraction of the prediction's boundary within the tolerance of G's */
    double recall;    /* fraction of the annotation's boundary within the tolerance of P's */
} adn_frame_metrics;

/* Boundary tolerance in pixels: ceil(0.008 * sqrt(h^2 + w^2)), 8 at 480 x 854. */
int adn_boundary_tolerance(int h, int w);

/* The benchmark's boundary map (seg2bmap): bmap[i] = 1 where the pixel differs from its right,
 * lower or lower-right neighbour; the last row compares only with the right neighbour, the
 * last column only with the lower one, the bottom-right pixel is never a boundary. Returns
 * the number of boundary pixels. */
size_t adn_boundary_map(const uint8_t *mask, int h, int w, uint8_t *bmap);

/* J of two masks of n pixels. */
double adn_region_similarity(const uint8_t *pred, const uint8_t *gt, size_t n);

/* Scratch memory for contour accuracy, reused across frames (grown when a frame is larger).
 * Zero-initialise it; release it with adn_contour_scratch_release. */
typedef struct adn_contour_scratch {
    uint64_t *words; /* bit planes, one bit per pixel */
    size_t capacity; /* words */
} adn_contour_scratch;

void adn_contour_scratch_release(adn_contour_scratch *s);

/* F with its precision and recall (any of f, precision, recall may be NULL). Exact: a pixel is
 * within the tolerance r of a boundary when some boundary pixel lies at squared Euclidean
 * distance <= r^2, as the benchmark's dilation with skimage's disk(r) decides it. */
adnet_status adn_contour_accuracy(adn_contour_scratch *s, const uint8_t *pred, const uint8_t *gt,
                                  int h, int w, double *f, double *precision, double *recall);

/* J and F of one frame. */
adnet_status adn_frame_metrics_compute(adn_contour_scratch *s, const uint8_t *pred,
                                       const uint8_t *gt, int h, int w, adn_frame_metrics *out);

/* ---- Statistics over the kept frames of a sequence ------------------------------------- */

typedef struct adn_measure_stats {
    double mean;   /* mean over the values */
    double recall; /* fraction of values > 0.5 */
    double decay;  /* mean of the first of four bins minus mean of the last */
} adn_measure_stats;

/* The benchmark's statistics of n per-frame values (the kept frames only). Decay: with
 * ids[i] = round(1 + i (n - 1) / 4) - 1 (halves rounded up), i = 0..4, bin i holds
 * x[ids[i] .. ids[i+1]] (both ends included, so neighbouring bins share a frame); decay =
 * mean(bin 0) - mean(bin 3). With one value every bin is that value (decay 0). n = 0 gives
 * NaN everywhere. */
void adn_measure_statistics(const double *x, size_t n, adn_measure_stats *out);

/* ---- Saliency -------------------------------------------------------------------------- */

/* Counts of kept pixels by heat-map level (0..255), split by the annotation. */
typedef struct adn_saliency_histogram {
    uint64_t fg[256]; /* annotation non-zero */
    uint64_t bg[256]; /* annotation zero */
} adn_saliency_histogram;

/* Adds one frame's n pixels to the histogram. */
void adn_saliency_accumulate(adn_saliency_histogram *hist, const uint8_t *heat, const uint8_t *gt,
                             size_t n);

/* MAE = mean |heat / 255 - g| over all counted pixels (NaN when there are none).
 * F-max = max over levels t = 0..255 of 2PR / (P + R) with "heat >= t" as the prediction,
 * P = TP / predicted, R = TP / |G|; levels predicting no pixel are skipped (they are not on
 * the precision-recall curve), a level with TP = 0 scores 0. NaN when no pixel is
 * foreground in the annotation (recall is undefined). */
void adn_saliency_measures(const adn_saliency_histogram *hist, double *mae, double *fmax);

/* ---- Accumulating an evaluation: sequences of frames ----------------------------------- */

typedef struct adn_sequence_metrics {
    char *name;
    int n_frames;
    adn_frame_metrics *frames; /* all n_frames; the first and last are scored, not counted */
    adn_measure_stats j, f;    /* over frames 1 .. n_frames - 2 */
    double released_iou;       /* the released script's video score: J summed frame by frame
                                  over frames 1 .. n_frames - 2, divided by their count (the
                                  script sums float32 values on the GPU: its printout differs
                                  in about the 7th digit) */
    int has_saliency;
    double mae, fmax;               /* over the pixels of frames 1 .. n_frames - 2 (the
                                       released script uses the float sigmoid, not 8 bits) */
    adn_saliency_histogram *counts; /* those pixels' histogram (NULL without heat maps) */
} adn_sequence_metrics;

typedef struct adn_dataset_metrics {
    int n_sequences;
    adn_measure_stats j, f; /* each statistic averaged over the sequences */
    double jf_mean;         /* (j.mean + f.mean) / 2 */
    double released_iou;    /* the released script's score: video scores summed in order,
                               divided by their count */
    int has_saliency;
    double mae, fmax; /* over all kept pixels of all sequences */
} adn_dataset_metrics;

typedef struct adn_metrics adn_metrics;

adnet_status adn_metrics_create(adn_metrics **out);
void adn_metrics_free(adn_metrics *m);

/* Opens a sequence; the previous one must have been ended. */
adnet_status adn_metrics_begin_sequence(adn_metrics *m, const char *name);
/* Scores the next frame of the open sequence. heat is an 8-bit saliency map (sigmoid x 255)
 * of the same size, or NULL; either every frame of the evaluation has one or none has.
 * Frames may differ in size. out (may be NULL) receives the frame's J and F. */
adnet_status adn_metrics_add_frame(adn_metrics *m, const uint8_t *pred, const uint8_t *gt,
                                   const uint8_t *heat, int h, int w, adn_frame_metrics *out);
/* Closes the sequence and computes its statistics. A sequence needs at least 3 frames (the
 * first and the last are left out); one with fewer is dropped with an error. */
adnet_status adn_metrics_end_sequence(adn_metrics *m);

int adn_metrics_sequence_count(const adn_metrics *m);
/* The i-th ended sequence, in the order they were ended (valid until adn_metrics_free). */
const adn_sequence_metrics *adn_metrics_sequence(const adn_metrics *m, int i);
/* Statistics over every ended sequence (at least one). */
adnet_status adn_metrics_dataset(const adn_metrics *m, adn_dataset_metrics *out);

#endif
