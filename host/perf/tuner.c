#include "tuner.h"

#include "arch.h"
#include "benchmark.h"
#include "buffers.h"
#include "gemm.h"
#include "gemm_clblast.h"
#include "graph.h"
#include "ops.h"
#include "status.h"
#include "tuning.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One matrix product of the network, and how often a frame runs it. Products wider than
 * MAX_COLUMNS are measured on their first MAX_COLUMNS columns and their time scaled up: the
 * GEMMs' work per column tile is the same, and 128 tiles keep every core of a device busy. */
typedef struct gemm_shape {
    size_t m, n, k;
    int panels; /* B in panels (a kxk convolution's im2col on a panels profile) */
    int count;
    double scale; /* the network's columns over the measured ones */
} gemm_shape;

enum { MAX_COLUMNS = 4096 };

/* The search's state on one device. */
typedef struct tuner {
    adn_device *dev;
    const adn_tune_config *cfg;
    adn_tune_result *r;
    double t_end;
    gemm_shape shapes[6];
    int n_shapes;
    cl_mem a, b, c;
    size_t a_floats, b_floats, c_floats;
    float *ref, *out; /* the defaults' C of the last product, and a candidate's */
    size_t check_floats;
    /* the attention's inputs and outputs */
    adn_tensor x0, xt, o_anchor, o_self;
    cl_mem attn_mem;
    size_t attn_bytes;
    int branches;
} tuner;

static adnet_status add_trial(tuner *t, const char *group, const char *params, double ms,
                              const char *status) {
    adn_tune_result *r = t->r;
    adn_tune_trial *grown = realloc(r->trials, (size_t)(r->n_trials + 1) * sizeof *grown);
    if (!grown) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    r->trials = grown;
    adn_tune_trial *tr = &r->trials[r->n_trials++];
    memset(tr, 0, sizeof *tr);
    snprintf(tr->group, sizeof tr->group, "%s", group);
    snprintf(tr->params, sizeof tr->params, "%s", params);
    snprintf(tr->status, sizeof tr->status, "%s", status);
    tr->ms = ms;
    if (t->cfg->progress) t->cfg->progress(t->cfg->ctx, group, params, ms, status);
    return ADNET_OK;
}

static int by_work(const void *x, const void *y) {
    const gemm_shape *a = x, *b = y;
    double wa = (double)a->count * (double)a->m * (double)a->n * (double)a->k;
    double wb = (double)b->count * (double)b->m * (double)b->n * (double)b->k;
    return wa < wb ? 1 : wa > wb ? -1 : 0;
}

/* The network's distinct convolution products at the configured size, the largest first. */
static adnet_status collect_shapes(tuner *t) {
    const adn_tune_config *c = t->cfg;
    adn_arch arch;
    ADN_TRY(adn_arch_make(c->kind, c->depth, c->kind == ADNET_MODEL_BASE ? 1 : 128, &arch));
    adn_layer_desc *layers;
    int n_layers;
    ADN_TRY(adn_arch_layers(&arch, &layers, &n_layers));
    adn_graph g;
    memset(&g, 0, sizeof g);
    size_t cap = t->dev->profile.scratch_cap_bytes / sizeof(float);
    adnet_status st =
        adn_graph_build(&g, &arch, layers, n_layers, cap, ADN_GRAPH_FRAME, c->width, c->height);
    if (st == ADNET_OK) st = adn_graph_plan(&g);
    gemm_shape *all = NULL;
    int n_all = 0;
    double total = 0;
    if (st == ADNET_OK) {
        all = calloc((size_t)g.ns + 1, sizeof *all);
        if (!all) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (int i = 0; st == ADNET_OK && i < g.ns; i++) {
        if (g.s[i].info.op != ADN_STEP_CONV) continue;
        const adn_conv_shape *sh = &layers[g.s[i].layer].shape;
        gemm_shape s = {(size_t)sh->cout,
                        (size_t)g.infos[i].out_h * (size_t)g.infos[i].out_w,
                        (size_t)sh->cin * (size_t)(sh->kh * sh->kw),
                        sh->kh * sh->kw > 1 && t->dev->profile.gemm_b_panels,
                        1,
                        1.0};
        total += (double)s.m * (double)s.n * (double)s.k;
        int j = 0;
        while (j < n_all &&
               (all[j].m != s.m || all[j].n != s.n || all[j].k != s.k || all[j].panels != s.panels))
            j++;
        if (j == n_all)
            all[n_all++] = s;
        else
            all[j].count++;
    }
    if (st == ADNET_OK) {
        qsort(all, (size_t)n_all, sizeof *all, by_work);
        double covered = 0;
        for (int j = 0; j < n_all && t->n_shapes < 6 && covered < 0.8 * total; j++) {
            covered += (double)all[j].count * (double)all[j].m * (double)all[j].n * all[j].k;
            gemm_shape s = all[j];
            s.scale = 1;
            if (s.n > MAX_COLUMNS) {
                s.scale = (double)s.n / MAX_COLUMNS;
                s.n = MAX_COLUMNS;
            }
            t->shapes[t->n_shapes++] = s;
        }
        /* the weights count per product: the network's runs of it */
        t->r->coverage = total > 0 ? covered / total : 0;
        t->r->n_shapes = t->n_shapes;
        int fw, fh;
        adn_feature_size(c->width, c->height, &fw, &fh);
        t->branches = c->kind == ADNET_MODEL_AD                                      ? 2
                      : c->kind == ADNET_MODEL_INTER || c->kind == ADNET_MODEL_INTRA ? 1
                                                                                     : 0;
        t->x0 = (adn_tensor){NULL, 0, arch.embed, fh, fw};
        snprintf(t->r->network, sizeof t->r->network, "%s R%d %dx%d",
                 adnet_model_kind_name(c->kind), c->depth, c->width, c->height);
    }
    free(all);
    adn_graph_free(&g);
    free(layers);
    return st;
}

/* Deterministic values in [-1, 1) for a buffer of n floats. */
static adnet_status fill_random(adn_device *dev, cl_mem mem, size_t n, uint64_t seed) {
    float *v = malloc(n * sizeof *v);
    if (!v) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v[i] = (float)((s >> 40) & 0xFFFF) / 32768.0f - 1.0f;
    }
    adnet_status st = adn_buffer_write(dev, mem, 0, n * sizeof *v, v);
    free(v);
    return st;
}

static adnet_status alloc_gemm(tuner *t) {
    for (int i = 0; i < t->n_shapes; i++) {
        const gemm_shape *s = &t->shapes[i];
        size_t panels = (s->n + ADN_GEMM_PANEL - 1) / ADN_GEMM_PANEL;
        size_t b = s->panels ? panels * ADN_GEMM_PANEL * s->k : s->k * s->n;
        if (s->m * s->k > t->a_floats) t->a_floats = s->m * s->k;
        if (b > t->b_floats) t->b_floats = b;
        if (s->m * s->n > t->c_floats) t->c_floats = s->m * s->n;
    }
    ADN_TRY(adn_buffer_alloc(t->dev, t->a_floats * sizeof(float), &t->a));
    ADN_TRY(adn_buffer_alloc(t->dev, t->b_floats * sizeof(float), &t->b));
    ADN_TRY(adn_buffer_alloc(t->dev, t->c_floats * sizeof(float), &t->c));
    ADN_TRY(fill_random(t->dev, t->a, t->a_floats, 1));
    ADN_TRY(fill_random(t->dev, t->b, t->b_floats, 2));
    const gemm_shape *last = &t->shapes[t->n_shapes - 1];
    t->check_floats = last->m * last->n;
    t->ref = malloc(t->check_floats * sizeof *t->ref);
    t->out = malloc(t->check_floats * sizeof *t->out);
    if (!t->ref || !t->out) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    return ADNET_OK;
}

static adnet_status run_gemm(tuner *t, const gemm_shape *s) {
    if (s->panels)
        return adn_gemm_b_panels(t->dev, s->m, s->n, s->k, t->a, 0, s->k, t->b, 0, t->c, 0, s->n,
                                 "adnet tune");
    return adn_gemm(t->dev, s->m, s->n, s->k, t->a, 0, s->k, t->b, 0, s->n, t->c, 0, s->n,
                    "adnet tune", 0);
}

/* The best of a few timed runs of one product (the first run untimed: kernels compile). */
static adnet_status time_one(tuner *t, adnet_status (*run)(tuner *, const gemm_shape *),
                             const gemm_shape *s, double *best) {
    ADN_TRY(run(t, s));
    ADN_TRY(adn_finish(t->dev));
    *best = INFINITY;
    double started = now_seconds();
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_seconds();
        ADN_TRY(run(t, s));
        ADN_TRY(adn_finish(t->dev));
        double dt = now_seconds() - t0;
        if (dt < *best) *best = dt;
        if (rep >= 2 && now_seconds() - started > 0.3) break;
    }
    return ADNET_OK;
}

/* Compares a candidate's output with the defaults': float noise only (summation order). */
static int agrees(const float *ref, const float *out, size_t n, double *rel) {
    double scale = 0, diff = 0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs((double)ref[i]), d = fabs((double)ref[i] - (double)out[i]);
        if (a > scale) scale = a;
        if (!(d <= diff)) diff = d; /* also catches NaN */
    }
    *rel = scale > 0 ? diff / scale : diff;
    return *rel <= 1e-4;
}

/* Reads the candidate's results (check_floats from mem at off floats) and compares them with
 * the reference, or records them as the reference; the verdict goes to status. */
static adnet_status check_results(tuner *t, cl_mem mem, size_t off, int record, char *status,
                                  size_t cap) {
    float *dst = record ? t->ref : t->out;
    ADN_TRY(adn_buffer_read(t->dev, mem, off * sizeof(float), t->check_floats * sizeof *dst, dst));
    double rel = 0;
    if (!record && !agrees(t->ref, t->out, t->check_floats, &rel))
        snprintf(status, cap, "refused: results differ from the defaults' by %.2g of their range",
                 rel);
    else
        snprintf(status, cap, "ok");
    return ADNET_OK;
}

/* Runs the group's products with profile p on the device: their weighted time in ms, and
 * whether their results agree with the reference (the first call records it). */
static adnet_status measure_gemm(tuner *t, const adn_device_profile *p, int record, double *ms,
                                 char *status, size_t cap) {
    ADN_TRY(adn_device_set_profile(t->dev, p));
    double total = 0;
    for (int i = 0; i < t->n_shapes; i++) {
        double s;
        ADN_TRY(time_one(t, run_gemm, &t->shapes[i], &s));
        total += t->shapes[i].count * t->shapes[i].scale * s;
    }
    *ms = 1e3 * total;
    return check_results(t, t->c, 0, record, status, cap);
}

static adnet_status run_attention(tuner *t, const gemm_shape *unused) {
    (void)unused;
    adnet_model_kind k = t->cfg->kind;
    return adn_attention(t->dev, &t->x0, &t->xt, k == ADNET_MODEL_INTRA ? NULL : &t->o_anchor,
                         k == ADNET_MODEL_INTER ? NULL : &t->o_self);
}

static adnet_status alloc_attention(tuner *t) {
    size_t n = adn_tensor_count(&t->x0);
    t->attn_bytes = 4 * n * sizeof(float);
    ADN_TRY(adn_buffer_alloc(t->dev, t->attn_bytes, &t->attn_mem));
    /* the outputs too: a branch the model does not run keeps the same values throughout */
    ADN_TRY(fill_random(t->dev, t->attn_mem, 4 * n, 3));
    t->x0.mem = t->attn_mem;
    t->xt = t->x0;
    t->xt.off = n;
    t->o_anchor = t->x0;
    t->o_anchor.off = 2 * n;
    t->o_self = t->x0;
    t->o_self.off = 3 * n;
    free(t->ref);
    free(t->out);
    t->check_floats = 2 * n;
    t->ref = malloc(t->check_floats * sizeof *t->ref);
    t->out = malloc(t->check_floats * sizeof *t->out);
    if (!t->ref || !t->out) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    return ADNET_OK;
}

static adnet_status measure_attention(tuner *t, const adn_device_profile *p, int record, double *ms,
                                      char *status, size_t cap) {
    ADN_TRY(adn_device_set_profile(t->dev, p));
    double s;
    ADN_TRY(time_one(t, run_attention, NULL, &s));
    *ms = 1e3 * s;
    return check_results(t, t->attn_mem, t->o_anchor.off, record, status, cap);
}

/* A candidate replaces the defaults only when it is this much faster: timings of the same
 * kernels vary by a percent or two from run to run, and a choice should not flip with them. */
#define KEEP_DEFAULTS 0.98

typedef adnet_status (*measure_fn)(tuner *, const adn_device_profile *, int, double *, char *,
                                   size_t);

static void describe(const adn_device_profile *p, const adn_tunable *which, int n, char *dst,
                     size_t cap) {
    size_t len = 0;
    dst[0] = '\0';
    for (int i = 0; i < n && len < cap; i++) {
        int v = adn_tunable_get(p, which[i]);
        if (v < 0) /* CLBlast's own choice */
            len += (size_t)snprintf(dst + len, cap - len, "%s%s own", i ? ", " : "",
                                    adn_tunable_name(which[i]));
        else
            len += (size_t)snprintf(dst + len, cap - len, "%s%s %d", i ? ", " : "",
                                    adn_tunable_name(which[i]), v);
    }
}

/* Measures candidate p of a group: the trial is recorded; *ms < 0 when it was not measured
 * (budget) or failed. A failure of the device itself (not of the candidate's values) ends the
 * search. */
static adnet_status try_candidate(tuner *t, const char *group, measure_fn measure,
                                  const adn_device_profile *p, const adn_tunable *which, int nw,
                                  double *ms) {
    char params[96], status[120];
    describe(p, which, nw, params, sizeof params);
    *ms = -1;
    if (now_seconds() > t->t_end) return add_trial(t, group, params, -1, "not measured: budget");
    adnet_status st = measure(t, p, 0, ms, status, sizeof status);
    if (st != ADNET_OK) {
        snprintf(status, sizeof status, "failed: %.110s", adnet_last_error());
        adn_clear_error();
        *ms = -1;
        if (st == ADNET_ERR_DEVICE_LOST) return st;
    } else if (strncmp(status, "ok", 2)) {
        *ms = -1;
    }
    return add_trial(t, group, params, *ms, status);
}

static void mark_chosen(tuner *t, int first_trial, const char *params) {
    for (int i = first_trial; i < t->r->n_trials; i++)
        if (!strcmp(t->r->trials[i].params, params) && t->r->trials[i].ms >= 0) {
            t->r->trials[i].chosen = 1;
            return;
        }
}

/* A group searched over the full grid of its (one or two) tunables, the defaults first. */
static adnet_status search_grid(tuner *t, const char *group, measure_fn measure,
                                const adn_tunable *which, int nw, adn_device_profile *best,
                                double *default_ms, double *best_ms) {
    char status[120], params[96];
    adn_device_profile base = *best;
    int first_trial = t->r->n_trials;
    ADN_TRY(measure(t, &base, 1, default_ms, status, sizeof status));
    describe(&base, which, nw, params, sizeof params);
    ADN_TRY(add_trial(t, group, params, *default_ms, "ok (the defaults)"));
    *best_ms = *default_ms;
    int n0, n1 = 1;
    const int *v0 = adn_tunable_candidates(which[0], &n0);
    const int *v1 = nw > 1 ? adn_tunable_candidates(which[1], &n1) : NULL;
    for (int i = 0; i < n0; i++)
        for (int j = 0; j < n1; j++) {
            adn_device_profile p = base;
            adn_tunable_set(&p, which[0], v0[i]);
            if (v1) adn_tunable_set(&p, which[1], v1[j]);
            if (adn_tunable_get(&p, which[0]) == adn_tunable_get(&base, which[0]) &&
                (!v1 || adn_tunable_get(&p, which[1]) == adn_tunable_get(&base, which[1])))
                continue; /* the defaults: measured first */
            double ms;
            ADN_TRY(try_candidate(t, group, measure, &p, which, nw, &ms));
            int from_defaults = *best_ms == *default_ms;
            if (ms >= 0 && ms < (from_defaults ? KEEP_DEFAULTS : 1.0) * *best_ms) {
                *best_ms = ms;
                *best = p;
            }
        }
    describe(best, which, nw, params, sizeof params);
    mark_chosen(t, first_trial, params);
    return adn_device_set_profile(t->dev, best);
}

/* CLBlast's sets one tunable after another: its own choice first (CLBlast keeps a set given once
 * for the process, so its own is measured before any). The result either keeps CLBlast's own for
 * everything or gives all three sets, never a mixture that was not measured. */
static adnet_status search_clblast(tuner *t, adn_device_profile *best, double *default_ms,
                                   double *best_ms) {
    static const adn_tunable which[3] = {ADN_TUNE_CLBLAST_XGEMM, ADN_TUNE_CLBLAST_DIRECT,
                                         ADN_TUNE_CLBLAST_THRESHOLD};
    char status[120], params[96];
    adn_device_profile own = *best;
    int first_trial = t->r->n_trials;
    /* CLBlast's own, or (when this process gave it parameters before) the last ones given:
     * either way the reference results and the time to beat */
    int own_measurable = !adn_gemm_clblast_params_given(t->dev);
    ADN_TRY(measure_gemm(t, &own, 1, default_ms, status, sizeof status));
    describe(&own, which, 3, params, sizeof params);
    ADN_TRY(add_trial(t, "clblast", params, *default_ms,
                      own_measurable ? "ok (CLBlast's own)"
                                     : "ok (the parameters given before in this process)"));
    /* the start of the explicit search: set 0 of each and CLBlast's default switch (512^3) */
    adn_device_profile cur = own;
    cur.clblast_xgemm = 0;
    cur.clblast_direct = 0;
    cur.clblast_threshold = 512;
    double cur_ms = INFINITY;
    for (int w = 0; w < 3; w++) {
        int n;
        const int *v = adn_tunable_candidates(which[w], &n);
        adn_device_profile round_best = cur;
        for (int i = 0; i < n; i++) {
            adn_device_profile p = cur;
            adn_tunable_set(&p, which[w], v[i]);
            if (w > 0 && v[i] == adn_tunable_get(&cur, which[w])) continue; /* measured */
            double ms;
            ADN_TRY(try_candidate(t, "clblast", measure_gemm, &p, which, 3, &ms));
            if (ms >= 0 && ms < cur_ms) {
                cur_ms = ms;
                round_best = p;
            }
        }
        cur = round_best;
    }
    *best_ms = *default_ms;
    if (cur_ms < KEEP_DEFAULTS * *default_ms) {
        *best = cur;
        *best_ms = cur_ms;
    }
    describe(best, which, 3, params, sizeof params);
    mark_chosen(t, first_trial, params);
    return ADNET_OK;
}

static void release(tuner *t) {
    if (t->a) adn_buffer_free(t->dev, t->a, t->a_floats * sizeof(float));
    if (t->b) adn_buffer_free(t->dev, t->b, t->b_floats * sizeof(float));
    if (t->c) adn_buffer_free(t->dev, t->c, t->c_floats * sizeof(float));
    if (t->attn_mem) adn_buffer_free(t->dev, t->attn_mem, t->attn_bytes);
    free(t->ref);
    free(t->out);
    adn_device_close(t->dev);
}

adnet_status adn_tune(const adn_device_entry *e, const adn_tune_config *c, adn_tune_result *r) {
    memset(r, 0, sizeof *r);
    if (c->width < 1 || c->height < 1 || c->budget_s <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet tune: size %dx%d, budget %g s", c->width,
                        c->height, c->budget_s);
    tuner t;
    memset(&t, 0, sizeof t);
    t.cfg = c;
    t.r = r;
    ADN_TRY(adn_device_open_entry(e, ADN_DEVICE_UNTUNED, &t.dev));
    r->untuned = r->tuned = t.dev->profile;
    adnet_status st = collect_shapes(&t);
    adn_device_profile best = t.dev->profile;
    double def = 0, tuned = 0, d, b;
    /* oneDNN picks its own blocking: the GEMM group has nothing to search there */
    int gemm_group = t.n_shapes > 0 && best.gemm != ADN_GEMM_ONEDNN;
    int attn_group = t.branches > 0 && best.attention == ADN_ATTN_TILED;
    /* each group gets an equal share of what is left of the budget */
    double start = now_seconds();
    if (st == ADNET_OK && gemm_group) st = alloc_gemm(&t);
    t.t_end = start + c->budget_s / (gemm_group + attn_group > 0 ? gemm_group + attn_group : 1);
    if (st == ADNET_OK && gemm_group && best.gemm == ADN_GEMM_ADNET) {
        static const adn_tunable which[2] = {ADN_TUNE_GEMM_MC, ADN_TUNE_GEMM_KC};
        st = search_grid(&t, "gemm", measure_gemm, which, 2, &best, &d, &b);
        def += d;
        tuned += b;
    }
    if (st == ADNET_OK && gemm_group && best.gemm == ADN_GEMM_CLBLAST) {
        st = search_clblast(&t, &best, &d, &b);
        def += d;
        tuned += b;
    }
    t.t_end = start + c->budget_s;
    if (st == ADNET_OK && attn_group) {
        static const adn_tunable which[2] = {ADN_TUNE_ATTN_THREADS, ADN_TUNE_ATTN_MAX_BK};
        st = alloc_attention(&t);
        if (st == ADNET_OK)
            st = search_grid(&t, "attention", measure_attention, which, 2, &best, &d, &b);
        def += d;
        tuned += b;
    }
    r->frame_ms = -1;
    if (st == ADNET_OK) {
        r->tuned = best;
        r->default_ms = def;
        r->tuned_ms = tuned;
        st = adn_tuning_store(e, &best, r->network, def, tuned, -1, r->path, sizeof r->path);
    }
    release(&t);
    if (st == ADNET_OK && c->frame_frames > 0) {
        /* the device opened afresh picks the entry just written: a frame with the tuned values */
        adn_bench_config bc;
        adn_bench_config_default(&bc);
        bc.kind = c->kind;
        bc.depth = c->depth;
        bc.width = c->width;
        bc.height = c->height;
        bc.frames = c->frame_frames;
        bc.warmup = 1;
        double s = -1;
        st = adn_bench_frame_time(e, &bc, &s);
        if (st == ADNET_OK) {
            r->frame_ms = 1000.0 * s;
            st = adn_tuning_store(e, &best, r->network, def, tuned, r->frame_ms, r->path,
                                  sizeof r->path);
        }
    }
    if (st != ADNET_OK) adn_tune_result_free(r);
    return st;
}

void adn_tune_result_free(adn_tune_result *r) {
    free(r->trials);
    r->trials = NULL;
    r->n_trials = 0;
}
