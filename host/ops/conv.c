/* Convolution: one GEMM (adn_gemm: CLBlast's or adnet's, per device profile) on the NCHW input for
 * 1x1 stride-1 convolutions, else our dilation-aware im2col into caller-provided scratch, in
 * column chunks, each followed by a GEMM that writes its columns of y in place; then one fused
 * bias/residual/activation pass. */
#include "ops.h"

#include "buffers.h"
#include "checks.h"
#include "gemm.h"
#include "launch.h"
#include "status.h"
#include "conv_chunks.h"
#include "conv_direct.h"
#include "conv_taps.h"
#include "winograd.h"

#include <stdint.h>
#include <stdio.h>

int adn_conv_out_dim(int in, int kernel, int stride, int pad, int dilation) {
    if (in < 1 || kernel < 1 || stride < 1 || pad < 0 || dilation < 1) return 0;
    long span = (long)in + 2L * pad - (long)dilation * (kernel - 1) - 1;
    if (span < 0) return 0; /* the kernel does not fit even once */
    return (int)(span / stride + 1);
}

double adn_conv_macs(const adn_conv_shape *s, int h, int w) {
    int oh = adn_conv_out_dim(h, s->kh, s->stride, s->pad, s->dilation);
    int ow = adn_conv_out_dim(w, s->kw, s->stride, s->pad, s->dilation);
    return (double)s->cout * s->cin * s->kh * s->kw * (double)oh * ow;
}

static int is_pointwise(const adn_conv_shape *s) {
    return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

size_t adn_conv_scratch_floats(const adn_conv_shape *s, int h, int w, size_t cap) {
    if (is_pointwise(s)) return 0;
    int oh = adn_conv_out_dim(h, s->kh, s->stride, s->pad, s->dilation);
    int ow = adn_conv_out_dim(w, s->kw, s->stride, s->pad, s->dilation);
    size_t k = (size_t)s->cin * s->kh * s->kw, n = (size_t)oh * ow;
    if (k == 0 || n == 0) return 0;
    size_t cols = cap / k;
    if (cols < 1) cols = 1;
    if (cols > n) cols = n;
    /* the weights decide the path at run time, so the scratch fits either */
    size_t wino = adn_winograd_scratch_floats(s, h, w, cap);
    return wino > k * cols ? wino : k * cols;
}

/* "3->5 3x3 stride 2 pad 1 dilation 1 on 7x9", for messages. */
static void describe_conv(char *dst, size_t cap, const adn_conv_shape *s, int h, int w) {
    snprintf(dst, cap, "conv %d->%d %dx%d stride %d pad %d dilation %d on %dx%d", s->cin, s->cout,
             s->kh, s->kw, s->stride, s->pad, s->dilation, h, w);
}

static adnet_status run_bias_act(adn_device *dev, const adn_tensor *y, cl_mem bias_mem,
                                 size_t bias_off, const adn_tensor *residual, adn_activation act) {
    cl_uint y_off = (cl_uint)y->off, hw = (cl_uint)y->h * (cl_uint)y->w;
    cl_uint b_off = (cl_uint)bias_off, r_off = residual ? (cl_uint)residual->off : 0;
    cl_int has_bias = bias_mem != NULL, has_res = residual != NULL, act_i = (cl_int)act;
    cl_float slope = ADN_LEAKY_SLOPE;
    /* absent inputs are bound to y's buffer and never read: some drivers refuse NULL buffers */
    cl_mem b = bias_mem ? bias_mem : y->mem, r = residual ? residual->mem : y->mem;
    adn_karg args[] = {ADN_KARG(y->mem),  ADN_KARG(y_off),    ADN_KARG(hw),   ADN_KARG(b),
                       ADN_KARG(b_off),   ADN_KARG(has_bias), ADN_KARG(r),    ADN_KARG(r_off),
                       ADN_KARG(has_res), ADN_KARG(act_i),    ADN_KARG(slope)};
    size_t n[2] = {hw, (size_t)y->c};
    return adn_run_kernel(dev, "bias_act_f32", 2, n, (int)(sizeof args / sizeof args[0]), args);
}

adnet_status adn_bias_act(adn_device *dev, const adn_tensor *y, cl_mem bias_mem, size_t bias_off,
                          const adn_tensor *residual, adn_activation act) {
    const char *op = "adn_bias_act";
    ADN_TRY(adn_check_tensor(y, op, "y"));
    ADN_TRY(adn_check_activation(act, op));
    if (bias_off > UINT32_MAX - (size_t)y->c)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: bias offset %zu is out of range", op,
                        bias_off);
    if (residual) {
        ADN_TRY(adn_check_tensor(residual, op, "residual"));
        ADN_TRY(adn_check_shape(residual, y->c, y->h, y->w, op, "residual"));
        /* the same tensor is fine (y = act(2y)); a partial overlap is a race */
        if (!(residual->mem == y->mem && residual->off == y->off))
            ADN_TRY(adn_check_disjoint(residual, y, op, "residual", "y"));
    }
    if (!bias_mem && !residual && act == ADN_ACT_NONE) return ADNET_OK;
    return run_bias_act(dev, y, bias_mem, bias_off, residual, act);
}

size_t adn_conv_chunk_columns(size_t n, size_t k, size_t scratch_floats, int gemm_panels,
                              int *panels) {
    size_t cols = scratch_floats / k;
    *panels = 0;
    if (cols < 1) return 0;
    /* adnet's GEMM reads B fastest in panels of 32 columns, which the rows im2col writes
     * directly (the profile says whether); chunks then hold whole panels (the last one
     * partial), which needs a scratch of at least one panel */
    *panels = gemm_panels && cols >= ADN_GEMM_PANEL;
    size_t unit = *panels ? ADN_GEMM_PANEL : 1;
    /* as many chunks as the scratch requires, of even width (in whole units): a thin last
     * chunk would make a GEMM too narrow to run efficiently */
    cols = cols / unit * unit;
    size_t chunks = (n + cols - 1) / cols;
    return ((n + chunks - 1) / chunks + unit - 1) / unit * unit;
}

/* The kernel rows [*ky0, *ky0 + *nky) whose taps lie inside the input (0 <= iy < h) for at
 * least one of the output rows oy_first .. oy_last; the others read only padding there and
 * are left out of that chunk's product. The input row iy = oy stride - pad + ky dilation
 * grows with both oy and ky, so the rows kept are one range. When no kernel row reaches the
 * input (an output that is all padding), one row is kept: its taps are zeros and the product
 * comes out 0. */
static void kernel_rows_inside(const adn_conv_shape *s, int h, int oy_first, int oy_last, int *ky0,
                               int *nky) {
    int first = -1, last = -1;
    for (int ky = 0; ky < s->kh; ky++) {
        long top = (long)oy_first * s->stride - s->pad + (long)ky * s->dilation;
        long bottom = (long)oy_last * s->stride - s->pad + (long)ky * s->dilation;
        if (top <= h - 1 && bottom >= 0) {
            if (first < 0) first = ky;
            last = ky;
        }
    }
    if (first < 0) first = last = 0;
    *ky0 = first;
    *nky = last - first + 1;
}

/* The output rows oy .. *last that leave out the same kernel rows as oy (a band: near the top
 * and bottom edges a dilated kernel's outer rows read only padding). A chunk never crosses a
 * band, so each leaves out exactly what its rows allow; one chunk over the whole map would
 * keep every kernel row that any of its rows needs. */
static int band_end(const adn_conv_shape *s, int h, int oh, int oy) {
    int ky0, nky, k2, n2, last = oy;
    kernel_rows_inside(s, h, oy, oy, &ky0, &nky);
    while (last + 1 < oh) {
        kernel_rows_inside(s, h, last + 1, last + 1, &k2, &n2);
        if (k2 != ky0 || n2 != nky) break;
        last++;
    }
    return last;
}

/* The chunk that starts at output column col0: at most cols columns, within col0's band. */
static size_t chunk_at(const adn_conv_shape *s, int h, int oh, int ow, size_t col0, size_t cols) {
    size_t band_stop = (size_t)(band_end(s, h, oh, (int)(col0 / (size_t)ow)) + 1) * (size_t)ow;
    size_t left = band_stop - col0;
    return left < cols ? left : cols;
}

double adn_conv_im2col_taps(const adn_conv_shape *s, int h, int w, size_t cols) {
    int oh = adn_conv_out_dim(h, s->kh, s->stride, s->pad, s->dilation);
    int ow = adn_conv_out_dim(w, s->kw, s->stride, s->pad, s->dilation);
    size_t n = (size_t)oh * ow;
    double taps = 0;
    for (size_t col0 = 0, nc = 0; cols > 0 && col0 < n; col0 += nc) {
        nc = chunk_at(s, h, oh, ow, col0, cols);
        int ky0, nky;
        kernel_rows_inside(s, h, (int)(col0 / (size_t)ow), (int)((col0 + nc - 1) / (size_t)ow),
                           &ky0, &nky);
        taps += (double)nky * s->kw * (double)nc;
    }
    return taps;
}

void adn_conv_weight_order(const adn_conv_shape *s, const float *oihw, float *ohiw) {
    for (int o = 0; o < s->cout; o++)
        for (int ci = 0; ci < s->cin; ci++)
            for (int ky = 0; ky < s->kh; ky++)
                for (int kx = 0; kx < s->kw; kx++)
                    ohiw[(((size_t)o * s->kh + ky) * s->cin + ci) * s->kw + kx] =
                        oihw[(((size_t)o * s->cin + ci) * s->kh + ky) * s->kw + kx];
}

static adnet_status check_conv_shape(const adn_conv_shape *s, const char *op) {
    if (s->cin < 1 || s->cout < 1 || s->kh < 1 || s->kw < 1 || s->stride < 1 || s->pad < 0 ||
        s->dilation < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: invalid convolution %d->%d %dx%d stride %d pad %d dilation %d", op,
                        s->cin, s->cout, s->kh, s->kw, s->stride, s->pad, s->dilation);
    return ADNET_OK;
}

/* Winograd where it is the only form, else where the scratch holds it and it pays. */
static int uses_winograd(const adn_device *dev, const adn_conv_weights *cw, int h, int w,
                         int has_scratch, size_t scratch_floats) {
    const adn_conv_shape *s = &cw->shape;
    return cw->wino && (!cw->weight ||
                        (has_scratch && adn_winograd_fits(dev, s, scratch_floats) &&
                         adn_winograd_pays(s, h, w, scratch_floats, dev->profile.gemm_b_panels)));
}

/* The multiply-adds im2col executes (kernel rows wholly in the padding left out). */
static double im2col_executed_macs(const adn_device *dev, const adn_conv_shape *s, int h, int w,
                                   size_t scratch_floats) {
    if (is_pointwise(s)) return adn_conv_macs(s, h, w);
    size_t k = (size_t)s->cin * s->kh * s->kw;
    int oh = adn_conv_out_dim(h, s->kh, s->stride, s->pad, s->dilation);
    int ow = adn_conv_out_dim(w, s->kw, s->stride, s->pad, s->dilation);
    int panels;
    size_t cols = adn_conv_chunk_columns((size_t)oh * ow, k, scratch_floats,
                                         dev->profile.gemm_b_panels, &panels);
    if (cols == 0) return 0;
    return adn_conv_im2col_taps(s, h, w, cols) * s->cin * s->cout;
}

/* The tap form where the device's GEMM is oneDNN's, the scratch holds an output row, and it
 * multiplies no more than im2col would: its packing and adds cost a fraction of a percent of
 * its products and it writes no im2col matrix, so it was faster even where both multiply
 * about as much (the ASPP's dilation 12 at 857x481: 519 against 585 ms, docs/benchmarks.md).
 * Without the plain form (weight_upload.c drops it where the tap form is made), always. */
static int uses_taps(const adn_device *dev, const adn_conv_weights *cw, int h, int w,
                     size_t scratch_floats) {
    const adn_conv_shape *s = &cw->shape;
    if (!cw->taps || dev->profile.gemm != ADN_GEMM_ONEDNN || !adn_conv_taps_eligible(s) ||
        scratch_floats < adn_conv_taps_min_scratch(s, w))
        return 0;
    return !cw->weight ||
           adn_conv_taps_macs(s, h, w) <= im2col_executed_macs(dev, s, h, w, scratch_floats);
}

/* Pairs (output position, kernel tap) along one axis whose input index lies inside the input. */
static double taps_inside(int n_in, int n_out, int k, int stride, int pad, int dilation) {
    double pairs = 0;
    for (int o = 0; o < n_out; o++)
        for (int t = 0; t < k; t++) {
            long i = (long)o * stride - pad + (long)t * dilation;
            pairs += i >= 0 && i < n_in;
        }
    return pairs;
}

/* oneDNN's convolution primitive where the layer has it (on oneDNN's engine) and the cost
 * model says it beats adnet's own forms. */
static int uses_direct(const adn_device *dev, const adn_conv_weights *cw) {
    const adn_device_profile *p = &dev->profile;
    return cw->direct && (cw->taps || cw->weight) && p->gemm == ADN_GEMM_ONEDNN &&
           (p->onednn_conv == ADN_ONEDNN_CONV_ON ||
            (p->onednn_conv == ADN_ONEDNN_CONV_AUTO && adn_conv_direct_pays(&cw->shape)));
}

double adn_conv_executed_macs(const adn_device *dev, const adn_conv_weights *cw, int h, int w,
                              size_t scratch_floats) {
    const adn_conv_shape *s = &cw->shape;
    if (uses_winograd(dev, cw, h, w, scratch_floats > 0, scratch_floats))
        return adn_winograd_executed_macs(s, h, w);
    if (uses_direct(dev, cw)) { /* its kernels skip the taps in the padding */
        int oh = adn_conv_out_dim(h, s->kh, s->stride, s->pad, s->dilation);
        int ow = adn_conv_out_dim(w, s->kw, s->stride, s->pad, s->dilation);
        return taps_inside(h, oh, s->kh, s->stride, s->pad, s->dilation) *
               taps_inside(w, ow, s->kw, s->stride, s->pad, s->dilation) * s->cin * s->cout;
    }
    if (uses_taps(dev, cw, h, w, scratch_floats)) return adn_conv_taps_macs(s, h, w);
    return im2col_executed_macs(dev, s, h, w, scratch_floats);
}

adnet_status adn_conv(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                      const adn_tensor *y, const adn_tensor *residual, adn_activation act,
                      cl_mem scratch_mem, size_t scratch_off, size_t scratch_floats) {
    const char *op = "adn_conv";
    if (!cw || (!cw->weight && !cw->wino && !cw->taps))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: no weight buffer", op);
    const adn_conv_shape *s = &cw->shape;
    ADN_TRY(check_conv_shape(s, op));
    if (cw->wino && !adn_winograd_eligible(s))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: a Winograd form for a %dx%d stride %d pad %d dilation %d convolution "
                        "(only 3x3, stride 1, padding = dilation)",
                        op, s->kh, s->kw, s->stride, s->pad, s->dilation);
    ADN_TRY(adn_check_tensor(x, op, "x"));
    ADN_TRY(adn_check_tensor(y, op, "y"));
    ADN_TRY(adn_check_activation(act, op));
    char desc[160];
    describe_conv(desc, sizeof desc, s, x->h, x->w);
    if (x->c != s->cin)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: x is %dx%dx%d but the %s takes %d channels", op, x->c, x->h, x->w,
                        desc, s->cin);
    int oh = adn_conv_out_dim(x->h, s->kh, s->stride, s->pad, s->dilation);
    int ow = adn_conv_out_dim(x->w, s->kw, s->stride, s->pad, s->dilation);
    if (oh < 1 || ow < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: the %s has an empty output", op, desc);
    if (y->c != s->cout || y->h != oh || y->w != ow)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: y is %dx%dx%d, the %s gives %dx%dx%d", op,
                        y->c, y->h, y->w, desc, s->cout, oh, ow);
    if (residual) {
        ADN_TRY(adn_check_tensor(residual, op, "residual"));
        ADN_TRY(adn_check_shape(residual, y->c, y->h, y->w, op, "residual"));
        ADN_TRY(adn_check_disjoint(residual, y, op, "residual", "y"));
    }
    ADN_TRY(adn_check_disjoint(x, y, op, "x", "y"));
    if (cw->bias && cw->bias_off > UINT32_MAX - (size_t)s->cout)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: bias offset %zu is out of range", op,
                        cw->bias_off);

    size_t m = (size_t)s->cout, k = (size_t)s->cin * s->kh * s->kw, n = (size_t)oh * ow;
    if (cw->weight)
        ADN_TRY(adn_check_range_disjoint(cw->weight, cw->weight_off, m * k, y, op, "weight", "y"));
    if (cw->wino)
        ADN_TRY(adn_check_range_disjoint(cw->wino, cw->wino_off, adn_winograd_weight_floats(s), y,
                                         op, "Winograd weight", "y"));
    if (cw->bias) ADN_TRY(adn_check_range_disjoint(cw->bias, cw->bias_off, m, y, op, "bias", "y"));
    if (cw->taps)
        ADN_TRY(adn_check_range_disjoint(cw->taps, cw->taps_off, adn_conv_taps_weight_floats(s), y,
                                         op, "tap-form weight", "y"));
    /* the form, decided once: Winograd where it pays, else oneDNN's convolution where it pays,
     * else the tap form where it can run and pays, else im2col (or a 1x1's plain product) */
    const int wino = uses_winograd(dev, cw, x->h, x->w, scratch_mem != NULL, scratch_floats);
    if (!wino && uses_direct(dev, cw))
        return adn_conv_direct_run(dev, cw, x, y, residual, act, desc);
    const int taps = !wino && uses_taps(dev, cw, x->h, x->w, scratch_mem ? scratch_floats : 0);
    if (!cw->weight && !wino && !taps)
        return adn_fail(
            ADNET_ERR_INVALID_ARGUMENT,
            "%s: the %s has only its tap form, which cannot run here (oneDNN's GEMM and "
            "%zu scratch floats needed)",
            op, desc, adn_conv_taps_min_scratch(s, x->w));
    if (wino || taps) {
        const char *sr = "scratch";
        if (scratch_mem) {
            ADN_TRY(
                adn_check_range_disjoint(scratch_mem, scratch_off, scratch_floats, x, op, sr, "x"));
            ADN_TRY(
                adn_check_range_disjoint(scratch_mem, scratch_off, scratch_floats, y, op, sr, "y"));
            if (residual)
                ADN_TRY(adn_check_range_disjoint(scratch_mem, scratch_off, scratch_floats, residual,
                                                 op, sr, "residual"));
        }
        /* both apply the epilogue themselves */
        if (wino)
            return adn_winograd_conv(dev, cw, x, y, residual, act, scratch_mem, scratch_off,
                                     scratch_floats, desc);
        /* the tap form writes the scratch from the host: it must lie inside its buffer */
        size_t bytes = 0;
        ADN_TRY(adn_buffer_size(scratch_mem, &bytes));
        if (scratch_off + scratch_floats > bytes / sizeof(float))
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "%s: scratch of %zu floats at %zu runs past its buffer of %zu", op,
                            scratch_floats, scratch_off, bytes / sizeof(float));
        return adn_conv_taps(dev, cw, x, y, residual, act, scratch_mem, scratch_off, scratch_floats,
                             desc);
    }
    /* adnet's GEMM applies the epilogue as it stores each chunk's columns (bias, and the
     * residual at the same columns); CLBlast's output gets the separate pass at the end */
    const int fused = adn_gemm_fuses_epilogue(dev);
    adn_gemm_epilogue epi = {cw->bias, cw->bias_off, residual ? residual->mem : NULL,
                             residual ? residual->off : 0, (int)act};
    const adn_gemm_epilogue *ep = fused ? &epi : NULL;
    if (is_pointwise(s)) {
        ADN_TRY(adn_gemm_epi(dev, m, n, k, cw->weight, cw->weight_off, k, x->mem, x->off, n, 0,
                             y->mem, y->off, n, ep, desc, 0));
    } else {
        size_t cols = scratch_mem ? scratch_floats / k : 0;
        if (cols < 1)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "%s: the %s needs at least %zu scratch floats (one im2col column), "
                            "got %zu%s",
                            op, desc, k, scratch_floats, scratch_mem ? "" : " and no buffer");
        const adn_device_profile *prof = &dev->profile;
        int panels;
        cols = adn_conv_chunk_columns(n, k, scratch_floats, prof->gemm_b_panels, &panels);
        if (scratch_off > UINT32_MAX - cols * k)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "%s: scratch offset %zu is out of the kernels' 32-bit range", op,
                            scratch_off);
        /* the scratch range must not alias what the chunks read or write */
        const char *sr = "scratch";
        ADN_TRY(adn_check_range_disjoint(scratch_mem, scratch_off, cols * k, x, op, sr, "x"));
        ADN_TRY(adn_check_range_disjoint(scratch_mem, scratch_off, cols * k, y, op, sr, "y"));
        if (residual)
            ADN_TRY(adn_check_range_disjoint(scratch_mem, scratch_off, cols * k, residual, op, sr,
                                             "residual"));
        cl_uint x_off = (cl_uint)x->off, h = (cl_uint)x->h, w = (cl_uint)x->w;
        cl_uint cin = (cl_uint)s->cin, kw = (cl_uint)s->kw, stride = (cl_uint)s->stride;
        cl_uint pad = (cl_uint)s->pad, dil = (cl_uint)s->dilation, ow_u = (cl_uint)ow;
        cl_uint s_off = (cl_uint)scratch_off;
        size_t per_ky = (size_t)s->cin * s->kw; /* matrix rows per kernel row */
        for (size_t col0 = 0, nc = 0; col0 < n; col0 += nc) {
            nc = chunk_at(s, x->h, oh, ow, col0, cols);
            int ky0, nky;
            kernel_rows_inside(s, x->h, (int)(col0 / (size_t)ow),
                               (int)((col0 + nc - 1) / (size_t)ow), &ky0, &nky);
            size_t kc = (size_t)nky * per_ky;
            cl_uint col0_u = (cl_uint)col0, nc_u = (cl_uint)nc;
            cl_uint ky0_u = (cl_uint)ky0, nky_u = (cl_uint)nky;
            cl_uint packed = (cl_uint)panels;
            /* the last argument, packed, is the CPU kernel's only */
            adn_karg args[] = {ADN_KARG(x->mem), ADN_KARG(x_off), ADN_KARG(h),
                               ADN_KARG(w),      ADN_KARG(cin),   ADN_KARG(kw),
                               ADN_KARG(ky0_u),  ADN_KARG(nky_u), ADN_KARG(stride),
                               ADN_KARG(pad),    ADN_KARG(dil),   ADN_KARG(ow_u),
                               ADN_KARG(col0_u), ADN_KARG(nc_u),  ADN_KARG(scratch_mem),
                               ADN_KARG(s_off),  ADN_KARG(packed)};
            const int n_args = (int)(sizeof args / sizeof args[0]);
            if (prof->im2col == ADN_IM2COL_ROWS) {
                /* the CPU shape: one work-item per row of the matrix (cl/conv.cl) */
                size_t range[1] = {kc};
                ADN_TRY(adn_run_kernel_grouped(dev, "im2col_rows_f32", 1, range, 1, n_args, args));
            } else {
                size_t range[2] = {nc, (size_t)s->cin};
                ADN_TRY(adn_run_kernel(dev, "im2col_f32", 2, range, n_args - 1, args));
            }
            /* the weight columns of kernel rows ky0 .. ky0 + nky - 1: contiguous in OHIW */
            size_t a_off = cw->weight_off + (size_t)ky0 * per_ky;
            epi.res_off = residual ? residual->off + col0 : 0;
            ADN_TRY(adn_gemm_epi(dev, m, nc, kc, cw->weight, a_off, k, scratch_mem, scratch_off, nc,
                                 panels, y->mem, y->off + col0, n, ep, desc, col0));
        }
    }
    if (fused || (!cw->bias && !residual && act == ADN_ACT_NONE)) return ADNET_OK;
    return run_bias_act(dev, y, cw->bias, cw->bias_off, residual, act);
}
