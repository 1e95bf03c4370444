/* oneDNN's SGEMM on an adnet device: the GEMM backend of the "cpu" profile where the device runs
 * native kernels (runtime/native.h). Each call is one command in the device's queue: a host
 * function that runs the products with oneDNN on the buffers' host memory, then the epilogue. */
#ifndef ADN_OPS_GEMM_ONEDNN_H
#define ADN_OPS_GEMM_ONEDNN_H

#include "gemm_epilogue.h"

/* batch products as adn_gemm_batched's (row-major B only), each C = act(A B + bias + res) as
 * adn_gemm_epilogue says (epi NULL: none), the operands already checked against their
 * buffers (gemm.c). oneDNN runs on as many threads as the device has compute units. */
adnet_status adn_gemm_onednn(adn_device *dev, size_t batch, size_t m, size_t n, size_t k, cl_mem a,
                             size_t a_off, size_t lda, size_t sa, cl_mem b, size_t b_off,
                             size_t ldb, size_t sb, cl_mem c, size_t c_off, size_t ldc, size_t sc,
                             const adn_gemm_epilogue *epi, const char *what);

/* What the CPU engine's native kernels share (gemm_onednn.c, conv_taps.c), built with oneDNN:
 * the threads a native kernel runs on (the device's compute units: a sub-device its share); the
 * epilogue c = act(c + bias[row] + res) on rows r0..r1 - 1, columns c0..c1 - 1 of a matrix of
 * leading dimension ldc (res laid out as c; bias, res NULL when absent); and the report of a
 * failed oneDNN call (status: a dnnl_status_t) to the device, naming what ran. */
int adn_onednn_threads(const adn_device *dev);
void adn_onednn_epilogue(float *c, size_t ldc, size_t r0, size_t r1, size_t c0, size_t c1,
                         const float *bias, const float *res, int act);
void adn_onednn_report(adn_device *dev, int status, const char *what);

/* The [lo, hi) of thread i of n over len items, cut at multiples of align: how the CPU
 * engine's native kernels share their work among their threads. */
static inline void adn_thread_share(size_t len, size_t align, int i, int n, size_t *lo,
                                    size_t *hi) {
    size_t units = (len + align - 1) / align;
    *lo = units * (size_t)i / (size_t)n * align;
    *hi = units * (size_t)(i + 1) / (size_t)n * align;
    if (*lo > len) *lo = len;
    if (*hi > len) *hi = len;
}

#endif
