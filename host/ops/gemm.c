/* The matrix products of the convolutions, on the backend the device profile names:
 * CLBlast's SGEMM, adnet's register-tiled kernel of cl/gemm.cl for CPU devices, or oneDNN's
 * SGEMM in native kernels for CPU devices that run them. */
#include "gemm.h"

#include "buffers.h"
#include "gemm_clblast.h"
#include "gemm_onednn.h"
#include "launch.h"
#include "ops.h"
#include "status.h"

#include <stdint.h>

/* Checks that the last element a matrix touches, off + (rows - 1) * ld + cols, lies in mem
 * and in the kernel's 32-bit range: the kernel itself does not check (CLBlast does, for its
 * own path). */
static adnet_status check_matrix(cl_mem mem, size_t off, size_t rows, size_t cols, size_t ld,
                                 const char *what, const char *role, size_t m, size_t n, size_t k) {
    size_t bytes = 0;
    ADN_TRY(adn_buffer_size(mem, &bytes));
    size_t end = off + (rows - 1) * ld + cols;
    if (end > bytes / sizeof(float) || end > UINT32_MAX || ld > UINT32_MAX)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "GEMM for %s (M=%zu N=%zu K=%zu): matrix %s (elements %zu..%zu) runs past "
                        "its buffer of %zu floats",
                        what, m, n, k, role, off, end, bytes / sizeof(float));
    return ADNET_OK;
}

/* the columns per work-item of cl/gemm.cl; its rows per work-item are the profile's gemm_mc,
 * the program's build option GEMM_MC */
enum { NR = ADN_GEMM_PANEL };

/* Checks batch products' operands against their buffers (the z-th one's matrices at a_off + z sa,
 * b_off + z sb and c_off + z sc), B row-major or in panels: neither adnet's kernel nor oneDNN
 * checks (CLBlast does, for its own path). */
static adnet_status check_operands(size_t batch, size_t m, size_t n, size_t k, cl_mem a,
                                   size_t a_off, size_t lda, size_t sa, cl_mem b, size_t b_off,
                                   size_t ldb, size_t sb, int b_packed, cl_mem c, size_t c_off,
                                   size_t ldc, size_t sc, const adn_gemm_epilogue *epi,
                                   const char *what) {
    /* the last product's matrices reach furthest; the first's offsets are the smallest */
    size_t z = batch - 1;
    ADN_TRY(check_matrix(a, a_off + z * sa, m, k, lda, what, "A (the weights)", m, n, k));
    if (b_packed) {
        /* full panels of k x NR, then the last one's k rows at stride NR */
        size_t panels = (n + NR - 1) / NR;
        ADN_TRY(check_matrix(b, b_off + z * sb + (panels - 1) * NR * k, k, n - (panels - 1) * NR,
                             NR, what, "B (the input, in panels)", m, n, k));
    } else {
        ADN_TRY(check_matrix(b, b_off + z * sb, k, n, ldb, what, "B (the input)", m, n, k));
    }
    ADN_TRY(check_matrix(c, c_off + z * sc, m, n, ldc, what, "C (the output)", m, n, k));
    if (epi && epi->bias)
        ADN_TRY(check_matrix(epi->bias, epi->bias_off, 1, m, m, what, "bias", m, n, k));
    if (epi && epi->res)
        ADN_TRY(check_matrix(epi->res, epi->res_off, m, n, ldc, what, "the residual", m, n, k));
    return ADNET_OK;
}

/* batch products alike in shape, as check_operands (the kernel's dimension 2). */
static adnet_status gemm_adnet(adn_device *dev, size_t batch, size_t m, size_t n, size_t k,
                               cl_mem a, size_t a_off, size_t lda, size_t sa, cl_mem b,
                               size_t b_off, size_t ldb, size_t sb, int b_packed, cl_mem c,
                               size_t c_off, size_t ldc, size_t sc, const adn_gemm_epilogue *epi) {
    cl_uint m_u = (cl_uint)m, n_u = (cl_uint)n, k_u = (cl_uint)k;
    cl_uint a_o = (cl_uint)a_off, b_o = (cl_uint)b_off, c_o = (cl_uint)c_off;
    cl_uint lda_u = (cl_uint)lda, ldb_u = (cl_uint)ldb, ldc_u = (cl_uint)ldc;
    cl_uint packed_u = b_packed ? 1u : 0u;
    cl_uint sa_u = (cl_uint)sa, sb_u = (cl_uint)sb, sc_u = (cl_uint)sc;
    /* the epilogue's absent inputs are bound to C's buffer and never read */
    adn_gemm_epilogue none = {NULL, 0, NULL, 0, 0};
    if (!epi) epi = &none;
    cl_mem bias = epi->bias ? epi->bias : c, res = epi->res ? epi->res : c;
    cl_uint bias_o = (cl_uint)epi->bias_off, res_o = (cl_uint)epi->res_off;
    cl_int has_bias = epi->bias != NULL, has_res = epi->res != NULL, act = epi->act;
    cl_float slope = ADN_LEAKY_SLOPE;
    adn_karg args[] = {ADN_KARG(m_u),   ADN_KARG(n_u),      ADN_KARG(k_u),      ADN_KARG(a),
                       ADN_KARG(a_o),   ADN_KARG(lda_u),    ADN_KARG(b),        ADN_KARG(b_o),
                       ADN_KARG(ldb_u), ADN_KARG(packed_u), ADN_KARG(c),        ADN_KARG(c_o),
                       ADN_KARG(ldc_u), ADN_KARG(sa_u),     ADN_KARG(sb_u),     ADN_KARG(sc_u),
                       ADN_KARG(bias),  ADN_KARG(bias_o),   ADN_KARG(has_bias), ADN_KARG(res),
                       ADN_KARG(res_o), ADN_KARG(has_res),  ADN_KARG(act),      ADN_KARG(slope)};
    size_t mc = (size_t)dev->profile.gemm_mc;
    size_t range[3] = {(n + NR - 1) / NR, (m + mc - 1) / mc, batch};
    return adn_run_kernel_grouped(dev, "gemm_nn_f32", 3, range, 1,
                                  (int)(sizeof args / sizeof args[0]), args);
}

static adnet_status check_dims(size_t m, size_t n, size_t k, size_t lda, const char *what) {
    if (m == 0 || n == 0 || k == 0 || lda < k)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "GEMM for %s: M=%zu N=%zu K=%zu lda=%zu", what,
                        m, n, k, lda);
    return ADNET_OK;
}

adnet_status adn_gemm(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                      size_t lda, cl_mem b, size_t b_off, size_t ldb, cl_mem c, size_t c_off,
                      size_t ldc, const char *what, size_t col0) {
    return adn_gemm_epi(dev, m, n, k, a, a_off, lda, b, b_off, ldb, 0, c, c_off, ldc, NULL, what,
                        col0);
}

adnet_status adn_gemm_b_panels(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a,
                               size_t a_off, size_t lda, cl_mem b, size_t b_off, cl_mem c,
                               size_t c_off, size_t ldc, const char *what) {
    if (dev->profile.gemm != ADN_GEMM_ADNET)
        return adn_fail(ADNET_ERR_INTERNAL, "GEMM for %s: B in panels needs adnet's GEMM", what);
    return adn_gemm_epi(dev, m, n, k, a, a_off, lda, b, b_off, 0, 1, c, c_off, ldc, NULL, what, 0);
}

adnet_status adn_gemm_batched(adn_device *dev, size_t batch, size_t m, size_t n, size_t k, cl_mem a,
                              size_t a_off, size_t lda, size_t a_stride, cl_mem b, size_t b_off,
                              size_t ldb, size_t b_stride, int b_panels, cl_mem c, size_t c_off,
                              size_t ldc, size_t c_stride, const char *what) {
    ADN_TRY(check_dims(m, n, k, lda, what));
    if (batch == 0) return ADNET_OK;
    if (dev->profile.gemm != ADN_GEMM_CLBLAST)
        ADN_TRY(check_operands(batch, m, n, k, a, a_off, lda, a_stride, b, b_off, ldb, b_stride,
                               b_panels, c, c_off, ldc, c_stride, NULL, what));
    if (dev->profile.gemm == ADN_GEMM_ADNET)
        return gemm_adnet(dev, batch, m, n, k, a, a_off, lda, a_stride, b, b_off, ldb, b_stride,
                          b_panels, c, c_off, ldc, c_stride, NULL);
    if (b_panels)
        return adn_fail(ADNET_ERR_INTERNAL, "GEMM for %s: B in panels needs adnet's GEMM", what);
    if (dev->profile.gemm == ADN_GEMM_ONEDNN)
        return adn_gemm_onednn(dev, batch, m, n, k, a, a_off, lda, a_stride, b, b_off, ldb,
                               b_stride, c, c_off, ldc, c_stride, NULL, what);
    return adn_gemm_clblast_batched(dev, batch, m, n, k, a, a_off, lda, a_stride, b, b_off, ldb,
                                    b_stride, c, c_off, ldc, c_stride, what);
}

int adn_gemm_fuses_epilogue(const adn_device *dev) {
    return dev->profile.gemm != ADN_GEMM_CLBLAST;
}

adnet_status adn_gemm_epi(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                          size_t lda, cl_mem b, size_t b_off, size_t ldb, int b_panels, cl_mem c,
                          size_t c_off, size_t ldc, const adn_gemm_epilogue *epi, const char *what,
                          size_t col0) {
    ADN_TRY(check_dims(m, n, k, lda, what));
    if (dev->profile.gemm != ADN_GEMM_CLBLAST)
        ADN_TRY(check_operands(1, m, n, k, a, a_off, lda, 0, b, b_off, ldb, 0, b_panels, c, c_off,
                               ldc, 0, epi, what));
    if (dev->profile.gemm == ADN_GEMM_ADNET)
        return gemm_adnet(dev, 1, m, n, k, a, a_off, lda, 0, b, b_off, ldb, 0, b_panels, c, c_off,
                          ldc, 0, epi);
    if (b_panels)
        return adn_fail(ADNET_ERR_INTERNAL, "GEMM for %s: B in panels needs adnet's GEMM", what);
    if (dev->profile.gemm == ADN_GEMM_ONEDNN)
        return adn_gemm_onednn(dev, 1, m, n, k, a, a_off, lda, 0, b, b_off, ldb, 0, c, c_off, ldc,
                               0, epi, what);
    if (epi)
        return adn_fail(ADNET_ERR_INTERNAL, "GEMM for %s: CLBlast's GEMM applies no epilogue",
                        what);
    return adn_gemm_clblast(dev, m, n, k, a, a_off, lda, b, b_off, ldb, c, c_off, ldc, what, col0);
}
