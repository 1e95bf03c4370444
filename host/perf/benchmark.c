#include "benchmark.h"

#include "files.h"
#include "image.h"
#include "peak.h"
#include "postproc.h"
#include "program.h"
#include "status.h"
#include "weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void adn_bench_config_default(adn_bench_config *c) {
    memset(c, 0, sizeof *c);
    c->kind = ADNET_MODEL_AD;
    c->depth = 101;
    c->seed = 1;
    c->width = 857;
    c->height = 481;
    c->frames = 5;
    c->warmup = 1;
    c->peak_fma = 1;
    c->peak_gemm_n = 2048;
    c->peak_seconds = 1.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void adn_timing_from(adn_timing *t, const double *samples, int n) {
    memset(t, 0, sizeof *t);
    if (n <= 0) return;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) return;
    memcpy(s, samples, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += s[i];
    t->n = n;
    t->mean_s = sum / n;
    t->median_s = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    t->min_s = s[0];
    t->max_s = s[n - 1];
    free(s);
}

/* ---- weights and model ------------------------------------------------------------- */

adnet_status adn_bench_open_weights(const adn_bench_config *c, adn_weights **w, adn_arch *arch) {
    *w = NULL;
    if (c->weights_path) {
        ADN_TRY(adn_weights_open(c->weights_path, w));
        adnet_status st = adn_weights_arch(*w, c->kind, arch);
        if (st == ADNET_OK && c->depth && arch->depth != c->depth)
            st = adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s holds a ResNet-%d, not a ResNet-%d",
                          c->weights_path, arch->depth, c->depth);
        if (st == ADNET_OK) st = adn_weights_check(*w, arch);
        if (st != ADNET_OK) {
            adn_weights_close(*w);
            *w = NULL;
        }
        return st;
    }
    adnet_model_kind kind = c->kind == ADNET_MODEL_UNKNOWN ? ADNET_MODEL_AD : c->kind;
    ADN_TRY(adn_arch_make(kind, c->depth, kind == ADNET_MODEL_BASE ? 1 : 128, arch));
    return adn_weights_synthetic(arch, c->seed, w);
}

adnet_status adn_bench_check_weights(const adn_bench_config *c) {
    adn_weights *w;
    adn_arch arch;
    ADN_TRY(adn_bench_open_weights(c, &w, &arch));
    adn_weights_close(w);
    return ADNET_OK;
}

static adnet_status load_model(adn_device *dev, const adn_bench_config *c, adnet_model **m) {
    adn_weights *w;
    adn_arch arch;
    *m = NULL;
    ADN_TRY(adn_bench_open_weights(c, &w, &arch));
    adnet_status st = adn_model_create(dev, w, &arch, m);
    adn_weights_close(w);
    return st;
}

/* A preprocessed input of random values in the range real frames have after mean
 * subtraction (the network's speed does not depend on them). */
float *adn_bench_random_input(int width, int height, uint64_t seed) {
    size_t n = (size_t)3 * width * height;
    float *x = malloc(n * sizeof *x);
    if (!x) return NULL;
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = (float)((s >> 40) & 0xFFFF) / 65536.0f * 250.0f - 120.0f;
    }
    return x;
}

/* ---- steps, groups, kinds --------------------------------------------------------- */

static void step_kind(const adn_step_info *s, const adn_layer_desc *layers, int n_layers,
                      char *kind, size_t cap) {
    switch (s->op) {
        case ADN_STEP_CONV: {
            const adn_layer_desc *d = adn_arch_find(layers, n_layers, s->name);
            if (!d) {
                snprintf(kind, cap, "conv");
            } else if (d->shape.kh == 1 && d->shape.kw == 1) {
                snprintf(kind, cap, d->shape.stride > 1 ? "conv1x1_s2" : "conv1x1");
            } else if (d->shape.stride > 1) {
                snprintf(kind, cap, "conv%dx%d_s%d", d->shape.kh, d->shape.kw, d->shape.stride);
            } else {
                snprintf(kind, cap, d->shape.dilation > 1 ? "conv%dx%d_dilated" : "conv%dx%d",
                         d->shape.kh, d->shape.kw);
            }
            return;
        }
        case ADN_STEP_MAXPOOL:
            snprintf(kind, cap, "maxpool");
            return;
        case ADN_STEP_GAP:
            snprintf(kind, cap, "avgpool");
            return;
        case ADN_STEP_RESIZE:
            snprintf(kind, cap, "resize");
            return;
        case ADN_STEP_COPY:
            snprintf(kind, cap, "copy");
            return;
        case ADN_STEP_ATTENTION:
            snprintf(kind, cap, "attention");
            return;
    }
    snprintf(kind, cap, "other");
}

/* Copies a planned graph's steps (their names belong to the model, which is freed first). */
static adnet_status copy_steps(adnet_model *m, int w, int h, adn_graph_kind g,
                               adn_bench_profile *p) {
    const adn_step_info *steps;
    int n;
    ADN_TRY(adn_model_steps(m, w, h, g, &steps, &n));
    adn_layer_desc *layers;
    int n_layers;
    ADN_TRY(adn_arch_layers(adn_model_arch(m), &layers, &n_layers));
    p->steps = calloc(n > 0 ? (size_t)n : 1, sizeof *p->steps);
    if (!p->steps) {
        free(layers);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    p->n_steps = n;
    for (int i = 0; i < n; i++) {
        adn_bench_step *b = &p->steps[i];
        snprintf(b->name, sizeof b->name, "%s", steps[i].name ? steps[i].name : "?");
        snprintf(b->group, sizeof b->group, "%s", steps[i].group ? steps[i].group : "?");
        step_kind(&steps[i], layers, n_layers, b->kind, sizeof b->kind);
        b->op = steps[i].op;
        b->macs = steps[i].macs;
        b->exec_macs = steps[i].exec_macs;
        b->out_c = steps[i].out_c;
        b->out_h = steps[i].out_h;
        b->out_w = steps[i].out_w;
    }
    free(layers);
    return ADNET_OK;
}

static adn_bench_row *row(adn_bench_row *rows, int *n, const char *name) {
    for (int i = 0; i < *n; i++)
        if (!strcmp(rows[i].name, name)) return &rows[i];
    if (*n == ADN_BENCH_MAX_ROWS) return &rows[*n - 1]; /* cannot happen with adnet's graphs */
    adn_bench_row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

/* Means per run, and the group / kind / role tables, from a profile of p's steps. */
static void summarize(adn_bench_profile *p, const adn_profile *prof) {
    int runs = prof->runs > 0 ? prof->runs : 1;
    p->runs = prof->runs;
    p->wall_s = prof->wall_s / runs;
    p->device_s = prof->device_s / runs;
    p->reordered = prof->reordered;
    p->events = prof->events;
    p->n_groups = p->n_kinds = p->n_roles = 0;
    double transfers = (prof->before_s + prof->after_s) / runs;
    row(p->groups, &p->n_groups, "transfers")->s = transfers;
    for (int i = 0; i < p->n_steps; i++) {
        adn_bench_step *s = &p->steps[i];
        s->s = prof->step_s[i] / runs;
        adn_bench_row *g = row(p->groups, &p->n_groups, s->group);
        adn_bench_row *k = row(p->kinds, &p->n_kinds, s->kind);
        g->s += s->s;
        g->macs += s->macs;
        g->steps++;
        k->s += s->s;
        k->macs += s->macs;
        k->steps++;
    }
    row(p->kinds, &p->n_kinds, "transfers")->s = transfers;
    row(p->groups, &p->n_groups, "host")->s = p->wall_s - p->device_s;
    for (int r = 0; r < ADN_ROLE_COUNT; r++) {
        adn_bench_row *x = row(p->roles, &p->n_roles, adn_kernel_role_name((adn_kernel_role)r));
        x->s = prof->role_s[r] / runs;
    }
    /* the multiply-adds of the convolutions are the GEMMs', the attention's its kernel's */
    for (int i = 0; i < p->n_steps; i++) {
        const char *role = p->steps[i].op == ADN_STEP_CONV        ? "gemm"
                           : p->steps[i].op == ADN_STEP_ATTENTION ? "attention"
                                                                  : NULL;
        if (role) row(p->roles, &p->n_roles, role)->macs += p->steps[i].macs;
    }
}

static void free_profile(adn_bench_profile *p) {
    free(p->steps);
    p->steps = NULL;
    p->n_steps = 0;
}

/* ---- host pre- and post-processing ----------------------------------------------- */

/* A synthetic DAVIS-sized BGR frame: smooth colour ramps with mild noise, so that its JPEG
 * decodes like a photograph's rather than like noise. */
static adnet_status synthetic_frame(adnet_image *img, uint64_t seed) {
    ADN_TRY(adn_image_alloc(img, ADN_BENCH_FRAME_W, ADN_BENCH_FRAME_H, 3));
    uint64_t s = seed + 7;
    for (int y = 0; y < img->height; y++) {
        for (int x = 0; x < img->width; x++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int noise = (int)((s >> 59) & 7) - 4;
            uint8_t *p = img->data + ((size_t)y * img->width + x) * 3;
            int v[3] = {x * 255 / img->width, y * 255 / img->height, (x + y) * 127 / img->width};
            for (int k = 0; k < 3; k++) {
                int q = v[k] + noise;
                p[k] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    }
    return ADNET_OK;
}

/* The frame as a JPEG in memory (written to a temporary file and read back: the writer is
 * file-based). */
static adnet_status jpeg_bytes(const adnet_image *img, unsigned char **data, size_t *size) {
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/adnet-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return adn_fail(ADNET_ERR_IO, "cannot create a temporary directory under %s",
                        tmp && *tmp ? tmp : "/tmp");
    snprintf(path, sizeof path, "%s/frame.jpg", dir);
    adnet_status st = adn_jpeg_write_bgr(path, img, 95);
    if (st == ADNET_OK) st = adn_read_file(path, data, size);
    unlink(path);
    rmdir(dir);
    return st;
}

static adnet_status time_preprocess(const adn_bench_config *c, int runs, double *mean_s) {
    adnet_image frame = {0};
    ADN_TRY(synthetic_frame(&frame, c->seed));
    unsigned char *jpeg = NULL;
    size_t size = 0;
    adnet_status st = jpeg_bytes(&frame, &jpeg, &size);
    adnet_image_free(&frame);
    float *input = st == ADNET_OK ? malloc((size_t)3 * c->width * c->height * sizeof *input) : NULL;
    if (st == ADNET_OK && !input) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    double total = 0;
    for (int i = 0; i < runs && st == ADNET_OK; i++) {
        double t0 = now_seconds();
        adnet_image img = {0};
        st = adn_image_decode_bgr(jpeg, size, "(synthetic frame)", &img);
        if (st == ADNET_OK) st = adnet_preprocess(&img, c->width, c->height, input);
        adnet_image_free(&img);
        total += now_seconds() - t0;
    }
    free(input);
    free(jpeg);
    *mean_s = runs > 0 ? total / runs : 0;
    return st;
}

/* Post-processing of synthetic logits (a disc over about 15 % of the frame): bilinear
 * upsampling to the frame's size and the threshold. The temporal step's morphology is not
 * timed: it is not implemented at this commit (postproc.h declares its interface). */
static adnet_status time_postprocess(int fw, int fh, int runs, double *mean_s) {
    const int w = ADN_BENCH_FRAME_W, h = ADN_BENCH_FRAME_H;
    size_t n = (size_t)w * h;
    float *logits = malloc((size_t)fw * fh * sizeof *logits);
    float *up = malloc(n * sizeof *up);
    uint8_t *mask = malloc(n);
    adnet_status st = ADNET_OK;
    if (!logits || !up || !mask) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK) {
        double r2 = 0.15 * fw * fh / 3.14159265;
        for (int y = 0; y < fh; y++)
            for (int x = 0; x < fw; x++) {
                double dx = x - 0.5 * fw, dy = y - 0.5 * fh;
                logits[(size_t)y * fw + x] = dx * dx + dy * dy < r2 ? 3.0f : -3.0f;
            }
    }
    double total = 0;
    for (int i = 0; i < runs && st == ADNET_OK; i++) {
        double t0 = now_seconds();
        adn_upsample_bilinear_ac(logits, fw, fh, up, w, h);
        adn_threshold(up, n, 0.5f, mask);
        total += now_seconds() - t0;
    }
    free(logits);
    free(up);
    free(mask);
    *mean_s = runs > 0 ? total / runs : 0;
    return st;
}

/* ---- steady state ---------------------------------------------------------------- */

static adnet_status run_frame(adnet_model *m, const float *input, int w, int h, float *logits,
                              adn_event *done) {
    ADN_TRY(adn_model_submit(m, 0, input, w, h, logits, done));
    adnet_status st = adn_events_wait(1, done, "running the model");
    if (st != ADNET_OK) {
        adn_event_release(*done);
        *done = NULL;
    }
    return st;
}

static adnet_status measure(adnet_model *m, const adn_bench_config *c, adn_bench_result *r) {
    adn_device *dev = adn_model_device(m);
    int w = c->width, h = c->height, n = c->frames;
    float *anchor = adn_bench_random_input(w, h, c->seed);
    float *frame = adn_bench_random_input(w, h, c->seed + 1);
    float *logits = malloc((size_t)r->feat_w * r->feat_h * sizeof *logits);
    double *samples = malloc((size_t)(n > 0 ? n : 1) * sizeof *samples);
    adn_step_op *frame_ops = malloc((size_t)r->frame.n_steps * sizeof *frame_ops + 1);
    adn_step_op *anchor_ops = malloc((size_t)r->anchor.n_steps * sizeof *anchor_ops + 1);
    adn_profile pf = {0}, pa = {0};
    adnet_status st = ADNET_OK;
    if (!anchor || !frame || !logits || !samples || !frame_ops || !anchor_ops)
        st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK) {
        for (int i = 0; i < r->frame.n_steps; i++) frame_ops[i] = r->frame.steps[i].op;
        for (int i = 0; i < r->anchor.n_steps; i++) anchor_ops[i] = r->anchor.steps[i].op;
        st = adn_profile_init(&pf, frame_ops, r->frame.n_steps);
    }
    if (st == ADNET_OK) st = adn_profile_init(&pa, anchor_ops, r->anchor.n_steps);
    adn_event done = NULL;
    /* warm-up: the anchor, then untimed frames (kernels compile lazily on some drivers) */
    if (st == ADNET_OK) st = adn_model_anchor(m, 0, anchor, w, h);
    for (int i = 0; i < c->warmup && st == ADNET_OK; i++) {
        st = run_frame(m, frame, w, h, logits, &done);
        adn_event_release(done);
    }
    adn_device_trace_clear(dev);
    /* anchor cached: one frame at a time, as `adnet segment` runs them */
    for (int i = 0; i < n && st == ADNET_OK; i++) {
        double t0 = now_seconds();
        st = run_frame(m, frame, w, h, logits, &done);
        samples[i] = now_seconds() - t0;
        if (st == ADNET_OK) st = adn_profile_add(&pf, dev, done, samples[i]);
        adn_event_release(done);
    }
    if (st == ADNET_OK) adn_timing_from(&r->cached, samples, n);
    /* anchor recomputed for every frame, as the released loop does (base and intra do not
     * use the anchor: for them this is the cached mode again) */
    int uses_anchor = r->arch.kind != ADNET_MODEL_BASE && r->arch.kind != ADNET_MODEL_INTRA;
    for (int i = 0; i < n && st == ADNET_OK; i++) {
        adn_device_trace_clear(dev);
        double t0 = now_seconds();
        if (uses_anchor) st = adn_model_anchor(m, 0, anchor, w, h);
        double t1 = now_seconds();
        if (st == ADNET_OK && uses_anchor) st = adn_profile_add(&pa, dev, NULL, t1 - t0);
        if (st == ADNET_OK) st = run_frame(m, frame, w, h, logits, &done);
        samples[i] = now_seconds() - t0;
        adn_event_release(done);
        adn_device_trace_clear(dev);
    }
    if (st == ADNET_OK) adn_timing_from(&r->recomputed, samples, n);
    if (st == ADNET_OK) {
        summarize(&r->frame, &pf);
        summarize(&r->anchor, &pa);
    }
    adn_profile_free(&pf);
    adn_profile_free(&pa);
    free(anchor);
    free(frame);
    free(logits);
    free(samples);
    free(frame_ops);
    free(anchor_ops);
    return st;
}

/* ---- the whole measurement ------------------------------------------------------ */

static adnet_status plan_figures(adnet_model *m, adn_bench_result *r) {
    int w = r->width, h = r->height;
    ADN_TRY(adn_model_prepare(m, w, h));
    ADN_TRY(copy_steps(m, w, h, ADN_GRAPH_FRAME, &r->frame));
    ADN_TRY(copy_steps(m, w, h, ADN_GRAPH_ANCHOR, &r->anchor));
    for (int i = 0; i < r->frame.n_steps; i++) {
        const adn_bench_step *s = &r->frame.steps[i];
        r->frame_macs += s->macs;
        r->frame_exec_macs += s->exec_macs;
        if (s->op == ADN_STEP_ATTENTION) r->attention_macs += s->macs;
        if (!strcmp(s->group, "classifier")) r->classifier_macs += s->macs;
    }
    for (int i = 0; i < r->anchor.n_steps; i++) r->features_macs += r->anchor.steps[i].macs;
    r->released_macs = r->frame_macs;
    if (r->arch.kind != ADNET_MODEL_BASE && r->arch.kind != ADNET_MODEL_INTRA)
        r->released_macs += r->features_macs;
    ADN_TRY(adn_model_memory(m, w, h, &r->arena_bytes, &r->weight_bytes));
    r->anchor_bytes = r->arch.kind == ADNET_MODEL_BASE
                          ? 0
                          : (uint64_t)r->arch.embed * r->feat_w * r->feat_h * sizeof(float);
    return ADNET_OK;
}

adnet_status adn_bench_run(const adn_device_entry *device, const adn_bench_config *c, int dry_run,
                           adn_bench_result *r) {
    memset(r, 0, sizeof *r);
    r->width = c->width;
    r->height = c->height;
    r->dry_run = dry_run;
    adnet_feature_size(c->width, c->height, &r->feat_w, &r->feat_h);
    if (!dry_run && c->frames < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "the benchmark needs at least one frame");
    adn_device *dev;
    ADN_TRY(adn_device_open_entry(device, ADN_DEVICE_PROFILING, &dev));
    r->device = dev->entry.info;
    if (device->parts > 0) { /* a sub-device says which part it is */
        char label[200];
        adn_device_entry_label(device, label, sizeof label);
        snprintf(r->device.name, sizeof r->device.name, "%.127s", label);
    }
    r->gemm_backend = adn_gemm_backend_name(dev->profile.gemm);
    adn_device_profile_describe(&dev->profile, r->profile, sizeof r->profile);
    snprintf(r->tuning, sizeof r->tuning, "%s", dev->profile.tuning);
    adnet_model *m = NULL;
    adnet_status st = load_model(dev, c, &m);
    if (st == ADNET_OK) {
        r->arch = *adn_model_arch(m);
        st = plan_figures(m, r);
    }
    if (st == ADNET_OK && !dry_run) st = measure(m, c, r);
    if (st == ADNET_OK && !dry_run) {
        /* before the peak measurements, whose matrices would count too */
        r->device_peak_bytes = dev->mem_peak;
        st = time_preprocess(c, c->frames, &r->preprocess_s);
    }
    if (st == ADNET_OK && !dry_run)
        st = time_postprocess(r->feat_w, r->feat_h, c->frames, &r->postprocess_s);
    adnet_model_free(m);
    if (st == ADNET_OK && !dry_run && c->peak_fma)
        st = adn_peak_fma(dev, c->peak_seconds, &r->fma_gflops, &r->fma_kernel);
    if (st == ADNET_OK && !dry_run && c->peak_gemm_n > 0) {
        r->sgemm_n = c->peak_gemm_n;
        st = adn_peak_sgemm(dev, c->peak_gemm_n, c->peak_seconds, &r->sgemm_gflops, &r->sgemm_reps);
    }
    adn_device_close(dev);
    if (st != ADNET_OK) {
        adn_bench_result_free(r);
        return adn_fail_context(st, "benchmarking %s: ", r->device.name);
    }
    return ADNET_OK;
}

void adn_bench_result_free(adn_bench_result *r) {
    free_profile(&r->frame);
    free_profile(&r->anchor);
}

/* ---- one number: a frame ------------------------------------------------------------ */

adnet_status adn_bench_frame_time(const adn_device_entry *device, const adn_bench_config *c,
                                  double *median_s) {
    *median_s = -1;
    if (c->frames < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "timing a frame needs at least one frame");
    adn_device *dev;
    ADN_TRY(adn_device_open_entry(device, 0, &dev));
    int w = c->width, h = c->height, fw, fh;
    adnet_feature_size(w, h, &fw, &fh);
    float *anchor = adn_bench_random_input(w, h, c->seed);
    float *frame = adn_bench_random_input(w, h, c->seed + 1);
    float *logits = malloc((size_t)fw * fh * sizeof *logits);
    double *samples = malloc((size_t)c->frames * sizeof *samples);
    adnet_model *m = NULL;
    adnet_status st = anchor && frame && logits && samples
                          ? load_model(dev, c, &m)
                          : adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK) st = adn_model_anchor(m, 0, anchor, w, h);
    adn_event done = NULL;
    for (int i = 0; i < c->warmup + c->frames && st == ADNET_OK; i++) {
        double t0 = now_seconds();
        st = run_frame(m, frame, w, h, logits, &done);
        if (i >= c->warmup) samples[i - c->warmup] = now_seconds() - t0;
        adn_event_release(done);
    }
    if (st == ADNET_OK) {
        adn_timing t;
        adn_timing_from(&t, samples, c->frames);
        *median_s = t.median_s;
    }
    adnet_model_free(m);
    adn_device_close(dev);
    free(anchor);
    free(frame);
    free(logits);
    free(samples);
    return st;
}

/* ---- first frame ---------------------------------------------------------------- */

adnet_status adn_bench_first_frame_run(int device_index, const adn_bench_config *c,
                                       adn_bench_first_frame *out) {
    memset(out, 0, sizeof *out);
    int w = c->width, h = c->height, fw, fh;
    adnet_feature_size(w, h, &fw, &fh);
    float *anchor = adn_bench_random_input(w, h, c->seed);
    float *frame = adn_bench_random_input(w, h, c->seed + 1);
    float *logits = malloc((size_t)fw * fh * sizeof *logits);
    if (!anchor || !frame || !logits) {
        free(anchor);
        free(frame);
        free(logits);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    adn_device *dev = NULL;
    adnet_model *m = NULL;
    double t0 = now_seconds();
    adnet_status st = adn_device_open(device_index, 0, &dev);
    double t1 = now_seconds();
    if (st == ADNET_OK) {
        out->program_s = adn_program_build_seconds(dev->program);
        out->program_from_cache = adn_program_origin_of(dev->program) == ADN_PROGRAM_FROM_CACHE;
        st = load_model(dev, c, &m);
    }
    double t2 = now_seconds();
    if (st == ADNET_OK) st = adn_model_prepare(m, w, h);
    double t3 = now_seconds();
    if (st == ADNET_OK) st = adn_model_anchor(m, 0, anchor, w, h);
    double t4 = now_seconds();
    adn_event done = NULL;
    if (st == ADNET_OK) st = run_frame(m, frame, w, h, logits, &done);
    adn_event_release(done);
    double t5 = now_seconds();
    adnet_model_free(m);
    adn_device_close(dev);
    free(anchor);
    free(frame);
    free(logits);
    if (st != ADNET_OK) return st;
    out->measured = 1;
    out->open_s = t1 - t0;
    out->weights_s = t2 - t1;
    out->prepare_s = t3 - t2;
    out->anchor_s = t4 - t3;
    out->frame_s = t5 - t4;
    out->total_s = t5 - t0;
    return ADNET_OK;
}

const char *adn_bench_gemm_label(const adn_bench_result *r) {
    const char *b = r->gemm_backend ? r->gemm_backend : "clblast";
    return !strcmp(b, "adnet")    ? "adnet GEMM"
           : !strcmp(b, "onednn") ? "oneDNN SGEMM"
                                  : "CLBlast SGEMM";
}
