/* adnet: AD-Net (Anchor Diffusion Network) video object segmentation on any OpenCL device.
 *
 * The public C API, in the manner of TurboJPEG's: a few opaque handles, calls that return an
 * adnet_status, and one error string. On failure the calling thread's last error message
 * (adnet_last_error) names what failed: the file, the tensor and its shapes, the device call
 * and its error. The library never calls exit() and never prints.
 *
 * A minimal program (error checks left out):
 *
 *     adnet_model *m;  adnet_session *s;  adnet_image anchor, frame;  adnet_frame_result r;
 *     adnet_model_load("ad.safetensors", ADNET_MODEL_UNKNOWN, -1, &m);   // -1: default device
 *     adnet_session_create(m, NULL, &s);                                 // NULL: defaults
 *     adnet_image_load_bgr("00000.jpg", &anchor);  adnet_session_begin_video(s, &anchor);
 *     adnet_image_load_bgr("00001.jpg", &frame);   adnet_session_segment(s, &frame, NULL, &r);
 *     adnet_image_save("00001.png", &r.mask);      // and so on for every frame
 *
 * Thread rules. Handles (adnet_model, adnet_session) are not thread-safe: use each from one
 * thread at a time; a session uses its model while one of its calls runs, so a model and
 * its sessions belong to one thread at a time. Different models may run on different threads
 * at once (each has its own device queue). The device queries, the image calls, the version
 * calls and adnet_strerror are safe from any thread; adnet_set_option and adnet_get_option
 * are too, and a new value applies to devices and models opened after it. adnet_last_error is
 * per thread. */
#ifndef ADNET_H
#define ADNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the calls libadnet exports; everything else in the library is hidden. */
#if defined(ADNET_BUILDING) && defined(__GNUC__)
#define ADNET_API __attribute__((visibility("default")))
#else
#define ADNET_API
#endif

/* The version of this header; adnet_version gives the library's. */
#define ADNET_VERSION_MAJOR  0
#define ADNET_VERSION_MINOR  1
#define ADNET_VERSION_PATCH  0
#define ADNET_VERSION_STRING "0.1.0"

/* The library's version as "0.1.0"; major, minor and patch may each be NULL. A program built
 * against another header major version than the library's should refuse to run. */
ADNET_API const char *adnet_version(int *major, int *minor, int *patch);

typedef enum adnet_status {
    ADNET_OK = 0,
    ADNET_ERR_INVALID_ARGUMENT = 1, /* a bad option, size or spec */
    ADNET_ERR_IO = 2,               /* a file that is missing, unreadable or unwritable */
    ADNET_ERR_FORMAT = 3,           /* a file whose content is corrupt or unsupported */
    ADNET_ERR_WEIGHTS = 4,          /* a weights file that does not fit the architecture */
    ADNET_ERR_DEVICE = 5,           /* no compute device, or none matching the spec */
    ADNET_ERR_RUNTIME = 6,          /* a call to the device's runtime failed */
    ADNET_ERR_BUILD = 7,            /* a device program (kernel) failed to compile */
    ADNET_ERR_MATMUL = 8,           /* the matrix-multiply backend failed */
    ADNET_ERR_OUT_OF_MEMORY = 9,    /* host or device memory could not be allocated */
    ADNET_ERR_INTERNAL = 10,        /* a bug: please report it */
    ADNET_ERR_DEVICE_LOST = 11      /* every device of the run failed or stopped answering:
                                       retryable (the input is not at fault) */
} adnet_status;

/* The names of codes 6 and 8 before version 0.1.0's embedding API; same values. */
#define ADNET_ERR_OPENCL ADNET_ERR_RUNTIME
#define ADNET_ERR_BLAS   ADNET_ERR_MATMUL

/* A short description of a status code (a static string). */
ADNET_API const char *adnet_strerror(adnet_status status);
/* The detailed message of the last failed call on this thread ("" if none). The string is
 * valid until the thread's next failing call. */
ADNET_API const char *adnet_last_error(void);

/* ---- Settings --------------------------------------------------------------------------- */

/* Sets a process-wide option; value NULL goes back to the environment variable of the same
 * name (ADNET_<NAME>), value "" means unset whatever the environment says. Options:
 *   "device"     the default device spec (see adnet_device_select)
 *   "profile"    force a device profile on every device: "cpu" or "gpu"
 *   "gemm"       force the GEMM backend: "clblast", "adnet" or "onednn" (oneDNN in native
 *                kernels: the default on CPU devices that run them; where a device cannot,
 *                or the library was built without it, "adnet" instead)
 *   "im2col"     force the im2col kernel: "generic" or "rows"
 *   "attention"  force the attention kernel: "tiled", "rows" or "direct"
 *   "winograd"   Winograd's F(4x4, 3x3) for 3x3 convolutions where it pays: "on" (the
 *                default) or "off" (less device memory for the weights)
 *   "onednn_conv" on oneDNN's engine, oneDNN's own convolution primitive: "auto" (the
 *                default: the 3x3 convolutions of stride 2 or dilation 8 and more, where it
 *                was measured to pay), "on" (every 3x3 convolution Winograd does not take)
 *                or "off" (adnet's im2col and tap forms only)
 *   "cache_dir"  where compiled kernels and `adnet tune`'s entries are cached (default
 *                $XDG_CACHE_HOME/adnet)
 *   "tune"       "on" (the default): a device with an `adnet tune` entry in the cache runs
 *                with its tuned kernel parameters; "off": the built-in defaults
 * Unset, each device gets the profile of its kind. An unknown option or a word outside an
 * option's list is ADNET_ERR_INVALID_ARGUMENT. Applies to devices and models opened later. */
ADNET_API adnet_status adnet_set_option(const char *name, const char *value);
/* The option's current value (set by call, else from the environment; "" when unset) into
 * value, at most cap bytes with the terminating NUL. */
ADNET_API adnet_status adnet_get_option(const char *name, char *value, size_t cap);

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
    /* The hardware behind the device: "PCI 0000:03:00.0" where the driver gives the address, else
     * "host CPU <model>" or the type, vendor id, name and memory size. Two drivers can expose one
     * chip (PoCL and Intel's CPU runtime both expose the CPU); "all" and the default choice use
     * one device per chip. */
    char chip[160];
    /* -1: this device stands for its chip; else the index of the device that does (a device
     * left out of "all" still runs when named, with a warning that the chip is shared). */
    int same_chip_as;
} adnet_device_info;

/* "cpu", "gpu", "accelerator" or "other": the words --device accepts for a type. */
ADNET_API const char *adnet_device_type_name(adnet_device_type type);

/* Number of OpenCL devices over all platforms (0 when there is no OpenCL at all). */
ADNET_API adnet_status adnet_device_count(int *count);
/* Fills info for device index (0 <= index < count); ADNET_ERR_DEVICE for any other index. */
ADNET_API adnet_status adnet_device_get_info(int index, adnet_device_info *info);
/* Resolves a device spec: an index ("0"), a type ("gpu", "cpu", "accelerator"), or a
 * case-insensitive substring of the platform, vendor or device name. NULL or "" means
 * $ADNET_DEVICE, else the GPU with the highest estimated throughput, else the CPU. */
ADNET_API adnet_status adnet_device_select(const char *spec, int *index);

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
ADNET_API const char *adnet_model_kind_name(adnet_model_kind kind);
/* Parses a model name; returns ADNET_MODEL_UNKNOWN for anything else. */
ADNET_API adnet_model_kind adnet_model_kind_parse(const char *name);

typedef struct adnet_model adnet_model;

typedef struct adnet_model_info {
    adnet_model_kind kind;
    int depth;        /* 50 or 101 */
    int embed;        /* E: 128, or 1 for base */
    uint64_t params;  /* number of parameters used at inference */
    char device[128]; /* device name */
} adnet_model_info;

/* Loads a safetensors weights file onto a device (an index from adnet_device_select; -1: the
 * default device). kind = ADNET_MODEL_UNKNOWN takes the model from the file's metadata, else
 * from the shapes where they decide it. Every tensor is checked against the architecture
 * before device memory is taken; errors name the file, the tensor and the shapes. */
ADNET_API adnet_status adnet_model_load(const char *weights_path, adnet_model_kind kind,
                                        int device_index, adnet_model **out);
/* Frees the model and its device memory (NULL is ignored); its sessions must be freed first. */
ADNET_API void adnet_model_free(adnet_model *model);
/* What was loaded: model kind, depth, E, parameters and the device's name. */
ADNET_API adnet_status adnet_model_get_info(const adnet_model *model, adnet_model_info *info);

/* The feature map size for an input of width x height pixels (both output stride 8 rounds). */
ADNET_API void adnet_feature_size(int width, int height, int *feat_w, int *feat_h);

/* Sets the anchor frame: input is a preprocessed 3 x height x width float image (BGR, mean
 * subtracted, channels first; see adnet_preprocess). Its embedding is computed once and kept
 * on the device until the next call. */
ADNET_API adnet_status adnet_model_set_anchor(adnet_model *model, const float *input, int width,
                                              int height);
/* Runs the model on one preprocessed frame of the same size as the anchor and writes the raw
 * logits, feat_h x feat_w floats, to logits. */
ADNET_API adnet_status adnet_model_run(adnet_model *model, const float *input, int width,
                                       int height, float *logits);

/* ---- Images --------------------------------------------------------------------------- */

/* An 8-bit interleaved image. Colour images are BGR (OpenCV order), masks have 1 channel. */
typedef struct adnet_image {
    int width, height, channels;
    uint8_t *data; /* height x width x channels, row-major */
} adnet_image;

/* Reads a JPEG or PNG file as 8-bit BGR (greyscale and CMYK are converted, EXIF orientation
 * applied), exactly as OpenCV's cv2.imread(path, IMREAD_COLOR). out->data is malloc'd. */
ADNET_API adnet_status adnet_image_load_bgr(const char *path, adnet_image *out);
/* Writes a 1-channel image (a mask) or a 3-channel BGR image: PNG when path ends in ".png",
 * JPEG (quality 90) for ".jpg" or ".jpeg". The file appears whole or not at all (written to a
 * temporary name, then renamed). */
ADNET_API adnet_status adnet_image_save(const char *path, const adnet_image *img);
/* Frees img->data and empties img (an empty image is ignored). */
ADNET_API void adnet_image_free(adnet_image *img);
/* Resizes like OpenCV's INTER_LINEAR on 8-bit images and subtracts the BGR mean of the spec;
 * out holds 3 x height x width floats (channels first). */
ADNET_API adnet_status adnet_preprocess(const adnet_image *bgr, int width, int height, float *out);

/* ---- Video sessions: what `adnet segment` gives, frame by frame ------------------------ */

/* A session runs the released evaluation loop over the frames of one video at a time: each
 * frame's logits at the frame's size (one pass, or six with multi-scale + mirror), instance
 * pruning when asked, the temporal step, the threshold. */
typedef struct adnet_session adnet_session;

/* Extra results a session computes on request (adnet_session_options.outputs). */
enum {
    ADNET_OUTPUT_LOGITS = 1,  /* the frame-size logits, before pruning and the temporal step */
    ADNET_OUTPUT_SALIENCY = 2 /* 255 x sigmoid of the final logits (what --save-heatmaps writes) */
};

typedef struct adnet_session_options {
    int width, height; /* network input size (default 857 x 481, the released one) */
    float threshold;   /* on the logits (default 0.5) */
    int temporal;      /* the released temporal step (default 1: on) */
    int ms_mirror;     /* multi-scale + mirror: six passes per frame (default 0) */
    int pruning;       /* instance pruning with per-frame masks (default 0: off) */
    int outputs;       /* ADNET_OUTPUT_* flags (default 0: the mask only) */
} adnet_session_options;

/* Fills o with the defaults above. */
ADNET_API void adnet_session_options_default(adnet_session_options *o);

/* Creates a session on model (which must outlive it) with options o (NULL: the defaults).
 * Plans the model for every input size the options need. */
ADNET_API adnet_status adnet_session_create(adnet_model *model, const adnet_session_options *o,
                                            adnet_session **out);
/* Creates a session on several devices at once: devices is a device list as `adnet segment
 * --device` takes it ("gpu,cpu", "all", "cpu/2": see adnet_device_select for each spec; NULL
 * or "" is the default device). Each device gets its own replica of the model from the
 * weights file (checked once, loaded on the devices in parallel); the passes of the frames
 * given to adnet_session_segment_frames are shared among them, each to the device expected to
 * finish it first, and a device that fails is dropped while the others go on (when none is
 * left: ADNET_ERR_DEVICE_LOST). A list that names nothing or a device twice is
 * ADNET_ERR_INVALID_ARGUMENT. */
ADNET_API adnet_status adnet_session_create_devices(const char *weights_path, adnet_model_kind kind,
                                                    const char *devices,
                                                    const adnet_session_options *o,
                                                    adnet_session **out);
/* Frees the session (NULL is ignored); a multi-device session's replicas with it. */
ADNET_API void adnet_session_free(adnet_session *session);

/* Starts a video: computes the anchor frame's embedding(s) from a BGR image (any size; it is
 * resized like every frame) and forgets the previous video's temporal and pruning state. */
ADNET_API adnet_status adnet_session_begin_video(adnet_session *session, const adnet_image *anchor);

/* What adnet_session_segment gives for one frame. */
typedef struct adnet_frame_result {
    adnet_image mask;     /* 1 channel at the frame's size: 255 object, 0 background */
    size_t foreground;    /* object pixels in mask */
    float *logits;        /* ADNET_OUTPUT_LOGITS: height x width floats, row-major; else NULL */
    adnet_image saliency; /* ADNET_OUTPUT_SALIENCY: 1 channel at the frame's size; else empty */
} adnet_frame_result;

/* Segments the next frame of the video (frames in order; the anchor itself may be one of
 * them). frame is BGR; prune_mask is the frame's pruning mask (1 channel, the frame's size, 0
 * = cut) or NULL when it has none (the released loop then skips the product but still runs
 * the box logic); it is ignored unless the options ask for pruning. out is filled with
 * malloc'd buffers, freed by adnet_frame_result_free. Needs adnet_session_begin_video first. */
ADNET_API adnet_status adnet_session_segment(adnet_session *session, const adnet_image *frame,
                                             const adnet_image *prune_mask,
                                             adnet_frame_result *out);
/* The same for n consecutive frames of the video (1 <= n <= 64), in order: their passes run on
 * the session's devices at once (several devices only pay off with several frames, or with
 * multi-scale + mirror), and out[i] is frame i's result. prune_masks is NULL or n masks (an
 * entry with no data: that frame has none). On failure no result is kept. */
ADNET_API adnet_status adnet_session_segment_frames(adnet_session *session,
                                                    const adnet_image *frames, int n,
                                                    const adnet_image *prune_masks,
                                                    adnet_frame_result *out);
/* Frees a result's buffers and empties it. */
ADNET_API void adnet_frame_result_free(adnet_frame_result *result);

#ifdef __cplusplus
}
#endif
#endif
