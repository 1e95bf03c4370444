#include "conv_taps.h"

#include "gemm_onednn.h"
#include "native.h"
#include "status.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

int adn_conv_taps_eligible(const adn_conv_shape *s) {
    return s->kh == 3 && s->kw == 3 && s->stride == 1 && s->pad == s->dilation;
}

size_t adn_conv_taps_weight_floats(const adn_conv_shape *s) {
    return (size_t)9 * (size_t)s->cout * (size_t)s->cin;
}

void adn_conv_taps_weights(const adn_conv_shape *s, const float *oihw, float *taps) {
    const size_t cin = (size_t)s->cin, cout = (size_t)s->cout;
    for (size_t t = 0; t < 9; t++)
        for (size_t o = 0; o < cout; o++)
            for (size_t ci = 0; ci < cin; ci++)
                taps[(t * cout + o) * cin + ci] = oihw[(o * cin + ci) * 9 + t];
}

/* The output positions tap (ky, kx) reaches inside an h x w input: rows [*y0, *y1), columns
 * [*x0, *x1) (empty when y0 >= y1 or x0 >= x1). */
static void tap_rect(int ky, int kx, int d, int h, int w, int *y0, int *y1, int *x0, int *x1) {
    int dy = (ky - 1) * d, dx = (kx - 1) * d;
    *y0 = dy < 0 ? -dy : 0;
    *y1 = dy > 0 ? h - dy : h;
    *x0 = dx < 0 ? -dx : 0;
    *x1 = dx > 0 ? w - dx : w;
}

double adn_conv_taps_macs(const adn_conv_shape *s, int h, int w) {
    double pos = 0;
    for (int t = 0; t < 9; t++) {
        int y0, y1, x0, x1;
        tap_rect(t / 3, t % 3, s->dilation, h, w, &y0, &y1, &x0, &x1);
        if (y1 > y0 && x1 > x0) pos += (double)(y1 - y0) * (x1 - x0);
    }
    return pos * s->cin * s->cout;
}

/* one thread's output row: its packed input and its products */
size_t adn_conv_taps_min_scratch(const adn_conv_shape *s, int w) {
    return ((size_t)s->cin + (size_t)s->cout) * (size_t)w;
}

#ifndef ADNET_HAVE_ONEDNN

adnet_status adn_conv_taps(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                           const adn_tensor *y, const adn_tensor *residual, adn_activation act,
                           cl_mem scratch_mem, size_t scratch_off, size_t scratch_floats,
                           const char *desc) {
    (void)dev, (void)cw, (void)x, (void)y, (void)residual, (void)act, (void)scratch_mem;
    (void)scratch_off, (void)scratch_floats;
    return adn_fail(ADNET_ERR_INTERNAL, "%s: the tap form needs oneDNN, which is not built in",
                    desc);
}

#else

#include <dnnl.h>
#include <omp.h>

/* The native kernel's arguments: the buffers' handles, then (native.h) their host addresses. */
typedef struct taps_args {
    void *x, *y, *res, *w, *bias, *scratch; /* res, bias: NULL when absent */
    size_t x_off, y_off, res_off, w_off, bias_off, s_off, s_floats;
    int cin, cout, h, wd, d, act, threads;
    adn_device *dev;
    char what[96];
} taps_args;

static void run_taps(void *p) {
    const taps_args *g = p;
    const int nt = g->threads;
    const size_t cin = (size_t)g->cin, cout = (size_t)g->cout, w = (size_t)g->wd;
    const size_t plane = (size_t)g->h * w;
    const float *x = (const float *)g->x + g->x_off;
    float *y = (float *)g->y + g->y_off;
    const float *wt = (const float *)g->w + g->w_off;
    const float *bias = g->bias ? (const float *)g->bias + g->bias_off : NULL;
    const float *res = g->res ? (const float *)g->res + g->res_off : NULL;
    float *scratch = (float *)g->scratch + g->s_off;
    const size_t per_thread = g->s_floats / (size_t)nt;
    int failed = 0;
    /* the products accumulate onto the bias; oneDNN runs sequentially inside each region's
     * threads (gemm_onednn.c says why) */
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long o = 0; o < (long)cout; o++) {
        float b = bias ? bias[o] : 0.0f, *row = y + (size_t)o * plane;
        for (size_t i = 0; i < plane; i++) row[i] = b;
    }
    for (int t = 0; t < 9 && !failed; t++) {
        int y0, y1, x0, x1;
        tap_rect(t / 3, t % 3, g->d, g->h, g->wd, &y0, &y1, &x0, &x1);
        if (y0 >= y1 || x0 >= x1) continue;
        const int dy = (t / 3 - 1) * g->d, dx = (t % 3 - 1) * g->d;
        const float *a = wt + (size_t)t * cout * cin;
        const size_t rows = (size_t)(y1 - y0), width = (size_t)(x1 - x0);
        if (width == w) {
            /* whole rows: the shifted input and the output are plain matrices of the
             * channels' planes, multiplied and added in place */
            const float *b = x + (size_t)(y0 + dy) * w;
            float *c = y + (size_t)y0 * w;
            const size_t n = rows * w;
#pragma omp parallel num_threads(nt) reduction(| : failed)
            {
                size_t c0, c1;
                adn_thread_share(n, 64, omp_get_thread_num(), omp_get_num_threads(), &c0, &c1);
                if (c1 > c0) {
                    dnnl_status_t st =
                        dnnl_sgemm('N', 'N', (dnnl_dim_t)cout, (dnnl_dim_t)(c1 - c0),
                                   (dnnl_dim_t)cin, 1.0f, a, (dnnl_dim_t)cin, b + c0,
                                   (dnnl_dim_t)plane, 1.0f, c + c0, (dnnl_dim_t)plane);
                    if (st != dnnl_success) {
                        adn_onednn_report(g->dev, st, g->what);
                        failed |= 1;
                    }
                }
            }
            continue;
        }
        /* part of each row: each thread packs its rows' runs of the shifted input, multiplies
         * them and adds the products to the output, a block of rows at a time */
        const size_t block_rows = per_thread / ((cin + cout) * width);
#pragma omp parallel num_threads(nt) reduction(| : failed)
        {
            const int me = omp_get_thread_num();
            float *bp = scratch + (size_t)me * per_thread;
            size_t r0, r1;
            adn_thread_share(rows, 1, me, omp_get_num_threads(), &r0, &r1);
            for (size_t r = r0; r < r1 && !failed; r += block_rows) {
                const size_t nr = r1 - r < block_rows ? r1 - r : block_rows, cols = nr * width;
                float *cp = bp + cin * cols;
                for (size_t ci = 0; ci < cin; ci++)
                    for (size_t i = 0; i < nr; i++)
                        memcpy(bp + ci * cols + i * width,
                               x + ci * plane + (size_t)(y0 + (int)(r + i) + dy) * w +
                                   (size_t)(x0 + dx),
                               width * sizeof(float));
                dnnl_status_t st = dnnl_sgemm('N', 'N', (dnnl_dim_t)cout, (dnnl_dim_t)cols,
                                              (dnnl_dim_t)cin, 1.0f, a, (dnnl_dim_t)cin, bp,
                                              (dnnl_dim_t)cols, 0.0f, cp, (dnnl_dim_t)cols);
                if (st != dnnl_success) {
                    adn_onednn_report(g->dev, st, g->what);
                    failed |= 1;
                    break;
                }
                for (size_t o = 0; o < cout; o++)
                    for (size_t i = 0; i < nr; i++) {
                        float *dst = y + o * plane + (size_t)(y0 + (int)(r + i)) * w + (size_t)x0;
                        const float *src = cp + o * cols + i * width;
                        for (size_t j = 0; j < width; j++) dst[j] += src[j];
                    }
            }
        }
    }
    if (failed || (!res && g->act == ADN_ACT_NONE)) return;
        /* the residual and activation (the bias is in already) */
#pragma omp parallel num_threads(nt)
    {
        size_t r0, r1;
        adn_thread_share(cout, 1, omp_get_thread_num(), omp_get_num_threads(), &r0, &r1);
        adn_onednn_epilogue(y, plane, r0, r1, 0, plane, NULL, res, g->act);
    }
}

adnet_status adn_conv_taps(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                           const adn_tensor *y, const adn_tensor *residual, adn_activation act,
                           cl_mem scratch_mem, size_t scratch_off, size_t scratch_floats,
                           const char *desc) {
    const adn_conv_shape *s = &cw->shape;
    if (!cw->taps || !adn_conv_taps_eligible(s) || dev->profile.gemm != ADN_GEMM_ONEDNN ||
        !scratch_mem || scratch_floats < adn_conv_taps_min_scratch(s, x->w))
        return adn_fail(ADNET_ERR_INTERNAL, "%s: the tap form cannot run here", desc);
    taps_args g;
    memset(&g, 0, sizeof g);
    cl_mem mems[6];
    size_t at[6];
    int n = 0;
#define ADD_MEM(field, mem)                                                                        \
    do {                                                                                           \
        g.field = (void *)(mem);                                                                   \
        mems[n] = (mem);                                                                           \
        at[n++] = offsetof(taps_args, field);                                                      \
    } while (0)
    ADD_MEM(x, x->mem);
    ADD_MEM(y, y->mem);
    ADD_MEM(w, cw->taps);
    ADD_MEM(scratch, scratch_mem);
    if (residual) ADD_MEM(res, residual->mem);
    if (cw->bias) ADD_MEM(bias, cw->bias);
#undef ADD_MEM
    g.x_off = x->off, g.y_off = y->off, g.res_off = residual ? residual->off : 0;
    g.w_off = cw->taps_off, g.bias_off = cw->bias_off, g.s_off = scratch_off;
    g.s_floats = scratch_floats;
    g.cin = s->cin, g.cout = s->cout, g.h = x->h, g.wd = x->w, g.d = s->dilation, g.act = (int)act;
    /* as many threads as the device has compute units and the scratch has rows for */
    size_t fit = scratch_floats / adn_conv_taps_min_scratch(s, x->w);
    int units = adn_onednn_threads(dev);
    g.threads = fit < (size_t)units ? (int)fit : units;
    g.dev = dev;
    snprintf(g.what, sizeof g.what, "%.72s in the tap form", desc);
    return adn_enqueue_native(dev, run_taps, &g, sizeof g, n, mems, at, "conv_taps_onednn");
}

#endif
