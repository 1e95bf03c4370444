/* Pooling: the stem's max pooling (ceil mode, as PyTorch) and the ASPP's global average. */
#include "ops.h"

#include "checks.h"
#include "launch.h"
#include "status.h"

int adn_pool_out_dim_ceil(int in, int kernel, int stride, int pad) {
    if (in < 1 || kernel < 1 || stride < 1 || pad < 0) return 0;
    long span = (long)in + 2L * pad - kernel;
    if (span < 0) return 0;
    int out = (int)((span + stride - 1) / stride) + 1;
    /* PyTorch drops a last window that would start inside the right/bottom padding */
    if ((long)(out - 1) * stride >= (long)in + pad) out--;
    return out;
}

adnet_status adn_maxpool(adn_device *dev, const adn_tensor *x, const adn_tensor *y, int k,
                         int stride, int pad) {
    const char *op = "adn_maxpool";
    ADN_TRY(adn_check_tensor(x, op, "x"));
    ADN_TRY(adn_check_tensor(y, op, "y"));
    /* PyTorch's own limit: with more padding a window could hold nothing but padding */
    if (k < 1 || stride < 1 || pad < 0 || 2 * pad > k)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: invalid window %dx%d stride %d pad %d (padding may be at most half "
                        "the window)",
                        op, k, k, stride, pad);
    int oh = adn_pool_out_dim_ceil(x->h, k, stride, pad);
    int ow = adn_pool_out_dim_ceil(x->w, k, stride, pad);
    if (oh < 1 || ow < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: a %dx%d window with pad %d does not fit x (%dx%dx%d)", op, k, k, pad,
                        x->c, x->h, x->w);
    ADN_TRY(adn_check_shape(y, x->c, oh, ow, op, "y"));
    ADN_TRY(adn_check_disjoint(x, y, op, "x", "y"));
    cl_uint x_off = (cl_uint)x->off, h = (cl_uint)x->h, w = (cl_uint)x->w;
    cl_uint y_off = (cl_uint)y->off, oh_u = (cl_uint)oh, ow_u = (cl_uint)ow;
    cl_uint k_u = (cl_uint)k, s_u = (cl_uint)stride, p_u = (cl_uint)pad;
    adn_karg args[] = {ADN_KARG(x->mem), ADN_KARG(x_off), ADN_KARG(h),    ADN_KARG(w),
                       ADN_KARG(y->mem), ADN_KARG(y_off), ADN_KARG(oh_u), ADN_KARG(ow_u),
                       ADN_KARG(k_u),    ADN_KARG(s_u),   ADN_KARG(p_u)};
    size_t n[3] = {(size_t)ow, (size_t)oh, (size_t)x->c};
    return adn_run_kernel(dev, "maxpool_f32", 3, n, (int)(sizeof args / sizeof args[0]), args);
}

adnet_status adn_global_avgpool(adn_device *dev, const adn_tensor *x, const adn_tensor *y) {
    const char *op = "adn_global_avgpool";
    ADN_TRY(adn_check_tensor(x, op, "x"));
    ADN_TRY(adn_check_tensor(y, op, "y"));
    ADN_TRY(adn_check_shape(y, x->c, 1, 1, op, "y"));
    ADN_TRY(adn_check_disjoint(x, y, op, "x", "y"));
    /* one group per channel; the kernel's local array holds at most 256 partial sums */
    size_t max;
    ADN_TRY(adn_kernel_max_group(dev, "global_avgpool_f32", &max));
    size_t width = 256;
    while (width > max) width /= 2;
    cl_uint x_off = (cl_uint)x->off, hw = (cl_uint)x->h * (cl_uint)x->w;
    cl_uint y_off = (cl_uint)y->off;
    adn_karg args[] = {ADN_KARG(x->mem), ADN_KARG(x_off), ADN_KARG(hw), ADN_KARG(y->mem),
                       ADN_KARG(y_off)};
    size_t n[2] = {width, (size_t)x->c};
    return adn_run_kernel_grouped(dev, "global_avgpool_f32", 2, n, width,
                                  (int)(sizeof args / sizeof args[0]), args);
}
