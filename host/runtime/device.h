/* An opened device: one context, one in-order queue, adnet's program built for it, its
 * device profile, and the trace of profiled events. Everything above the runtime enqueues
 * through an adn_device (kernels here, transfers in buffers.h) and never calls OpenCL. */
#ifndef ADN_DEVICE_H
#define ADN_DEVICE_H

#include "device_list.h"
#include "device_profile.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

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
    /* CL_KERNEL_LOCAL_MEM_SIZE asked before any argument is set: the kernel's own local memory.
     * Asked later, the query also counts the __local arguments last set (as the OpenCL
     * specification says; Intel's CPU runtime does, PoCL does not), which a tile planner must
     * not subtract from the device's local memory. */
    uint64_t own_local_bytes;
} adn_kernel_slot;

/* Not thread-safe: one host thread enqueues on a device at a time. */
typedef struct adn_device {
    adn_device_entry entry;
    cl_context context;
    cl_command_queue queue;
    int profiling;              /* the queue records timestamps and ops record their events */
    adn_device_profile profile; /* how the ops run here (device_profile.h) */
    adn_program *program;       /* adnet's own kernels (the cl/ folder), built once per device */
    adn_kernel_slot kernels[64];
    int n_kernels;
    /* device memory adnet holds through adn_buffer_alloc */
    uint64_t mem_current, mem_peak;
    /* profiling: events issued while profiling is on */
    adn_trace_event *trace;
    int n_trace, cap_trace;
    int current_step;
    /* the CLBlast parameter sets (profile clblast_*) last given to CLBlast for this device;
     * -1: none given (CLBlast's own) */
    int clblast_given[3];
    /* the first failure a native kernel reported (native.h), guarded by native_lock */
    pthread_mutex_t native_lock;
    adnet_status native_status;
    char native_message[256];
    /* host memory native kernels borrow (adn_native_workspace), freed with the device */
    void *native_workspace;
    size_t native_workspace_bytes;
} adn_device;

enum {
    ADN_DEVICE_PROFILING = 1,
    ADN_DEVICE_UNTUNED = 2 /* the profile without the device's tuning entry (`adnet tune`) */
};

/* Opens device index: resolves its profile (device_profile.h: a setting outside its words is an
 * error), creates the context and queue, builds (or loads from the cache) adnet's program. */
adnet_status adn_device_open(int index, int flags, adn_device **out);
/* The same for an entry of adn_devices or adn_device_list_resolve (a sub-device: the opened
 * device holds its own reference to it). Several threads may open devices at once. */
adnet_status adn_device_open_entry(const adn_device_entry *entry, int flags, adn_device **out);
void adn_device_close(adn_device *dev);

/* Replaces the device's profile (checked first): tests and `adnet bench` run the same device in
 * several profiles, `adnet tune` its candidates. A profile with other kernel build options
 * (the GEMM's tiles) gets its own program. Only between frames: nothing in flight may depend
 * on the old one. */
adnet_status adn_device_set_profile(adn_device *dev, const adn_device_profile *p);
const adn_device_profile *adn_device_profile_of(const adn_device *dev);

/* A kernel of adnet's program by its function name; created once per device. */
adnet_status adn_kernel(adn_device *dev, const char *name, cl_kernel *out);

/* Sets n kernel arguments from index first on, from (size, pointer) pairs; a pointer may be
 * NULL for a local-memory argument of that size. kernel_name is for messages. */
adnet_status adn_set_args_from(cl_kernel k, const char *kernel_name, int first, int n,
                               const size_t *sizes, const void *const *values);
#define adn_set_args(k, name, n, sizes, values) adn_set_args_from(k, name, 0, n, sizes, values)
adnet_status adn_set_arg(cl_kernel k, const char *kernel_name, int index, size_t size,
                         const void *value);

/* What a kernel may use on this device. */
typedef struct adn_kernel_limits {
    size_t work_group;         /* CL_KERNEL_WORK_GROUP_SIZE */
    uint64_t local_bytes_used; /* local memory it takes itself, its __local arguments aside */
} adn_kernel_limits;
adnet_status adn_kernel_get_limits(adn_device *dev, cl_kernel k, const char *name,
                                   adn_kernel_limits *lim);

/* Enqueues a 1-, 2- or 3-D range of kernel k (local may be NULL) and traces its event, labelled
 * with what (the kernel's name: it must outlive the trace, as a string literal does). */
adnet_status adn_enqueue(adn_device *dev, cl_kernel k, int dims, const size_t *global,
                         const size_t *local, const char *what);

/* Called by a native kernel (native.h) that failed: the first failure since the last check is kept
 * (status and message) and returned by the next adn_native_check on that device. Safe from
 * the driver's threads. */
void adn_native_report(adn_device *dev, adnet_status status, const char *message);

/* The failure a native function reported since the last call (then cleared), else ADNET_OK.
 * adn_finish checks it, so that work waited for also reports what failed inside. */
adnet_status adn_native_check(adn_device *dev);

/* Waits until the queue is empty / hands the queued work to the device without waiting.
 * adn_finish also returns what a native kernel reported (adn_native_check). */
adnet_status adn_finish(adn_device *dev);
adnet_status adn_flush(adn_device *dev);

/* Profiling: with ADN_DEVICE_PROFILING, every enqueue made between adn_device_set_step(k)
 * calls is recorded with step k. The caller reads (events.h) and clears them. */
void adn_device_set_step(adn_device *dev, int step);
/* Takes the event of an enqueue made outside adn_enqueue (CLBlast, copies). Takes
 * ownership of ev; a NULL event is ignored. */
void adn_device_trace(adn_device *dev, cl_event ev);
/* The same with a label for the trace (a string that outlives it): native kernels'. */
void adn_device_trace_labeled(adn_device *dev, cl_event ev, const char *label);
/* Where an enqueue should put its event: NULL when not profiling. */
cl_event *adn_device_event_slot(adn_device *dev, cl_event *slot);
void adn_device_trace_clear(adn_device *dev);

#endif
