#include "device.h"

#include "program.h"
#include "resources.h"
#include "status.h"
#include "tuning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

adnet_status adn_device_open(int index, int flags, adn_device **out) {
    const adn_device_entry *list;
    int n;
    *out = NULL;
    ADN_TRY(adn_devices(&list, &n));
    if (index < 0 || index >= n)
        return adn_fail(ADNET_ERR_DEVICE, "device %d does not exist (%d devices)", index, n);
    return adn_device_open_entry(&list[index], flags, out);
}

adnet_status adn_device_open_entry(const adn_device_entry *entry, int flags, adn_device **out) {
    *out = NULL;
    adn_device_profile profile;
    if (flags & ADN_DEVICE_UNTUNED)
        ADN_TRY(adn_device_profile_resolve_untuned(entry, &profile));
    else
        ADN_TRY(adn_device_profile_resolve(entry, &profile));
    adn_device *dev = calloc(1, sizeof *dev);
    if (!dev) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    dev->entry = *entry;
    if (entry->parts > 0) clRetainDevice(entry->device); /* the device keeps its sub-device */
    dev->profile = profile;
    dev->profiling = (flags & ADN_DEVICE_PROFILING) != 0;
    dev->current_step = -1;
    for (int i = 0; i < 3; i++) dev->clblast_given[i] = -1;
    pthread_mutex_init(&dev->native_lock, NULL);
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                     (cl_context_properties)dev->entry.platform, 0};
    dev->context = clCreateContext(props, 1, &dev->entry.device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        free(dev);
        return adn_cl_fail(err, "clCreateContext");
    }
    dev->queue = clCreateCommandQueue(dev->context, dev->entry.device,
                                      dev->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (err != CL_SUCCESS) {
        adn_device_close(dev);
        return adn_cl_fail(err, "clCreateCommandQueue");
    }
    /* an OpenCL compiler that runs out of address space throws (LLVM's std::bad_alloc) or
     * crashes and ends the process: the headroom PoCL 3.1 needs to compile adnet's kernels
     * from cold caches, measured under `ulimit -v` (docs/reliability.md), is checked first */
    char what[300];
    snprintf(what, sizeof what, "building adnet's kernels for %s", dev->entry.info.name);
    adnet_status room = adn_address_space_check((size_t)448 << 20, what);
    if (room != ADNET_OK) {
        adn_device_close(dev);
        return room;
    }
    char options[256];
    adn_device_profile_build_options(&dev->profile, options, sizeof options);
    adnet_status st = adn_program_build_adnet(&dev->entry, dev->context, options, &dev->program);
    if (st != ADNET_OK) {
        adn_device_close(dev);
        return st;
    }
    *out = dev;
    return ADNET_OK;
}

void adn_device_close(adn_device *dev) {
    if (!dev) return;
    if (dev->queue) clFinish(dev->queue);
    adn_device_trace_clear(dev);
    free(dev->trace);
    for (int i = 0; i < dev->n_kernels; i++) clReleaseKernel(dev->kernels[i].kernel);
    adn_program_free(dev->program);
    if (dev->queue) clReleaseCommandQueue(dev->queue);
    if (dev->context) clReleaseContext(dev->context);
    if (dev->entry.parts > 0) clReleaseDevice(dev->entry.device);
    pthread_mutex_destroy(&dev->native_lock);
    free(dev->native_workspace);
    free(dev);
}

adnet_status adn_kernel(adn_device *dev, const char *name, cl_kernel *out) {
    for (int i = 0; i < dev->n_kernels; i++) {
        if (dev->kernels[i].name == name || !strcmp(dev->kernels[i].name, name)) {
            *out = dev->kernels[i].kernel;
            return ADNET_OK;
        }
    }
    if (dev->n_kernels == (int)(sizeof dev->kernels / sizeof dev->kernels[0]))
        return adn_fail(ADNET_ERR_INTERNAL, "too many kernels on one device");
    cl_int err;
    cl_kernel k = clCreateKernel(adn_program_handle(dev->program), name, &err);
    if (err != CL_SUCCESS) {
        char what[160];
        snprintf(what, sizeof what, "clCreateKernel(%s)", name);
        return adn_cl_fail(err, what);
    }
    /* its own local memory, now, before any argument is set (adn_kernel_slot) */
    cl_ulong own = 0;
    err = clGetKernelWorkGroupInfo(k, dev->entry.device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof own, &own,
                                   NULL);
    if (err != CL_SUCCESS) {
        clReleaseKernel(k);
        char what[160];
        snprintf(what, sizeof what, "clGetKernelWorkGroupInfo(%s)", name);
        return adn_cl_fail(err, what);
    }
    dev->kernels[dev->n_kernels].name = name;
    dev->kernels[dev->n_kernels].kernel = k;
    dev->kernels[dev->n_kernels].own_local_bytes = own;
    dev->n_kernels++;
    *out = k;
    return ADNET_OK;
}

adnet_status adn_set_args_from(cl_kernel k, const char *kernel_name, int first, int n,
                               const size_t *sizes, const void *const *values) {
    for (int j = 0; j < n; j++) {
        int i = first + j;
        cl_int err = clSetKernelArg(k, (cl_uint)i, sizes[j], values[j]);
        if (err != CL_SUCCESS)
            return adn_fail(ADNET_ERR_RUNTIME, "clSetKernelArg(%s, arg %d) failed: %s (%d)",
                            kernel_name, i, adn_cl_error_name(err), (int)err);
    }
    return ADNET_OK;
}

/* ---- profiling: the trace of enqueued events ------------------------------------ */

void adn_device_set_step(adn_device *dev, int step) {
    dev->current_step = step;
}

cl_event *adn_device_event_slot(adn_device *dev, cl_event *slot) {
    *slot = NULL;
    return dev->profiling ? slot : NULL;
}

void adn_device_trace_labeled(adn_device *dev, cl_event ev, const char *label) {
    if (!ev) return;
    if (dev->n_trace == dev->cap_trace) {
        int cap = dev->cap_trace ? 2 * dev->cap_trace : 256;
        adn_trace_event *grown = realloc(dev->trace, (size_t)cap * sizeof *grown);
        if (!grown) { /* losing a profile sample is better than failing the run */
            clReleaseEvent(ev);
            return;
        }
        dev->trace = grown;
        dev->cap_trace = cap;
    }
    dev->trace[dev->n_trace].event = ev;
    dev->trace[dev->n_trace].step = dev->current_step;
    dev->trace[dev->n_trace].label = label;
    dev->n_trace++;
}

void adn_device_trace(adn_device *dev, cl_event ev) {
    adn_device_trace_labeled(dev, ev, NULL);
}

void adn_device_trace_clear(adn_device *dev) {
    for (int i = 0; i < dev->n_trace; i++) clReleaseEvent(dev->trace[i].event);
    dev->n_trace = 0;
}

/* ---- kernels ------------------------------------------------------------------------ */

adnet_status adn_enqueue(adn_device *dev, cl_kernel k, int dims, const size_t *global,
                         const size_t *local, const char *what) {
    for (int i = 0; i < dims; i++)
        if (global[i] == 0) return ADNET_OK; /* nothing to do */
    cl_event ev = NULL;
    cl_int err = clEnqueueNDRangeKernel(dev->queue, k, (cl_uint)dims, NULL, global, local, 0, NULL,
                                        adn_device_event_slot(dev, &ev));
    if (err != CL_SUCCESS) {
        char msg[160];
        snprintf(msg, sizeof msg, "clEnqueueNDRangeKernel(%s)", what);
        return adn_cl_fail(err, msg);
    }
    adn_device_trace_labeled(dev, ev, what);
    return ADNET_OK;
}

adnet_status adn_set_arg(cl_kernel k, const char *kernel_name, int index, size_t size,
                         const void *value) {
    return adn_set_args_from(k, kernel_name, index, 1, &size, &value);
}

adnet_status adn_kernel_get_limits(adn_device *dev, cl_kernel k, const char *name,
                                   adn_kernel_limits *lim) {
    char what[160];
    size_t wg = 0;
    cl_int err = clGetKernelWorkGroupInfo(k, dev->entry.device, CL_KERNEL_WORK_GROUP_SIZE,
                                          sizeof wg, &wg, NULL);
    /* a kernel of adn_kernel's: its own local memory, asked before any argument was set */
    int slot = -1;
    for (int i = 0; i < dev->n_kernels && slot < 0; i++)
        if (dev->kernels[i].kernel == k) slot = i;
    cl_ulong local = slot >= 0 ? dev->kernels[slot].own_local_bytes : 0;
    if (err == CL_SUCCESS && slot < 0)
        err = clGetKernelWorkGroupInfo(k, dev->entry.device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof local,
                                       &local, NULL);
    if (err != CL_SUCCESS) {
        snprintf(what, sizeof what, "clGetKernelWorkGroupInfo(%s)", name);
        return adn_cl_fail(err, what);
    }
    lim->work_group = wg ? wg : 1;
    lim->local_bytes_used = local;
    return ADNET_OK;
}

void adn_native_report(adn_device *dev, adnet_status status, const char *message) {
    pthread_mutex_lock(&dev->native_lock);
    if (dev->native_status == ADNET_OK) {
        dev->native_status = status;
        snprintf(dev->native_message, sizeof dev->native_message, "%s", message);
    }
    pthread_mutex_unlock(&dev->native_lock);
}

adnet_status adn_native_check(adn_device *dev) {
    pthread_mutex_lock(&dev->native_lock);
    adnet_status st = dev->native_status;
    char message[sizeof dev->native_message];
    memcpy(message, dev->native_message, sizeof message);
    dev->native_status = ADNET_OK;
    pthread_mutex_unlock(&dev->native_lock);
    if (st == ADNET_OK) return ADNET_OK;
    return adn_fail(st, "%s on %s", message, dev->entry.info.name);
}

adnet_status adn_finish(adn_device *dev) {
    ADN_CL(clFinish(dev->queue), "clFinish");
    return adn_native_check(dev);
}

adnet_status adn_flush(adn_device *dev) {
    ADN_CL(clFlush(dev->queue), "clFlush");
    return ADNET_OK;
}

adnet_status adn_device_set_profile(adn_device *dev, const adn_device_profile *p) {
    ADN_TRY(adn_device_profile_check(p));
    char now[256], next[256];
    adn_device_profile_build_options(&dev->profile, now, sizeof now);
    adn_device_profile_build_options(p, next, sizeof next);
    if (strcmp(now, next)) {
        /* the kernels' compile-time tile sizes change: a program built with the new ones (the
         * cache keeps both), and the old program's kernels let go */
        adn_program *prog;
        ADN_TRY(adn_finish(dev));
        ADN_TRY(adn_program_build_adnet(&dev->entry, dev->context, next, &prog));
        for (int i = 0; i < dev->n_kernels; i++) clReleaseKernel(dev->kernels[i].kernel);
        dev->n_kernels = 0;
        adn_program_free(dev->program);
        dev->program = prog;
    }
    dev->profile = *p;
    return ADNET_OK;
}

const adn_device_profile *adn_device_profile_of(const adn_device *dev) {
    return &dev->profile;
}
