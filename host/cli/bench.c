/* adnet bench: how fast AD-Net runs on each device, where the time goes, and how close that
 * is to what the device can do. A table on the terminal, JSON with --json. First-frame
 * latency is measured in child processes (this program again) so that "cold" really starts
 * with empty program caches, adnet's and the driver's. */
#include "args.h"
#include "commands.h"

#include "adnet.h"
#include "benchmark.h"
#include "pool_bench.h"
#include "files.h"
#include "device_select.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVICES 16

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t peak_rss_bytes(void) {
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
    return (uint64_t)u.ru_maxrss * 1024; /* kilobytes on Linux */
}

/* ---- first-frame latency in a child process ---------------------------------------- */

static void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char child[4096];
                snprintf(child, sizeof child, "%s/%s", path, e->d_name);
                remove_tree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* The environment variables that point the program caches of adnet and of the OpenCL
 * drivers we know at `dir` (PoCL, NVIDIA, Intel's compute runtime, Mesa, AMD's comgr, and
 * anything else that follows XDG_CACHE_HOME). */
static const char *const cache_vars[][2] = {
    {"ADNET_CACHE_DIR", "adnet"},      {"POCL_CACHE_DIR", "pocl"},
    {"CUDA_CACHE_PATH", "nv"},         {"NEO_CACHE_DIR", "neo"},
    {"MESA_SHADER_CACHE_DIR", "mesa"}, {"AMD_COMGR_CACHE_DIR", "comgr"},
    {"XDG_CACHE_HOME", "xdg"},
};

typedef struct child_args {
    const char *exe;
    int device_index;
    const char *model, *backbone, *size, *seed, *weights;
    const char *cache_dir; /* NULL: the caches of this process's environment */
} child_args;

/* Runs `adnet bench --first-frame-child OUT ...` and reads its measurement. */
static int run_child(const child_args *a, const char *out_path, adn_bench_first_frame *f) {
    char dev[16];
    snprintf(dev, sizeof dev, "%d", a->device_index);
    const char *argv[24];
    int n = 0;
    argv[n++] = a->exe;
    argv[n++] = "bench";
    argv[n++] = "--first-frame-child";
    argv[n++] = out_path;
    argv[n++] = "--device";
    argv[n++] = dev;
    if (a->model) {
        argv[n++] = "--model";
        argv[n++] = a->model;
    }
    argv[n++] = "--size";
    argv[n++] = a->size;
    argv[n++] = "--seed";
    argv[n++] = a->seed;
    if (a->backbone) {
        argv[n++] = "--backbone";
        argv[n++] = a->backbone;
    }
    if (a->weights) {
        argv[n++] = "--weights";
        argv[n++] = a->weights;
    }
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    double t0 = now_seconds();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "adnet bench: fork failed: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (a->cache_dir) {
            for (size_t i = 0; i < sizeof cache_vars / sizeof cache_vars[0]; i++) {
                char p[4200];
                snprintf(p, sizeof p, "%s/%s", a->cache_dir, cache_vars[i][1]);
                mkdir(p, 0700);
                setenv(cache_vars[i][0], p, 1);
            }
            unsetenv("CUDA_CACHE_DISABLE");
        }
        execv(a->exe, (char *const *)argv);
        fprintf(stderr, "adnet bench: cannot run %s: %s\n", a->exe, strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    double t1 = now_seconds();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "adnet bench: the first-frame measurement failed (%s %d)\n",
                WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return -1;
    }
    unsigned char *text = NULL;
    size_t size = 0;
    if (adn_read_file(out_path, &text, &size) != ADNET_OK) return cli_fail(ADNET_ERR_IO);
    cJSON *j = cJSON_Parse((const char *)text);
    free(text);
    adnet_status st = j ? adn_bench_first_frame_parse(j, f) : ADNET_ERR_FORMAT;
    const cJSON *rss = j ? cJSON_GetObjectItemCaseSensitive(j, "peak_rss_bytes") : NULL;
    if (cJSON_IsNumber(rss)) f->peak_rss_bytes = (uint64_t)rss->valuedouble;
    cJSON_Delete(j);
    if (st != ADNET_OK) {
        fprintf(stderr, "adnet bench: cannot read the first-frame measurement %s\n", out_path);
        return -1;
    }
    f->process_s = t1 - t0;
    return 0;
}

/* Cold (fresh, empty cache directories) then warm (the same directories, now filled) first
 * frames, each in a new process; cold = 0 measures warm only, with this process's own caches
 * (run it after this process has used them). */
static int first_frames(const child_args *base, int cold, adn_bench_first_frame *cold_out,
                        adn_bench_first_frame *warm_out) {
    const char *tmp = getenv("TMPDIR");
    char dir[4096], out_path[4200];
    snprintf(dir, sizeof dir, "%s/adnet-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "adnet bench: cannot create a temporary directory in %s: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return -1;
    }
    snprintf(out_path, sizeof out_path, "%s/first-frame.json", dir);
    child_args a = *base;
    int rc = 0;
    char caches[4200]; /* both runs use it */
    if (cold) {
        snprintf(caches, sizeof caches, "%s/caches", dir);
        mkdir(caches, 0700);
        a.cache_dir = caches;
        rc = run_child(&a, out_path, cold_out);
    }
    if (rc == 0) rc = run_child(&a, out_path, warm_out);
    remove_tree(dir);
    return rc;
}

/* The child's side: measure, write JSON to path. */
static int first_frame_child(int device_index, const adn_bench_config *c, const char *path) {
    adn_bench_first_frame f;
    adnet_status st = adn_bench_first_frame_run(device_index, c, &f);
    if (st != ADNET_OK) return cli_fail(st);
    f.peak_rss_bytes = peak_rss_bytes();
    cJSON *j = adn_bench_first_frame_json(&f);
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text) return cli_fail(ADNET_ERR_OUT_OF_MEMORY);
    st = adn_write_file_atomic(path, text, strlen(text));
    free(text);
    return st == ADNET_OK ? CLI_EXIT_OK : cli_fail(st);
}

/* ---- the terminal table ------------------------------------------------------------- */

static void fmt_bytes(char *dst, size_t cap, double b) {
    if (b >= 1024.0 * 1024 * 1024)
        snprintf(dst, cap, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    else
        snprintf(dst, cap, "%.1f MiB", b / (1024.0 * 1024));
}

static void fmt_pct(char *dst, size_t cap, double g, double peak) {
    if (peak > 0 && g > 0)
        snprintf(dst, cap, "%5.1f %%", 100.0 * g / peak);
    else
        snprintf(dst, cap, "%7s", "-");
}

static void print_rows(const char *title, const adn_bench_row *rows, int n, double wall,
                       const adn_bench_result *r) {
    printf("\n  %-18s %9s %7s %9s %8s %8s %8s\n", title, "ms/frame", "share", "GMAC", "GFLOP/s",
           "%FMA", "%SGEMM");
    for (int i = 0; i < n; i++) {
        double g = rows[i].macs > 0 && rows[i].s > 0 ? 2.0 * rows[i].macs / rows[i].s / 1e9 : 0;
        char gf[16] = "", p1[16], p2[16];
        if (g > 0) snprintf(gf, sizeof gf, "%8.1f", g);
        fmt_pct(p1, sizeof p1, g, r->fma_gflops);
        fmt_pct(p2, sizeof p2, g, r->sgemm_gflops);
        printf("  %-18s %9.2f %6.1f%% %9.3f %8s %8s %8s\n", rows[i].name, 1e3 * rows[i].s,
               wall > 0 ? 100.0 * rows[i].s / wall : 0, rows[i].macs / 1e9, gf, p1, p2);
    }
}

static void print_first(const char *what, const adn_bench_first_frame *f) {
    if (!f->measured) return;
    printf("  first frame, %-10s %8.2f s (device open %.2f s of which adnet's program %.2f s "
           "%s, weights %.2f s, plan %.2f s, anchor %.2f s, frame %.2f s)\n",
           what, f->total_s, f->open_s, f->program_s, f->program_from_cache ? "cached" : "built",
           f->weights_s, f->prepare_s, f->anchor_s, f->frame_s);
}

static int cmp_step_time(const void *a, const void *b) {
    const adn_bench_step *x = *(const adn_bench_step *const *)a;
    const adn_bench_step *y = *(const adn_bench_step *const *)b;
    return x->s < y->s ? 1 : x->s > y->s ? -1 : 0;
}

static void print_result(const adn_bench_result *r, uint64_t rss) {
    const adnet_device_info *d = &r->device;
    printf("\ndevice [%d] %s (%s, driver %s, %s)\n", d->index, d->name, d->platform,
           d->driver_version, d->device_version);
    printf("  FLOPs of the plan: feature extractor %.2f GMAC, attention %.2f GMAC, classifier "
           "%.3f GMAC; frame %.2f GMAC, released loop (anchor recomputed) %.2f GMAC\n",
           r->features_macs / 1e9, r->attention_macs / 1e9, r->classifier_macs / 1e9,
           r->frame_macs / 1e9, r->released_macs / 1e9);
    char w[32], a[32], an[32];
    fmt_bytes(w, sizeof w, (double)r->weight_bytes);
    fmt_bytes(a, sizeof a, (double)r->arena_bytes);
    fmt_bytes(an, sizeof an, (double)r->anchor_bytes);
    if (r->dry_run) {
        printf("  memory plan: weights %s, activations %s, one anchor %s\n", w, a, an);
        return;
    }
    printf("\n  %-22s %9s %8s %9s %8s %8s\n", "steady state", "s/frame", "fps", "GFLOP/s", "%FMA",
           "%SGEMM");
    const adn_timing *t[2] = {&r->cached, &r->recomputed};
    const char *names[2] = {"anchor cached", "anchor recomputed"};
    double macs[2] = {r->frame_macs, r->released_macs};
    for (int i = 0; i < 2; i++) {
        double g = 2.0 * macs[i] / t[i]->mean_s / 1e9;
        char p1[16], p2[16];
        fmt_pct(p1, sizeof p1, g, r->fma_gflops);
        fmt_pct(p2, sizeof p2, g, r->sgemm_gflops);
        printf("  %-22s %9.3f %8.3f %9.1f %8s %8s   (median %.3f, min %.3f, max %.3f s; %d "
               "frames)\n",
               names[i], t[i]->mean_s, 1.0 / t[i]->mean_s, g, p1, p2, t[i]->median_s, t[i]->min_s,
               t[i]->max_s, t[i]->n);
    }
    if (r->frame_exec_macs > 0) {
        /* the work actually done: what the hardware's peak measures against */
        double g = 2.0 * r->frame_exec_macs / r->cached.mean_s / 1e9;
        char p1[16], p2[16];
        fmt_pct(p1, sizeof p1, g, r->fma_gflops);
        fmt_pct(p2, sizeof p2, g, r->sgemm_gflops);
        printf("  %-22s %9s %8s %9.1f %8s %8s   (%.2f of the frame's %.2f GMAC computed: "
               "Winograd's products, im2col's kept taps)\n",
               "  on executed MACs", "", "", g, p1, p2, r->frame_exec_macs / 1e9,
               r->frame_macs / 1e9);
    }
    print_first("cold cache", &r->cold);
    print_first("warm cache", &r->warm);
    printf("  device profile: %s\n", r->profile);
    printf("  kernel parameters: %s\n", r->tuning);
    printf("  peak: FMA kernel ");
    if (r->fma_gflops > 0)
        printf("%.1f GFLOP/s (%s)", r->fma_gflops, r->fma_kernel);
    else
        printf("not measured");
    printf(", %s ", adn_bench_gemm_label(r));
    if (r->sgemm_gflops > 0)
        printf("%dx%dx%d %.1f GFLOP/s\n", r->sgemm_n, r->sgemm_n, r->sgemm_n, r->sgemm_gflops);
    else
        printf("not measured\n");
    char pk[32], rs[32];
    fmt_bytes(pk, sizeof pk, (double)r->device_peak_bytes);
    fmt_bytes(rs, sizeof rs, (double)rss);
    printf("  memory: device peak %s allocated by adnet (weights %s, activations %s, anchor %s; "
           "CLBlast's temporary buffers not included), host peak RSS %s\n",
           pk, w, a, an, rs);
    printf("  host per frame at %dx%d: preprocess (JPEG decode, resize, mean) %.2f ms, "
           "postprocess (upsample, threshold) %.2f ms\n",
           ADN_BENCH_FRAME_W, ADN_BENCH_FRAME_H, 1e3 * r->preprocess_s, 1e3 * r->postprocess_s);

    const adn_bench_profile *p = &r->frame;
    printf("\n  where the time goes, anchor cached: %.3f s wall per frame, %.3f s on the device "
           "(profiling events, %d frames)\n",
           p->wall_s, p->device_s, p->runs);
    print_rows("layer group", p->groups, p->n_groups, p->wall_s, r);
    print_rows("op kind", p->kinds, p->n_kinds, p->wall_s, r);
    print_rows("kernel role", p->roles, p->n_roles, p->wall_s, r);
    const adn_bench_step *sorted[512];
    int n = p->n_steps < 512 ? p->n_steps : 512;
    for (int i = 0; i < n; i++) sorted[i] = &p->steps[i];
    qsort(sorted, (size_t)n, sizeof sorted[0], cmp_step_time);
    printf("\n  %-26s %-16s %9s %7s %9s %8s\n", "slowest steps", "kind", "ms/frame", "share",
           "GMAC", "GFLOP/s");
    for (int i = 0; i < n && i < 10; i++) {
        const adn_bench_step *s = sorted[i];
        double g = s->macs > 0 && s->s > 0 ? 2.0 * s->macs / s->s / 1e9 : 0;
        printf("  %-26s %-16s %9.2f %6.1f%% %9.3f %8.1f\n", s->name, s->kind, 1e3 * s->s,
               p->wall_s > 0 ? 100.0 * s->s / p->wall_s : 0, s->macs / 1e9, g);
    }
    if (p->reordered)
        printf("  warning: %d profiling events ended before the one enqueued before them; their "
               "steps are under-counted\n",
               p->reordered);
    if (r->anchor.runs > 0)
        printf("  anchor graph (recomputed mode): %.3f s wall, %.3f s on the device per frame\n",
               r->anchor.wall_s, r->anchor.device_s);
}

/* ---- the command ------------------------------------------------------------------- */

static char *iso_date(char *buf, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* What the command line asked for, as run_devices needs it. */
typedef struct bench_request {
    const cli_command *cmd;
    adn_bench_config c;
    char **argv;
    const char *device, *model, *backbone, *size, *seed, *weights, *json, *child_out;
    int quiet, dry_run, no_first, no_cold, together;
} bench_request;

static int run_devices(const adn_device_entry *devs, int n_dev, const bench_request *q);

int cmd_bench(int argc, char **argv) {
    const char *device = NULL, *model = NULL, *backbone = NULL, *size = "857x481";
    const char *frames = "5", *warmup = "1", *weights = NULL, *json = NULL, *seed = "1";
    const char *peak_gemm = "2048", *peak_seconds = "1", *child_out = NULL;
    int dry_run = 0, no_cold = 0, no_first = 0, no_peak = 0, quiet = 0, together = 0;
    cli_option opts[] = {
        {"device", "SPEC",
         "OpenCL device: index, gpu, cpu, a name substring, or all "
         "(default: $ADNET_DEVICE, else the fastest GPU, else the CPU)",
         &device, NULL},
        {"model", "NAME", "ad, inter, intra, concat or base (default: ad, or the weights')", &model,
         NULL},
        {"backbone", "DEPTH", "ResNet depth, 50 or 101 (default: 101, or the weights')", &backbone,
         NULL},
        {"size", "WxH", "network input size", &size, NULL},
        {"frames", "N", "timed frames per mode", &frames, NULL},
        {"warmup", "N", "untimed frames before them", &warmup, NULL},
        {"weights", "W",
         "a weights file (default: random weights of the right shapes; speed "
         "does not depend on their values)",
         &weights, NULL},
        {"seed", "N", "seed of the random weights and inputs", &seed, NULL},
        {"json", "FILE", "also write every figure as JSON (schema: docs/benchmarks.md)", &json,
         NULL},
        {"peak-gemm", "N",
         "size of the SGEMM peak measurement, on the convolutions' GEMM (0: skip)", &peak_gemm,
         NULL},
        {"peak-seconds", "S", "time budget of each peak measurement", &peak_seconds, NULL},
        {"no-peak", NULL, "skip both peak measurements", NULL, &no_peak},
        {"no-cold", NULL,
         "skip the cold-cache first frame (it compiles every kernel: slow on "
         "PoCL)",
         NULL, &no_cold},
        {"together", NULL,
         "also run the devices as one pool, as adnet segment does, and report its frames/s "
         "against each device alone (efficiency)",
         NULL, &together},
        {"no-first-frame", NULL, "skip both first-frame measurements", NULL, &no_first},
        {"dry-run", NULL, "plan only: FLOP counts and the memory plan, nothing timed", NULL,
         &dry_run},
        {"quiet", NULL, "print nothing but errors (with --json)", NULL, &quiet},
        {"first-frame-child", "FILE", "(internal) measure one first frame into FILE", &child_out,
         NULL},
    };
    cli_command cmd = {
        "adnet bench",
        "[options]",
        "Measures AD-Net on each device: steady-state speed with the anchor's embedding cached "
        "and\nrecomputed per frame (as the released loop does), first-frame latency with cold and "
        "warm\nprogram caches, time per layer group, op kind and kernel from OpenCL profiling "
        "events with\nFLOPs and GFLOP/s, the device's measured peak (an FMA kernel and a large "
        "SGEMM on the\nconvolutions' GEMM backend), and memory. Inputs and, without --weights, "
        "weights are\nrandom. ADNET_GEMM=clblast|adnet|onednn picks the GEMM backend (default: "
        "oneDNN's on CPU\ndevices that run native kernels, else adnet's; CLBlast's on GPUs).",
        NULL,
        opts,
        (int)(sizeof opts / sizeof opts[0]),
        0,
        0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;

    adn_bench_config c;
    adn_bench_config_default(&c);
    /* the model: given, else the weights file's, else ad */
    c.kind = model ? adnet_model_kind_parse(model) : weights ? ADNET_MODEL_UNKNOWN : ADNET_MODEL_AD;
    if (model && c.kind == ADNET_MODEL_UNKNOWN)
        return cli_usage_error(&cmd, "unknown --model '%s' (ad, inter, intra, concat, base)",
                               model);
    c.depth = weights ? 0 : 101;
    if (backbone && (cli_parse_int(backbone, &c.depth) != 0 || (c.depth != 50 && c.depth != 101)))
        return cli_usage_error(&cmd, "--backbone must be 50 or 101, got '%s'", backbone);
    if (cli_parse_size(size, &c.width, &c.height) != 0)
        return cli_usage_error(&cmd, "--size must be WxH (e.g. 857x481), got '%s'", size);
    if (cli_parse_int(frames, &c.frames) != 0 || c.frames < 1)
        return cli_usage_error(&cmd, "--frames must be a positive integer, got '%s'", frames);
    if (cli_parse_int(warmup, &c.warmup) != 0)
        return cli_usage_error(&cmd, "--warmup must be a non-negative integer, got '%s'", warmup);
    int seed_i;
    if (cli_parse_int(seed, &seed_i) != 0)
        return cli_usage_error(&cmd, "--seed must be a non-negative integer, got '%s'", seed);
    c.seed = (uint64_t)seed_i;
    if (cli_parse_int(peak_gemm, &c.peak_gemm_n) != 0 || c.peak_gemm_n > 16384)
        return cli_usage_error(&cmd, "--peak-gemm must be 0..16384, got '%s'", peak_gemm);
    char *end;
    c.peak_seconds = strtod(peak_seconds, &end);
    if (end == peak_seconds || *end || !(c.peak_seconds > 0 && c.peak_seconds <= 600))
        return cli_usage_error(&cmd, "--peak-seconds must be a number in (0, 600], got '%s'",
                               peak_seconds);
    if (no_peak) {
        c.peak_fma = 0;
        c.peak_gemm_n = 0;
    }
    c.weights_path = weights;
    if (quiet && !json && !child_out)
        return cli_usage_error(&cmd, "--quiet without --json would measure for nothing");

    adn_device_entry *devs = NULL;
    int n_dev = 0;
    adnet_status st = adn_device_list_resolve(device, &devs, &n_dev);
    if (st != ADNET_OK) {
        fprintf(stderr, "adnet bench: %s\n", adnet_last_error());
        return st == ADNET_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    bench_request q = {&cmd,    c,    argv,      device, model,   backbone, size,    seed,
                       weights, json, child_out, quiet,  dry_run, no_first, no_cold, together};
    int rc_devices = run_devices(devs, n_dev, &q);
    adn_device_list_free(devs, n_dev);
    return rc_devices;
}

/* The measurements on the resolved devices (the rest of cmd_bench). */
static int run_devices(const adn_device_entry *devs, int n_dev, const bench_request *q) {
    const cli_command cmd = *q->cmd;
    adn_bench_config c = q->c;
    char **argv = q->argv;
    const char *device = q->device, *model = q->model, *backbone = q->backbone, *size = q->size;
    const char *seed = q->seed, *weights = q->weights, *json = q->json;
    const char *child_out = q->child_out;
    int quiet = q->quiet, dry_run = q->dry_run, no_first = q->no_first, no_cold = q->no_cold;
    int together = q->together;
    adnet_status st;
    if (child_out) {
        if (n_dev != 1 || devs[0].parts)
            return cli_usage_error(&cmd, "--first-frame-child takes one whole device");
        return first_frame_child(devs[0].info.index, &c, child_out);
    }
    if (together && n_dev < 2)
        return cli_usage_error(&cmd, "--together needs two devices or more (--device LIST)");
    if (together && dry_run)
        return cli_usage_error(&cmd, "--together measures: not with --dry-run");

    /* fail now, not after minutes of measuring: the weights must fit, the JSON be writable */
    if (weights) {
        st = adn_bench_check_weights(&c);
        if (st != ADNET_OK) return cli_fail(st);
    }
    if (json) {
        adn_atomic_file probe;
        st = adn_atomic_open(&probe, json);
        if (st != ADNET_OK) return cli_fail(st);
        adn_atomic_abort(&probe);
    }

    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0)
        exe[len] = '\0';
    else
        snprintf(exe, sizeof exe, "%s", argv[-1]); /* main passes argv + 1: this is argv[0] */
    char date[40];
    iso_date(date, sizeof date);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", ADN_BENCH_SCHEMA);
    cJSON_AddStringToObject(doc, "runtime", "adnet");
    cJSON_AddStringToObject(doc, "runtime_version", ADNET_VERSION_STRING);
    cJSON_AddStringToObject(doc, "git_commit", ADNET_GIT_COMMIT);
    cJSON_AddStringToObject(doc, "date", date);
    cJSON_AddItemToObject(doc, "host", adn_bench_host_json());
    cJSON *o = cJSON_AddObjectToObject(doc, "options");
    cJSON_AddStringToObject(o, "device", device ? device : "");
    cJSON_AddStringToObject(o, "model", model ? model : weights ? "from-weights" : "ad");
    if (c.depth)
        cJSON_AddNumberToObject(o, "backbone", c.depth);
    else
        cJSON_AddNullToObject(o, "backbone");
    cJSON_AddNumberToObject(o, "width", c.width);
    cJSON_AddNumberToObject(o, "height", c.height);
    cJSON_AddNumberToObject(o, "frames", c.frames);
    cJSON_AddNumberToObject(o, "warmup", c.warmup);
    cJSON_AddStringToObject(o, "weights", weights ? weights : "synthetic");
    cJSON_AddNumberToObject(o, "seed", (double)c.seed);
    cJSON_AddBoolToObject(o, "dry_run", dry_run);
    cJSON_AddBoolToObject(o, "cold_first_frame", !dry_run && !no_first && !no_cold);
    cJSON_AddBoolToObject(o, "warm_first_frame", !dry_run && !no_first);
    cJSON_AddNumberToObject(o, "peak_gemm", c.peak_gemm_n);
    cJSON_AddNumberToObject(o, "peak_seconds", c.peak_seconds);
    cJSON *results = cJSON_AddArrayToObject(doc, "results");

    if (!quiet)
        printf("adnet bench %s (%s): %s R%s at %dx%d, %d frame%s per mode after %d warm-up, %s "
               "weights\n",
               ADNET_VERSION_STRING, ADNET_GIT_COMMIT,
               model     ? model
               : weights ? "(model from the weights)"
                         : "ad",
               c.depth ? (c.depth == 50 ? "50" : "101") : "(from the weights)", c.width, c.height,
               c.frames, c.frames == 1 ? "" : "s", c.warmup, weights ? weights : "random");
    int failed = 0;
    double alone_fps[MAX_DEVICES] = {0};
    for (int k = 0; k < n_dev && !failed; k++) {
        adn_bench_result r;
        adn_bench_first_frame cold = {0}, warm = {0};
        int idx_k = devs[k].info.index;
        child_args a = {exe, idx_k, model, backbone, size, seed, weights, NULL};
        /* a first frame runs in a new process, which can name whole devices only */
        int first = !dry_run && !no_first && !devs[k].parts;
        if (first && !no_cold) {
            if (!quiet)
                fprintf(stderr,
                        "adnet bench: device %d: first frame, cold then warm caches, each "
                        "in a new process...\n",
                        idx_k);
            if (first_frames(&a, 1, &cold, &warm) != 0) {
                failed = 1;
                break;
            }
        }
        if (!quiet && !dry_run)
            fprintf(stderr, "adnet bench: device %d: steady state, profile, peak...\n", k);
        st = adn_bench_run(&devs[k], &c, dry_run, &r);
        if (st != ADNET_OK) {
            cli_fail(st);
            failed = 1;
            break;
        }
        /* without the cold run, the warm one uses the caches this process has just filled */
        if (first && no_cold) {
            if (!quiet)
                fprintf(stderr,
                        "adnet bench: device %d: first frame, warm caches, in a new "
                        "process...\n",
                        idx_k);
            if (first_frames(&a, 0, &cold, &warm) != 0) {
                adn_bench_result_free(&r);
                failed = 1;
                break;
            }
        }
        r.cold = cold;
        r.warm = warm;
        if (!dry_run && r.cached.mean_s > 0) alone_fps[k] = 1.0 / r.cached.mean_s;
        uint64_t rss = peak_rss_bytes();
        if (!quiet) print_result(&r, rss);
        cJSON *j = adn_bench_result_json(&r);
        cJSON *mem = cJSON_GetObjectItemCaseSensitive(j, "memory");
        if (dry_run)
            cJSON_AddNullToObject(mem, "host_peak_rss_bytes");
        else
            cJSON_AddNumberToObject(mem, "host_peak_rss_bytes", (double)rss);
        cJSON_AddItemToArray(results, j);
        adn_bench_result_free(&r);
    }
    if (!failed && together) {
        if (!quiet)
            fprintf(stderr,
                    "adnet bench: the %d devices as one pool (as adnet segment runs "
                    "them)...\n",
                    n_dev);
        adn_pool_result pool;
        st = adn_bench_pool(devs, n_dev, &c, &pool);
        if (st != ADNET_OK) {
            cli_fail(st);
            failed = 1;
        } else {
            double sum = 0;
            for (int k = 0; k < n_dev; k++) sum += alone_fps[k];
            double eff = sum > 0 ? pool.fps / sum : 0;
            if (!quiet) {
                printf("\n  pool of %d devices, anchor cached: %.3f frames/s (%d frames in "
                       "%.2f s)\n",
                       n_dev, pool.fps, pool.frames, pool.seconds);
                for (int k = 0; k < n_dev; k++)
                    printf("    %-48s alone %.3f frames/s, in the pool %lld frames\n",
                           pool.labels[k], alone_fps[k], pool.units[k]);
                printf("    efficiency %.3f (pool / sum of each device alone, %.3f frames/s)\n",
                       eff, sum);
            }
            cJSON *pools = cJSON_AddArrayToObject(doc, "pools");
            cJSON *pj = cJSON_CreateObject();
            cJSON_AddItemToArray(pools, pj);
            cJSON *names = cJSON_AddArrayToObject(pj, "devices");
            cJSON *alone = cJSON_AddArrayToObject(pj, "alone_fps");
            cJSON *units = cJSON_AddArrayToObject(pj, "frames_per_device");
            for (int k = 0; k < n_dev; k++) {
                cJSON_AddItemToArray(names, cJSON_CreateString(pool.labels[k]));
                cJSON_AddItemToArray(alone, cJSON_CreateNumber(alone_fps[k]));
                cJSON_AddItemToArray(units, cJSON_CreateNumber((double)pool.units[k]));
            }
            cJSON_AddNumberToObject(pj, "frames", pool.frames);
            cJSON_AddNumberToObject(pj, "seconds", pool.seconds);
            cJSON_AddNumberToObject(pj, "fps", pool.fps);
            cJSON_AddNumberToObject(pj, "sum_alone_fps", sum);
            cJSON_AddNumberToObject(pj, "efficiency", eff);
        }
    }
    if (!failed && json) {
        cJSON *h = cJSON_GetObjectItemCaseSensitive(doc, "host");
        double load[3];
        FILE *f = fopen("/proc/loadavg", "r");
        if (f && fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3)
            cJSON_AddItemToObject(h, "load_average_end", cJSON_CreateDoubleArray(load, 3));
        if (f) fclose(f);
        char *text = cJSON_Print(doc);
        size_t n = text ? strlen(text) : 0;
        char *line = text ? malloc(n + 2) : NULL;
        free(line ? NULL : text);
        if (!line) {
            failed = 1;
            cli_fail(ADNET_ERR_OUT_OF_MEMORY);
        } else {
            memcpy(line, text, n);
            line[n] = '\n';
            line[n + 1] = '\0';
            free(text);
            st = adn_write_file_atomic(json, line, n + 1);
            free(line);
            if (st != ADNET_OK) {
                cli_fail(st);
                failed = 1;
            }
        }
    }
    cJSON_Delete(doc);
    return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
