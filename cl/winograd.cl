/* Winograd's F(4x4, 3x3) for 3x3 stride-1 convolutions whose padding equals their dilation
 * d (Lavin and Gray, arXiv 1509.09308): each 4x4 output tile comes from a 6x6 input tile as
 *   Y = A^T [ sum_ci (G g G^T) .* (B^T d B) ] A,
 * 36 products per tile and input channel where the direct form takes 144. A dilated 3x3
 * convolution is a plain one on each of the d x d interleaved sub-grids (rows a, a + d, ...;
 * columns b, b + d, ...), so the transforms gather with stride d.
 *
 * Tiles are numbered t = ((a d + b) th + ty) tw + tx: sub-grid (a, b), then tile row ty and
 * column tx within it, th x tw tiles per sub-grid (enough for the largest sub-grid; a smaller
 * one's last tiles are partly or wholly outside the map, and compute zeros there that are never
 * stored). The host transforms the weights once (host/ops/winograd.c); these kernels transform
 * a chunk of tiles t0 .. t0 + nt - 1 in, and the 36 products' results out. The 36 products are
 * GEMMs between: U_xi (cout x cin) times V_xi (cin x nt) gives M_xi (cout x nt). */

/* The tile's first input row (or column) in sub-grid units times d, plus its offset: the
 * input rows of tile row ty of sub-grid row a are a + d (4 ty - 1 + r), r = 0 .. 5. */
static inline int wino_origin(uint a, uint d, uint tile) {
    return (int)a + (int)d * ((int)(4 * tile) - 1);
}

/* Where element (row c, column j) of matrix xi of V goes: V_xi starts vstride floats after
 * V_(xi-1) and holds rows x ldm floats, in panels of 32 columns (adn_gemm_b_panels's layout)
 * when packed, else row-major. */
static inline size_t wino_at(uint xi, uint c, uint j, uint rows, uint ldm, uint vstride,
                             uint packed) {
    size_t base = (size_t)xi * vstride;
    return packed ? base + ((size_t)(j >> 5) * rows + c) * 32 + (j & 31u)
                  : base + (size_t)c * ldm + j;
}

/* V = B^T d B for tile t (chunk column j) and input channel c. Always inlined: called from two
 * kernels, LLVM's AMDGPU backend otherwise keeps it a real call, with a stack in scratch
 * memory (gfx906, gfx90a; tests/gpu_compile). */
static inline __attribute__((always_inline)) void
wino_in_tile(__global const float *xc, uint h, uint w, uint cin, uint d, uint th, uint tw, uint t,
             uint j, uint c, __global float *vb, uint ldm, uint vstride, uint packed) {
    const uint tx = t % tw, ty = (t / tw) % th, sg = t / (tw * th);
    const int y0 = wino_origin(sg / d, d, ty), x0 = wino_origin(sg % d, d, tx);
    float in[6][6];
    const int di = (int)d, wi = (int)w;
    if (y0 >= 0 && y0 + 5 * di < (int)h && x0 >= 0 && x0 + 5 * di < wi) {
        /* most tiles lie inside the map: no test per value */
        __global const float *p = xc + y0 * wi + x0;
#pragma unroll
        for (int r = 0; r < 6; r++)
#pragma unroll
            for (int q = 0; q < 6; q++) in[r][q] = p[r * di * wi + q * di];
    } else {
#pragma unroll
        for (int r = 0; r < 6; r++) {
            const int iy = y0 + r * di;
            const int row_inside = iy >= 0 && iy < (int)h;
#pragma unroll
            for (int q = 0; q < 6; q++) {
                const int ix = x0 + q * di;
                in[r][q] = row_inside && ix >= 0 && ix < wi ? xc[iy * wi + ix] : 0.0f;
            }
        }
    }
    /* B^T applied to the columns, then to the rows of the result; the 36 results go to one
     * place in each matrix V_xi, vstride floats apart (one address, not 36: on AMD's wave64
     * GPUs the 36 64-bit addresses pushed this kernel into scratch memory) */
    __global float *dst = vb + wino_at(0, c, j, cin, ldm, vstride, packed);
    float u[6][6];
#pragma unroll
    for (int q = 0; q < 6; q++) {
        const float d0 = in[0][q], d1 = in[1][q], d2 = in[2][q];
        const float d3 = in[3][q], d4 = in[4][q], d5 = in[5][q];
        u[0][q] = 4.0f * d0 - 5.0f * d2 + d4;
        u[1][q] = -4.0f * (d1 + d2) + d3 + d4;
        u[2][q] = 4.0f * (d1 - d2) - d3 + d4;
        u[3][q] = 2.0f * (d3 - d1) - d2 + d4;
        u[4][q] = 2.0f * (d1 - d3) - d2 + d4;
        u[5][q] = 4.0f * d1 - 5.0f * d3 + d5;
    }
#pragma unroll
    for (int r = 0; r < 6; r++) {
        const float d0 = u[r][0], d1 = u[r][1], d2 = u[r][2];
        const float d3 = u[r][3], d4 = u[r][4], d5 = u[r][5];
        const float o[6] = {4.0f * d0 - 5.0f * d2 + d4,    -4.0f * (d1 + d2) + d3 + d4,
                            4.0f * (d1 - d2) - d3 + d4,    2.0f * (d3 - d1) - d2 + d4,
                            2.0f * (d1 - d3) - d2 + d4,    4.0f * d1 - 5.0f * d3 + d5};
#pragma unroll
        for (int q = 0; q < 6; q++) dst[(size_t)(r * 6 + q) * vstride] = o[q];
    }
}

/* Y = A^T M A for tile t (chunk column j) and output channel o, then the epilogue of
 * bias_act_f32 (bias, residual, activation) on the outputs inside the map, stored in place:
 * the transform's output is the layer's, so no separate epilogue pass runs. M_xi is cout x nt,
 * row-major, 36 of them step floats apart. */
static inline __attribute__((always_inline)) void
wino_out_tile(__global const float *mo, size_t step, uint h, uint w, uint d, uint th, uint tw,
              uint t, uint o, __global float *y, float bv, __global const float *res, int has_res,
              int act, float slope) {
    const uint tx = t % tw, ty = (t / tw) % th, sg = t / (tw * th);
    const uint a = sg / d, b = sg % d;
    float u[4][6];
#pragma unroll
    for (int q = 0; q < 6; q++) {
        const float m0 = mo[(size_t)(0 * 6 + q) * step], m1 = mo[(size_t)(1 * 6 + q) * step];
        const float m2 = mo[(size_t)(2 * 6 + q) * step], m3 = mo[(size_t)(3 * 6 + q) * step];
        const float m4 = mo[(size_t)(4 * 6 + q) * step], m5 = mo[(size_t)(5 * 6 + q) * step];
        u[0][q] = m0 + m1 + m2 + m3 + m4;
        u[1][q] = m1 - m2 + 2.0f * (m3 - m4);
        u[2][q] = m1 + m2 + 4.0f * (m3 + m4);
        u[3][q] = m1 - m2 + 8.0f * (m3 - m4) + m5;
    }
    const size_t ch = (size_t)o * h * w;
#pragma unroll
    for (int r = 0; r < 4; r++) {
        const uint oy = a + d * (4 * ty + (uint)r);
        if (oy >= h) break;
        const float m0 = u[r][0], m1 = u[r][1], m2 = u[r][2];
        const float m3 = u[r][3], m4 = u[r][4], m5 = u[r][5];
        const float out[4] = {m0 + m1 + m2 + m3 + m4, m1 - m2 + 2.0f * (m3 - m4),
                              m1 + m2 + 4.0f * (m3 + m4), m1 - m2 + 8.0f * (m3 - m4) + m5};
#pragma unroll
        for (int q = 0; q < 4; q++) {
            const uint ox = b + d * (4 * tx + (uint)q);
            if (ox >= w) break;
            const size_t idx = ch + (size_t)oy * w + ox;
            float val = out[q] + bv;
            if (has_res) val += res[idx];
            if (act == 1)
                val = val > 0.0f ? val : 0.0f;
            else if (act == 2)
                val = val >= 0.0f ? val : val * slope;
            y[idx] = val;
        }
    }
}

/* The input transform, one work-item per (tile, input channel): a GPU's shape. ldm: the
 * columns each matrix V_xi is laid out for (nt, or nt rounded up to whole panels when
 * packed). */
__kernel void winograd_in_f32(__global const float *x, uint x_off, uint h, uint w, uint cin,
                              uint d, uint th, uint tw, uint t0, uint nt, __global float *v,
                              uint v_off, uint ldm, uint vstride, uint packed) {
    const uint j = get_global_id(0);
    const uint c = get_global_id(1);
    if (j >= nt) return;
    wino_in_tile(x + x_off + (size_t)c * h * w, h, w, cin, d, th, tw, t0 + j, j, c, v + v_off,
                 ldm, vstride, packed);
}

/* The same for CPU devices, which run work-items one after another: one work-item per (panel
 * of 32 tiles, input channel), so that each writes 36 runs of 32 consecutive floats, and
 * neighbouring tiles' overlapping input comes from the cache. Work-groups of one. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
winograd_in_rows_f32(__global const float *x, uint x_off, uint h, uint w, uint cin, uint d,
                     uint th, uint tw, uint t0, uint nt, __global float *v, uint v_off, uint ldm,
                     uint vstride, uint packed) {
    const uint j0 = get_global_id(0) * 32;
    const uint c = get_global_id(1);
    const uint j1 = min(nt, j0 + 32);
    __global const float *xc = x + x_off + (size_t)c * h * w;
    for (uint j = j0; j < j1; j++)
        wino_in_tile(xc, h, w, cin, d, th, tw, t0 + j, j, c, v + v_off, ldm, vstride, packed);
}

/* The output transform and epilogue, one work-item per (tile, output channel). */
__kernel void winograd_out_f32(__global const float *m, uint m_off, uint mstride, uint h, uint w,
                               uint d, uint th, uint tw, uint t0, uint nt, __global float *y,
                               uint y_off, __global const float *bias, uint bias_off,
                               int has_bias, __global const float *res, uint res_off,
                               int has_res, int act, float slope) {
    const uint j = get_global_id(0);
    const uint o = get_global_id(1);
    if (j >= nt) return;
    const float bv = has_bias ? bias[bias_off + o] : 0.0f;
    wino_out_tile(m + m_off + (size_t)o * nt + j, mstride, h, w, d, th, tw, t0 + j, o,
                  y + y_off, bv, res + res_off, has_res, act, slope);
}

/* The same for CPU devices: one work-item per (panel of 32 tiles, output channel), reading
 * 36 runs of 32 consecutive floats. Work-groups of one. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
winograd_out_rows_f32(__global const float *m, uint m_off, uint mstride, uint h, uint w, uint d,
                      uint th, uint tw, uint t0, uint nt, __global float *y, uint y_off,
                      __global const float *bias, uint bias_off, int has_bias,
                      __global const float *res, uint res_off, int has_res, int act,
                      float slope) {
    const uint j0 = get_global_id(0) * 32;
    const uint o = get_global_id(1);
    const uint j1 = min(nt, j0 + 32);
    const float bv = has_bias ? bias[bias_off + o] : 0.0f;
    for (uint j = j0; j < j1; j++)
        wino_out_tile(m + m_off + (size_t)o * nt + j, mstride, h, w, d, th, tw, t0 + j,
                      o, y + y_off, bv, res + res_off, has_res, act, slope);
}
