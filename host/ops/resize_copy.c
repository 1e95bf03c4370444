/* Resampling and copying whole tensors: bilinear resize (align_corners=True), copy, and the
 * horizontal mirror. */
#include "ops.h"

#include "buffers.h"
#include "checks.h"
#include "launch.h"
#include "status.h"

/* PyTorch's align_corners=True step between source samples of neighbouring outputs. */
static float corner_scale(int in, int out) {
    return out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
}

adnet_status adn_resize_bilinear(adn_device *dev, const adn_tensor *x, const adn_tensor *y) {
    const char *op = "adn_resize_bilinear";
    ADN_TRY(adn_check_tensor(x, op, "x"));
    ADN_TRY(adn_check_tensor(y, op, "y"));
    if (y->c != x->c)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: y is %dx%dx%d but x is %dx%dx%d (the channels must match)", op, y->c,
                        y->h, y->w, x->c, x->h, x->w);
    ADN_TRY(adn_check_disjoint(x, y, op, "x", "y"));
    cl_uint x_off = (cl_uint)x->off, h = (cl_uint)x->h, w = (cl_uint)x->w;
    cl_uint y_off = (cl_uint)y->off, oh = (cl_uint)y->h, ow = (cl_uint)y->w;
    cl_float sy = corner_scale(x->h, y->h), sx = corner_scale(x->w, y->w);
    adn_karg args[] = {ADN_KARG(x->mem), ADN_KARG(x_off), ADN_KARG(h),  ADN_KARG(w),
                       ADN_KARG(y->mem), ADN_KARG(y_off), ADN_KARG(oh), ADN_KARG(ow),
                       ADN_KARG(sy),     ADN_KARG(sx)};
    size_t n[3] = {(size_t)y->w, (size_t)y->h, (size_t)y->c};
    return adn_run_kernel(dev, "resize_bilinear_f32", 3, n, (int)(sizeof args / sizeof args[0]),
                          args);
}

adnet_status adn_copy(adn_device *dev, const adn_tensor *x, const adn_tensor *y) {
    const char *op = "adn_copy";
    ADN_TRY(adn_check_tensor(x, op, "x"));
    ADN_TRY(adn_check_tensor(y, op, "y"));
    size_t count = adn_tensor_count(x);
    if (adn_tensor_count(y) != count)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: x is %dx%dx%d (%zu elements) but y is %dx%dx%d (%zu elements)", op,
                        x->c, x->h, x->w, count, y->c, y->h, y->w, adn_tensor_count(y));
    if (x->mem == y->mem && x->off == y->off) return ADNET_OK; /* the same elements */
    ADN_TRY(adn_check_disjoint(x, y, op, "x", "y"));
    return adn_buffer_copy(dev, x->mem, x->off * sizeof(float), y->mem, y->off * sizeof(float),
                           count * sizeof(float));
}

adnet_status adn_flip_horizontal(adn_device *dev, const adn_tensor *x, const adn_tensor *y) {
    const char *op = "adn_flip_horizontal";
    ADN_TRY(adn_check_tensor(x, op, "x"));
    ADN_TRY(adn_check_tensor(y, op, "y"));
    ADN_TRY(adn_check_shape(y, x->c, x->h, x->w, op, "y"));
    ADN_TRY(adn_check_disjoint(x, y, op, "x", "y"));
    cl_uint x_off = (cl_uint)x->off, y_off = (cl_uint)y->off, w = (cl_uint)x->w;
    adn_karg args[] = {ADN_KARG(x->mem), ADN_KARG(x_off), ADN_KARG(y->mem), ADN_KARG(y_off),
                       ADN_KARG(w)};
    size_t n[2] = {(size_t)x->w, (size_t)x->c * (size_t)x->h};
    return adn_run_kernel(dev, "flip_horizontal_f32", 2, n, (int)(sizeof args / sizeof args[0]),
                          args);
}
