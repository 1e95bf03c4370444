/* The measurements behind `adnet bench`: steady-state speed with the anchor cached and with
 * the anchor recomputed per frame (the released loop's cost), first-frame latency, where the
 * time goes (per step, layer group, op kind and kernel role, from profiling events; see
 * profile.h for how), the device's measured peak, and memory. The library measures; the CLI
 * prints and writes JSON (bench_json.c builds it). */
#ifndef ADN_BENCHMARK_H
#define ADN_BENCHMARK_H

#include "model.h"
#include "step_profile.h"

#include <cjson/cJSON.h>

/* Pre- and post-processing are timed at the DAVIS frame size (the spec's annotation size). */
#define ADN_BENCH_FRAME_W 854
#define ADN_BENCH_FRAME_H 480

typedef struct adn_bench_config {
    adnet_model_kind kind;    /* the model (synthetic weights), or forced on a weights file */
    int depth;                /* 50 or 101 (with a weights file: 0 accepts either) */
    const char *weights_path; /* NULL: synthetic weights of the right shapes */
    uint64_t seed;            /* synthetic weights and inputs */
    int width, height;        /* network input */
    int frames, warmup;       /* timed frames per mode, untimed frames before them */
    int peak_fma;             /* measure the FMA peak */
    int peak_gemm_n;          /* size of the SGEMM peak (0: skip it) */
    double peak_seconds;      /* time budget of each peak measurement */
} adn_bench_config;

void adn_bench_config_default(adn_bench_config *c);

/* Statistics of per-frame wall-clock samples. */
typedef struct adn_timing {
    int n;
    double mean_s, median_s, min_s, max_s;
} adn_timing;

void adn_timing_from(adn_timing *t, const double *samples, int n);

/* One step of a graph with its mean device time per run. */
typedef struct adn_bench_step {
    char name[64];
    char group[16]; /* stem, layer1..layer4, aspp, head, attention, classifier */
    char kind[24];  /* conv1x1, conv1x1_s2, conv3x3, conv3x3_s2, conv3x3_dilated, maxpool, ... */
    adn_step_op op;
    double macs;
    double exec_macs; /* those the device computes (adn_step_info.exec_macs) */
    int out_c, out_h, out_w;
    double s;
} adn_bench_step;

/* A row of an aggregated table: seconds per run and multiply-adds. */
typedef struct adn_bench_row {
    char name[24];
    double s, macs;
    int steps;
} adn_bench_row;

#define ADN_BENCH_MAX_ROWS 32

/* Where one graph's time went, as means per run. Groups and kinds include "transfers" (the
 * input's upload and the logits' read); "host" is wall minus device time (enqueueing, waiting,
 * the driver), so that the group rows add up to the wall-clock time. */
typedef struct adn_bench_profile {
    int runs;
    double wall_s, device_s;
    adn_bench_step *steps;
    int n_steps;
    adn_bench_row groups[ADN_BENCH_MAX_ROWS], kinds[ADN_BENCH_MAX_ROWS], roles[ADN_ROLE_COUNT];
    int n_groups, n_kinds, n_roles;
    int reordered, events;
} adn_bench_profile;

/* First-frame latency in a fresh process: from opening the device (which builds adnet's
 * program or loads it from the cache) to the first frame's logits on the host, anchor
 * included. */
typedef struct adn_bench_first_frame {
    int measured;
    double total_s, open_s, weights_s, prepare_s, anchor_s, frame_s;
    double program_s;       /* building or loading adnet's own program (part of open_s) */
    int program_from_cache; /* adnet's program came from its cache */
    /* filled by the parent process that ran the measurement */
    double process_s;        /* the child process from start to exit */
    uint64_t peak_rss_bytes; /* the child's peak resident set */
} adn_bench_first_frame;

typedef struct adn_bench_result {
    adnet_device_info device;
    adn_arch arch;
    int width, height, feat_w, feat_h;
    int dry_run;
    /* multiply-adds of the plan */
    double frame_macs;      /* the frame graph: features, attention, classifier */
    double features_macs;   /* one feature extraction (the anchor graph) */
    double attention_macs;  /* the attention branches */
    double classifier_macs; /* the classifier */
    double released_macs;   /* a frame of the released loop: the frame graph, plus one feature
                               extraction of the anchor for the models that use it */
    double frame_exec_macs; /* of frame_macs, those the device computes: Winograd's products and
                               im2col's kept taps instead of the nominal ones */
    /* steady state, wall-clock per frame (upload, network, logits back on the host) */
    adn_timing cached, recomputed;
    adn_bench_profile frame;  /* frame graph, anchor cached */
    adn_bench_profile anchor; /* anchor graph, as the recomputed mode runs it each frame */
    /* host work per frame at ADN_BENCH_FRAME_W x H */
    double preprocess_s;  /* JPEG decode, resize, mean subtraction */
    double postprocess_s; /* upsampling to the frame's size, threshold */
    /* memory */
    uint64_t device_peak_bytes, arena_bytes, weight_bytes, anchor_bytes;
    /* measured peak (0 when not measured) */
    double fma_gflops, sgemm_gflops;
    const char *fma_kernel; /* the faster FMA kernel (a name of cl/peak.cl) */
    int sgemm_n, sgemm_reps;
    const char *gemm_backend; /* the convolutions' GEMM: "clblast", "adnet" or "onednn"
                                 (adn_device.gemm); the SGEMM peak is measured with it too */
    char profile[320];        /* the device profile in one line (adn_device_profile_describe) */
    char tuning[320]; /* the device profile's tuning: "tuned (...) from PATH" or "defaults: ..." */
    adn_bench_first_frame cold, warm;
} adn_bench_result;

/* How reports name the SGEMM peak's engine: "adnet GEMM", "oneDNN SGEMM" or "CLBlast SGEMM". */
const char *adn_bench_gemm_label(const adn_bench_result *r);

/* Opens the weights the configuration names (file or synthetic) and checks that they fit the
 * architecture, as a measurement would, without a device. */
adnet_status adn_bench_check_weights(const adn_bench_config *c);

/* Measures a device (an entry of adn_device_list_resolve: a sub-device too). dry_run: plan
 * only (FLOP counts and the memory plan). */
adnet_status adn_bench_run(const adn_device_entry *device, const adn_bench_config *c, int dry_run,
                           adn_bench_result *r);

/* The median wall-clock time of c->frames frames with the anchor cached (after c->warmup untimed
 * ones), one at a time as `adnet segment` runs them, on device opened without profiling: the
 * one number `adnet tune` keeps to compare two drivers of one chip. */
adnet_status adn_bench_frame_time(const adn_device_entry *device, const adn_bench_config *c,
                                  double *median_s);
/* The configuration's weights (the file, or synthetic) and their architecture. */
adnet_status adn_bench_open_weights(const adn_bench_config *c, adn_weights **w, adn_arch *arch);
/* A preprocessed input of random values in the range of real frames (malloc'd). */
float *adn_bench_random_input(int width, int height, uint64_t seed);
void adn_bench_result_free(adn_bench_result *r);

/* The in-process part of a first-frame measurement (run it in a fresh process). */
adnet_status adn_bench_first_frame_run(int device_index, const adn_bench_config *c,
                                       adn_bench_first_frame *out);

/* ---- JSON (bench_json.c; the schema is documented in docs/benchmarks.md) ----------------- */

#define ADN_BENCH_SCHEMA "adnet-bench/1"

/* The machine: OS, CPU model, logical CPUs, load averages. */
cJSON *adn_bench_host_json(void);
cJSON *adn_bench_result_json(const adn_bench_result *r);
cJSON *adn_bench_first_frame_json(const adn_bench_first_frame *f);
/* Reads what adn_bench_first_frame_json wrote; fails naming the missing field. */
adnet_status adn_bench_first_frame_parse(const cJSON *j, adn_bench_first_frame *f);

#endif
