/* CLBlast's SGEMM on an adnet device's queue: the GEMM backend of the "gpu" profile. */
#ifndef ADN_OPS_GEMM_CLBLAST_H
#define ADN_OPS_GEMM_CLBLAST_H

#include "device.h"

/* adn_gemm's contract (gemm.h) on CLBlast: row-major, no transposes, C = A B. CLBlast checks
 * the matrices against their buffers itself. */
adnet_status adn_gemm_clblast(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                              size_t lda, cl_mem b, size_t b_off, size_t ldb, cl_mem c,
                              size_t c_off, size_t ldc, const char *what, size_t col0);

#endif
