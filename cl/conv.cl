/* Convolution helpers around CLBlast's GEMM: the dilation-aware im2col that lays a chunk of
 * output columns out as a K x ncols matrix, and the fused epilogue (bias, residual,
 * activation) that runs once over the GEMM's output. */

/* The matrix's rows are ordered (ky, ci, kx), the order of the weights (OHIW, see ops.h), and
 * cover the kernel rows ky0 .. ky0 + nky - 1 only: the host leaves out the kernel rows whose
 * taps fall in the padding for every output position of the chunk (most of them in the
 * ASPP's widely dilated convolutions), and multiplies the matching columns of the weights.
 *
 * One work item per (output column j of the chunk, input channel ci): it computes the column's
 * output position once and writes the nky x kw taps of its channel, rows
 * ((ky - ky0) cin + ci) kw + kx. Neighbouring items write neighbouring columns of each row, so
 * the writes coalesce; taps in the padding are 0. */
__kernel void im2col_f32(__global const float *x, uint x_off, uint h, uint w, uint cin, uint kw,
                         uint ky0, uint nky, uint stride, uint pad, uint dilation, uint ow,
                         uint col0, uint ncols, __global float *cols, uint cols_off) {
    uint j = get_global_id(0);
    uint ci = get_global_id(1);
    if (j >= ncols) return;
    uint p = col0 + j;
    int iy0 = (int)((p / ow) * stride) - (int)pad;
    int ix0 = (int)((p % ow) * stride) - (int)pad;
    __global const float *xc = x + x_off + (size_t)ci * h * w;
    for (uint r = 0; r < nky; r++) {
        int iy = iy0 + (int)((ky0 + r) * dilation);
        int row_inside = iy >= 0 && iy < (int)h;
        __global float *dst = cols + cols_off + ((size_t)(r * cin + ci) * kw) * ncols + j;
        for (uint kj = 0; kj < kw; kj++) {
            int ix = ix0 + (int)(kj * dilation);
            float v = 0.0f;
            if (row_inside && ix >= 0 && ix < (int)w) v = xc[iy * (int)w + ix];
            *dst = v;
            dst += ncols;
        }
    }
}

/* y = act(y + bias[channel] + residual), in place; one item per (position, channel).
 * act: 0 none, 1 ReLU, 2 leaky ReLU with the given slope (In-Place ABN: x >= 0 ? x : slope x). */
__kernel void bias_act_f32(__global float *y, uint y_off, uint hw, __global const float *bias,
                           uint bias_off, int has_bias, __global const float *res, uint res_off,
                           int has_res, int act, float slope) {
    uint i = get_global_id(0);
    uint c = get_global_id(1);
    if (i >= hw) return;
    size_t idx = (size_t)c * hw + i;
    float v = y[y_off + idx];
    if (has_bias) v += bias[bias_off + c];
    if (has_res) v += res[res_off + idx];
    if (act == 1)
        v = v > 0.0f ? v : 0.0f;
    else if (act == 2)
        v = v >= 0.0f ? v : v * slope;
    y[y_off + idx] = v;
}

/* Writes n consecutive columns j .. j + n - 1 of matrix row r (of kc rows, ncols columns):
 * zeros, or src[t step]. packed 0: row-major; packed 1: in panels of 32 columns as
 * adn_gemm_b_panels reads them (panel p at 32 p kc, its row r at + 32 r), so a run is cut at
 * the panels' edges into contiguous pieces. */
static inline void im2col_run(__global float *cols, uint r, uint kc, uint ncols, uint packed,
                              uint j, uint n, int zero, __global const float *src, int step) {
    while (n > 0) {
        const uint len = packed ? min(n, 32u - (j & 31u)) : n;
        __global float *d =
            cols + (packed ? ((size_t)(j >> 5) * kc + r) * 32 + (j & 31u) : (size_t)r * ncols + j);
        if (zero)
            for (uint t = 0; t < len; t++) d[t] = 0.0f;
        else if (step == 1)
            for (uint t = 0; t < len; t++) d[t] = src[t];
        else
            for (uint t = 0; t < len; t++) d[t] = src[(int)t * step];
        if (!zero) src += (int)len * step;
        j += len;
        n -= len;
    }
}

/* The same matrix for CPU devices, which run work-items one after another: one work-item per
 * row (tap ky, input channel ci, tap kx), writing its ncols columns in order, one output row
 * at a time, each as up to three plain runs (zeros left of the input, a strided copy of the
 * input row, zeros right of it) that a compiler turns into vector code. The GPU-shaped kernel
 * above computes a bounds test and a scattered load per element, which on a CPU took a tenth
 * of a frame. packed 1 writes the panels adnet's GEMM reads fastest. Work-groups of one
 * work-item. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
im2col_rows_f32(__global const float *x, uint x_off, uint h, uint w, uint cin, uint kw, uint ky0,
                uint nky, uint stride, uint pad, uint dilation, uint ow, uint col0, uint ncols,
                __global float *cols, uint cols_off, uint packed) {
    const uint r = get_global_id(0); /* < nky cin kw */
    const uint per_ky = cin * kw, kc = nky * per_ky;
    const uint ky = ky0 + r / per_ky, ci = (r % per_ky) / kw, kx = r % kw;
    __global const float *xc = x + x_off + (size_t)ci * h * w;
    __global float *dst = cols + cols_off;
    const int dx = (int)(kx * dilation) - (int)pad, dy = (int)(ky * dilation) - (int)pad;
    const int st = (int)stride;
    /* the output columns whose tap lies inside the input row: 0 <= ox stride + dx < w */
    const int ox_lo = dx >= 0 ? 0 : (-dx + st - 1) / st;
    const int ox_end = (int)w - dx <= 0 ? 0 : ((int)w - dx - 1) / st + 1;
    uint j = 0, p = col0;
    while (j < ncols) {
        const uint oy = p / ow, ox = p % ow, seg = min(ow - ox, ncols - j);
        const int a = (int)ox, b = (int)(ox + seg);
        const int iy = (int)(oy * stride) + dy;
        if (iy < 0 || iy >= (int)h) {
            im2col_run(dst, r, kc, ncols, packed, j, seg, 1, xc, 0);
        } else {
            const int lo = clamp(ox_lo, a, b), hi = clamp(ox_end, lo, b);
            im2col_run(dst, r, kc, ncols, packed, j, (uint)(lo - a), 1, xc, 0);
            if (hi > lo)
                im2col_run(dst, r, kc, ncols, packed, j + (uint)(lo - a), (uint)(hi - lo), 0,
                           xc + (size_t)iy * w + (lo * st + dx), st);
            im2col_run(dst, r, kc, ncols, packed, j + (uint)(hi - a), (uint)(b - hi), 1, xc, 0);
        }
        j += seg;
        p += seg;
    }
}
