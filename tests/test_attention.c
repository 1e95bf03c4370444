/* adn_attention against the double-precision reference of attention_reference.c, on every
 * OpenCL device present: small odd shapes (E and M not multiples of any tile, Mq != Mkv),
 * each output alone, outputs written into channel ranges of bigger tensors (neighbours must
 * stay untouched), scores with a large dynamic range that grow along the keys (so the online
 * maximum is rescaled again and again), forced tile plans (tiny tiles, the fallback kernel,
 * the plans devices with other limits would get), bad arguments, and the DAVIS size
 * M = 61 x 108, E = 128 with both branches, compared over a deterministic sample of columns
 * and timed (informational). */
#include "test_util.h"

#include "attention.h"
#include "attention_reference.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* Anything outside the outputs' channels must keep this value. */
#define SENTINEL 12345.0f
/* Floats around every tensor in its buffer, so that a stray write shows. */
#define PAD 61

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *alloc_floats(size_t n) {
    float *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "out of host memory\n");
        exit(1);
    }
    return p;
}

static void fill(float *x, size_t n, float v) {
    for (size_t i = 0; i < n; i++) x[i] = v;
}

/* A device buffer of n floats filled with the sentinel. */
static cl_mem sentinel_buffer(adn_device *dev, size_t n) {
    cl_mem m;
    float *h = alloc_floats(n);
    fill(h, n, SENTINEL);
    CHECK_OK(adn_buffer_alloc(dev, n * sizeof(float), &m));
    CHECK_OK(adn_buffer_write(dev, m, 0, n * sizeof(float), h));
    free(h);
    return m;
}

/* A device buffer of n floats: the sentinel, with a (len_a floats at off_a) and b (len_b at
 * off_b) copied in (either may be NULL), written in one piece. One write per buffer, not a
 * fill and then writes at offsets: Oclgrind 21.10 forgets what a buffer's earlier writes
 * initialised when a later one covers only part of it (its uninitialised-value checker
 * re-allocates the shadow of the whole buffer at every host write), and the tests run under
 * it (the oclgrind tier). */
static cl_mem image_buffer(adn_device *dev, size_t n, const float *a, size_t off_a, size_t len_a,
                           const float *b, size_t off_b, size_t len_b) {
    cl_mem m;
    float *h = alloc_floats(n);
    fill(h, n, SENTINEL);
    if (a) memcpy(h + off_a, a, len_a * sizeof(float));
    if (b) memcpy(h + off_b, b, len_b * sizeof(float));
    CHECK_OK(adn_buffer_alloc(dev, n * sizeof(float), &m));
    CHECK_OK(adn_buffer_write(dev, m, 0, n * sizeof(float), h));
    free(h);
    return m;
}

static float *read_all(adn_device *dev, cl_mem m, size_t n) {
    float *h = alloc_floats(n);
    CHECK_OK(adn_buffer_read(dev, m, 0, n * sizeof(float), h));
    return h;
}

/* Counts the floats of h[0..n) outside [lo, hi) that lost the sentinel value. */
static size_t count_touched_outside(const float *h, size_t n, size_t lo, size_t hi) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if ((i < lo || i >= hi) && h[i] != SENTINEL) bad++;
    return bad;
}

/* Compares the e x m output at h + off with the reference of all columns. */
static void compare_full(const char *what, const float *h, size_t off, const float *q, int mq,
                         const float *kv, int mkv, int e, double rtol) {
    size_t n = (size_t)e * (size_t)mq;
    double *want_d = malloc(n * sizeof *want_d);
    float *want = alloc_floats(n);
    ref_attention(q, mq, kv, mkv, e, want_d);
    for (size_t i = 0; i < n; i++) want[i] = (float)want_d[i];
    tu_check_close(what, h + off, want, n, 0.0, rtol);
    free(want);
    free(want_d);
}

static const char *kernel_name(adn_attention_kernel k) {
    return k == ADN_ATTN_TILED ? "tiled" : k == ADN_ATTN_ROWS ? "rows (CPU)" : "fallback";
}

static adn_attention_plan make_plan(adn_attention_kernel kernel, int nrb, int ng, int bk,
                                    int branches) {
    adn_attention_plan p = {0};
    p.kernel = kernel;
    p.nrb = nrb;
    p.ng = ng;
    p.bk = bk;
    p.bq = ADN_ATTN_VEC * nrb / branches;
    return p;
}

/* One call of the kernel on random inputs: x0 is e x (h0 x w0), xt is e x (ht x wt), both
 * stored at odd offsets of one buffer; each output wanted is channels [1, 1 + e) of an
 * (e + 2)-channel tensor at an offset of a sentinel-filled buffer. plan NULL: the device's
 * default plan. */
typedef struct call_case {
    int e, h0, w0, ht, wt;
    int anchor, self;
    float lo, hi;  /* input range */
    int grow_keys; /* scale Xt's columns up along j: the running maximum keeps rising */
    double rtol;
} call_case;

static void run_call(adn_device *dev, const call_case *cc, const adn_attention_plan *plan,
                     const char *plan_name, uint64_t seed) {
    const int e = cc->e, m0 = cc->h0 * cc->w0, mt = cc->ht * cc->wt;
    tu_rng rng = tu_rng_seed(seed);
    float *x0 = alloc_floats((size_t)e * m0), *xt = alloc_floats((size_t)e * mt);
    tu_fill_uniform(&rng, x0, (size_t)e * m0, cc->lo, cc->hi);
    tu_fill_uniform(&rng, xt, (size_t)e * mt, cc->lo, cc->hi);
    if (cc->grow_keys)
        for (int c = 0; c < e; c++)
            for (int j = 0; j < mt; j++) xt[(size_t)c * mt + j] *= 0.25f + (float)j / (float)mt;

    /* inputs at odd offsets of their buffers */
    size_t in_n = (size_t)e * m0 + (size_t)e * mt + 3 * PAD;
    size_t x0_off = PAD, xt_off = 2 * PAD + (size_t)e * m0;
    cl_mem in = image_buffer(dev, in_n, x0, x0_off, (size_t)e * m0, xt, xt_off, (size_t)e * mt);
    adn_tensor tx0 = {in, x0_off, e, cc->h0, cc->w0};
    adn_tensor txt = {in, xt_off, e, cc->ht, cc->wt};

    size_t n0 = (size_t)(e + 2) * m0 + 2 * PAD, n1 = (size_t)(e + 2) * mt + 2 * PAD;
    cl_mem b0 = cc->anchor ? sentinel_buffer(dev, n0) : NULL;
    cl_mem b1 = cc->self ? sentinel_buffer(dev, n1) : NULL;
    adn_tensor c0 = {b0, PAD, e + 2, cc->h0, cc->w0}, c1 = {b1, PAD, e + 2, cc->ht, cc->wt};
    adn_tensor o0 = adn_tensor_channels(c0, 1, e), o1 = adn_tensor_channels(c1, 1, e);

    char what[160];
    snprintf(what, sizeof what, "E=%d Mq=%d Mkv=%d %s%s%s", e, m0, mt, cc->anchor ? "anchor " : "",
             cc->self ? "self " : "", plan_name);
    adnet_status st;
    if (plan)
        st = adn_attention_with_plan(dev, plan, cc->anchor ? &tx0 : NULL, &txt,
                                     cc->anchor ? &o0 : NULL, cc->self ? &o1 : NULL);
    else
        st = adn_attention(dev, cc->anchor ? &tx0 : NULL, &txt, cc->anchor ? &o0 : NULL,
                           cc->self ? &o1 : NULL);
    if (st != ADNET_OK) {
        fprintf(stderr, "%s: adn_attention failed: %s\n", what, adnet_last_error());
        tu_failures++;
    } else {
        char label[200];
        if (cc->anchor) {
            float *h = read_all(dev, b0, n0);
            snprintf(label, sizeof label, "%s: anchor", what);
            compare_full(label, h, o0.off, x0, m0, xt, mt, e, cc->rtol);
            size_t bad = count_touched_outside(h, n0, o0.off, o0.off + (size_t)e * m0);
            if (bad) fprintf(stderr, "%s: %zu floats written outside out_anchor\n", what, bad);
            CHECK(bad == 0);
            free(h);
        }
        if (cc->self) {
            float *h = read_all(dev, b1, n1);
            snprintf(label, sizeof label, "%s: self", what);
            compare_full(label, h, o1.off, xt, mt, xt, mt, e, cc->rtol);
            size_t bad = count_touched_outside(h, n1, o1.off, o1.off + (size_t)e * mt);
            if (bad) fprintf(stderr, "%s: %zu floats written outside out_self\n", what, bad);
            CHECK(bad == 0);
            free(h);
        }
        /* the inputs are read-only */
        float *h = read_all(dev, in, in_n);
        CHECK(memcmp(h + tx0.off, x0, (size_t)e * m0 * sizeof(float)) == 0);
        CHECK(memcmp(h + txt.off, xt, (size_t)e * mt * sizeof(float)) == 0);
        free(h);
    }
    adn_buffer_free(dev, in, in_n * sizeof(float));
    if (b0) adn_buffer_free(dev, b0, n0 * sizeof(float));
    if (b1) adn_buffer_free(dev, b1, n1 * sizeof(float));
    free(x0);
    free(xt);
}

/* M as h x w for the small cases. */
static void split_m(int m, int *h, int *w) {
    *h = m == 100 ? 10 : m == 7 ? 7 : 1;
    *w = m / *h;
}

static void test_small_shapes(adn_device *dev) {
    static const int es[] = {1, 3, 17};
    static const int pairs[][2] = {{1, 1},  {7, 7},   {37, 37}, {100, 100},
                                   {7, 37}, {100, 1}, {1, 100}, {37, 7}};
    uint64_t seed = 1;
    for (size_t ie = 0; ie < sizeof es / sizeof es[0]; ie++) {
        for (size_t ip = 0; ip < sizeof pairs / sizeof pairs[0]; ip++) {
            call_case cc = {.e = es[ie], .anchor = 1, .self = 1, .lo = -2, .hi = 2, .rtol = 1e-5};
            split_m(pairs[ip][0], &cc.h0, &cc.w0);
            split_m(pairs[ip][1], &cc.ht, &cc.wt);
            run_call(dev, &cc, NULL, "default plan", seed++);
        }
    }
}

/* Every plan shape on one odd case: the smallest tiles (one key per tile, the fewest rows),
 * tiles that divide nothing, and the fallback kernel. */
static void test_plans(adn_device *dev) {
    static const int es[] = {1, 17};
    uint64_t seed = 100;
    for (size_t ie = 0; ie < sizeof es / sizeof es[0]; ie++) {
        int e = es[ie];
        int ng = (e + ADN_ATTN_COLS - 1) / ADN_ATTN_COLS;
        for (int branches = 1; branches <= 2; branches++) {
            for (int which = 0; which < (branches == 1 ? 2 : 1); which++) {
                call_case cc = {
                    .e = e, .h0 = 5, .w0 = 7, .ht = 3, .wt = 13, .lo = -2, .hi = 2, .rtol = 1e-5};
                cc.anchor = branches == 2 || which == 0;
                cc.self = branches == 2 || which == 1;
                adn_attention_plan tiny = make_plan(ADN_ATTN_TILED, 1, ng, 1, branches);
                adn_attention_plan odd = make_plan(ADN_ATTN_TILED, 3, ng + 1, 3, branches);
                adn_attention_plan direct = make_plan(ADN_ATTN_DIRECT, 0, 0, 0, branches);
                adn_attention_plan rows = make_plan(ADN_ATTN_ROWS, 0, 0, 0, branches);
                run_call(dev, &cc, &tiny, "tiles nrb=1 ng=min bk=1", seed++);
                run_call(dev, &cc, &odd, "tiles nrb=3 ng=min+1 bk=3", seed++);
                run_call(dev, &cc, &direct, "fallback kernel", seed++);
                run_call(dev, &cc, &rows, "rows kernel", seed++);
                /* the rows kernel's tiles are 16 queries by 16 keys: more than one of each,
                 * both partial */
                call_case big = cc;
                big.h0 = 3;
                big.w0 = 13;
                big.ht = 5;
                big.wt = 7;
                run_call(dev, &big, &rows, "rows kernel, 39 queries x 35 keys", seed++);
            }
        }
    }
}

/* Each output alone, with the default plan, where the other branch's tensors are absent. */
static void test_one_output(adn_device *dev) {
    call_case a = {.e = 17,
                   .h0 = 7,
                   .w0 = 11,
                   .ht = 9,
                   .wt = 9,
                   .anchor = 1,
                   .self = 0,
                   .lo = -2,
                   .hi = 2,
                   .rtol = 1e-5};
    run_call(dev, &a, NULL, "default plan", 200);
    call_case s = a;
    s.anchor = 0;
    s.self = 1;
    run_call(dev, &s, NULL, "default plan", 201);
}

/* Scores reaching about +-50, growing along the keys: a softmax without a running maximum
 * overflows, and one that does not rescale its accumulator is wrong. */
static void test_large_range(adn_device *dev) {
    call_case cc = {.e = 17,
                    .h0 = 10,
                    .w0 = 10,
                    .ht = 10,
                    .wt = 10,
                    .anchor = 1,
                    .self = 1,
                    .lo = -5,
                    .hi = 5,
                    .grow_keys = 1,
                    .rtol = 1e-5};
    /* report how far the scores reach for this input (the same generator as run_call) */
    tu_rng rng = tu_rng_seed(300);
    int e = cc.e, m = 100;
    float *x0 = alloc_floats((size_t)e * m), *xt = alloc_floats((size_t)e * m);
    tu_fill_uniform(&rng, x0, (size_t)e * m, cc.lo, cc.hi);
    tu_fill_uniform(&rng, xt, (size_t)e * m, cc.lo, cc.hi);
    for (int c = 0; c < e; c++)
        for (int j = 0; j < m; j++) xt[(size_t)c * m + j] *= 0.25f + (float)j / (float)m;
    int cols[100];
    for (int i = 0; i < m; i++) cols[i] = i;
    double s0 = ref_attention_max_score(x0, m, xt, m, e, cols, m);
    double s1 = ref_attention_max_score(xt, m, xt, m, e, cols, m);
    printf("  large range: max |score| %.1f (anchor), %.1f (self)\n", s0, s1);
    CHECK(s0 > 25 && s1 > 40);
    free(x0);
    free(xt);
    run_call(dev, &cc, NULL, "default plan, large range", 300);
    adn_attention_plan direct = make_plan(0, 0, 0, 0, 2);
    run_call(dev, &cc, &direct, "fallback kernel, large range", 300);
}

/* The classifier's layout: one 3E-channel tensor [attend(X0, Xt) | attend(Xt, Xt) | Xt] where
 * Xt itself is the last channel range, and neighbours before and after. */
static void test_concat_layout(adn_device *dev) {
    const int e = 17, h = 9, w = 11, m = h * w;
    tu_rng rng = tu_rng_seed(400);
    float *x0 = alloc_floats((size_t)e * m), *xt = alloc_floats((size_t)e * m);
    tu_fill_uniform(&rng, x0, (size_t)e * m, -2, 2);
    tu_fill_uniform(&rng, xt, (size_t)e * m, -2, 2);
    size_t n = (size_t)3 * e * m + 2 * PAD;
    size_t xt_off = PAD + (size_t)2 * e * m; /* channels [2E, 3E) of the concat tensor */
    cl_mem cat = image_buffer(dev, n, xt, xt_off, (size_t)e * m, NULL, 0, 0);
    cl_mem b0 = image_buffer(dev, (size_t)e * m, x0, 0, (size_t)e * m, NULL, 0, 0);
    adn_tensor tcat = {cat, PAD, 3 * e, h, w};
    adn_tensor tx0 = {b0, 0, e, h, w};
    adn_tensor txt = adn_tensor_channels(tcat, 2 * e, e);
    adn_tensor oa = adn_tensor_channels(tcat, 0, e), os = adn_tensor_channels(tcat, e, e);
    CHECK(txt.off == xt_off);
    CHECK_OK(adn_attention(dev, &tx0, &txt, &oa, &os));
    float *got = read_all(dev, cat, n);
    compare_full("concat layout: anchor", got, oa.off, x0, m, xt, m, e, 1e-5);
    compare_full("concat layout: self", got, os.off, xt, m, xt, m, e, 1e-5);
    CHECK(memcmp(got + txt.off, xt, (size_t)e * m * sizeof(float)) == 0);
    CHECK(count_touched_outside(got, n, PAD, PAD + (size_t)3 * e * m) == 0);
    free(got);
    adn_buffer_free(dev, cat, n * sizeof(float));
    adn_buffer_free(dev, b0, (size_t)e * m * sizeof(float));
    free(x0);
    free(xt);
}

/* The plans other devices would get (their limits written down here), checked against those
 * limits and run on this device (whose limits are wider) at E = 128 against the reference:
 * the tile sizes a GPU gets are computed right on a CPU too. */
static void test_other_device_plans(adn_device *dev) {
    static const struct {
        const char *name;
        adn_attention_limits lim;
        int tiled; /* expected */
    } devices[] = {
        {"48 KiB local, 1024 work-items (NVIDIA-like)", {1024, {1024, 1024}, 48 << 10}, 1},
        {"64 KiB local, 256 work-items (AMD-like)", {256, {1024, 1024}, 64 << 10}, 1},
        {"64 KiB local, 512 work-items (Intel-like)", {512, {512, 512}, 64 << 10}, 1},
        {"16 KiB local, 128 work-items", {128, {128, 128}, 16 << 10}, 1},
        {"32 work-items", {32, {32, 32}, 32 << 10}, 1},
        {"16 work-items (the fallback)", {16, {16, 16}, 32 << 10}, 0},
        {"4 KiB local (the fallback)", {256, {256, 256}, 4 << 10}, 0},
    };
    adn_attention_limits here;
    CHECK_OK(adn_attention_device_limits(dev, &here));
    adn_device_profile gpu; /* the tile preferences of the profile GPUs get */
    CHECK_OK(adn_device_profile_named("gpu", &dev->entry, &gpu));
    uint64_t seed = 600;
    for (size_t d = 0; d < sizeof devices / sizeof devices[0]; d++) {
        for (int branches = 2; branches >= 1; branches--) {
            adn_attention_plan p;
            CHECK_OK(adn_attention_choose(&gpu, &devices[d].lim, 128, branches, &p));
            printf("  E=128, %d branch(es), %s: %s", branches, devices[d].name,
                   kernel_name(p.kernel));
            if (p.kernel == ADN_ATTN_TILED)
                printf(" %d x %d, bq %d, bk %d, %zu bytes", p.nrb, p.ng, p.bq, p.bk, p.local_bytes);
            printf("\n");
            CHECK((p.kernel == ADN_ATTN_TILED) == devices[d].tiled);
            if (adn_attention_plan_check(&devices[d].lim, 128, branches, &p) != ADNET_OK) {
                fprintf(stderr, "  plan rejected by its own limits: %s\n", adnet_last_error());
                tu_failures++;
            }
            if (p.kernel == ADN_ATTN_TILED && devices[d].lim.local_bytes >= (48 << 10))
                CHECK(p.bk >= 32); /* the query block shrinks before the key tile goes below 32 */
            if (adn_attention_plan_check(&here, 128, branches, &p) != ADNET_OK) continue;
            call_case cc = {.e = 128,
                            .h0 = 9,
                            .w0 = 37,
                            .ht = 12,
                            .wt = 25,
                            .anchor = 1,
                            .self = 1,
                            .lo = -2,
                            .hi = 2,
                            .rtol = 1e-5};
            cc.anchor = branches == 2;
            run_call(dev, &cc, &p, devices[d].name, seed++);
        }
    }
}

/* Bad arguments fail with a message naming the problem and leave the outputs untouched. */
static void test_bad_arguments(adn_device *dev) {
    const int e = 3, m = 20;
    size_t n = 1024; /* room for the E = 17 tensors below too */
    cl_mem buf = sentinel_buffer(dev, n);
    adn_tensor x0 = {buf, 0, e, 4, 5}, xt = {buf, (size_t)e * m, e, 4, 5};
    adn_tensor oa = {buf, (size_t)2 * e * m, e, 4, 5}, os = {buf, (size_t)3 * e * m, e, 4, 5};
    adn_tensor x0_wrong_e = {buf, 0, e + 1, 4, 5};
    adn_tensor oa_wrong_shape = {buf, (size_t)2 * e * m, e, 5, 4};
    adn_tensor os_over_xt = {buf, (size_t)e * m + 1, e, 4, 5};
    adn_tensor os_over_oa = {buf, (size_t)2 * e * m + 5, e, 4, 5};
    adn_tensor past_end = {buf, n - 10, e, 4, 5};
    adn_tensor empty = {buf, 0, 0, 4, 5};
    const adnet_status INV = ADNET_ERR_INVALID_ARGUMENT;
    CHECK_FAILS(adn_attention(dev, &x0_wrong_e, &xt, &oa, &os), INV, "channels");
    CHECK_FAILS(adn_attention(dev, &x0, &xt, &oa_wrong_shape, &os), INV, "out_anchor");
    CHECK_FAILS(adn_attention(dev, &x0, &xt, &oa, &os_over_xt), INV, "overlaps");
    CHECK_FAILS(adn_attention(dev, &x0, &xt, &oa, &os_over_oa), INV, "overlap");
    CHECK_FAILS(adn_attention(dev, &x0, &xt, &past_end, NULL), INV, "past the end");
    CHECK_FAILS(adn_attention(dev, NULL, &xt, &oa, NULL), INV, "x0 is missing");
    CHECK_FAILS(adn_attention(dev, &x0, &empty, NULL, &os), INV, "empty");
    CHECK_FAILS(adn_attention(dev, &x0, NULL, &oa, NULL), INV, "xt");
    /* plans a device cannot run, or that do not cover E */
    adn_tensor x0b = {buf, 0, 17, 2, 5}, xtb = {buf, 170, 17, 2, 5};
    adn_tensor oab = {buf, 340, 17, 2, 5}, osb = {buf, 510, 17, 2, 5};
    adn_attention_plan narrow = make_plan(1, 2, 4, 4, 2);
    CHECK_FAILS(adn_attention_with_plan(dev, &narrow, &x0b, &xtb, &oab, &osb), INV, "E is 17");
    adn_attention_plan wide_bk = make_plan(1, 2, 5, 21, 2);
    CHECK_FAILS(adn_attention_with_plan(dev, &wide_bk, &x0b, &xtb, &oab, &osb), INV, "bk 21");
    adn_attention_plan bad_bq = make_plan(1, 2, 5, 4, 2);
    bad_bq.bq = 3;
    CHECK_FAILS(adn_attention_with_plan(dev, &bad_bq, &x0b, &xtb, &oab, &osb), INV, "bq 3");
    adn_attention_plan huge = make_plan(1, 1 << 20, 5, 4, 2);
    CHECK_FAILS(adn_attention_with_plan(dev, &huge, &x0b, &xtb, &oab, &osb), INV, "work-group");
    CHECK_OK(adn_finish(dev));
    float *h = read_all(dev, buf, n);
    CHECK(count_touched_outside(h, n, 0, 0) == 0);
    free(h);
    /* asking for nothing is no error and writes nothing */
    CHECK_OK(adn_attention(dev, &x0, &xt, NULL, NULL));
    adn_buffer_free(dev, buf, n * sizeof(float));
}

/* The DAVIS size with both branches, on the given plan. The full reference costs 22 G
 * multiply-adds in double, so the check covers a deterministic sample of columns (first, last
 * and random ones), all E rows each. */
static void test_davis_size(adn_device *dev, const adn_attention_plan *the_plan) {
    enum { E = 128, H = 61, W = 108, M = H * W, NCOLS = 192 };
    tu_rng rng = tu_rng_seed(500);
    float *x0 = alloc_floats((size_t)E * M), *xt = alloc_floats((size_t)E * M);
    tu_fill_uniform(&rng, xt, (size_t)E * M, -2, 2);
    /* the anchor resembles the current frame, as consecutive frames of a video do */
    for (size_t i = 0; i < (size_t)E * M; i++) x0[i] = xt[i] + tu_uniform(&rng, -1, 1);
    cl_mem buf;
    size_t n = (size_t)4 * E * M;
    CHECK_OK(adn_buffer_alloc(dev, n * sizeof(float), &buf));
    adn_tensor tx0 = {buf, 0, E, H, W}, txt = {buf, (size_t)E * M, E, H, W};
    adn_tensor oa = {buf, (size_t)2 * E * M, E, H, W}, os = {buf, (size_t)3 * E * M, E, H, W};
    CHECK_OK(adn_buffer_write(dev, buf, 0, (size_t)E * M * sizeof(float), x0));
    CHECK_OK(
        adn_buffer_write(dev, buf, txt.off * sizeof(float), (size_t)E * M * sizeof(float), xt));
    adn_attention_plan plan = *the_plan;
    /* a first launch with these work-group sizes may compile the kernel for them (PoCL does):
     * keep that out of the timing with a small call of the same plan */
    adn_tensor w0 = {buf, 0, E, 1, 9}, wt = {buf, (size_t)E * M, E, 1, 9};
    adn_tensor wa = {buf, oa.off, E, 1, 9}, ws = {buf, os.off, E, 1, 9};
    CHECK_OK(adn_attention_with_plan(dev, &plan, &w0, &wt, &wa, &ws));
    CHECK_OK(adn_finish(dev));
    double t0 = now_s();
    CHECK_OK(adn_attention_with_plan(dev, &plan, &tx0, &txt, &oa, &os));
    CHECK_OK(adn_finish(dev));
    double dt = now_s() - t0;
    double flops = 2.0 * 2.0 * adn_attention_macs(E, M, M);
    if (plan.kernel == ADN_ATTN_TILED)
        printf("  DAVIS size M=%d E=%d, both branches: %.3f s, %.1f GFLOP/s "
               "(local size %d x %d, bq %d, bk %d, %zu bytes of local memory)\n",
               M, E, dt, flops / dt * 1e-9, plan.nrb, plan.ng, plan.bq, plan.bk, plan.local_bytes);
    else
        printf("  DAVIS size M=%d E=%d, both branches: %.3f s, %.1f GFLOP/s (%s kernel)\n", M, E,
               dt, flops / dt * 1e-9, kernel_name(plan.kernel));

    int cols[NCOLS];
    cols[0] = 0;
    cols[NCOLS - 1] = M - 1;
    for (int i = 1; i < NCOLS - 1; i++) cols[i] = (int)tu_uniform(&rng, 0, (float)M - 0.5f);
    float *got = alloc_floats((size_t)2 * E * M);
    CHECK_OK(
        adn_buffer_read(dev, buf, oa.off * sizeof(float), (size_t)2 * E * M * sizeof(float), got));
    double *want_d = malloc((size_t)E * NCOLS * sizeof *want_d);
    float *want = alloc_floats((size_t)E * NCOLS), *sample = alloc_floats((size_t)E * NCOLS);
    for (int branch = 0; branch < 2; branch++) {
        const float *q = branch == 0 ? x0 : xt;
        ref_attention_columns(q, M, xt, M, E, cols, NCOLS, want_d);
        for (int c = 0; c < E; c++)
            for (int k = 0; k < NCOLS; k++) {
                want[(size_t)c * NCOLS + k] = (float)want_d[(size_t)c * NCOLS + k];
                sample[(size_t)c * NCOLS + k] =
                    got[(size_t)branch * E * M + (size_t)c * M + (size_t)cols[k]];
            }
        tu_check_close(branch == 0 ? "DAVIS size: anchor, 192 sampled columns"
                                   : "DAVIS size: self, 192 sampled columns",
                       sample, want, (size_t)E * NCOLS, 0.0, 1e-5);
    }
    free(want_d);
    free(want);
    free(sample);
    free(got);
    adn_buffer_free(dev, buf, n * sizeof(float));
    free(x0);
    free(xt);
}

int main(void) {
    adn_device *devs[8];
    int n = tu_open_devices(devs, 8);
    for (int d = 0; d < n; d++) {
        adn_device *dev = devs[d];
        adn_attention_plan p;
        CHECK_OK(adn_attention_plan_for(dev, 128, 2, &p));
        printf("%s: default plan for E=128, 2 branches: %s kernel\n", dev->entry.info.name,
               kernel_name(p.kernel));
        /* the kernel the device's profile names (rows on CPU devices, tiled elsewhere), and
         * in every test profile the one it names */
        CHECK(p.kernel == dev->profile.attention);
        adn_device_profile own = dev->profile, profiles[8], gpu;
        int np = tu_profiles(dev, profiles, 8);
        for (int i = 0; i < np; i++) {
            CHECK_OK(adn_device_set_profile(dev, &profiles[i]));
            adn_attention_plan q;
            CHECK_OK(adn_attention_plan_for(dev, 128, 2, &q));
            CHECK(q.kernel == profiles[i].attention);
        }
        CHECK_OK(adn_device_set_profile(dev, &own));
        CHECK_OK(adn_device_profile_named("gpu", &dev->entry, &gpu));
        /* the tiled plan under this device's limits: 32 work-items and a few KiB of local
         * memory, which any OpenCL device offers */
        adn_attention_limits lim;
        adn_attention_plan tiled;
        CHECK_OK(adn_attention_device_limits(dev, &lim));
        CHECK_OK(adn_attention_choose(&gpu, &lim, 128, 2, &tiled));
        printf("  tiled plan: local size %d x %d, bq %d, bk %d\n", tiled.nrb, tiled.ng, tiled.bq,
               tiled.bk);
        CHECK(tiled.kernel == ADN_ATTN_TILED);
        test_small_shapes(dev);
        test_plans(dev);
        test_one_output(dev);
        test_large_range(dev);
        test_concat_layout(dev);
        if (!tu_under_simulator()) test_other_device_plans(dev);
        test_bad_arguments(dev);
        if (!tu_under_simulator()) {
            test_davis_size(dev, &p);
            if (p.kernel != ADN_ATTN_TILED) test_davis_size(dev, &tiled);
        }
    }
    tu_close_devices(devs, n);
    return tu_finish("test_attention");
}
