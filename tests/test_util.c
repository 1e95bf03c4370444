#include "test_util.h"
#include "device_select.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int tu_failures;

int tu_contains(const char *hay, const char *needle) {
    return hay && needle && strstr(hay, needle) != NULL;
}

int tu_finish(const char *test_name) {
    if (tu_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", test_name, tu_failures);
        return 1;
    }
    printf("%s: all checks passed\n", test_name);
    return 0;
}

tu_rng tu_rng_seed(uint64_t seed) {
    tu_rng r = {seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull};
    if (!r.s) r.s = 1;
    return r;
}

float tu_uniform(tu_rng *r, float lo, float hi) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    double u = (double)(r->s >> 11) / 9007199254740992.0;
    return (float)(lo + (hi - lo) * u);
}

void tu_fill_uniform(tu_rng *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = tu_uniform(r, lo, hi);
}

double tu_max_abs_diff(const float *a, const float *b, size_t n, size_t *worst) {
    double m = 0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || isnan(d)) {
            m = isnan(d) ? INFINITY : d;
            w = i;
        }
    }
    if (worst) *worst = w;
    return m;
}

int tu_check_close(const char *what, const float *got, const float *want, size_t n, double atol,
                   double rtol) {
    double scale = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
    size_t worst;
    double d = tu_max_abs_diff(got, want, n, &worst);
    double tol = atol + rtol * scale;
    int ok = d <= tol;
    printf("  %-48s max|diff| %.3g (tol %.3g)%s\n", what, d, tol, ok ? "" : "  FAILED");
    if (!ok) {
        fprintf(stderr, "  %s: worst at %zu: got %.8g want %.8g\n", what, worst, (double)got[worst],
                (double)want[worst]);
        tu_failures++;
    }
    return ok;
}

int tu_under_simulator(void) {
    const char *v = getenv("ADNET_TEST_SIMULATOR");
    return v && *v && strcmp(v, "0") != 0;
}

int tu_open_devices(adn_device **devs, int max) {
    int idx[16], n = 0;
    const char *spec = getenv("ADNET_TEST_DEVICES");
    CHECK_OK(adn_device_select_many(spec && *spec ? spec : "all", idx, 16, &n));
    if (n == 0) {
        fprintf(stderr, "no OpenCL device: the tests need one (install pocl-opencl-icd)\n");
        exit(1);
    }
    if (n > max) n = max;
    for (int i = 0; i < n; i++) {
        CHECK_OK(adn_device_open(idx[i], 0, &devs[i]));
        printf("device [%d] %s (%s)\n", idx[i], devs[i]->entry.info.name,
               devs[i]->entry.info.platform);
    }
    return n;
}

int tu_profiles(const adn_device *dev, adn_device_profile *out, int max) {
    adn_device_profile all[6];
    all[0] = dev->profile;
    CHECK_OK(adn_device_profile_named("cpu", &dev->entry, &all[1]));
    CHECK_OK(adn_device_profile_named("gpu", &dev->entry, &all[2]));
    CHECK_OK(adn_device_profile_named("cpu", &dev->entry, &all[3]));
    all[3].im2col = ADN_IM2COL_GENERIC;
    all[3].gemm_b_panels = 0;
    all[3].attention = ADN_ATTN_DIRECT;
    snprintf(all[3].name, sizeof all[3].name, "cpu-mixed");
    CHECK_OK(adn_device_profile_named("gpu", &dev->entry, &all[4]));
    all[4].im2col = ADN_IM2COL_ROWS;
    snprintf(all[4].name, sizeof all[4].name, "gpu-mixed");
    /* adnet's own GEMM where the cpu profile chose oneDNN's: every engine is tested */
    int n_all = 5;
    if (all[1].gemm != ADN_GEMM_ADNET) {
        all[5] = all[1];
        all[5].gemm = ADN_GEMM_ADNET;
        all[5].gemm_b_panels = 1;
        snprintf(all[5].name, sizeof all[5].name, "cpu-adnet");
        n_all = 6;
    }
    int n = 0;
    for (int i = 0; i < n_all && n < max; i++) {
        CHECK_OK(adn_device_profile_check(&all[i]));
        out[n++] = all[i];
    }
    return n;
}

void tu_close_devices(adn_device **devs, int n) {
    for (int i = 0; i < n; i++) adn_device_close(devs[i]);
}

char *tu_mkdtemp(void) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *path = malloc(strlen(base) + 32);
    sprintf(path, "%s/adnet-test-XXXXXX", base);
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        exit(1);
    }
    return path;
}

void tu_rm_rf(const char *path) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
}
