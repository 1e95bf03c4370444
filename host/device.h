/* The runtime layer: OpenCL devices, their context and queue, tracked buffers, kernels and
 * profiling. Everything above this layer talks to OpenCL through an adn_device. */
#ifndef ADN_DEVICE_H
#define ADN_DEVICE_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

/* The name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *adn_cl_error_name(cl_int err);
/* Fails with ADNET_ERR_OPENCL (or OUT_OF_MEMORY for allocation failures) naming the call. */
adnet_status adn_cl_fail(cl_int err, const char *what);

#define ADN_CL(call, what)                                                                         \
    do {                                                                                           \
        cl_int adn_cl_err_ = (call);                                                               \
        if (adn_cl_err_ != CL_SUCCESS) return adn_cl_fail(adn_cl_err_, what);                      \
    } while (0)

/* Every device of every platform, in adnet's global order (platforms, then devices). */
typedef struct adn_device_entry {
    cl_platform_id platform;
    cl_device_id device;
    adnet_device_info info;
} adn_device_entry;

/* Enumerates once per process; the list is kept for the process's lifetime. */
adnet_status adn_devices(const adn_device_entry **list, int *count);

/* Resolves spec to device indices. "all" gives every device; other specs give one. */
adnet_status adn_device_select_many(const char *spec, int *indices, int max, int *count);

/* One profiled enqueue: the OpenCL event and the label of the step that issued it. */
typedef struct adn_trace_event {
    cl_event event;
    int step;          /* index set by adn_device_set_step; -1 outside any step */
    const char *label; /* adn_enqueue's kernel name (a string that outlives the trace); NULL
                          for other enqueues (CLBlast, copies, transfers) */
} adn_trace_event;

typedef struct adn_program adn_program;

typedef struct adn_kernel_slot {
    const char *name;
    cl_kernel kernel;
} adn_kernel_slot;

/* The matrix product convolutions run on (host/ops_gemm.c): CLBlast's SGEMM, written and
 * tuned for GPUs, or adnet's own kernel (cl/gemm.cl), written for CPU devices. The im2col
 * that feeds it follows: adnet's backend comes with the CPU-shaped im2col_rows_f32. */
typedef enum adn_gemm_backend { ADN_GEMM_CLBLAST = 0, ADN_GEMM_ADNET = 1 } adn_gemm_backend;

/* "clblast" or "adnet", as ADNET_GEMM spells them. */
const char *adn_gemm_backend_name(adn_gemm_backend b);

/* An opened device: one context and one in-order queue. Not thread-safe: one host thread
 * enqueues on a device at a time. */
typedef struct adn_device {
    adn_device_entry entry;
    cl_context context;
    cl_command_queue queue;
    int profiling;         /* the queue records timestamps and ops record their events */
    adn_program *program;  /* adnet's own kernels (the cl/ folder), built once per device */
    adn_gemm_backend gemm; /* adnet's on CPU devices, CLBlast's elsewhere; ADNET_GEMM overrides */
    adn_kernel_slot kernels[64];
    int n_kernels;
    /* device memory adnet holds through adn_buffer_alloc */
    uint64_t mem_current, mem_peak;
    /* profiling: events issued while profiling is on */
    adn_trace_event *trace;
    int n_trace, cap_trace;
    int current_step;
} adn_device;

enum { ADN_DEVICE_PROFILING = 1 };

/* Opens device index: creates the context and queue, builds (or loads from the cache) adnet's
 * program and picks the GEMM backend (ADNET_GEMM=clblast|adnet, else by device type; any
 * other value is an error). */
adnet_status adn_device_open(int index, int flags, adn_device **out);
void adn_device_close(adn_device *dev);

/* A kernel of adnet's program by its function name; created once per device. */
adnet_status adn_kernel(adn_device *dev, const char *name, cl_kernel *out);

/* Enqueues a 1-, 2- or 3-D range of kernel k (local may be NULL) and traces its event, labelled
 * with what (the kernel's name: it must outlive the trace, as a string literal does). */
adnet_status adn_enqueue(adn_device *dev, cl_kernel k, int dims, const size_t *global,
                         const size_t *local, const char *what);

/* Sets kernel arguments from a list of (size, pointer) pairs. */
adnet_status adn_set_args(cl_kernel k, const char *kernel_name, int n, const size_t *sizes,
                          const void *const *values);

/* Buffers: tracked so that peak device memory can be reported; fail early and clearly when a
 * request exceeds the device's max allocation. */
adnet_status adn_buffer_alloc(adn_device *dev, size_t bytes, cl_mem *out);
void adn_buffer_free(adn_device *dev, cl_mem mem, size_t bytes);
adnet_status adn_buffer_write(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                              const void *src);
adnet_status adn_buffer_read(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                             void *dst);
adnet_status adn_buffer_fill_zero(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes);
adnet_status adn_finish(adn_device *dev);

/* Profiling: with ADN_DEVICE_PROFILING, every enqueue made between adn_device_set_step(k)
 * calls is recorded with step k. The caller reads and releases them. */
void adn_device_set_step(adn_device *dev, int step);
/* Takes the event of an enqueue made outside adn_enqueue (CLBlast, copies). Takes
 * ownership of ev; a NULL event is ignored. */
void adn_device_trace(adn_device *dev, cl_event ev);
/* Where an enqueue should put its event: NULL when not profiling. */
cl_event *adn_device_event_slot(adn_device *dev, cl_event *slot);
void adn_device_trace_clear(adn_device *dev);

#endif
