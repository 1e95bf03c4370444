/* The epilogue the CPU GEMM engines apply as they store C (gemm.h, gemm_onednn.h). */
#ifndef ADN_OPS_GEMM_EPILOGUE_H
#define ADN_OPS_GEMM_EPILOGUE_H

#include "device.h"

/* What adnet's and oneDNN's GEMMs can apply as it stores C, instead of a separate pass (the
 * convolutions' epilogue): C = act(A B + bias[row] + res), res laid out as C (leading dimension
 * ldc), its element res_off matching C's first. act is an adn_activation (0 none, 1 ReLU, 2 leaky).
 */
typedef struct adn_gemm_epilogue {
    cl_mem bias; /* NULL: none */
    size_t bias_off;
    cl_mem res; /* NULL: none */
    size_t res_off;
    int act;
} adn_gemm_epilogue;

#endif
