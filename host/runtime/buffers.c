#include "buffers.h"

#include "status.h"

#include <stdio.h>
#include <stdlib.h>

static void fmt_bytes(char *dst, size_t cap, uint64_t b) {
    if (b >= (1ull << 30))
        snprintf(dst, cap, "%.2f GiB", (double)b / (1ull << 30));
    else
        snprintf(dst, cap, "%.1f MiB", (double)b / (1ull << 20));
}

/* the destructor callback of a buffer in adnet's host memory */
static void CL_CALLBACK free_host_memory(cl_mem mem, void *host) {
    (void)mem;
    free(host);
}

adnet_status adn_buffer_alloc(adn_device *dev, size_t bytes, cl_mem *out) {
    *out = NULL;
    if (bytes == 0) bytes = 4;
    const adnet_device_info *in = &dev->entry.info;
    if (in->max_alloc_bytes && bytes > in->max_alloc_bytes) {
        char a[32], b[32];
        fmt_bytes(a, sizeof a, bytes);
        fmt_bytes(b, sizeof b, in->max_alloc_bytes);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                        "device %s cannot hold a buffer of %s (its largest allocation is %s)",
                        in->name, a, b);
    }
    if (in->global_mem_bytes && dev->mem_current + bytes > in->global_mem_bytes) {
        char a[32], b[32], c[32];
        fmt_bytes(a, sizeof a, bytes);
        fmt_bytes(b, sizeof b, dev->mem_current);
        fmt_bytes(c, sizeof c, in->global_mem_bytes);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                        "device %s is out of memory: %s requested with %s in use of %s", in->name,
                        a, b, c);
    }
    cl_int err;
    cl_mem m;
    if (adn_device_runs_native(&dev->entry)) {
        /* A device that runs native kernels computes in host memory that adnet allocates
         * itself, so that a native kernel finds a buffer's storage by CL_MEM_HOST_PTR (native.c
         * says why the driver's own substitution is not used). Page-aligned, in whole pages,
         * for the CPU drivers to use it in place (tests/test_ops checks they do, both drivers,
         * buffer sizes of any multiple of 4 bytes); freed by the driver's callback once it lets
         * the buffer go. */
        size_t whole = (bytes + 4095) / 4096 * 4096;
        void *host = NULL;
        if (posix_memalign(&host, 4096, whole) != 0)
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                            "out of host memory for a buffer of %zu bytes on %s", bytes, in->name);
        m = clCreateBuffer(dev->context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, bytes, host,
                           &err);
        if (err == CL_SUCCESS) err = clSetMemObjectDestructorCallback(m, free_host_memory, host);
        if (err != CL_SUCCESS) {
            if (m)
                clReleaseMemObject(m);
            else
                free(host);
            return adn_cl_fail(err, "clCreateBuffer (in host memory)");
        }
    } else {
        m = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
        if (err != CL_SUCCESS) return adn_cl_fail(err, "clCreateBuffer");
    }
    dev->mem_current += bytes;
    if (dev->mem_current > dev->mem_peak) dev->mem_peak = dev->mem_current;
    *out = m;
    return ADNET_OK;
}

void adn_buffer_free(adn_device *dev, cl_mem mem, size_t bytes) {
    if (!mem) return;
    if (bytes == 0) bytes = 4;
    clReleaseMemObject(mem);
    dev->mem_current -= bytes <= dev->mem_current ? bytes : dev->mem_current;
}

adnet_status adn_buffer_write(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                              const void *src) {
    if (bytes == 0) return ADNET_OK;
    cl_event ev = NULL;
    ADN_CL(clEnqueueWriteBuffer(dev->queue, mem, CL_TRUE, offset_bytes, bytes, src, 0, NULL,
                                adn_device_event_slot(dev, &ev)),
           "clEnqueueWriteBuffer");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_buffer_read(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                             void *dst) {
    if (bytes == 0) return ADNET_OK;
    cl_event ev = NULL;
    ADN_CL(clEnqueueReadBuffer(dev->queue, mem, CL_TRUE, offset_bytes, bytes, dst, 0, NULL,
                               adn_device_event_slot(dev, &ev)),
           "clEnqueueReadBuffer");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_buffer_fill_zero(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes) {
    if (bytes == 0) return ADNET_OK;
    const float zero = 0.0f;
    cl_event ev = NULL;
    ADN_CL(clEnqueueFillBuffer(dev->queue, mem, &zero, sizeof zero, offset_bytes, bytes, 0, NULL,
                               adn_device_event_slot(dev, &ev)),
           "clEnqueueFillBuffer");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_buffer_write_async(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                                    const void *src) {
    if (bytes == 0) return ADNET_OK;
    cl_event ev = NULL;
    ADN_CL(clEnqueueWriteBuffer(dev->queue, mem, CL_FALSE, offset_bytes, bytes, src, 0, NULL,
                                adn_device_event_slot(dev, &ev)),
           "clEnqueueWriteBuffer (non-blocking)");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_buffer_read_async(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                                   void *dst, adn_event *done) {
    *done = NULL;
    ADN_CL(clEnqueueReadBuffer(dev->queue, mem, CL_FALSE, offset_bytes, bytes, dst, 0, NULL, done),
           "clEnqueueReadBuffer (non-blocking)");
    return ADNET_OK;
}

adnet_status adn_buffer_copy(adn_device *dev, cl_mem src, size_t src_offset_bytes, cl_mem dst,
                             size_t dst_offset_bytes, size_t bytes) {
    if (bytes == 0) return ADNET_OK;
    cl_event ev = NULL;
    ADN_CL(clEnqueueCopyBuffer(dev->queue, src, dst, src_offset_bytes, dst_offset_bytes, bytes, 0,
                               NULL, adn_device_event_slot(dev, &ev)),
           "clEnqueueCopyBuffer");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_buffer_size(cl_mem mem, size_t *bytes) {
    *bytes = 0;
    ADN_CL(clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof *bytes, bytes, NULL),
           "clGetMemObjectInfo(CL_MEM_SIZE)");
    return ADNET_OK;
}
