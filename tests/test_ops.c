/* Every op of host/ops/ops.h (attention aside) on every OpenCL device present, against the plain-C
 * references of ops_reference.c, on odd shapes: strided, dilated and padded convolutions, im2col
 * in several chunks, outputs into a channel range of a larger tensor, ceil-mode pooling where
 * PyTorch keeps and where it drops the last window, and resizes to and from one pixel. Every
 * output tensor lives inside a larger buffer of known content, and the test checks that the op
 * wrote exactly its output and nothing else. */
#include "test_util.h"

#include "ops.h"
#include "conv_direct.h"
#include "conv_taps.h"
#include "native.h"
#include "ops_reference.h"

#include <math.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

/* A device buffer and a host copy of what it should hold outside the outputs under test. */
typedef struct dbuf {
    cl_mem mem;
    size_t n; /* floats */
    float *expect;
} dbuf;

/* A buffer of n floats filled with a recognisable background (1000 + i), so that a stray
 * write anywhere is caught. */
static dbuf dbuf_new(adn_device *dev, size_t n) {
    dbuf b = {NULL, n, malloc(n * sizeof(float))};
    for (size_t i = 0; i < n; i++) b.expect[i] = 1000.0f + (float)(i % 100000);
    CHECK_OK(adn_buffer_alloc(dev, n * sizeof(float), &b.mem));
    CHECK_OK(adn_buffer_write(dev, b.mem, 0, n * sizeof(float), b.expect));
    return b;
}

static void dbuf_free(adn_device *dev, dbuf *b) {
    adn_buffer_free(dev, b->mem, b->n * sizeof(float));
    free(b->expect);
}

/* Writes data as a c x h x w tensor at element off and returns the tensor. */
static adn_tensor dbuf_put(adn_device *dev, dbuf *b, size_t off, int c, int h, int w,
                           const float *data) {
    adn_tensor t = {b->mem, off, c, h, w};
    size_t n = adn_tensor_count(&t);
    if (off + n > b->n) {
        fprintf(stderr, "test bug: tensor beyond its buffer\n");
        exit(1);
    }
    if (data) {
        memcpy(b->expect + off, data, n * sizeof(float));
        CHECK_OK(adn_buffer_write(dev, b->mem, off * sizeof(float), n * sizeof(float), data));
    }
    return t;
}

/* Reads the whole buffer (the caller frees it). */
static float *dbuf_read(adn_device *dev, const dbuf *b) {
    float *all = malloc(b->n * sizeof(float));
    CHECK_OK(adn_buffer_read(dev, b->mem, 0, b->n * sizeof(float), all));
    return all;
}

/* Checks that every element outside [off, off + count) and outside the optional second range
 * (scratch the op may clobber) still holds what the test put there. */
static void check_untouched(const char *what, const float *all, const dbuf *b, size_t off,
                            size_t count, size_t free_off, size_t free_count) {
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (i >= off && i < off + count) continue;
        if (i >= free_off && i < free_off + free_count) continue;
        if (all[i] != b->expect[i]) {
            if (!bad) first = i;
            bad++;
        }
    }
    if (bad) {
        fprintf(stderr, "  %s: %zu element(s) outside the output changed, first at %zu\n", what,
                bad, first);
        tu_failures++;
    }
}

static float *random_floats(tu_rng *r, size_t n, float lo, float hi) {
    float *x = malloc((n ? n : 1) * sizeof(float));
    tu_fill_uniform(r, x, n, lo, hi);
    return x;
}

/* ---- convolution ------------------------------------------------------------------- */

typedef struct conv_case {
    const char *name;
    int cin, cout, k, stride, pad, dilation, h, w;
    int bias, residual;
    adn_activation act;
    size_t cap;        /* scratch cap in floats; 0: room for every column */
    int c_total, c0;   /* y is channels [c0, c0 + cout) of a c_total-channel tensor; 0: none */
    int expect_chunks; /* im2col chunks the cap must give (0: do not check) */
} conv_case;

/* Which forms of the weight a case hands adn_conv: the plain one (im2col + GEMM), only the
 * Winograd one (cl/winograd.cl, for adn_winograd_eligible shapes), or both (adn_conv picks);
 * only the tap form (ops/conv_taps.c, where the profile's GEMM is oneDNN's), or it and the
 * plain one (adn_conv picks); oneDNN's convolution (ops/conv_direct.c, forced on) reading the
 * plain form or the tap form. */
typedef enum conv_form {
    FORM_PLAIN,
    FORM_WINOGRAD,
    FORM_BOTH,
    FORM_TAPS,
    FORM_TAPS_PLAIN,
    FORM_DIRECT,
    FORM_DIRECT_TAPS
} conv_form;

static const char *const form_names[] = {"",
                                         " [winograd]",
                                         " [both forms]",
                                         " [taps]",
                                         " [taps and plain]",
                                         " [onednn conv]",
                                         " [onednn conv from taps]"};

static void run_conv_case(adn_device *dev, const conv_case *cc, tu_rng *rng, conv_form form) {
    adn_conv_shape s = {cc->cin, cc->cout, cc->k, cc->k, cc->stride, cc->pad, cc->dilation};
    int oh = ref_conv_out_dim(cc->h, cc->k, cc->stride, cc->pad, cc->dilation);
    int ow = ref_conv_out_dim(cc->w, cc->k, cc->stride, cc->pad, cc->dilation);
    CHECK(adn_conv_out_dim(cc->h, cc->k, cc->stride, cc->pad, cc->dilation) == oh);
    CHECK(adn_conv_out_dim(cc->w, cc->k, cc->stride, cc->pad, cc->dilation) == ow);
    size_t kk = (size_t)cc->cin * cc->k * cc->k, n = (size_t)oh * ow;
    CHECK(adn_conv_macs(&s, cc->h, cc->w) == (double)cc->cout * (double)kk * (double)n);

    size_t nx = (size_t)cc->cin * cc->h * cc->w, ny = (size_t)cc->cout * n;
    int c_total = cc->c_total ? cc->c_total : cc->cout;
    size_t ny_total = (size_t)c_total * n;
    float *x = random_floats(rng, nx, -1, 1);
    float *wt = random_floats(rng, (size_t)cc->cout * kk, -0.5f, 0.5f);
    float *bias = cc->bias ? random_floats(rng, (size_t)cc->cout, -1, 1) : NULL;
    float *res = cc->residual ? random_floats(rng, ny, -2, 2) : NULL;
    float *want = malloc(ny * sizeof(float));
    ref_conv(x, cc->cin, cc->h, cc->w, wt, bias, cc->cout, cc->k, cc->stride, cc->pad, cc->dilation,
             res, (int)cc->act, want);

    /* the Winograd forms get room for all their tiles unless the case caps it */
    const int taps_form = form == FORM_TAPS || form == FORM_TAPS_PLAIN || form == FORM_DIRECT_TAPS;
    size_t cap = cc->cap                                     ? cc->cap
                 : form == FORM_PLAIN || form == FORM_DIRECT ? kk * n
                                                             : (size_t)1 << 24;
    if (taps_form && cap < adn_conv_taps_min_scratch(&s, cc->w))
        cap = adn_conv_taps_min_scratch(&s, cc->w);
    size_t scratch_n = adn_conv_scratch_floats(&s, cc->h, cc->w, cap);
    int pointwise = cc->k == 1 && cc->stride == 1 && cc->pad == 0;
    CHECK(pointwise ? scratch_n == 0 : scratch_n >= kk && scratch_n <= (cap > kk ? cap : kk));
    if (cc->expect_chunks && form == FORM_PLAIN) {
        size_t cols = scratch_n / kk;
        int chunks = (int)((n + cols - 1) / cols);
        CHECK(chunks == cc->expect_chunks);
    }

    /* one arena as the model uses it: x, the full output tensor, the residual and the
     * scratch at odd offsets; the parameters in a second buffer, also at offsets */
    size_t off_x = 5, off_y = off_x + nx + 7, off_r = off_y + ny_total + 3;
    size_t off_s = off_r + (res ? ny : 0) + 11, arena_n = off_s + scratch_n + 2;
    dbuf arena = dbuf_new(dev, arena_n);
    size_t off_w = 9, off_b = off_w + (size_t)cc->cout * kk + 1, off_u = off_b + cc->cout + 3;
    size_t nu = form == FORM_PLAIN || form == FORM_DIRECT ? 0
                : taps_form                               ? adn_conv_taps_weight_floats(&s)
                                                          : adn_winograd_weight_floats(&s);
    dbuf params = dbuf_new(dev, off_u + nu + 4);
    adn_tensor tx = dbuf_put(dev, &arena, off_x, cc->cin, cc->h, cc->w, x);
    adn_tensor ty_total = dbuf_put(dev, &arena, off_y, c_total, oh, ow, NULL);
    adn_tensor ty = adn_tensor_channels(ty_total, cc->c0, cc->cout);
    adn_tensor tr = res ? dbuf_put(dev, &arena, off_r, cc->cout, oh, ow, res) : tx;
    /* the reference takes PyTorch's OIHW, adn_conv the OHIW that adn_conv_weight_order makes */
    float *wt_ohiw = malloc((size_t)cc->cout * kk * sizeof(float));
    adn_conv_weight_order(&s, wt, wt_ohiw);
    dbuf_put(dev, &params, off_w, cc->cout, (int)kk, 1, wt_ohiw);
    free(wt_ohiw);
    if (bias) dbuf_put(dev, &params, off_b, cc->cout, 1, 1, bias);
    adn_conv_weights cw = {
        s, params.mem, off_w, bias ? params.mem : NULL, bias ? off_b : 0, NULL, 0, NULL, 0, NULL};
    if (form != FORM_PLAIN &&
        form != FORM_DIRECT) { /* the other form, alone or beside the plain one */
        float *u = malloc(nu * sizeof(float));
        if (taps_form)
            adn_conv_taps_weights(&s, wt, u);
        else
            adn_winograd_weights(&s, wt, u);
        dbuf_put(dev, &params, off_u, 1, 1, (int)nu, u);
        free(u);
        *(taps_form ? &cw.taps : &cw.wino) = params.mem;
        *(taps_form ? &cw.taps_off : &cw.wino_off) = off_u;
        if (form == FORM_WINOGRAD || form == FORM_TAPS || form == FORM_DIRECT_TAPS)
            cw.weight = NULL;
    }
    if (form == FORM_DIRECT || form == FORM_DIRECT_TAPS)
        CHECK_OK(adn_conv_direct_create(&cw.direct));

    CHECK_OK(adn_conv(dev, &cw, &tx, &ty, res ? &tr : NULL, cc->act, scratch_n ? arena.mem : NULL,
                      off_s, scratch_n));
    float *all = dbuf_read(dev, &arena);
    adn_conv_direct_free(cw.direct);
    char what[160];
    snprintf(what, sizeof what, "conv %s%s", cc->name, form_names[form]);
    tu_check_close(what, all + ty.off, want, ny, 1e-5, 1e-4);
    check_untouched(what, all, &arena, ty.off, ny, off_s, scratch_n);
    float *pall = dbuf_read(dev, &params);
    check_untouched(what, pall, &params, 0, 0, 0, 0);

    free(pall);
    free(all);
    dbuf_free(dev, &params);
    dbuf_free(dev, &arena);
    free(x);
    free(wt);
    free(bias);
    free(res);
    free(want);
}

static const conv_case conv_cases[] = {
    {"3->5 3x3 s2 p1 on 7x9, bias", 3, 5, 3, 2, 1, 1, 7, 9, 1, 0, ADN_ACT_NONE, 0, 0, 0, 1},
    {"8->6 1x1 s1 on 5x7, bias relu", 8, 6, 1, 1, 0, 1, 5, 7, 1, 0, ADN_ACT_RELU, 0, 0, 0, 0},
    {"256->64 1x1 on 13x10 (bottleneck conv1), bias relu", 256, 64, 1, 1, 0, 1, 13, 10, 1, 0,
     ADN_ACT_RELU, 0, 0, 0, 0},
    {"64->128 1x1 s2 on 13x11 (downsample), bias", 64, 128, 1, 2, 0, 1, 13, 11, 1, 0, ADN_ACT_NONE,
     0, 0, 0, 1},
    {"16->12 3x3 d2 on 13x10, bias residual relu", 16, 12, 3, 1, 2, 2, 13, 10, 1, 1, ADN_ACT_RELU,
     0, 0, 0, 1},
    {"8->4 3x3 d12 on 9x7 (taps off-centre all in padding), bias leaky", 8, 4, 3, 1, 12, 12, 9, 7,
     1, 0, ADN_ACT_LEAKY, 0, 0, 0, 1},
    {"6->5 3x3 p1 on 9x11, 7 chunks (last partial), residual leaky", 6, 5, 3, 1, 1, 1, 9, 11, 0, 1,
     ADN_ACT_LEAKY, 54 * 16, 0, 0, 7},
    {"64->64 3x3 p1 on 13x10, 4 chunks, bias residual none", 64, 64, 3, 1, 1, 1, 13, 10, 1, 1,
     ADN_ACT_NONE, 576 * 37 + 100, 0, 0, 4},
    {"scratch cap below one column still runs (1 column per chunk)", 4, 3, 3, 2, 1, 1, 5, 6, 1, 0,
     ADN_ACT_NONE, 5, 0, 0, 9},
    {"4->6 3x3 p1 on 6x8 into channels 5..10 of 16, bias residual leaky", 4, 6, 3, 1, 1, 1, 6, 8, 1,
     1, ADN_ACT_LEAKY, 36 * 10, 16, 5, 5},
    {"8->3 1x1 on 5x4 into channels 2..4 of 7, residual relu", 8, 3, 1, 1, 0, 1, 5, 4, 0, 1,
     ADN_ACT_RELU, 0, 7, 2, 0},
    {"3->64 3x3 s2 p1 on 33x41 (stem conv1), relu", 3, 64, 3, 2, 1, 1, 33, 41, 0, 0, ADN_ACT_RELU,
     0, 0, 0, 1},
    {"4->4 5x5 s3 p2 on 11x14, no bias", 4, 4, 5, 3, 2, 1, 11, 14, 0, 0, ADN_ACT_NONE, 0, 0, 0, 1},
    {"3->2 1x1 p1 on 4x5 (padded 1x1: the im2col path)", 3, 2, 1, 1, 1, 1, 4, 5, 1, 0, ADN_ACT_NONE,
     0, 0, 0, 1},
    {"256->256 3x3 d2 on 13x10 (layer3 conv2), bias relu", 256, 256, 3, 1, 2, 2, 13, 10, 1, 0,
     ADN_ACT_RELU, 2304 * 50, 0, 0, 3},
    /* the edges of adnet's GEMM tiles (8 x 32 registers, 256 rows and a depth of 256 per
     * pass): rows not a multiple of 8 and beyond 256, columns not a multiple of 32, depths
     * of 1, 257 and 600 */
    {"600->13 1x1 on 7x11 (M=13, N=77, K=600), bias", 600, 13, 1, 1, 0, 1, 7, 11, 1, 0,
     ADN_ACT_NONE, 0, 0, 0, 0},
    {"1->300 1x1 on 3x11 (M=300, N=33, K=1), residual relu", 1, 300, 1, 1, 0, 1, 3, 11, 0, 1,
     ADN_ACT_RELU, 0, 0, 0, 0},
    {"257->1 1x1 on 9x7 (M=1, N=63, K=257: a classifier)", 257, 1, 1, 1, 0, 1, 9, 7, 1, 0,
     ADN_ACT_NONE, 0, 0, 0, 0},
    {"40->264 3x3 d3 on 12x16, 3 chunks (N=64 per GEMM, K=360), bias leaky", 40, 264, 3, 1, 3, 3,
     12, 16, 1, 0, ADN_ACT_LEAKY, 360 * 64, 0, 0, 3},
    /* chunks of about two output rows: each leaves out the kernel rows that read only padding
     * for all its rows, a different set near the top, in the middle and near the bottom */
    {"16->8 3x3 d4 on 13x10, 7 chunks of 19 columns, bias relu", 16, 8, 3, 1, 4, 4, 13, 10, 1, 0,
     ADN_ACT_RELU, 144 * 20, 0, 0, 7},
    {"12->5 5x5 d3 p6 on 11x9, 5 chunks of 20 columns, residual", 12, 5, 5, 1, 6, 3, 11, 9, 0, 1,
     ADN_ACT_NONE, 300 * 20, 0, 0, 5},
    /* output rows that no kernel row reaches: their chunks are all padding, the output 0 */
    {"2->3 3x3 p5 on 3x4 (outer output rows all padding), bias", 2, 3, 3, 1, 5, 1, 3, 4, 1, 0,
     ADN_ACT_NONE, 18 * 12, 0, 0, 11},
};

/* Cases for the Winograd path (each also runs in the plain form): tiles cut by the map's
 * edges, sub-grids of a dilation of unequal sizes, dilations larger than the map (sub-grids of
 * one point, most tiles wholly outside), several chunks of tiles, the epilogue fused into the
 * output transform, and an output written into a channel range of a wider tensor. */
static const conv_case winograd_cases[] = {
    {"5->7 3x3 p1 on 9x11 (tiles cut at both edges), bias relu", 5, 7, 3, 1, 1, 1, 9, 11, 1, 0,
     ADN_ACT_RELU, 0, 0, 0, 0},
    {"3->4 3x3 p1 on 1x1, residual", 3, 4, 3, 1, 1, 1, 1, 1, 0, 1, ADN_ACT_NONE, 0, 0, 0, 0},
    {"6->5 3x3 d2 on 13x10 (sub-grids 7x5 and 6x5), bias residual leaky", 6, 5, 3, 1, 2, 2, 13, 10,
     1, 1, ADN_ACT_LEAKY, 0, 0, 0, 0},
    {"4->3 3x3 d5 on 17x23, bias", 4, 3, 3, 1, 5, 5, 17, 23, 1, 0, ADN_ACT_NONE, 0, 0, 0, 0},
    {"8->4 3x3 d12 on 9x7 (dilation larger than the map), bias leaky", 8, 4, 3, 1, 12, 12, 9, 7, 1,
     0, ADN_ACT_LEAKY, 0, 0, 0, 0},
    {"3->2 3x3 d36 on 5x40 (taps off-centre in padding along rows), relu", 3, 2, 3, 1, 36, 36, 5,
     40, 0, 0, ADN_ACT_RELU, 0, 0, 0, 0},
    {"17->9 3x3 p1 on 23x37, 2 chunks of tiles, bias residual relu", 17, 9, 3, 1, 1, 1, 23, 37, 1,
     1, ADN_ACT_RELU, 36 * (17 * 32 + 9 * 32), 0, 0, 0},
    {"17->9 3x3 p1 on 23x37, 3 chunks of part of a panel, bias leaky", 17, 9, 3, 1, 1, 1, 23, 37, 1,
     0, ADN_ACT_LEAKY, 36 * (17 * 32 + 9 * 5), 0, 0, 0},
    {"33->40 3x3 d2 on 19x29 into channels 3..42 of 45, bias relu", 33, 40, 3, 1, 2, 2, 19, 29, 1,
     0, ADN_ACT_RELU, 0, 45, 3, 0},
    {"64->32 3x3 d4 on 21x30, bias residual relu", 64, 32, 3, 1, 4, 4, 21, 30, 1, 1, ADN_ACT_RELU,
     0, 0, 0, 0},
};

static void test_conv_scratch_sizes(void) {
    adn_conv_shape pw = {256, 64, 1, 1, 1, 0, 1}, c3 = {16, 8, 3, 3, 1, 1, 1};
    CHECK(adn_conv_scratch_floats(&pw, 13, 10, 1000) == 0);
    /* c3 also fits Winograd's tiles when the cap allows: 4 x 3 tiles of 4x4 cover 13x10, and
     * one chunk holds V (36 x 16 rows x one panel of 32 columns) and M (36 x 8 x 12), each
     * matrix followed by a gap of one cache line (16 floats) */
    CHECK(adn_winograd_eligible(&c3));
    CHECK(adn_conv_scratch_floats(&c3, 13, 10, (size_t)1 << 30) ==
          36 * (16 * 32 + 16 + 8 * 12 + 16));
    adn_conv_shape c3s2 = c3; /* stride 2: im2col only */
    c3s2.stride = 2;
    CHECK(!adn_winograd_eligible(&c3s2));
    CHECK(adn_conv_scratch_floats(&c3s2, 13, 10, (size_t)1 << 30) == 144 * 35);
    /* the choice between the two paths on R101's layers (cost model of host/ops/winograd.c,
     * fitted to the per-layer times in docs/benchmarks.md), with the model's scratch (64 MiB):
     * layer3's and layer4's convolutions and the 128-channel stem at DAVIS size take Winograd;
     * the ASPP's dilation 24 does not (sub-grids of 2 or 3 rows: tiles mostly outside), nor
     * dilation 16 on a 23x41 map, nor any stride-2 shape */
    const size_t cap = (size_t)16 << 20;
    adn_conv_shape l3 = {256, 256, 3, 3, 1, 2, 2}, l4 = {512, 512, 3, 3, 1, 16, 16};
    adn_conv_shape stem = {64, 128, 3, 3, 1, 1, 1}, aspp24 = {2048, 512, 3, 3, 1, 24, 24};
#define PAYS(s, h, w) adn_winograd_pays(&(s), h, w, adn_conv_scratch_floats(&(s), h, w, cap), 1)
    CHECK(PAYS(l3, 61, 108) && PAYS(l4, 61, 108) && PAYS(stem, 241, 429));
    CHECK(!PAYS(aspp24, 61, 108) && !PAYS(aspp24, 23, 41) && !PAYS(l4, 23, 41));
    CHECK(!adn_winograd_pays(&c3s2, 61, 108, cap, 1));
#undef PAYS
}

static void test_bias_act(adn_device *dev, tu_rng *rng) {
    const int c = 5, h = 3, w = 7;
    size_t n = (size_t)c * h * w;
    for (int act = 0; act < 3; act++) {
        for (int variant = 0; variant < 2; variant++) {
            float *y0 = random_floats(rng, n, -2, 2), *bias = random_floats(rng, (size_t)c, -1, 1);
            float *res = random_floats(rng, n, -1, 1), *want = malloc(n * sizeof(float));
            memcpy(want, y0, n * sizeof(float));
            /* variant 0: bias and residual; variant 1: neither, only the activation */
            ref_bias_act(want, c, h, w, variant ? NULL : bias, variant ? NULL : res, act);
            dbuf b = dbuf_new(dev, 3 * n + 20);
            adn_tensor ty = dbuf_put(dev, &b, 3, c, h, w, y0);
            adn_tensor tr = dbuf_put(dev, &b, 3 + n + 4, c, h, w, res);
            dbuf_put(dev, &b, 3 + 2 * n + 9, c, 1, 1, bias);
            CHECK_OK(adn_bias_act(dev, &ty, variant ? NULL : b.mem, 3 + 2 * n + 9,
                                  variant ? NULL : &tr, (adn_activation)act));
            float *all = dbuf_read(dev, &b);
            char what[96];
            snprintf(what, sizeof what, "bias_act act %d %s", act,
                     variant ? "alone" : "bias residual");
            tu_check_close(what, all + ty.off, want, n, 1e-6, 1e-6);
            check_untouched(what, all, &b, ty.off, n, 0, 0);
            free(all);
            dbuf_free(dev, &b);
            free(y0);
            free(bias);
            free(res);
            free(want);
        }
    }
}

/* ---- pooling ----------------------------------------------------------------------- */

/* Output sizes from PyTorch 1.13 (torch.nn.functional.max_pool2d(..., ceil_mode=True) on an
 * n x n input): the first four are the stem's maxpool at the sizes the model meets, "+1" rows
 * keep a window that floor mode would not have, "drop" rows are where PyTorch drops a last
 * window starting in the padding. */
static void test_pool_out_dim(void) {
    static const int rows[][5] = {
        {50, 3, 2, 1, 26},
        {38, 3, 2, 1, 20},
        {429, 3, 2, 1, 215},
        {241, 3, 2, 1, 121},
        {6, 3, 2, 1, 4} /* +1 */,
        {2, 3, 2, 1, 2} /* +1 */,
        {7, 3, 2, 1, 4},
        {5, 3, 3, 1, 2} /* drop */,
        {8, 3, 3, 1, 3} /* drop */,
        {5, 1, 3, 0, 2} /* drop */,
        {4, 2, 3, 1, 2} /* drop */,
        {10, 2, 4, 1, 3} /* drop */,
        {9, 3, 2, 0, 4},
        {1, 3, 2, 1, 1},
        {161, 3, 2, 1, 81},
        {361, 3, 2, 1, 181},
        {5, 2, 2, 1, 3},
        {6, 4, 3, 2, 3},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = adn_pool_out_dim_ceil(rows[i][0], rows[i][1], rows[i][2], rows[i][3]);
        if (got != rows[i][4]) {
            fprintf(stderr, "  pool out dim: in %d k %d s %d p %d: got %d, PyTorch %d\n",
                    rows[i][0], rows[i][1], rows[i][2], rows[i][3], got, rows[i][4]);
            tu_failures++;
        }
    }
}

static void run_maxpool(adn_device *dev, tu_rng *rng, int c, int h, int w, int k, int s, int p,
                        int oh, int ow, const char *name) {
    CHECK(adn_pool_out_dim_ceil(h, k, s, p) == oh && adn_pool_out_dim_ceil(w, k, s, p) == ow);
    size_t nx = (size_t)c * h * w, ny = (size_t)c * oh * ow;
    /* all inputs negative: a padding that won (as 0) would show */
    float *x = random_floats(rng, nx, -3, -1), *want = malloc(ny * sizeof(float));
    ref_maxpool(x, c, h, w, k, s, p, oh, ow, want);
    dbuf b = dbuf_new(dev, nx + ny + 10);
    adn_tensor tx = dbuf_put(dev, &b, 2, c, h, w, x);
    adn_tensor ty = dbuf_put(dev, &b, 2 + nx + 5, c, oh, ow, NULL);
    CHECK_OK(adn_maxpool(dev, &tx, &ty, k, s, p));
    float *all = dbuf_read(dev, &b);
    char what[128];
    snprintf(what, sizeof what, "maxpool %s", name);
    tu_check_close(what, all + ty.off, want, ny, 0, 0);
    check_untouched(what, all, &b, ty.off, ny, 0, 0);
    free(all);
    dbuf_free(dev, &b);
    free(x);
    free(want);
}

static void test_maxpool(adn_device *dev, tu_rng *rng) {
    run_maxpool(dev, rng, 3, 50, 38, 3, 2, 1, 26, 20, "3x3/2/1 50x38 -> 26x20 (window kept)");
    run_maxpool(dev, rng, 2, 7, 6, 3, 2, 1, 4, 4, "3x3/2/1 7x6 -> 4x4");
    if (!tu_under_simulator())
        run_maxpool(dev, rng, 4, 241, 429, 3, 2, 1, 121, 215, "3x3/2/1 241x429 (the stem)");
    run_maxpool(dev, rng, 2, 8, 5, 3, 3, 1, 3, 2, "3x3/3/1 8x5 -> 3x2 (windows dropped)");
    run_maxpool(dev, rng, 2, 4, 10, 2, 3, 1, 2, 4, "2x2/3/1 4x10 -> 2x4 (windows dropped)");
    run_maxpool(dev, rng, 1, 1, 2, 3, 2, 1, 1, 2, "3x3/2/1 1x2 -> 1x2");
}

static void run_avgpool(adn_device *dev, tu_rng *rng, int c, int h, int w) {
    size_t nx = (size_t)c * h * w;
    float *x = random_floats(rng, nx, -1, 3), *want = malloc((size_t)c * sizeof(float));
    ref_global_avgpool(x, c, h, w, want);
    dbuf b = dbuf_new(dev, nx + (size_t)c + 8);
    adn_tensor tx = dbuf_put(dev, &b, 1, c, h, w, x);
    adn_tensor ty = dbuf_put(dev, &b, 1 + nx + 3, c, 1, 1, NULL);
    CHECK_OK(adn_global_avgpool(dev, &tx, &ty));
    float *all = dbuf_read(dev, &b);
    char what[96];
    snprintf(what, sizeof what, "global_avgpool %dx%dx%d", c, h, w);
    tu_check_close(what, all + ty.off, want, (size_t)c, 1e-6, 1e-5);
    check_untouched(what, all, &b, ty.off, (size_t)c, 0, 0);
    free(all);
    dbuf_free(dev, &b);
    free(x);
    free(want);
}

/* ---- resize, copy, flip ------------------------------------------------------------ */

static void run_resize(adn_device *dev, tu_rng *rng, int c, int h, int w, int oh, int ow) {
    size_t nx = (size_t)c * h * w, ny = (size_t)c * oh * ow;
    float *x = random_floats(rng, nx, -1, 1), *want = malloc(ny * sizeof(float));
    ref_resize_bilinear(x, c, h, w, oh, ow, want);
    dbuf b = dbuf_new(dev, nx + ny + 9);
    adn_tensor tx = dbuf_put(dev, &b, 4, c, h, w, x);
    adn_tensor ty = dbuf_put(dev, &b, 4 + nx + 1, c, oh, ow, NULL);
    CHECK_OK(adn_resize_bilinear(dev, &tx, &ty));
    float *all = dbuf_read(dev, &b);
    char what[96];
    snprintf(what, sizeof what, "resize %dx%dx%d -> %dx%d", c, h, w, oh, ow);
    /* the source coordinate is computed in float, as PyTorch does: ~1e-5 pixel at 857 wide */
    int same = oh == h && ow == w;
    tu_check_close(what, all + ty.off, want, ny, same ? 0 : 1e-4, 0);
    check_untouched(what, all, &b, ty.off, ny, 0, 0);
    free(all);
    dbuf_free(dev, &b);
    free(x);
    free(want);
}

static void test_resize(adn_device *dev, tu_rng *rng) {
    run_resize(dev, rng, 2, 7, 9, 20, 31); /* up */
    run_resize(dev, rng, 2, 20, 31, 7, 9); /* down */
    run_resize(dev, rng, 3, 7, 9, 7, 9);   /* same: exact */
    run_resize(dev, rng, 2, 7, 9, 1, 1);   /* to one pixel: the top-left one */
    run_resize(dev, rng, 5, 1, 1, 13, 10); /* from one pixel: broadcast (image pooling) */
    run_resize(dev, rng, 1, 1, 1, 1, 1);
    run_resize(dev, rng, 2, 5, 1, 9, 4); /* one column wide */
    if (!tu_under_simulator())           /* logits to the annotation size */
        run_resize(dev, rng, 1, 61, 108, 480, 854);
}

static void test_copy_flip(adn_device *dev, tu_rng *rng) {
    const int c = 3, h = 5, w = 7;
    size_t n = (size_t)c * h * w;
    float *x = random_floats(rng, n, -1, 1);
    dbuf b = dbuf_new(dev, 2 * n + 10);
    adn_tensor tx = dbuf_put(dev, &b, 3, c, h, w, x);
    adn_tensor ty = dbuf_put(dev, &b, 3 + n + 2, (int)n, 1, 1, NULL); /* same count, other shape */
    CHECK_OK(adn_copy(dev, &tx, &ty));
    float *all = dbuf_read(dev, &b);
    tu_check_close("copy 3x5x7 -> 105x1x1", all + ty.off, x, n, 0, 0);
    check_untouched("copy", all, &b, ty.off, n, 0, 0);
    free(all);
    dbuf_free(dev, &b);
    free(x);

    const int shapes[][3] = {{3, 5, 7}, {2, 4, 8}, {4, 3, 1}, {1, 61, 108}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int fc = shapes[i][0], fh = shapes[i][1], fw = shapes[i][2];
        size_t fn = (size_t)fc * fh * fw;
        float *fx = random_floats(rng, fn, -1, 1), *want = malloc(fn * sizeof(float));
        ref_flip_horizontal(fx, fc, fh, fw, want);
        dbuf fb = dbuf_new(dev, 2 * fn + 6);
        adn_tensor fx_t = dbuf_put(dev, &fb, 1, fc, fh, fw, fx);
        adn_tensor fy_t = dbuf_put(dev, &fb, 1 + fn + 3, fc, fh, fw, NULL);
        CHECK_OK(adn_flip_horizontal(dev, &fx_t, &fy_t));
        float *fall = dbuf_read(dev, &fb);
        char what[64];
        snprintf(what, sizeof what, "flip %dx%dx%d", fc, fh, fw);
        tu_check_close(what, fall + fy_t.off, want, fn, 0, 0);
        check_untouched(what, fall, &fb, fy_t.off, fn, 0, 0);
        free(fall);
        dbuf_free(dev, &fb);
        free(fx);
        free(want);
    }
}

/* ---- bad arguments ----------------------------------------------------------------- */

/* Each bad call fails with a message naming the problem, and the buffer is left as it was. */
static void test_bad_arguments(adn_device *dev) {
    dbuf b = dbuf_new(dev, 4000);
    adn_tensor x = {b.mem, 0, 3, 7, 9};       /* 189 floats */
    adn_tensor y = {b.mem, 200, 5, 4, 5};     /* 100 floats: 3->5 3x3 s2 p1 output */
    adn_tensor r_bad = {b.mem, 300, 5, 5, 4}; /* transposed shape */
    adn_conv_weights cw = {{3, 5, 3, 3, 2, 1, 1}, b.mem, 1000, NULL, 0, NULL, 0, NULL, 0, NULL};
    const adnet_status INV = ADNET_ERR_INVALID_ARGUMENT;
    size_t S = 2000; /* scratch offset */

    adn_conv_weights cw_c = cw;
    cw_c.shape.cin = 4;
    CHECK_FAILS(adn_conv(dev, &cw_c, &x, &y, NULL, ADN_ACT_NONE, b.mem, S, 1000), INV,
                "takes 4 channels");
    adn_tensor y_bad = y;
    y_bad.w = 6;
    CHECK_FAILS(adn_conv(dev, &cw, &x, &y_bad, NULL, ADN_ACT_NONE, b.mem, S, 1000), INV,
                "y is 5x4x6, the conv 3->5 3x3 stride 2 pad 1 dilation 1 on 7x9 gives 5x4x5");
    CHECK_FAILS(adn_conv(dev, &cw, &x, &y, &r_bad, ADN_ACT_NONE, b.mem, S, 1000), INV,
                "residual is 5x5x4, expected 5x4x5");
    CHECK_FAILS(adn_conv(dev, &cw, &x, &y, NULL, ADN_ACT_NONE, b.mem, S, 26), INV,
                "needs at least 27 scratch floats");
    CHECK_FAILS(adn_conv(dev, &cw, &x, &y, NULL, ADN_ACT_NONE, NULL, 0, 0), INV, "scratch");
    adn_tensor y_over = y;
    y_over.off = 150; /* overlaps x */
    CHECK_FAILS(adn_conv(dev, &cw, &x, &y_over, NULL, ADN_ACT_NONE, b.mem, S, 1000), INV,
                "overlap");
    CHECK_FAILS(adn_conv(dev, &cw, &x, &y, NULL, ADN_ACT_NONE, b.mem, 250, 1000), INV,
                "overlap"); /* scratch over y */
    CHECK_FAILS(adn_conv(dev, &cw, &x, &y, NULL, (adn_activation)7, b.mem, S, 1000), INV,
                "activation");
    adn_tensor empty = x;
    empty.h = 0;
    CHECK_FAILS(adn_conv(dev, &cw, &empty, &y, NULL, ADN_ACT_NONE, b.mem, S, 1000), INV,
                "empty shape");
    CHECK_FAILS(adn_conv(dev, &cw, &x, NULL, NULL, ADN_ACT_NONE, b.mem, S, 1000), INV, "y is NULL");
    adn_conv_weights cw_z = cw;
    cw_z.shape.stride = 0;
    CHECK_FAILS(adn_conv(dev, &cw_z, &x, &y, NULL, ADN_ACT_NONE, b.mem, S, 1000), INV,
                "invalid convolution");
    CHECK_FAILS(adn_bias_act(dev, &y, NULL, 0, &r_bad, ADN_ACT_RELU), INV, "residual is 5x5x4");
    /* a weight that runs past the end of its buffer: refused (by CLBlast, or by adnet's
     * GEMM before its kernel runs), and the message names the convolution */
    adn_conv_weights cw_pw = {{3, 5, 1, 1, 1, 0, 1}, b.mem, 3990, NULL, 0, NULL, 0, NULL, 0, NULL};
    adn_tensor y_pw = {b.mem, 200, 5, 7, 9};
    if (dev->profile.gemm == ADN_GEMM_CLBLAST) {
        CHECK_FAILS(
            adn_conv(dev, &cw_pw, &x, &y_pw, NULL, ADN_ACT_NONE, NULL, 0, 0), ADNET_ERR_MATMUL,
            "CLBlastSgemm for conv 3->5 1x1 stride 1 pad 0 dilation 1 on 7x9 (M=5 N=63 K=3");
        CHECK(tu_contains(adnet_last_error(), "CLBlastInsufficientMemoryA (-1011)"));
    } else {
        CHECK_FAILS(adn_conv(dev, &cw_pw, &x, &y_pw, NULL, ADN_ACT_NONE, NULL, 0, 0), INV,
                    "GEMM for conv 3->5 1x1 stride 1 pad 0 dilation 1 on 7x9 (M=5 N=63 K=3): "
                    "matrix A (the weights) (elements 3990..4005) runs past its buffer of 4000");
    }

    adn_tensor p_bad = {b.mem, 200, 3, 4, 4};
    CHECK_FAILS(adn_maxpool(dev, &x, &p_bad, 3, 2, 1), INV, "y is 3x4x4, expected 3x4x5");
    adn_tensor p_ok = {b.mem, 200, 3, 4, 5};
    CHECK_FAILS(adn_maxpool(dev, &x, &p_ok, 3, 2, 2), INV, "at most half");
    adn_tensor g_bad = {b.mem, 200, 2, 1, 1};
    CHECK_FAILS(adn_global_avgpool(dev, &x, &g_bad), INV, "y is 2x1x1, expected 3x1x1");
    adn_tensor rz_bad = {b.mem, 200, 2, 9, 9};
    CHECK_FAILS(adn_resize_bilinear(dev, &x, &rz_bad), INV, "channels must match");
    adn_tensor cp_bad = {b.mem, 200, 3, 7, 8};
    CHECK_FAILS(adn_copy(dev, &x, &cp_bad), INV, "168 elements");
    CHECK_FAILS(adn_flip_horizontal(dev, &x, &cp_bad), INV, "y is 3x7x8, expected 3x7x9");
    adn_tensor fl_over = {b.mem, 100, 3, 7, 9};
    CHECK_FAILS(adn_flip_horizontal(dev, &x, &fl_over), INV, "overlap");

    CHECK_OK(adn_finish(dev));
    float *all = dbuf_read(dev, &b);
    check_untouched("after the failed calls", all, &b, 0, 0, 0, 0);
    free(all);
    dbuf_free(dev, &b);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Under a simulator (the oclgrind tier) the convolutions of more multiply-adds than this are
 * left out: only the layer3 one, whose shape other cases cover in small. */
#define SIMULATOR_MACS 2e7

static double conv_case_macs(const conv_case *cc) {
    int oh = ref_conv_out_dim(cc->h, cc->k, cc->stride, cc->pad, cc->dilation);
    int ow = ref_conv_out_dim(cc->w, cc->k, cc->stride, cc->pad, cc->dilation);
    return (double)cc->cout * cc->cin * cc->k * cc->k * oh * ow;
}

/* A native kernel's arguments: two buffers (their handles, then their host addresses) and
 * where to fail. */
typedef struct native_args {
    void *a, *b;
    size_t na, nb;
    int fail;
    adn_device *dev;
} native_args;

/* a[i] = 2 a[i] + b[i % nb]; b[0] = -1 (or a reported failure) */
static void native_mix(void *p) {
    native_args *g = p;
    if (g->fail) {
        adn_native_report(g->dev, ADNET_ERR_DEVICE, "the test's native kernel failed on purpose");
        return;
    }
    float *a = g->a, *b = g->b;
    for (size_t i = 0; i < g->na; i++) a[i] = 2.0f * a[i] + b[i % g->nb];
    b[0] = -1.0f;
}

/* Native kernels (runtime/native.h) on a device that runs them: in the queue's order between
 * OpenCL kernels (a copy before feeds it, a copy after reads what it wrote), on two buffers
 * named in the order opposite to their creation (PoCL 3.1 swapped such a pair when it put the
 * addresses in itself), of sizes that are no multiple of 64 bytes; a failure reported inside
 * comes back from adn_finish with its message, once. */
static void test_native_kernels(adn_device *dev, tu_rng *rng) {
    if (!adn_device_runs_native(&dev->entry)) {
        printf("  native kernels: the device runs none (skipped)\n");
        return;
    }
    const size_t na = 1003, nb = 77;
    dbuf first = dbuf_new(dev, nb + 2 * na), second = dbuf_new(dev, nb);
    float *src = random_floats(rng, na, -1, 1), *bv = random_floats(rng, nb, -1, 1);
    adn_tensor in = dbuf_put(dev, &first, nb, (int)na, 1, 1, src);
    adn_tensor work = dbuf_put(dev, &first, nb + na, (int)na, 1, 1, NULL);
    adn_tensor out = dbuf_put(dev, &first, 0, (int)nb, 1, 1, NULL);
    dbuf_put(dev, &second, 0, (int)nb, 1, 1, bv);
    CHECK_OK(adn_copy(dev, &in, &work)); /* an OpenCL kernel writes what the native one reads */
    native_args g = {(void *)second.mem, (void *)first.mem, nb, nb, 0, dev};
    /* a: the second buffer's nb floats; b: the first buffer's first nb floats */
    cl_mem mems[2] = {second.mem, first.mem};
    size_t at[2] = {offsetof(native_args, a), offsetof(native_args, b)};
    CHECK_OK(adn_enqueue_native(dev, native_mix, &g, sizeof g, 2, mems, at, "test_native"));
    adn_tensor a_t = {second.mem, 0, (int)nb, 1, 1};
    CHECK_OK(adn_copy(dev, &a_t, &out)); /* an OpenCL kernel reads what the native one wrote */
    CHECK_OK(adn_finish(dev));
    float *all = dbuf_read(dev, &first);
    float *want = malloc(nb * sizeof(float));
    /* b[j] was the first buffer's background before the native kernel: 1000 + j */
    for (size_t j = 0; j < nb; j++) want[j] = 2.0f * bv[j] + (1000.0f + (float)j);
    tu_check_close("native kernel, then a copy of what it wrote", all, want, nb, 0, 0);
    tu_check_close("native kernel: the copy before it", all + nb + na, src, na, 0, 0);
    free(all);
    float *sec = dbuf_read(dev, &second);
    tu_check_close("native kernel's output in place", sec, want, nb, 0, 0);
    free(sec);
    g.fail = 1;
    CHECK_OK(adn_enqueue_native(dev, native_mix, &g, sizeof g, 2, mems, at, "test_native"));
    CHECK_FAILS(adn_finish(dev), ADNET_ERR_DEVICE, "the test's native kernel failed on purpose");
    CHECK_OK(adn_finish(dev)); /* reported once */
    /* arguments the runtime refuses before the driver sees them */
    at[1] = sizeof g;
    CHECK_FAILS(adn_enqueue_native(dev, native_mix, &g, sizeof g, 2, mems, at, "test_native"),
                ADNET_ERR_INTERNAL, "buffer 1 lies outside the arguments");
    free(want);
    free(src);
    free(bv);
    dbuf_free(dev, &first);
    dbuf_free(dev, &second);
    printf("  native kernels: in order, in place, failures reported\n");
}

int main(void) {
    adn_device *devs[8];
    int n = tu_open_devices(devs, 8);
    test_conv_scratch_sizes();
    test_pool_out_dim();
    for (int d = 0; d < n; d++) {
        adn_device *dev = devs[d];
        double t0 = now_s();
        tu_rng rng = tu_rng_seed(42 + (uint64_t)d);
        printf("device %s:\n", dev->entry.info.name);
        test_native_kernels(dev, &rng);
        /* every op in every profile (both GEMM backends, both im2col kernels), whichever the
         * device would pick */
        adn_device_profile chosen = dev->profile, profiles[8];
        int np = tu_profiles(dev, profiles, 8);
        for (int pi = 0; pi < np; pi++) {
            CHECK_OK(adn_device_set_profile(dev, &profiles[pi]));
            char desc[160];
            adn_device_profile_describe(&dev->profile, desc, sizeof desc);
            printf("  profile %s\n", desc);
            for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
                if (!tu_under_simulator() || conv_case_macs(&conv_cases[i]) <= SIMULATOR_MACS)
                    run_conv_case(dev, &conv_cases[i], &rng, FORM_PLAIN);
            /* under a simulator the plain form is left out: conv_cases cover im2col */
            for (size_t i = 0; i < sizeof winograd_cases / sizeof winograd_cases[0]; i++)
                for (int f = tu_under_simulator() ? FORM_WINOGRAD : FORM_PLAIN; f <= FORM_BOTH; f++)
                    run_conv_case(dev, &winograd_cases[i], &rng, (conv_form)f);
            /* the tap form, alone and beside the plain one, on every eligible case */
            if (dev->profile.gemm == ADN_GEMM_ONEDNN) {
                for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
                    adn_conv_shape cs = {conv_cases[i].cin,     conv_cases[i].cout,
                                         conv_cases[i].k,       conv_cases[i].k,
                                         conv_cases[i].stride,  conv_cases[i].pad,
                                         conv_cases[i].dilation};
                    if (adn_conv_taps_eligible(&cs))
                        for (int f = FORM_TAPS; f <= FORM_TAPS_PLAIN; f++)
                            run_conv_case(dev, &conv_cases[i], &rng, (conv_form)f);
                }
                for (size_t i = 0; i < sizeof winograd_cases / sizeof winograd_cases[0]; i++)
                    run_conv_case(dev, &winograd_cases[i], &rng, FORM_TAPS);
                /* oneDNN's convolution on every case it takes, forced where the cost model
                 * would not choose it, from the plain form and (where there is one) the taps */
                const adn_onednn_conv was = dev->profile.onednn_conv;
                dev->profile.onednn_conv = ADN_ONEDNN_CONV_ON;
                for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
                    adn_conv_shape cs = {conv_cases[i].cin,     conv_cases[i].cout,
                                         conv_cases[i].k,       conv_cases[i].k,
                                         conv_cases[i].stride,  conv_cases[i].pad,
                                         conv_cases[i].dilation};
                    if (!adn_conv_direct_eligible(&cs)) continue;
                    run_conv_case(dev, &conv_cases[i], &rng, FORM_DIRECT);
                    if (adn_conv_taps_eligible(&cs))
                        run_conv_case(dev, &conv_cases[i], &rng, FORM_DIRECT_TAPS);
                }
                dev->profile.onednn_conv = was;
            }
            test_bad_arguments(dev);
            test_bias_act(dev, &rng);
            test_maxpool(dev, &rng);
            run_avgpool(dev, &rng, 5, 13, 10);
            run_avgpool(dev, &rng, 3, 1, 1);
            if (!tu_under_simulator()) run_avgpool(dev, &rng, 64, 61, 108);
            test_resize(dev, &rng);
            test_copy_flip(dev, &rng);
        }
        CHECK_OK(adn_device_set_profile(dev, &chosen));
        printf("  (%.2f s on this device)\n", now_s() - t0);
    }
    tu_close_devices(devs, n);
    return tu_finish("test_ops");
}
