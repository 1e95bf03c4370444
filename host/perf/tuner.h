/* `adnet tune`: searches a device's tunable kernel parameters (runtime/tuning.h) on the network's
 * real shapes and caches the winners next to the compiled programs, where every later run on
 * that device and driver picks them up.
 *
 * What is measured, per group of parameters that apply to the device's profile:
 *   gemm       adnet's GEMM (rows per work-item x depth per pass, a full grid): the distinct
 *              matrix products of the network's convolutions at the given input size, as
 *              im2col runs them (M = output channels, K = input channels x taps, N = output
 *              pixels, B in panels where the profile has them), the largest first until they
 *              cover 80 % of the multiply-adds (at most 6), each weighted by how often the
 *              network runs it;
 *   clblast    CLBlast's SGEMM on the same products: its own choice first, then its Xgemm
 *              sets, its XgemmDirect sets and its direct/indirect switch one after another;
 *   attention  the tiled anchor-diffusion kernel's group size and key tile on the network's
 *              feature map (both branches).
 * Each candidate's results are compared with the defaults' (the same products on the same
 * inputs): a candidate that disagrees by more than float noise is refused, whatever its time. */
#ifndef ADN_TUNER_H
#define ADN_TUNER_H

#include "device.h"

typedef struct adn_tune_config {
    adnet_model_kind kind; /* the network whose shapes are measured (ad, inter, ...) */
    int depth;             /* ResNet depth (50, 101) */
    int width, height;     /* its input size */
    double budget_s;       /* the search stops starting candidates after this long */
    /* called after each candidate (may be NULL) */
    void (*progress)(void *ctx, const char *group, const char *params, double ms,
                     const char *status);
    void *ctx;
    /* after the search, this many frames (0: none) of the network with the tuned values are
     * timed whole, anchor cached, and their median kept in the entry: what device_select.c
     * compares between two drivers of one chip */
    int frame_frames;
} adn_tune_config;

typedef struct adn_tune_trial {
    char group[16];   /* "gemm", "clblast", "attention" */
    char params[96];  /* "gemm_mc 128, gemm_kc 256" */
    double ms;        /* the group's weighted time with these values; < 0: not measured */
    char status[120]; /* "ok", "refused: ...", "failed: ...", "not measured: budget" */
    int chosen;       /* the group's winner */
} adn_tune_trial;

typedef struct adn_tune_result {
    adn_device_profile untuned, tuned;
    double default_ms, tuned_ms; /* summed over the groups measured */
    double frame_ms;             /* a whole frame with the tuned values; -1: not timed */
    int n_shapes;                /* GEMM products measured */
    double coverage;             /* their share of the network's convolution multiply-adds */
    char network[64];            /* "ad R101 857x481" */
    char path[4200];             /* the entry written */
    adn_tune_trial *trials;
    int n_trials;
} adn_tune_result;

/* Tunes device e (opened afresh, without its old entry) and writes its entry. Fails when the
 * device cannot run the defaults or the entry cannot be written; a candidate that fails or
 * disagrees is only recorded. */
adnet_status adn_tune(const adn_device_entry *e, const adn_tune_config *c, adn_tune_result *r);
void adn_tune_result_free(adn_tune_result *r);

#endif
