/* adnet: AD-Net (Anchor Diffusion Network) video object segmentation on any OpenCL device.
 *
 * The public C API. Every call returns an adnet_status; on failure the thread's last error
 * message (adnet_last_error) names what failed: the file, the tensor and its shapes, the
 * OpenCL call and its error. Handles are opaque. The library never calls exit(). */
#ifndef ADNET_H
#define ADNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ADNET_VERSION_STRING "0.1.0"

typedef enum adnet_status {
    ADNET_OK = 0,
    ADNET_ERR_INVALID_ARGUMENT = 1, /* a bad option, size or spec */
    ADNET_ERR_IO = 2,               /* a file that is missing, unreadable or unwritable */
    ADNET_ERR_FORMAT = 3,           /* a file whose content is corrupt or unsupported */
    ADNET_ERR_WEIGHTS = 4,          /* a weights file that does not fit the architecture */
    ADNET_ERR_DEVICE = 5,           /* no OpenCL device, or none matching the spec */
    ADNET_ERR_OPENCL = 6,           /* an OpenCL call failed */
    ADNET_ERR_BUILD = 7,            /* an OpenCL program failed to build */
    ADNET_ERR_BLAS = 8,             /* a CLBlast call failed */
    ADNET_ERR_OUT_OF_MEMORY = 9,    /* host or device memory could not be allocated */
    ADNET_ERR_INTERNAL = 10         /* a bug: please report it */
} adnet_status;

/* A short description of a status code. */
const char *adnet_strerror(adnet_status status);
/* The detailed message of the last failed call on this thread ("" if none). */
const char *adnet_last_error(void);

/* ---- Devices ------------------------------------------------------------------------ */

typedef enum adnet_device_type {
    ADNET_DEVICE_CPU = 1,
    ADNET_DEVICE_GPU = 2,
    ADNET_DEVICE_ACCELERATOR = 4,
    ADNET_DEVICE_OTHER = 8
} adnet_device_type;

typedef struct adnet_device_info {
    int index; /* position in adnet's global device list */
    adnet_device_type type;
    char platform[128];
    char vendor[128];
    char name[128];
    char driver_version[64];
    char device_version[128]; /* "OpenCL 3.0 ..." */
    char opencl_c_version[64];
    unsigned compute_units;
    unsigned clock_mhz;
    uint64_t global_mem_bytes;
    uint64_t max_alloc_bytes;
    uint64_t local_mem_bytes;
    int fp16;                /* cl_khr_fp16 */
    double estimated_gflops; /* heuristic peak used to pick the default device */
} adnet_device_info;

/* "cpu", "gpu", "accelerator" or "other": the words --device accepts for a type. */
const char *adnet_device_type_name(adnet_device_type type);

/* Number of OpenCL devices over all platforms (0 when there is no OpenCL at all). */
adnet_status adnet_device_count(int *count);
adnet_status adnet_device_get_info(int index, adnet_device_info *info);
/* Resolves a device spec: an index ("0"), a type ("gpu", "cpu", "accelerator"), or a
 * case-insensitive substring of the platform, vendor or device name. NULL or "" means
 * $ADNET_DEVICE, else the GPU with the highest estimated throughput, else the CPU. */
adnet_status adnet_device_select(const char *spec, int *index);

/* ---- Models ------------------------------------------------------------------------- */

typedef enum adnet_model_kind {
    ADNET_MODEL_UNKNOWN = 0,
    ADNET_MODEL_AD,     /* anchor diffusion + intra-frame + skip (the full AD-Net) */
    ADNET_MODEL_INTER,  /* anchor diffusion + skip */
    ADNET_MODEL_INTRA,  /* intra-frame + skip */
    ADNET_MODEL_CONCAT, /* anchor and current embeddings concatenated */
    ADNET_MODEL_BASE    /* DeepLabv3 alone */
} adnet_model_kind;

/* "ad", "inter", ... ; NULL for UNKNOWN. */
const char *adnet_model_kind_name(adnet_model_kind kind);
/* Parses a model name; returns ADNET_MODEL_UNKNOWN for anything else. */
adnet_model_kind adnet_model_kind_parse(const char *name);

typedef struct adnet_model adnet_model;

typedef struct adnet_model_info {
    adnet_model_kind kind;
    int depth;        /* 50 or 101 */
    int embed;        /* E: 128, or 1 for base */
    uint64_t params;  /* number of parameters used at inference */
    char device[128]; /* device name */
} adnet_model_info;

/* Loads a safetensors weights file onto a device. kind = ADNET_MODEL_UNKNOWN takes the model
 * from the file's metadata, else from the shapes where they decide it. */
adnet_status adnet_model_load(const char *weights_path, adnet_model_kind kind, int device_index,
                              adnet_model **out);
void adnet_model_free(adnet_model *model);
adnet_status adnet_model_get_info(const adnet_model *model, adnet_model_info *info);

/* The feature map size for an input of width x height pixels (both output stride 8 rounds). */
void adnet_feature_size(int width, int height, int *feat_w, int *feat_h);

/* Sets the anchor frame: input is a preprocessed 3 x height x width float image (BGR, mean
 * subtracted, channels first; see adnet_preprocess). Its embedding is computed once and kept
 * on the device until the next call. */
adnet_status adnet_model_set_anchor(adnet_model *model, const float *input, int width, int height);
/* Runs the model on one preprocessed frame of the same size as the anchor and writes the raw
 * logits, feat_h x feat_w floats, to logits. */
adnet_status adnet_model_run(adnet_model *model, const float *input, int width, int height,
                             float *logits);

/* ---- Images --------------------------------------------------------------------------- */

/* An 8-bit interleaved image. Colour images are BGR (OpenCV order), masks have 1 channel. */
typedef struct adnet_image {
    int width, height, channels;
    uint8_t *data; /* height x width x channels, row-major */
} adnet_image;

/* Reads a JPEG or PNG file as 8-bit BGR (greyscale and CMYK are converted). */
adnet_status adnet_image_load_bgr(const char *path, adnet_image *out);
void adnet_image_free(adnet_image *img);
/* Resizes like OpenCV's INTER_LINEAR on 8-bit images and subtracts the BGR mean of the spec;
 * out holds 3 x height x width floats (channels first). */
adnet_status adnet_preprocess(const adnet_image *bgr, int width, int height, float *out);

#ifdef __cplusplus
}
#endif
#endif
