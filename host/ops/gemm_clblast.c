/* CLBlast's SGEMM, written and tuned for GPUs, as adnet's convolutions call it. */
#include "gemm_clblast.h"

#include "status.h"

#include <clblast_c.h>

static const char *clblast_status_name(CLBlastStatusCode s) {
    switch (s) {
#define S(x)                                                                                       \
    case x:                                                                                        \
        return #x;
        S(CLBlastSuccess)
        S(CLBlastOpenCLCompilerNotAvailable)
        S(CLBlastTempBufferAllocFailure)
        S(CLBlastOpenCLOutOfResources)
        S(CLBlastOpenCLOutOfHostMemory)
        S(CLBlastOpenCLBuildProgramFailure)
        S(CLBlastInvalidValue)
        S(CLBlastInvalidCommandQueue)
        S(CLBlastInvalidMemObject)
        S(CLBlastInvalidBinary)
        S(CLBlastInvalidBuildOptions)
        S(CLBlastInvalidProgram)
        S(CLBlastInvalidProgramExecutable)
        S(CLBlastInvalidKernelName)
        S(CLBlastInvalidKernelDefinition)
        S(CLBlastInvalidKernel)
        S(CLBlastInvalidArgIndex)
        S(CLBlastInvalidArgValue)
        S(CLBlastInvalidArgSize)
        S(CLBlastInvalidKernelArgs)
        S(CLBlastInvalidLocalNumDimensions)
        S(CLBlastInvalidLocalThreadsTotal)
        S(CLBlastInvalidLocalThreadsDim)
        S(CLBlastInvalidGlobalOffset)
        S(CLBlastInvalidEventWaitList)
        S(CLBlastInvalidEvent)
        S(CLBlastInvalidOperation)
        S(CLBlastInvalidBufferSize)
        S(CLBlastInvalidGlobalWorkSize)
        S(CLBlastNotImplemented)
        S(CLBlastInvalidMatrixA)
        S(CLBlastInvalidMatrixB)
        S(CLBlastInvalidMatrixC)
        S(CLBlastInvalidVectorX)
        S(CLBlastInvalidVectorY)
        S(CLBlastInvalidDimension)
        S(CLBlastInvalidLeadDimA)
        S(CLBlastInvalidLeadDimB)
        S(CLBlastInvalidLeadDimC)
        S(CLBlastInvalidIncrementX)
        S(CLBlastInvalidIncrementY)
        S(CLBlastInsufficientMemoryA)
        S(CLBlastInsufficientMemoryB)
        S(CLBlastInsufficientMemoryC)
        S(CLBlastInsufficientMemoryX)
        S(CLBlastInsufficientMemoryY)
        S(CLBlastInsufficientMemoryTemp)
        S(CLBlastInvalidBatchCount)
        S(CLBlastInvalidOverrideKernel)
        S(CLBlastMissingOverrideParameter)
        S(CLBlastInvalidLocalMemUsage)
        S(CLBlastNoHalfPrecision)
        S(CLBlastNoDoublePrecision)
        S(CLBlastInvalidVectorScalar)
        S(CLBlastInsufficientMemoryScalar)
        S(CLBlastDatabaseError)
        S(CLBlastUnknownError)
        S(CLBlastUnexpectedError)
#undef S
    }
    return "unknown CLBlast status";
}

adnet_status adn_gemm_clblast(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                              size_t lda, cl_mem b, size_t b_off, size_t ldb, cl_mem c,
                              size_t c_off, size_t ldc, const char *what, size_t col0) {
    cl_event ev = NULL;
    CLBlastStatusCode st = CLBlastSgemm(
        CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, m, n, k, 1.0f, a, a_off, lda,
        b, b_off, ldb, 0.0f, c, c_off, ldc, &dev->queue, adn_device_event_slot(dev, &ev));
    if (st != CLBlastSuccess)
        return adn_fail(ADNET_ERR_MATMUL,
                        "CLBlastSgemm for %s (M=%zu N=%zu K=%zu, output columns %zu..%zu) "
                        "failed: %s (%d)",
                        what, m, n, k, col0, col0 + n, clblast_status_name(st), (int)st);
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_gemm_clblast_batched(adn_device *dev, size_t batch, size_t m, size_t n, size_t k,
                                      cl_mem a, size_t a_off, size_t lda, size_t a_stride, cl_mem b,
                                      size_t b_off, size_t ldb, size_t b_stride, cl_mem c,
                                      size_t c_off, size_t ldc, size_t c_stride, const char *what) {
    cl_event ev = NULL;
    CLBlastStatusCode st = CLBlastSgemmStridedBatched(
        CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, m, n, k, 1.0f, a, a_off, lda,
        a_stride, b, b_off, ldb, b_stride, 0.0f, c, c_off, ldc, c_stride, batch, &dev->queue,
        adn_device_event_slot(dev, &ev));
    if (st != CLBlastSuccess)
        return adn_fail(ADNET_ERR_MATMUL,
                        "CLBlastSgemmStridedBatched for %s (%zu products of M=%zu N=%zu K=%zu) "
                        "failed: %s (%d)",
                        what, batch, m, n, k, clblast_status_name(st), (int)st);
    adn_device_trace(dev, ev);
    return ADNET_OK;
}
