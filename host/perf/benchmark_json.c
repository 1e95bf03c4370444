/* `adnet bench` results as JSON (schema adnet-bench/1, documented in docs/benchmarks.md). */
#include "benchmark.h"

#include "status.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- the machine ------------------------------------------------------------------- */

/* The value of the first line of a text file that starts with key (as "key: value" in
 * /proc/cpuinfo or key=value in /etc/os-release), without quotes; "" when absent. */
static void file_value(const char *path, const char *key, char *dst, size_t cap) {
    dst[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[1024];
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) != 0) continue;
        char *v = line + kl;
        while (*v == ' ' || *v == '\t' || *v == ':' || *v == '=') v++;
        if (*v == '"') v++;
        size_t n = strlen(v);
        while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '"' || v[n - 1] == ' ')) v[--n] = '\0';
        snprintf(dst, cap, "%s", v);
        break;
    }
    fclose(f);
}

cJSON *adn_bench_host_json(void) {
    cJSON *h = cJSON_CreateObject();
    if (!h) return NULL;
    struct utsname u;
    char os[600] = "", pretty[256], cpu[256], mem[64];
    file_value("/etc/os-release", "PRETTY_NAME", pretty, sizeof pretty);
    if (uname(&u) == 0)
        snprintf(os, sizeof os, "%s %s %s%s%s%s", u.sysname, u.release, u.machine,
                 *pretty ? " (" : "", pretty, *pretty ? ")" : "");
    cJSON_AddStringToObject(h, "os", os);
    file_value("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    if (!*cpu) snprintf(cpu, sizeof cpu, "%s", *os ? u.machine : "unknown");
    cJSON_AddStringToObject(h, "cpu", cpu);
    cJSON_AddNumberToObject(h, "logical_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    file_value("/proc/meminfo", "MemTotal", mem, sizeof mem);
    double kib = 0;
    if (sscanf(mem, "%lf", &kib) == 1)
        cJSON_AddNumberToObject(h, "memory_bytes", kib * 1024);
    else
        cJSON_AddNullToObject(h, "memory_bytes");
    double load[3];
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3)
        cJSON_AddItemToObject(h, "load_average", cJSON_CreateDoubleArray(load, 3));
    else
        cJSON_AddNullToObject(h, "load_average");
    if (f) fclose(f);
    return h;
}

/* ---- one device's results ------------------------------------------------------- */

static void add_number_or_null(cJSON *o, const char *name, double v, int present) {
    if (present)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static cJSON *device_json(const adnet_device_info *in) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "index", in->index);
    cJSON_AddStringToObject(d, "name", in->name);
    cJSON_AddStringToObject(d, "vendor", in->vendor);
    cJSON_AddStringToObject(d, "platform", in->platform);
    cJSON_AddStringToObject(d, "type", adnet_device_type_name(in->type));
    cJSON_AddStringToObject(d, "driver_version", in->driver_version);
    cJSON_AddStringToObject(d, "opencl_version", in->device_version);
    cJSON_AddStringToObject(d, "opencl_c_version", in->opencl_c_version);
    cJSON_AddNumberToObject(d, "compute_units", in->compute_units);
    cJSON_AddNumberToObject(d, "clock_mhz", in->clock_mhz);
    cJSON_AddNumberToObject(d, "global_mem_bytes", (double)in->global_mem_bytes);
    cJSON_AddNumberToObject(d, "max_alloc_bytes", (double)in->max_alloc_bytes);
    return d;
}

/* Achieved GFLOP/s (2 FLOPs per multiply-add) and shares of the measured peaks. */
static void add_rate(cJSON *o, const adn_bench_result *r, double macs, double s) {
    double g = s > 0 ? 2.0 * macs / s / 1e9 : 0;
    add_number_or_null(o, "gflops", g, s > 0);
    add_number_or_null(o, "pct_fma_peak", 100.0 * g / r->fma_gflops, s > 0 && r->fma_gflops > 0);
    add_number_or_null(o, "pct_sgemm_peak", 100.0 * g / r->sgemm_gflops,
                       s > 0 && r->sgemm_gflops > 0);
}

static cJSON *timing_json(const adn_bench_result *r, const adn_timing *t, double macs) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "frames", t->n);
    cJSON_AddNumberToObject(o, "s_per_frame", t->mean_s);
    cJSON_AddNumberToObject(o, "fps", t->mean_s > 0 ? 1.0 / t->mean_s : 0);
    cJSON_AddNumberToObject(o, "median_s", t->median_s);
    cJSON_AddNumberToObject(o, "min_s", t->min_s);
    cJSON_AddNumberToObject(o, "max_s", t->max_s);
    cJSON_AddNumberToObject(o, "macs", macs);
    add_rate(o, r, macs, t->mean_s);
    return o;
}

static cJSON *rows_json(const adn_bench_result *r, const adn_bench_row *rows, int n,
                        double wall_s) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", rows[i].name);
        cJSON_AddNumberToObject(o, "s", rows[i].s);
        cJSON_AddNumberToObject(o, "share", wall_s > 0 ? rows[i].s / wall_s : 0);
        cJSON_AddNumberToObject(o, "macs", rows[i].macs);
        add_rate(o, r, rows[i].macs, rows[i].macs > 0 ? rows[i].s : 0);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *profile_json(const adn_bench_result *r, const adn_bench_profile *p, int steps) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "method", "in-order-queue-events");
    cJSON_AddNumberToObject(o, "runs", p->runs);
    cJSON_AddNumberToObject(o, "wall_s", p->wall_s);
    cJSON_AddNumberToObject(o, "device_s", p->device_s);
    cJSON_AddNumberToObject(o, "events", p->events);
    cJSON_AddNumberToObject(o, "reordered_events", p->reordered);
    cJSON_AddItemToObject(o, "groups", rows_json(r, p->groups, p->n_groups, p->wall_s));
    cJSON_AddItemToObject(o, "kinds", rows_json(r, p->kinds, p->n_kinds, p->wall_s));
    cJSON_AddItemToObject(o, "roles", rows_json(r, p->roles, p->n_roles, p->wall_s));
    if (steps) {
        cJSON *a = cJSON_AddArrayToObject(o, "steps");
        for (int i = 0; i < p->n_steps; i++) {
            const adn_bench_step *s = &p->steps[i];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", s->name);
            cJSON_AddStringToObject(x, "group", s->group);
            cJSON_AddStringToObject(x, "kind", s->kind);
            cJSON_AddNumberToObject(x, "macs", s->macs);
            int out[3] = {s->out_c, s->out_h, s->out_w};
            cJSON_AddItemToObject(x, "out", cJSON_CreateIntArray(out, 3));
            cJSON_AddNumberToObject(x, "s", s->s);
            add_rate(x, r, s->macs, s->macs > 0 ? s->s : 0);
            cJSON_AddItemToArray(a, x);
        }
    }
    return o;
}

cJSON *adn_bench_first_frame_json(const adn_bench_first_frame *f) {
    if (!f->measured) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total_s", f->total_s);
    cJSON_AddNumberToObject(o, "open_s", f->open_s);
    cJSON_AddNumberToObject(o, "program_s", f->program_s);
    cJSON_AddBoolToObject(o, "program_from_cache", f->program_from_cache);
    cJSON_AddNumberToObject(o, "weights_s", f->weights_s);
    cJSON_AddNumberToObject(o, "prepare_s", f->prepare_s);
    cJSON_AddNumberToObject(o, "anchor_s", f->anchor_s);
    cJSON_AddNumberToObject(o, "frame_s", f->frame_s);
    add_number_or_null(o, "process_s", f->process_s, f->process_s > 0);
    add_number_or_null(o, "peak_rss_bytes", (double)f->peak_rss_bytes, f->peak_rss_bytes > 0);
    return o;
}

adnet_status adn_bench_first_frame_parse(const cJSON *j, adn_bench_first_frame *f) {
    memset(f, 0, sizeof *f);
    static const char *const names[] = {"total_s",   "open_s",   "program_s", "weights_s",
                                        "prepare_s", "anchor_s", "frame_s"};
    double *dst[] = {&f->total_s,   &f->open_s,   &f->program_s, &f->weights_s,
                     &f->prepare_s, &f->anchor_s, &f->frame_s};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, names[i]);
        if (!cJSON_IsNumber(v))
            return adn_fail(ADNET_ERR_FORMAT, "first-frame measurement: no number '%s'", names[i]);
        *dst[i] = v->valuedouble;
    }
    f->program_from_cache = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "program_from_cache"));
    f->measured = 1;
    return ADNET_OK;
}

cJSON *adn_bench_result_json(const adn_bench_result *r) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddItemToObject(o, "device", device_json(&r->device));
    cJSON_AddStringToObject(o, "gemm_backend", r->gemm_backend ? r->gemm_backend : "clblast");
    cJSON_AddStringToObject(o, "device_profile", r->profile);
    cJSON_AddStringToObject(o, "tuning", r->tuning);

    cJSON *m = cJSON_AddObjectToObject(o, "model");
    cJSON_AddStringToObject(m, "kind", adnet_model_kind_name(r->arch.kind));
    cJSON_AddNumberToObject(m, "depth", r->arch.depth);
    cJSON_AddNumberToObject(m, "embed", r->arch.embed);
    cJSON_AddNumberToObject(m, "width", r->width);
    cJSON_AddNumberToObject(m, "height", r->height);
    cJSON_AddNumberToObject(m, "feature_width", r->feat_w);
    cJSON_AddNumberToObject(m, "feature_height", r->feat_h);

    cJSON *fl = cJSON_AddObjectToObject(o, "flops");
    cJSON_AddStringToObject(fl, "unit", "multiply-adds (1 MAC = 2 FLOPs)");
    cJSON_AddNumberToObject(fl, "features_macs", r->features_macs);
    cJSON_AddNumberToObject(fl, "attention_macs", r->attention_macs);
    cJSON_AddNumberToObject(fl, "classifier_macs", r->classifier_macs);
    cJSON_AddNumberToObject(fl, "frame_macs", r->frame_macs);
    cJSON_AddNumberToObject(fl, "frame_executed_macs", r->frame_exec_macs);
    cJSON_AddNumberToObject(fl, "released_loop_macs", r->released_macs);

    if (r->dry_run) {
        cJSON_AddNullToObject(o, "steady");
        cJSON_AddNullToObject(o, "profile");
        cJSON_AddNullToObject(o, "anchor_profile");
        cJSON_AddNullToObject(o, "host_per_frame");
        cJSON_AddNullToObject(o, "peak");
    } else {
        cJSON *s = cJSON_AddObjectToObject(o, "steady");
        cJSON_AddItemToObject(s, "anchor_cached", timing_json(r, &r->cached, r->frame_macs));
        cJSON_AddItemToObject(s, "anchor_recomputed",
                              timing_json(r, &r->recomputed, r->released_macs));
        cJSON_AddItemToObject(o, "profile", profile_json(r, &r->frame, 1));
        if (r->anchor.runs > 0)
            cJSON_AddItemToObject(o, "anchor_profile", profile_json(r, &r->anchor, 0));
        else
            cJSON_AddNullToObject(o, "anchor_profile");
        cJSON *h = cJSON_AddObjectToObject(o, "host_per_frame");
        cJSON_AddNumberToObject(h, "frame_width", ADN_BENCH_FRAME_W);
        cJSON_AddNumberToObject(h, "frame_height", ADN_BENCH_FRAME_H);
        cJSON_AddNumberToObject(h, "preprocess_s", r->preprocess_s);
        cJSON_AddNumberToObject(h, "postprocess_s", r->postprocess_s);
        cJSON *p = cJSON_AddObjectToObject(o, "peak");
        add_number_or_null(p, "fma_gflops", r->fma_gflops, r->fma_gflops > 0);
        if (r->fma_kernel)
            cJSON_AddStringToObject(p, "fma_kernel", r->fma_kernel);
        else
            cJSON_AddNullToObject(p, "fma_kernel");
        add_number_or_null(p, "sgemm_gflops", r->sgemm_gflops, r->sgemm_gflops > 0);
        add_number_or_null(p, "sgemm_n", r->sgemm_n, r->sgemm_gflops > 0);
        add_number_or_null(p, "sgemm_reps", r->sgemm_reps, r->sgemm_gflops > 0);
        cJSON_AddStringToObject(p, "sgemm_kind", adn_bench_gemm_label(r));
    }
    cJSON *ff = cJSON_AddObjectToObject(o, "first_frame");
    cJSON_AddItemToObject(ff, "cold", adn_bench_first_frame_json(&r->cold));
    cJSON_AddItemToObject(ff, "warm", adn_bench_first_frame_json(&r->warm));

    cJSON *mem = cJSON_AddObjectToObject(o, "memory");
    add_number_or_null(mem, "device_peak_bytes", (double)r->device_peak_bytes, !r->dry_run);
    cJSON_AddNumberToObject(mem, "arena_bytes", (double)r->arena_bytes);
    cJSON_AddNumberToObject(mem, "weight_bytes", (double)r->weight_bytes);
    cJSON_AddNumberToObject(mem, "anchor_bytes", (double)r->anchor_bytes);
    return o;
}
