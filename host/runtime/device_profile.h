/* The device profile: every per-device choice of how adnet's ops run, in one place. It is
 * resolved when a device is opened, from the device's type (the "cpu" profile for CPU devices,
 * "gpu" for every other kind), then the settings (adnet_set_option or the environment: a whole
 * named profile, then single choices). The ops read it; nothing else in adnet asks what kind
 * of device it runs on. Tests set profiles of their choosing with adn_device_set_profile. */
#ifndef ADN_DEVICE_PROFILE_H
#define ADN_DEVICE_PROFILE_H

#include "device_list.h"

/* The matrix product convolutions run on: CLBlast's SGEMM, written and tuned for GPUs,
 * adnet's own register-tiled kernel (cl/gemm.cl), written for CPU devices, or oneDNN's SGEMM
 * called from native kernels in the device's queue (CPU devices that run them: native.h), which
 * picks its blocking and instructions for the CPU it finds. */
typedef enum adn_gemm_backend {
    ADN_GEMM_CLBLAST = 0,
    ADN_GEMM_ADNET = 1,
    ADN_GEMM_ONEDNN = 2
} adn_gemm_backend;

/* NULL when oneDNN's engine can run on device e, else why not ("not built in: ...", "the
 * device runs no native kernels"). */
const char *adn_onednn_unavailable(const adn_device_entry *e);

/* How a convolution's input becomes the GEMM's B matrix (cl/conv.cl): one work-item per
 * (output column, input channel) with a bounds test per element (a GPU's shape), or one
 * work-item per matrix row with plain copy loops (a CPU's). */
typedef enum adn_im2col_variant { ADN_IM2COL_GENERIC = 0, ADN_IM2COL_ROWS = 1 } adn_im2col_variant;

/* The anchor-diffusion kernels of cl/attention.cl. */
typedef enum adn_attention_kernel {
    ADN_ATTN_DIRECT = 0, /* attention_direct: no local memory (the fallback) */
    ADN_ATTN_TILED = 1,  /* attention_tiled: work-groups sharing tiles in local memory (GPUs);
                            the direct kernel where no tile fits the device */
    ADN_ATTN_ROWS = 2    /* attention_rows: one work-item per 16 queries, in registers (CPUs) */
} adn_attention_kernel;

typedef enum adn_onednn_conv {
    ADN_ONEDNN_CONV_OFF = 0,
    ADN_ONEDNN_CONV_AUTO,
    ADN_ONEDNN_CONV_ON
} adn_onednn_conv;

typedef struct adn_device_profile {
    char name[16]; /* the named profile the choices started from: "cpu" or "gpu" */
    adn_gemm_backend gemm;
    adn_im2col_variant im2col;
    /* the rows im2col writes B in panels of 32 columns, which adnet's GEMM streams fastest;
     * only with both (else B is row-major) */
    int gemm_b_panels;
    adn_attention_kernel attention;
    /* 3x3 stride-1 convolutions carry Winograd's F(4x4, 3x3) form and run it where it pays
     * (cl/winograd.cl): on every kind of device, it saves multiplies wherever they run */
    int winograd;
    /* on oneDNN's engine, oneDNN's own convolution primitive (ops/conv_direct.c) for the 3x3
     * convolutions where it pays (auto), for every one Winograd does not take (on), or none */
    adn_onednn_conv onednn_conv;
    /* attention_tiled's tile choice: work-items per group aimed at, the largest key tile, the
     * key tile halved down to before the query block shrinks, the most row blocks per group */
    int attn_target_threads, attn_max_bk, attn_min_preferred_bk, attn_max_nrb;
    /* work-group width of element-wise kernels along dimension 0 (a power of two) */
    size_t group_width;
    /* the largest im2col chunk in bytes: 64 MiB or an eighth of the largest allocation */
    size_t scratch_cap_bytes;
    /* tuned by `adnet tune` (tuning.h), else these defaults: adnet's GEMM's rows per work-item
     * and depth per pass (256, 256: build options of cl/gemm.cl), CLBlast's parameter sets
     * (-1: CLBlast's own; applied through CLBlastOverrideParameters) */
    int gemm_mc, gemm_kc;
    int clblast_xgemm, clblast_direct, clblast_threshold;
    /* why the GEMM is not the one asked for or the profile's first choice ("" when it is):
     * oneDNN missing from the build or unable to run on the device, adnet's GEMM instead */
    char gemm_note[128];
    int tuned;        /* 1: the tunables above came from a tuning entry */
    char tuning[320]; /* where the tuned values came from, for reports ("defaults: no entry") */
} adn_device_profile;

/* A named profile ("cpu" or "gpu") for the device described by e. The cpu profile's GEMM is
 * oneDNN's where adn_onednn_unavailable allows, else adnet's (with gemm_note saying why). */
adnet_status adn_device_profile_named(const char *name, const adn_device_entry *e,
                                      adn_device_profile *p);

/* The profile a device opened now gets before tuning (tuning.h: adn_device_profile_resolve adds
 * the device's tuning entry): by its type, then the settings "profile", "gemm", "im2col",
 * "attention", "winograd". Forcing only the GEMM backend brings the im2col that feeds it (adnet's
 * GEMM: rows in panels; CLBlast's: generic), unless im2col is forced as well. A setting outside
 * its words fails naming the setting. */
adnet_status adn_device_profile_resolve_untuned(const adn_device_entry *e, adn_device_profile *p);

/* The build options of adnet's program for profile p (its GEMM's tile sizes). */
void adn_device_profile_build_options(const adn_device_profile *p, char *dst, size_t cap);

/* Checks that a profile is one the ops can run (known enums, panels only with adnet's GEMM and
 * the rows im2col, positive sizes); fails naming the field. */
adnet_status adn_device_profile_check(const adn_device_profile *p);

const char *adn_gemm_backend_name(adn_gemm_backend b);  /* "clblast", "adnet", "onednn" */
const char *adn_im2col_name(adn_im2col_variant v);      /* "generic", "rows" */
const char *adn_attention_name(adn_attention_kernel k); /* "tiled", "rows", "direct" */

/* One line: "cpu (gemm adnet, im2col rows in panels, attention rows, winograd)", the GEMM's
 * note after it when there is one. */
void adn_device_profile_describe(const adn_device_profile *p, char *dst, size_t cap);

#endif
