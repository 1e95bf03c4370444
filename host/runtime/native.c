#include "native.h"

#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *adn_native_workspace(adn_device *dev, size_t bytes) {
    if (bytes <= dev->native_workspace_bytes) return dev->native_workspace;
    size_t rounded = (bytes + 63) / 64 * 64;
    void *grown = aligned_alloc(64, rounded);
    if (!grown) return NULL;
    free(dev->native_workspace);
    dev->native_workspace = grown;
    dev->native_workspace_bytes = rounded;
    return grown;
}

adnet_status adn_enqueue_native(adn_device *dev, void (*fn)(void *), const void *args,
                                size_t args_size, int n_mem, const cl_mem *mems,
                                const size_t *mem_at, const char *what) {
    if (!adn_device_runs_native(&dev->entry))
        return adn_fail(ADNET_ERR_INTERNAL, "%s: %s runs no native kernels on host memory", what,
                        dev->entry.info.name);
    enum { MAX_MEM = 8, MAX_ARGS = 512 };
    if (n_mem < 0 || n_mem > MAX_MEM || args_size > MAX_ARGS)
        return adn_fail(ADNET_ERR_INTERNAL,
                        "%s: %d buffers, %zu bytes of arguments for one native "
                        "kernel",
                        what, n_mem, args_size);
    /* The buffers' host addresses are put in by adnet, not by the driver through mem_list:
     * PoCL 3.1 pairs mem_list's locations with its own list of the command's buffers, which it
     * keeps in another order, so that two buffers trade places (the first tests read one
     * matrix from the other's storage). Buffers of such a device live in host memory adnet
     * allocated (buffers.c), in place: CL_MEM_HOST_PTR is where the kernels see them. The
     * in-order queue still orders the native kernel after what wrote them. */
    unsigned char copy[MAX_ARGS];
    memcpy(copy, args, args_size);
    for (int i = 0; i < n_mem; i++) {
        if (mem_at[i] + sizeof(void *) > args_size)
            return adn_fail(ADNET_ERR_INTERNAL, "%s: buffer %d lies outside the arguments", what,
                            i);
        void *host = NULL;
        ADN_CL(clGetMemObjectInfo(mems[i], CL_MEM_HOST_PTR, sizeof host, &host, NULL),
               "clGetMemObjectInfo(CL_MEM_HOST_PTR)");
        if (!host)
            return adn_fail(ADNET_ERR_INTERNAL, "%s: buffer %d is not in adnet's host memory", what,
                            i);
        memcpy(copy + mem_at[i], &host, sizeof host);
    }
    cl_event ev = NULL;
    cl_int err = clEnqueueNativeKernel(dev->queue, fn, copy, args_size, 0, NULL, NULL, 0, NULL,
                                       adn_device_event_slot(dev, &ev));
    if (err != CL_SUCCESS) {
        char msg[160];
        snprintf(msg, sizeof msg, "clEnqueueNativeKernel(%s)", what);
        return adn_cl_fail(err, msg);
    }
    adn_device_trace_labeled(dev, ev, what);
    return ADNET_OK;
}
