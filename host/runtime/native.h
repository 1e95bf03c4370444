/* Host functions run as OpenCL native kernels (clEnqueueNativeKernel): in the device's own
 * in-order queue, after what was enqueued before and before what comes after, on the device's
 * buffers seen as host pointers. This is how a CPU device runs a host library (oneDNN) as one
 * of its commands, with the events, order and profiling of every other command unchanged. */
#ifndef ADN_NATIVE_H
#define ADN_NATIVE_H

#include "device.h"

/* Enqueues fn(args) on dev's queue. args (args_size bytes) is copied at the enqueue; the
 * n_mem cl_mem handles stored at byte offsets mem_at[i] of it (as void * fields) are replaced
 * in the copy by the host address of each buffer's storage before fn runs. fn runs on a thread
 * of the driver's (PoCL: a worker; Intel's runtime: the thread waiting on the queue) and reports
 * a failure through adn_native_report (device.h). what labels the command in traces and errors (a
 * string that outlives the trace). */
adnet_status adn_enqueue_native(adn_device *dev, void (*fn)(void *), const void *args,
                                size_t args_size, int n_mem, const cl_mem *mems,
                                const size_t *mem_at, const char *what);

/* Host memory of at least bytes (64-byte aligned) for a native kernel of dev to work in, kept
 * and grown for the next; NULL when out of memory. Only from inside dev's native kernels: they
 * run one at a time, in the order of dev's queue, so one workspace serves them all. Its contents
 * do not outlive the kernel. */
void *adn_native_workspace(adn_device *dev, size_t bytes);

#endif
