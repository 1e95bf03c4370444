/* `adnet tune` (perf/tune.h, runtime/tuning.h): the search writes an entry that the next device
 * opened picks up; entries that are corrupt, stale or hold values outside the candidates are
 * ignored (the device runs on the defaults and says why) and the next search rewrites them;
 * ADNET_TUNE=off ignores a good one; and the network's logits with tuned values agree with the
 * defaults' to float noise, in the cpu profile (adnet's GEMM tiles) and the gpu profile
 * (CLBlast's parameter sets, the tiled attention's tiles). Runs in its own cache directory. */
#include "test_util.h"

#include "arch.h"
#include "device_list.h"
#include "files.h"
#include "model.h"
#include "tuner.h"
#include "tuning.h"

#include <math.h>
#include <string.h>

enum { W = 129, H = 97 };

static int file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static void write_text(const char *path, const char *text, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(text, 1, n, f) == n);
    fclose(f);
}

/* The whole file (malloc'd, NUL-terminated). */
static char *read_text(const char *path) {
    unsigned char *data = NULL;
    size_t size = 0;
    CHECK_OK(adn_read_file(path, &data, &size));
    char *text = malloc(size + 1);
    if (!text) exit(1);
    memcpy(text, data, size);
    text[size] = '\0';
    free(data);
    return text;
}

static adn_device_profile resolved(const adn_device_entry *e) {
    adn_device_profile p;
    CHECK_OK(adn_device_profile_resolve(e, &p));
    return p;
}

/* The R50 `ad` network's logits for one frame against an anchor, on a device opened with flags
 * (ADN_DEVICE_UNTUNED or not); the profile it ran in goes to *used. */
static float *logits_of(const adn_device_entry *e, int flags, adn_device_profile *used, size_t *n) {
    adn_device *dev;
    CHECK_OK(adn_device_open_entry(e, flags, &dev));
    *used = dev->profile;
    adn_arch arch;
    CHECK_OK(adn_arch_make(ADNET_MODEL_AD, 50, 128, &arch));
    adn_weights *w;
    CHECK_OK(adn_weights_synthetic(&arch, 7, &w));
    adnet_model *m;
    CHECK_OK(adn_model_create(dev, w, &arch, &m));
    adn_weights_close(w);
    adn_model_adopt_device(m);
    int fw, fh;
    adn_feature_size(W, H, &fw, &fh);
    *n = (size_t)fw * fh;
    float *anchor = malloc(sizeof(float) * 3 * W * H), *frame = malloc(sizeof(float) * 3 * W * H);
    float *logits = malloc(*n * sizeof *logits);
    tu_rng r = tu_rng_seed(11);
    tu_fill_uniform(&r, anchor, (size_t)3 * W * H, -120.0f, 130.0f);
    tu_fill_uniform(&r, frame, (size_t)3 * W * H, -120.0f, 130.0f);
    CHECK_OK(adn_model_prepare(m, W, H));
    CHECK_OK(adn_model_anchor(m, 0, anchor, W, H));
    adn_event done;
    CHECK_OK(adn_model_submit(m, 0, frame, W, H, logits, &done));
    CHECK_OK(adn_events_wait(1, &done, "frame"));
    adn_event_release(done);
    adnet_model_free(m);
    free(anchor);
    free(frame);
    return logits;
}

static void check_agree(const char *what, const float *tuned, const float *untuned, size_t n) {
    float lo = untuned[0], hi = untuned[0];
    for (size_t i = 0; i < n; i++) {
        if (untuned[i] < lo) lo = untuned[i];
        if (untuned[i] > hi) hi = untuned[i];
    }
    CHECK(hi > lo); /* logits that vary: the comparison means something */
    tu_check_close(what, tuned, untuned, n, 1e-4 * (hi - lo), 0);
}

/* A search on the cpu or gpu profile of device e: an entry written and picked up. */
static void test_search_writes_entry(const adn_device_entry *e, int w, int h, double budget) {
    /* and a whole frame timed after the search, kept in the entry */
    adn_tune_config c = {ADNET_MODEL_AD, 50, w, h, budget, NULL, NULL, 1};
    adn_tune_result r;
    CHECK_OK(adn_tune(e, &c, &r));
    CHECK(r.frame_ms > 0);
    {
        adn_device_profile p = resolved(e);
        char net[200];
        double ms = -1;
        CHECK(adn_tuning_measured(e, &p, net, sizeof net, &ms) == 1);
        CHECK(fabs(ms - r.frame_ms) <= 1e-6 * r.frame_ms && tu_contains(net, "a frame of"));
    }
    printf("tuned %s in %d trials: %.2f -> %.2f ms, %s\n", r.network, r.n_trials, r.default_ms,
           r.tuned_ms, r.path);
    CHECK(file_exists(r.path));
    CHECK(r.n_trials > 1 && r.n_shapes > 0 && r.coverage > 0.5 && r.coverage <= 1.0);
    CHECK(r.tuned_ms > 0 && r.tuned_ms <= r.default_ms);
    /* one winner per group searched, measured and accepted */
    int chosen = 0;
    for (int i = 0; i < r.n_trials; i++)
        if (r.trials[i].chosen) {
            chosen++;
            CHECK(r.trials[i].ms >= 0 && !strncmp(r.trials[i].status, "ok", 2));
        }
    int groups = (r.untuned.gemm == ADN_GEMM_ADNET || r.untuned.gemm == ADN_GEMM_CLBLAST) +
                 (r.untuned.attention == ADN_ATTN_TILED);
    CHECK(chosen == groups);
    adn_device_profile p = resolved(e);
    printf("  device now: %s\n", p.tuning);
    CHECK(p.tuned == 1 && tu_contains(p.tuning, "tuned ("));
    for (int t = 0; t < ADN_TUNABLE_COUNT; t++)
        CHECK(adn_tunable_get(&p, (adn_tunable)t) == adn_tunable_get(&r.tuned, (adn_tunable)t));
    adn_tune_result_free(&r);
}

/* A tuning of a profile with nothing to search (oneDNN's GEMM, the rows attention): no trials,
 * the defaults kept, one whole frame timed and kept in the entry for the choice of a chip's
 * device. */
static void test_frames_only(const adn_device_entry *e) {
    adn_tune_config c = {ADNET_MODEL_AD, 50, W, H, 1.0, NULL, NULL, 1};
    adn_tune_result r;
    CHECK_OK(adn_tune(e, &c, &r));
    CHECK(r.n_trials == 0 && r.frame_ms > 0 && r.tuned.gemm == ADN_GEMM_ONEDNN);
    adn_device_profile p = resolved(e);
    CHECK(p.tuned == 1 && p.gemm == ADN_GEMM_ONEDNN);
    char net[200];
    double ms = -1;
    CHECK(adn_tuning_measured(e, &p, net, sizeof net, &ms) == 1);
    CHECK(fabs(ms - r.frame_ms) <= 1e-6 * r.frame_ms);
    printf("oneDNN profile: nothing searched, a frame of %.1f ms kept (%s)\n", r.frame_ms,
           p.tuning);
    adn_tune_result_free(&r);
}

/* Each damaged entry is ignored, saying why; the next search rewrites it. */
static void test_damaged_entries(const adn_device_entry *e) {
    adn_device_profile p = resolved(e);
    char path[4200];
    adn_tuning_path(e, &p, path, sizeof path);
    char *good = read_text(path);
    size_t len = strlen(good);
    char key[2048];
    adn_tuning_key(e, &p, key, sizeof key);
    char *stale = malloc(len + 64), *bad_value = malloc(len + 64), *unknown = malloc(len + 64);
    /* the key of another driver, a value no candidate has, a parameter adnet does not know */
    char *k = strstr(good, "|cpu ") ? strstr(good, "|cpu ") : strstr(good, "|gpu ");
    CHECK(k != NULL);
    snprintf(stale, len + 64, "%.*s|xpu %s", (int)(k - good), good, k + 5);
    const char *param = p.gemm == ADN_GEMM_ADNET ? "\"gemm_mc\":" : "\"attn_max_bk\":";
    char *v = strstr(good, param);
    CHECK(v != NULL);
    snprintf(bad_value, len + 64, "%.*s%s\t100%s", (int)(v - good), good, param,
             strchr(v, ',') ? strchr(v, ',') : strchr(v, '\n'));
    snprintf(unknown, len + 64, "%.*s\"gemm_nr\": 64, %s", (int)(v - good), good, v);
    const struct {
        const char *text;
        size_t n;
        const char *why;
    } cases[] = {
        {good, len / 2, "corrupt: not JSON"},         /* truncated mid-write */
        {"\x89PNG\r\n\x1a\n garbage", 16, "corrupt"}, /* not text at all */
        {good, len + 1, "corrupt"},                   /* a NUL byte inside */
        {"{\"format\": \"adnet-tune 0\"}", 26, "corrupt: no \"format\""},
        {stale, strlen(stale), "stale"},
        {bad_value, strlen(bad_value), "not one of its candidates"},
        {unknown, strlen(unknown), "unknown parameter 'gemm_nr'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_text(path, cases[i].text, cases[i].n);
        adn_device_profile q = resolved(e);
        printf("  damaged entry %zu: %s\n", i, q.tuning);
        CHECK(q.tuned == 0 && tu_contains(q.tuning, "ignored") &&
              tu_contains(q.tuning, cases[i].why));
        /* the defaults, exactly */
        adn_device_profile u;
        CHECK_OK(adn_device_profile_resolve_untuned(e, &u));
        for (int t = 0; t < ADN_TUNABLE_COUNT; t++)
            CHECK(adn_tunable_get(&q, (adn_tunable)t) == adn_tunable_get(&u, (adn_tunable)t));
    }
    /* a new search (budget spent at once: the defaults alone are measured) rewrites it */
    adn_tune_config c = {ADNET_MODEL_AD, 50, W, H, 1e-3, NULL, NULL, 0};
    adn_tune_result r;
    CHECK_OK(adn_tune(e, &c, &r));
    adn_tune_result_free(&r);
    CHECK(resolved(e).tuned == 1);
    /* the setting "tune" off ignores a good entry */
    CHECK_OK(adnet_set_option("tune", "off"));
    adn_device_profile off = resolved(e);
    CHECK(off.tuned == 0 && tu_contains(off.tuning, "tuning off"));
    CHECK_OK(adnet_set_option("tune", NULL));
    free(good);
    free(stale);
    free(bad_value);
    free(unknown);
}

/* Logits with an entry of non-default values against the defaults'. The untuned run comes
 * first: CLBlast keeps parameters given once for the rest of the process. */
static void test_results_agree(const adn_device_entry *e, const char *profile) {
    adn_device_profile p = resolved(e), used;
    if (p.gemm == ADN_GEMM_ADNET) {
        p.gemm_mc = 64;
        p.gemm_kc = 128;
    } else {
        p.clblast_xgemm = 1;
        p.clblast_direct = 2;
        p.clblast_threshold = 128;
    }
    if (p.attention == ADN_ATTN_TILED) {
        p.attn_target_threads = 64;
        p.attn_max_bk = 32;
    }
    size_t n, n2;
    float *untuned = logits_of(e, ADN_DEVICE_UNTUNED, &used, &n);
    CHECK(used.tuned == 0);
    CHECK_OK(adn_tuning_store(e, &p, "test", 1, 1, -1, NULL, 0));
    float *tuned = logits_of(e, 0, &used, &n2);
    printf("  %s profile: %s\n", profile, used.tuning);
    CHECK(used.tuned == 1 && n == n2);
    CHECK(used.gemm_mc == p.gemm_mc && used.gemm_kc == p.gemm_kc &&
          used.clblast_xgemm == p.clblast_xgemm && used.attn_max_bk == p.attn_max_bk);
    char what[64];
    snprintf(what, sizeof what, "%s profile: tuned logits", profile);
    check_agree(what, tuned, untuned, n);
    free(untuned);
    free(tuned);
}

int main(void) {
    char *dir = tu_mkdtemp();
    CHECK_OK(adnet_set_option("cache_dir", dir));
    const adn_device_entry *list;
    int n;
    CHECK_OK(adn_devices(&list, &n));
    const adn_device_entry *e = &list[0];
    adn_device_profile p = resolved(e);
    CHECK(p.tuned == 0 && tu_contains(p.tuning, "not tuned"));
    /* oneDNN, the cpu profile's engine where the device runs native kernels, has nothing to
     * search: the entry keeps the frame timed */
    if (p.gemm == ADN_GEMM_ONEDNN) test_frames_only(e);
    /* the cpu profile with adnet's GEMM (the default where oneDNN cannot run) */
    if (!strcmp(p.name, "cpu")) CHECK_OK(adnet_set_option("gemm", "adnet"));
    CHECK(resolved(e).tuned == 0);
    test_search_writes_entry(e, W, H, 10.0);
    test_damaged_entries(e);
    test_results_agree(e, p.name);
    CHECK_OK(adnet_set_option("gemm", ""));
    /* the other named profile: its own entry, its own tunables (the comparison first, while
     * CLBlast still has its own parameters) */
    const char *other = !strcmp(p.name, "cpu") ? "gpu" : "cpu";
    CHECK_OK(adnet_set_option("profile", other));
    CHECK(resolved(e).tuned == 0); /* the first profile's entry is not this one's */
    test_results_agree(e, other);
    /* smaller: CLBlast's kernels are slow on CPU devices */
    test_search_writes_entry(e, 65, 49, 8.0);
    CHECK_OK(adnet_set_option("profile", ""));
    tu_rm_rf(dir);
    free(dir);
    return tu_finish("test_tune");
}
