#include "peak.h"

#include "status.h"

#include "buffers.h"
#include "gemm.h"
#include "launch.h"

#include <stdlib.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The FMA kernels of cl/peak.cl and their FLOPs per work-item and loop iteration. */
static const struct {
    const char *name;
    double flops;
} fma_kernels[] = {{"peak_fma_f32", 2.0 * 16}, {"peak_fma_f32x16", 2.0 * 16 * 16}};

static adnet_status run_fma(adn_device *dev, cl_kernel k, const char *name, cl_mem out,
                            size_t items, cl_uint iters, double *seconds) {
    cl_uint off = 0;
    cl_float b = 0.999f, c = 0.001f;
    const size_t sizes[] = {sizeof out, sizeof off, sizeof b, sizeof c, sizeof iters};
    const void *values[] = {&out, &off, &b, &c, &iters};
    ADN_TRY(adn_set_args(k, name, 5, sizes, values));
    double t0 = now_seconds();
    ADN_TRY(adn_enqueue(dev, k, 1, &items, NULL, name));
    ADN_TRY(adn_finish(dev));
    *seconds = now_seconds() - t0;
    return ADNET_OK;
}

/* The best GFLOP/s of one kernel: an untimed run first (drivers that compile lazily, as
 * PoCL does per work-group size, compile now), then the loop grows until one run takes
 * a third of the budget, then three timed runs. */
static adnet_status fma_kernel(adn_device *dev, int which, cl_mem out, size_t items,
                               double min_seconds, double *gflops) {
    const char *name = fma_kernels[which].name;
    cl_kernel k;
    ADN_TRY(adn_kernel(dev, name, &k));
    double per_run = min_seconds / 3, t = 0;
    cl_uint iters = 64;
    ADN_TRY(run_fma(dev, k, name, out, items, 1, &t));
    for (;;) {
        ADN_TRY(run_fma(dev, k, name, out, items, iters, &t));
        if (t >= per_run || iters >= (1u << 30)) break;
        double grow = t > 0 ? per_run / t : 16;
        iters = grow > 16 ? iters * 16 : (cl_uint)((double)iters * grow * 1.2) + 1;
    }
    *gflops = 0;
    for (int r = 0; r < 3; r++) {
        ADN_TRY(run_fma(dev, k, name, out, items, iters, &t));
        double g = fma_kernels[which].flops * (double)iters * (double)items / t / 1e9;
        if (t > 0 && g > *gflops) *gflops = g;
    }
    return ADNET_OK;
}

adnet_status adn_peak_fma(adn_device *dev, double min_seconds, double *gflops,
                          const char **kernel) {
    *gflops = 0;
    *kernel = NULL;
    /* enough work-items to fill every compute unit of a GPU many times over */
    size_t cu = dev->entry.info.compute_units ? dev->entry.info.compute_units : 1;
    size_t items = cu * 4096;
    cl_mem out;
    ADN_TRY(adn_buffer_alloc(dev, items * sizeof(float), &out));
    adnet_status st = ADNET_OK, failed = ADNET_OK;
    int n = (int)(sizeof fma_kernels / sizeof fma_kernels[0]);
    for (int i = 0; i < n; i++) {
        double g = 0;
        st = fma_kernel(dev, i, out, items, min_seconds / n, &g);
        if (st != ADNET_OK) {
            /* a shape this device cannot run (registers, work-group size): the other counts,
             * after the queue has settled */
            failed = st;
            adn_finish(dev);
            continue;
        }
        if (g > *gflops) {
            *gflops = g;
            *kernel = fma_kernels[i].name;
        }
    }
    adn_device_trace_clear(dev);
    adn_buffer_free(dev, out, items * sizeof(float));
    if (!*kernel) return adn_fail_context(failed, "measuring the FMA peak: ");
    adn_clear_error();
    return ADNET_OK;
}

/* One n x n x n product on the backend the convolutions use, so that the peak reads as what
 * this device's GEMM can do at its best: on adnet's backend with B in the panels its im2col
 * writes (the faster layout; the values of B do not matter here). */
static adnet_status sgemm_once(adn_device *dev, size_t n, cl_mem a, cl_mem b, cl_mem c) {
    if (dev->profile.gemm_b_panels)
        return adn_gemm_b_panels(dev, n, n, n, a, 0, n, b, 0, c, 0, n, "the SGEMM peak");
    return adn_gemm(dev, n, n, n, a, 0, n, b, 0, n, c, 0, n, "the SGEMM peak", 0);
}

adnet_status adn_peak_sgemm(adn_device *dev, int n, double min_seconds, double *gflops, int *reps) {
    *gflops = 0;
    *reps = 0;
    if (n < 1 || n > 16384)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "SGEMM peak: unsupported size %d", n);
    size_t nn = (size_t)n * (size_t)n, bytes = nn * sizeof(float);
    cl_mem m[3] = {NULL, NULL, NULL};
    adnet_status st = ADNET_OK;
    for (int i = 0; i < 3 && st == ADNET_OK; i++) st = adn_buffer_alloc(dev, bytes, &m[i]);
    float *host = st == ADNET_OK ? malloc(bytes) : NULL;
    if (st == ADNET_OK && !host) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK) {
        /* values in [-1, 1): a GEMM's speed does not depend on them, but no device should be
         * given a chance to skip work on zeros */
        uint32_t s = 12345;
        for (size_t i = 0; i < nn; i++) {
            s = s * 1664525u + 1013904223u;
            host[i] = (float)(s >> 8) / (float)(1 << 23) - 1.0f;
        }
        st = adn_buffer_write(dev, m[0], 0, bytes, host);
        if (st == ADNET_OK) st = adn_buffer_write(dev, m[1], 0, bytes, host);
    }
    free(host);
    double t1 = 0;
    if (st == ADNET_OK) st = sgemm_once(dev, (size_t)n, m[0], m[1], m[2]); /* compiles */
    if (st == ADNET_OK) st = adn_finish(dev);
    if (st == ADNET_OK) {
        double t0 = now_seconds();
        st = sgemm_once(dev, (size_t)n, m[0], m[1], m[2]);
        if (st == ADNET_OK) st = adn_finish(dev);
        t1 = now_seconds() - t0;
    }
    int r = 1;
    double t = t1;
    if (st == ADNET_OK && t1 < min_seconds) {
        double want = t1 > 0 ? min_seconds / t1 : 1000;
        r = want > 1000 ? 1000 : (int)want + 1;
        double t0 = now_seconds();
        for (int i = 0; i < r && st == ADNET_OK; i++)
            st = sgemm_once(dev, (size_t)n, m[0], m[1], m[2]);
        if (st == ADNET_OK) st = adn_finish(dev);
        t = now_seconds() - t0;
    }
    adn_device_trace_clear(dev);
    for (int i = 0; i < 3; i++) adn_buffer_free(dev, m[i], bytes);
    if (st != ADNET_OK) return adn_fail_context(st, "measuring the SGEMM peak: ");
    *reps = r;
    *gflops = 2.0 * (double)n * n * n * r / t / 1e9;
    return ADNET_OK;
}
