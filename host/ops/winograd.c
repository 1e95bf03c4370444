/* Winograd's F(4x4, 3x3) for adn_conv: the weight transform (once, at load time), the choice
 * against im2col + GEMM, and the run: per chunk of tiles, the input transform, 36 GEMMs (one
 * per point of the 6x6 transform, U_xi times V_xi) and the output transform with the epilogue
 * fused in (cl/winograd.cl). */
#include "winograd.h"

#include "conv_chunks.h"
#include "gemm.h"
#include "launch.h"
#include "status.h"

#include <math.h>
#include <stdint.h>

enum { TILE = 4, POINTS = 36 };

int adn_winograd_eligible(const adn_conv_shape *s) {
    return s->kh == 3 && s->kw == 3 && s->stride == 1 && s->pad == s->dilation;
}

size_t adn_winograd_weight_floats(const adn_conv_shape *s) {
    return (size_t)POINTS * (size_t)s->cout * (size_t)s->cin;
}

/* G of F(4, 3): the 6 transform points of a 3-tap kernel. */
static const double G[6][3] = {{1.0 / 4, 0, 0},
                               {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                               {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                               {1.0 / 24, 1.0 / 12, 1.0 / 6},
                               {1.0 / 24, -1.0 / 12, 1.0 / 6},
                               {0, 0, 1}};

void adn_winograd_weights(const adn_conv_shape *s, const float *oihw, float *u) {
    const size_t plane = (size_t)s->cout * s->cin;
    for (int o = 0; o < s->cout; o++)
        for (int i = 0; i < s->cin; i++) {
            const float *g = oihw + ((size_t)o * s->cin + i) * 9;
            double gg[6][3]; /* G g */
            for (int r = 0; r < 6; r++)
                for (int q = 0; q < 3; q++)
                    gg[r][q] = G[r][0] * g[q] + G[r][1] * g[3 + q] + G[r][2] * g[6 + q];
            for (int r = 0; r < 6; r++)
                for (int q = 0; q < 6; q++) {
                    double v = gg[r][0] * G[q][0] + gg[r][1] * G[q][1] + gg[r][2] * G[q][2];
                    u[(size_t)(r * 6 + q) * plane + (size_t)o * s->cin + i] = (float)v;
                }
        }
}

/* Tiles per sub-grid along one axis: the largest of the d sub-grids has ceil(n / d) points. */
static int tiles_along(int n, int d) {
    int sub = (n + d - 1) / d;
    return (sub + TILE - 1) / TILE;
}

static size_t tile_count(const adn_conv_shape *s, int h, int w) {
    size_t d = (size_t)s->dilation;
    return d * d * (size_t)tiles_along(h, s->dilation) * (size_t)tiles_along(w, s->dilation);
}

/* The cost model, in multiply-adds of the GEMM: least-squares fits to the per-layer times of
 * every 3x3 convolution of R101 at 321x177 and 857x481 (64 to 2048 channels, dilations 1 to
 * 36), each run both ways on PoCL's CPU device (docs/benchmarks.md). im2col + GEMM: the
 * products, plus the B matrix im2col writes (38 multiply-adds' time per float) and the
 * separate epilogue pass (108 per output). Winograd: the 36 products per tile (at 1.04: its
 * GEMMs are small), plus the input transform (6300 per tile and input channel: gathers and 36
 * scattered stores) and the output transform (2500 per tile and output channel). */
#define WINO_GEMM_FACTOR          1.04
#define WINO_IN_PER_TILE_CHANNEL  6300.0
#define WINO_OUT_PER_TILE_CHANNEL 2500.0
#define IM2COL_PER_FLOAT          38.0
#define EPILOGUE_PER_OUTPUT       108.0

int adn_winograd_pays(const adn_conv_shape *s, int h, int w, size_t scratch_floats, int panels) {
    if (!adn_winograd_eligible(s) || h < 1 || w < 1) return 0;
    const double cin = s->cin, cout = s->cout, hw = (double)h * w;
    /* im2col + GEMM as adn_conv would run it in this scratch: the taps of the kernel rows
     * that reach the input, chunk by chunk */
    size_t k = (size_t)s->cin * 9, n = (size_t)h * w;
    int chunk_panels;
    size_t cols = adn_conv_chunk_columns(n, k, scratch_floats, panels, &chunk_panels);
    if (cols == 0) return 1; /* im2col does not fit: Winograd is the only way */
    double taps = adn_conv_im2col_taps(s, h, w, cols);
    double direct =
        taps * cin * cout + IM2COL_PER_FLOAT * taps * cin + EPILOGUE_PER_OUTPUT * hw * cout;
    /* Winograd: columns padded to whole GEMM panels */
    double tiles = (double)tile_count(s, h, w);
    double padded = ceil(tiles / ADN_GEMM_PANEL) * ADN_GEMM_PANEL;
    double wino = WINO_GEMM_FACTOR * POINTS * padded * cin * cout +
                  WINO_IN_PER_TILE_CHANNEL * tiles * cin + WINO_OUT_PER_TILE_CHANNEL * tiles * cout;
    return wino < direct;
}

/* Floats between consecutive matrices V_xi (and M_xi) beyond their own size: one cache line.
 * Without it the 36 matrices of a large layer lie a multiple of 4 KiB apart, so the 36 values
 * a tile's transform writes (or reads) map to the same set of a CPU's L1 cache and evict each
 * other (the input transform took a fifth longer: 348 against 287 ms per 857x481 frame). */
#define MATRIX_GAP 16

/* Columns each V_xi is laid out for: the chunk's tiles, rounded to whole panels when the
 * GEMM reads B in panels. */
static size_t v_columns(size_t nt, int panels) {
    return panels ? (nt + ADN_GEMM_PANEL - 1) / ADN_GEMM_PANEL * ADN_GEMM_PANEL : nt;
}

static size_t chunk_floats(const adn_conv_shape *s, size_t nt, int panels) {
    return (size_t)POINTS *
           ((size_t)s->cin * v_columns(nt, panels) + (size_t)s->cout * nt + 2 * MATRIX_GAP);
}

/* Tiles per chunk: as many as cap allows (whole panels when there are more than one), spread
 * evenly over the chunks the count needs; 0 when not even one tile fits. */
static size_t chunk_tiles(const adn_conv_shape *s, size_t tiles, size_t cap, int panels) {
    if (chunk_floats(s, 1, panels) > cap) return 0;
    size_t per_tile = (size_t)POINTS * ((size_t)s->cin + (size_t)s->cout);
    size_t nt = cap / per_tile;
    if (nt < 1) nt = 1;
    if (nt > tiles) nt = tiles;
    size_t unit = panels && nt >= ADN_GEMM_PANEL ? ADN_GEMM_PANEL : 1;
    if (nt < tiles) {
        nt = nt / unit * unit;
        size_t chunks = (tiles + nt - 1) / nt;
        nt = ((tiles + chunks - 1) / chunks + unit - 1) / unit * unit;
    }
    /* V's columns round up to whole panels: that must not outgrow cap */
    while (nt > unit && chunk_floats(s, nt, panels) > cap) nt -= unit;
    while (nt > 1 && chunk_floats(s, nt, panels) > cap) nt--;
    return nt;
}

double adn_winograd_executed_macs(const adn_conv_shape *s, int h, int w) {
    return (double)POINTS * (double)tile_count(s, h, w) * s->cin * s->cout;
}

size_t adn_winograd_scratch_floats(const adn_conv_shape *s, int h, int w, size_t cap) {
    if (!adn_winograd_eligible(s) || h < 1 || w < 1) return 0;
    /* laid out for panels, the larger of the two layouts */
    size_t nt = chunk_tiles(s, tile_count(s, h, w), cap, 1);
    return nt ? chunk_floats(s, nt, 1) : 0;
}

int adn_winograd_fits(const adn_device *dev, const adn_conv_shape *s, size_t scratch_floats) {
    return chunk_floats(s, 1, dev->profile.gemm_b_panels) <= scratch_floats;
}

/* A transform over n tiles and `channels` channels: on CPU devices (the rows im2col's
 * profile) the kernel of a work-item per panel of 32 tiles, in groups of one; elsewhere the
 * one of a work-item per (tile, channel). */
static adnet_status run_transform(adn_device *dev, const char *rows_kernel,
                                  const char *generic_kernel, size_t n, size_t channels, int n_args,
                                  const adn_karg *args) {
    if (dev->profile.im2col == ADN_IM2COL_ROWS) {
        size_t panels[2] = {(n + ADN_GEMM_PANEL - 1) / ADN_GEMM_PANEL, channels};
        return adn_run_kernel_grouped(dev, rows_kernel, 2, panels, 1, n_args, args);
    }
    size_t range[2] = {n, channels};
    return adn_run_kernel(dev, generic_kernel, 2, range, n_args, args);
}

adnet_status adn_winograd_conv(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                               const adn_tensor *y, const adn_tensor *residual, adn_activation act,
                               cl_mem scratch_mem, size_t scratch_off, size_t scratch_floats,
                               const char *desc) {
    const adn_conv_shape *s = &cw->shape;
    const int panels = dev->profile.gemm_b_panels;
    const size_t tiles = tile_count(s, x->h, x->w);
    size_t nt = chunk_tiles(s, tiles, scratch_floats, panels);
    if (!scratch_mem || nt == 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "adn_conv: the %s needs at least %zu scratch floats (one Winograd tile), "
                        "got %zu%s",
                        desc, chunk_floats(s, 1, panels), scratch_floats,
                        scratch_mem ? "" : " and no buffer");
    if (scratch_off + chunk_floats(s, nt, panels) > UINT32_MAX || tiles > UINT32_MAX)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "adn_conv: the %s's Winograd scratch is out of the kernels' 32-bit range",
                        desc);
    const size_t cin = (size_t)s->cin, cout = (size_t)s->cout;
    const size_t ldm = v_columns(nt, panels), vstride = cin * ldm + MATRIX_GAP;
    const size_t v_off = scratch_off, m_off = scratch_off + POINTS * vstride;
    cl_uint x_off = (cl_uint)x->off, h = (cl_uint)x->h, w = (cl_uint)x->w;
    cl_uint cin_u = (cl_uint)cin, d = (cl_uint)s->dilation;
    cl_uint th = (cl_uint)tiles_along(x->h, s->dilation);
    cl_uint tw = (cl_uint)tiles_along(x->w, s->dilation);
    cl_uint v_off_u = (cl_uint)v_off, m_off_u = (cl_uint)m_off, ldm_u = (cl_uint)ldm;
    cl_uint vstride_u = (cl_uint)vstride;
    cl_uint packed = (cl_uint)panels, y_off = (cl_uint)y->off;
    cl_uint b_off = (cl_uint)cw->bias_off, r_off = residual ? (cl_uint)residual->off : 0;
    cl_int has_bias = cw->bias != NULL, has_res = residual != NULL, act_i = (cl_int)act;
    cl_float slope = ADN_LEAKY_SLOPE;
    /* absent inputs are bound to y's buffer and never read: some drivers refuse NULL buffers */
    cl_mem bias = cw->bias ? cw->bias : y->mem, res = residual ? residual->mem : y->mem;
    for (size_t t0 = 0; t0 < tiles; t0 += nt) {
        size_t n = tiles - t0 < nt ? tiles - t0 : nt;
        cl_uint t0_u = (cl_uint)t0, n_u = (cl_uint)n;
        adn_karg in_args[] = {ADN_KARG(x->mem), ADN_KARG(x_off),       ADN_KARG(h),
                              ADN_KARG(w),      ADN_KARG(cin_u),       ADN_KARG(d),
                              ADN_KARG(th),     ADN_KARG(tw),          ADN_KARG(t0_u),
                              ADN_KARG(n_u),    ADN_KARG(scratch_mem), ADN_KARG(v_off_u),
                              ADN_KARG(ldm_u),  ADN_KARG(vstride_u),   ADN_KARG(packed)};
        ADN_TRY(run_transform(dev, "winograd_in_rows_f32", "winograd_in_f32", n, cin,
                              (int)(sizeof in_args / sizeof in_args[0]), in_args));
        /* M_xi = U_xi V_xi for the 36 points, in one batch */
        const size_t mstride = cout * n + MATRIX_GAP;
        cl_uint mstride_u = (cl_uint)mstride;
        ADN_TRY(adn_gemm_batched(dev, POINTS, cout, n, cin, cw->wino, cw->wino_off, cin, cout * cin,
                                 scratch_mem, v_off, ldm, vstride, panels, scratch_mem, m_off, n,
                                 mstride, desc));
        adn_karg out_args[] = {
            ADN_KARG(scratch_mem), ADN_KARG(m_off_u), ADN_KARG(mstride_u), ADN_KARG(h),
            ADN_KARG(w),           ADN_KARG(d),       ADN_KARG(th),        ADN_KARG(tw),
            ADN_KARG(t0_u),        ADN_KARG(n_u),     ADN_KARG(y->mem),    ADN_KARG(y_off),
            ADN_KARG(bias),        ADN_KARG(b_off),   ADN_KARG(has_bias),  ADN_KARG(res),
            ADN_KARG(r_off),       ADN_KARG(has_res), ADN_KARG(act_i),     ADN_KARG(slope)};
        ADN_TRY(run_transform(dev, "winograd_out_rows_f32", "winograd_out_f32", n, cout,
                              (int)(sizeof out_args / sizeof out_args[0]), out_args));
    }
    return ADNET_OK;
}
