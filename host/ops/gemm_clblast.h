/* CLBlast's SGEMM on an adnet device's queue: the GEMM backend of the "gpu" profile. */
#ifndef ADN_OPS_GEMM_CLBLAST_H
#define ADN_OPS_GEMM_CLBLAST_H

#include "device.h"

/* adn_gemm's contract (gemm.h) on CLBlast: row-major, no transposes, C = A B. CLBlast checks
 * the matrices against their buffers itself. */
adnet_status adn_gemm_clblast(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                              size_t lda, cl_mem b, size_t b_off, size_t ldb, cl_mem c,
                              size_t c_off, size_t ldc, const char *what, size_t col0);

/* batch products alike in shape, the z-th one's matrices a_stride, b_stride and c_stride
 * floats after the first's, in one call (CLBlast's strided-batched SGEMM). */
adnet_status adn_gemm_clblast_batched(adn_device *dev, size_t batch, size_t m, size_t n, size_t k,
                                      cl_mem a, size_t a_off, size_t lda, size_t a_stride, cl_mem b,
                                      size_t b_off, size_t ldb, size_t b_stride, cl_mem c,
                                      size_t c_off, size_t ldc, size_t c_stride, const char *what);

/* Whether CLBlast was given parameter sets (the profile's clblast_*) for dev's OpenCL device in
 * this process: CLBlast keeps them, and its own choice cannot be measured any more. */
int adn_gemm_clblast_params_given(const adn_device *dev);

#endif
