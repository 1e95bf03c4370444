/* CLBlast's SGEMM, written and tuned for GPUs, as adnet's convolutions call it. */
#include "gemm_clblast.h"

#include "status.h"
#include "tuning.h"

#include <clblast_c.h>
#include <pthread.h>

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

/* Gives CLBlast the profile's tuned parameter sets (tuning.h) for this device, once per change:
 * CLBlast keeps them per OpenCL device for the rest of the process. A set of -1 is CLBlast's own
 * choice, which cannot be given back once overridden: a tuned device is never untuned in the
 * same process. */
/* The OpenCL devices CLBlast has been given parameters for in this process (devices' threads
 * call at once: under the lock). */
static cl_device_id given_devices[32];
static int n_given;
static pthread_mutex_t given_lock = PTHREAD_MUTEX_INITIALIZER;

int adn_gemm_clblast_params_given(const adn_device *dev) {
    pthread_mutex_lock(&given_lock);
    int found = 0;
    for (int i = 0; i < n_given && !found; i++) found = given_devices[i] == dev->entry.device;
    pthread_mutex_unlock(&given_lock);
    return found;
}

static void note_given(const adn_device *dev) {
    pthread_mutex_lock(&given_lock);
    int found = 0;
    for (int i = 0; i < n_given && !found; i++) found = given_devices[i] == dev->entry.device;
    if (!found && n_given < 32) given_devices[n_given++] = dev->entry.device;
    pthread_mutex_unlock(&given_lock);
}

static adnet_status give_clblast_params(adn_device *dev) {
    static const adn_tunable which[3] = {ADN_TUNE_CLBLAST_XGEMM, ADN_TUNE_CLBLAST_DIRECT,
                                         ADN_TUNE_CLBLAST_THRESHOLD};
    for (int i = 0; i < 3; i++) {
        int v = adn_tunable_get(&dev->profile, which[i]);
        if (v < 0 || v == dev->clblast_given[i]) continue;
        adn_clblast_params ps;
        if (!adn_clblast_param_set(which[i], v, &ps))
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "no CLBlast parameter set %d for %s", v,
                            adn_tunable_name(which[i]));
        CLBlastStatusCode st =
            CLBlastOverrideParameters(dev->entry.device, ps.kernel, CLBlastPrecisionSingle,
                                      (size_t)ps.n, (const char **)ps.names, ps.values);
        if (st != CLBlastSuccess)
            return adn_fail(ADNET_ERR_MATMUL,
                            "CLBlastOverrideParameters(%s, set %d) failed: %s (%d)", ps.kernel, v,
                            clblast_status_name(st), (int)st);
        dev->clblast_given[i] = v;
        note_given(dev);
    }
    return ADNET_OK;
}

adnet_status adn_gemm_clblast(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                              size_t lda, cl_mem b, size_t b_off, size_t ldb, cl_mem c,
                              size_t c_off, size_t ldc, const char *what, size_t col0) {
    ADN_TRY(give_clblast_params(dev));
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
    ADN_TRY(give_clblast_params(dev));
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
