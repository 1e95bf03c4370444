/* The matrix products convolutions run on, on the backend the device profile names. */
#ifndef ADN_OPS_GEMM_H
#define ADN_OPS_GEMM_H

#include "device.h"
#include "gemm_epilogue.h"

/* Whether dev's GEMM backend applies an epilogue itself (adnet's and oneDNN's; CLBlast's does
 * not). */
int adn_gemm_fuses_epilogue(const adn_device *dev);

/* C[m x n] (leading dimension ldc) = A[m x k] (leading dimension lda >= k) B[k x n]
 * (leading dimension ldb), all row-major float32 at element offsets, on the device's GEMM
 * backend (the device profile's gemm). what names the operation in errors ("conv 3->5 ..."); col0
 * is the first output column of the chunk it computes, for messages. */
adnet_status adn_gemm(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                      size_t lda, cl_mem b, size_t b_off, size_t ldb, cl_mem c, size_t c_off,
                      size_t ldc, const char *what, size_t col0);

/* adn_gemm with an epilogue (epi NULL: none; else only where adn_gemm_fuses_epilogue), and B
 * in panels as adn_gemm_b_panels takes it when b_panels. */
adnet_status adn_gemm_epi(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                          size_t lda, cl_mem b, size_t b_off, size_t ldb, int b_panels, cl_mem c,
                          size_t c_off, size_t ldc, const adn_gemm_epilogue *epi, const char *what,
                          size_t col0);

/* Columns per panel of adn_gemm_b_panels's B. */
#define ADN_GEMM_PANEL 32

/* adn_gemm on adnet's backend only (profile gemm ADN_GEMM_ADNET), with B stored in panels of
 * ADN_GEMM_PANEL columns: panel p (columns 32 p ..) at b_off + 32 p k, row r of it at + 32 r,
 * the last panel holding only its columns at the same stride. adnet's CPU im2col writes this
 * layout when asked (cl/conv.cl). */
adnet_status adn_gemm_b_panels(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a,
                               size_t a_off, size_t lda, cl_mem b, size_t b_off, cl_mem c,
                               size_t c_off, size_t ldc, const char *what);

/* batch products alike in shape, the z-th one's matrices at a_off + z a_stride, b_off + z
 * b_stride and c_off + z c_stride (as adn_gemm, or in panels as adn_gemm_b_panels when
 * b_panels): one launch on adnet's backend, so that many small products fill the device
 * together; one strided-batched call on CLBlast's. */
adnet_status adn_gemm_batched(adn_device *dev, size_t batch, size_t m, size_t n, size_t k, cl_mem a,
                              size_t a_off, size_t lda, size_t a_stride, cl_mem b, size_t b_off,
                              size_t ldb, size_t b_stride, int b_panels, cl_mem c, size_t c_off,
                              size_t ldc, size_t c_stride, const char *what);

#endif
