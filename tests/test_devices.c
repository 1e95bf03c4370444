/* Device selection: every spec form (index, type, name substring, ADNET_DEVICE, the default)
 * against expectations computed here from the device list, and a spec that matches nothing
 * fails with a message listing every device. Run with POCL_DEVICES="pthread basic" to have
 * two devices of different speed. */
#include "test_util.h"

#include <ctype.h>
#include <string.h>

/* case-insensitive substring test, written here independently of the library's */
static int has_ci(const char *hay, const char *needle) {
    char h[256], nd[256];
    snprintf(h, sizeof h, "%s", hay);
    snprintf(nd, sizeof nd, "%s", needle);
    for (char *p = h; *p; p++) *p = (char)tolower((unsigned char)*p);
    for (char *p = nd; *p; p++) *p = (char)tolower((unsigned char)*p);
    return strstr(h, nd) != NULL;
}

static int select_one(const char *spec) {
    int idx = -1, n = 0;
    adnet_status st = adn_device_select_many(spec, &idx, 1, &n);
    return st == ADNET_OK && n == 1 ? idx : -1;
}

/* Opens device i and returns its profile. */
static adn_device_profile profile_of(int i) {
    adn_device *dev;
    CHECK_OK(adn_device_open(i, 0, &dev));
    adn_device_profile p = dev->profile;
    adn_device_close(dev);
    return p;
}

static void unset_profile_options(void) {
    const char *names[] = {"profile", "gemm", "im2col", "attention", "winograd"};
    for (int k = 0; k < 5; k++) CHECK_OK(adnet_set_option(names[k], ""));
}

/* The device profile each device gets, and how the settings force one. */
static void test_profiles(int n) {
    unset_profile_options(); /* whatever the environment of the test says */
    for (int i = 0; i < n; i++) {
        adnet_device_info info;
        CHECK_OK(adnet_device_get_info(i, &info));
        adn_device_profile p = profile_of(i), named;
        char desc[160];
        adn_device_profile_describe(&p, desc, sizeof desc);
        printf("[%d] profile %s\n", i, desc);
        /* by the device's kind: CPU devices get the "cpu" profile, all others "gpu" */
        int cpu = info.type == ADNET_DEVICE_CPU;
        CHECK(!strcmp(p.name, cpu ? "cpu" : "gpu"));
        CHECK(p.gemm == (cpu ? ADN_GEMM_ADNET : ADN_GEMM_CLBLAST));
        CHECK(p.im2col == (cpu ? ADN_IM2COL_ROWS : ADN_IM2COL_GENERIC));
        CHECK(p.gemm_b_panels == cpu);
        CHECK(p.attention == (cpu ? ADN_ATTN_ROWS : ADN_ATTN_TILED));
        CHECK(p.scratch_cap_bytes > 0 && p.scratch_cap_bytes <= ((size_t)64 << 20));

        /* a whole profile forced, by call and by the environment */
        CHECK_OK(adnet_set_option("profile", cpu ? "gpu" : "cpu"));
        p = profile_of(i);
        CHECK(!strcmp(p.name, cpu ? "gpu" : "cpu"));
        CHECK_OK(adn_device_profile_named(cpu ? "gpu" : "cpu", &(adn_device_entry){0}, &named));
        CHECK(p.gemm == named.gemm && p.im2col == named.im2col && p.attention == named.attention &&
              p.gemm_b_panels == named.gemm_b_panels);
        CHECK_OK(adnet_set_option("profile", NULL));
        setenv("ADNET_PROFILE", "gpu", 1);
        CHECK(!strcmp(profile_of(i).name, "gpu"));
        unsetenv("ADNET_PROFILE");
        unset_profile_options();

        /* the GEMM alone brings the im2col that feeds it; both forced stay as forced */
        CHECK_OK(adnet_set_option("gemm", "adnet"));
        p = profile_of(i);
        CHECK(p.gemm == ADN_GEMM_ADNET && p.im2col == ADN_IM2COL_ROWS && p.gemm_b_panels);
        CHECK_OK(adnet_set_option("gemm", "clblast"));
        p = profile_of(i);
        CHECK(p.gemm == ADN_GEMM_CLBLAST && p.im2col == ADN_IM2COL_GENERIC && !p.gemm_b_panels);
        CHECK_OK(adnet_set_option("im2col", "rows"));
        p = profile_of(i);
        CHECK(p.gemm == ADN_GEMM_CLBLAST && p.im2col == ADN_IM2COL_ROWS && !p.gemm_b_panels);
        CHECK_OK(adnet_set_option("attention", "direct"));
        CHECK(profile_of(i).attention == ADN_ATTN_DIRECT);
        /* Winograd is on by default in both profiles, off when asked */
        CHECK(profile_of(i).winograd);
        CHECK_OK(adnet_set_option("winograd", "off"));
        CHECK(!profile_of(i).winograd);
        CHECK_OK(adnet_set_option("winograd", "on"));
        CHECK(profile_of(i).winograd);
        CHECK_OK(adnet_set_option("winograd", NULL));
        unset_profile_options();
    }
    /* words outside an option's list, unknown options, bad environment values */
    CHECK_FAILS(adnet_set_option("gemm", "cublas"), ADNET_ERR_INVALID_ARGUMENT,
                "option 'gemm' is 'cublas': expected one of 'clblast', 'adnet'");
    CHECK_FAILS(adnet_set_option("tile", "4"), ADNET_ERR_INVALID_ARGUMENT, "unknown option 'tile'");
    CHECK_FAILS(adnet_set_option("winograd", "yes"), ADNET_ERR_INVALID_ARGUMENT,
                "option 'winograd' is 'yes': expected one of 'on', 'off'");
    char value[64];
    CHECK_OK(adnet_set_option("attention", "rows"));
    CHECK_OK(adnet_get_option("attention", value, sizeof value));
    CHECK(!strcmp(value, "rows"));
    CHECK_OK(adnet_set_option("attention", NULL));
    setenv("ADNET_ATTENTION", "flash", 1);
    CHECK_OK(adnet_get_option("attention", value, sizeof value));
    CHECK(!strcmp(value, "flash"));
    adn_device *dev = NULL;
    CHECK_FAILS(adn_device_open(0, 0, &dev), ADNET_ERR_INVALID_ARGUMENT,
                "ADNET_ATTENTION is 'flash': expected one of 'tiled', 'rows', 'direct'");
    CHECK(dev == NULL);
    CHECK_OK(adnet_set_option("attention", "")); /* "" unsets, whatever the environment says */
    CHECK_OK(adn_device_open(0, 0, &dev));
    adn_device_close(dev);
    unsetenv("ADNET_ATTENTION");
    CHECK_OK(adnet_set_option("attention", NULL));
    /* a profile the ops cannot run is refused */
    adn_device_profile bad;
    CHECK_OK(adn_device_profile_named("gpu", &(adn_device_entry){0}, &bad));
    bad.gemm_b_panels = 1;
    CHECK_FAILS(adn_device_profile_check(&bad), ADNET_ERR_INVALID_ARGUMENT, "B in panels");
    CHECK_FAILS(adn_device_profile_named("npu", &(adn_device_entry){0}, &bad),
                ADNET_ERR_INVALID_ARGUMENT, "unknown device profile 'npu'");
}

static void test_version(void) {
    int major = -1, minor = -1, patch = -1;
    const char *v = adnet_version(&major, &minor, &patch);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", major, minor, patch);
    CHECK(!strcmp(v, want) && !strcmp(v, ADNET_VERSION_STRING));
    CHECK(major == ADNET_VERSION_MAJOR && minor == ADNET_VERSION_MINOR &&
          patch == ADNET_VERSION_PATCH);
    CHECK(adnet_version(NULL, NULL, NULL) == v);
}

int main(void) {
    unsetenv("ADNET_DEVICE");
    int n = 0;
    CHECK_OK(adnet_device_count(&n));
    CHECK(n >= 1);
    adnet_device_info info[16];
    if (n > 16) n = 16;
    for (int i = 0; i < n; i++) {
        CHECK_OK(adnet_device_get_info(i, &info[i]));
        CHECK(info[i].index == i);
        CHECK(info[i].name[0] != '\0');
        CHECK(info[i].compute_units > 0);
        CHECK(info[i].global_mem_bytes > 0 && info[i].max_alloc_bytes > 0);
        CHECK(info[i].max_alloc_bytes <= info[i].global_mem_bytes);
        printf("[%d] %s / %s / %s\n", i, info[i].name, info[i].vendor, info[i].platform);
    }

    /* "all" gives every device in order */
    int all[16], count = 0;
    CHECK_OK(adn_device_select_many("all", all, 16, &count));
    CHECK(count == n);
    for (int i = 0; i < count; i++) CHECK(all[i] == i);

    /* indices */
    for (int i = 0; i < n; i++) {
        char spec[16];
        snprintf(spec, sizeof spec, "%d", i);
        CHECK(select_one(spec) == i);
    }
    CHECK(select_one("99") == -1);

    /* types pick the fastest device of the type; the default prefers GPUs */
    int best_cpu = -1, best_gpu = -1;
    for (int i = 0; i < n; i++) {
        int *best = info[i].type == ADNET_DEVICE_GPU   ? &best_gpu
                    : info[i].type == ADNET_DEVICE_CPU ? &best_cpu
                                                       : NULL;
        if (best && (*best < 0 || info[i].estimated_gflops > info[*best].estimated_gflops))
            *best = i;
    }
    CHECK(select_one("cpu") == best_cpu);
    CHECK(select_one("gpu") == best_gpu);
    int want_default = best_gpu >= 0 ? best_gpu : best_cpu >= 0 ? best_cpu : 0;
    CHECK(select_one(NULL) == want_default);
    CHECK(select_one("") == want_default);

    /* a name substring, in another case, selects the first device that has it */
    for (int i = 0; i < n; i++) {
        char upper[128];
        snprintf(upper, sizeof upper, "%s", info[i].name);
        for (char *p = upper; *p; p++) *p = (char)toupper((unsigned char)*p);
        int first = -1;
        for (int k = 0; k < n && first < 0; k++)
            if (has_ci(info[k].name, upper) || has_ci(info[k].vendor, upper) ||
                has_ci(info[k].platform, upper))
                first = k;
        CHECK(select_one(upper) == first);
    }

    /* ADNET_DEVICE sets the default; an explicit spec wins over it */
    setenv("ADNET_DEVICE", n > 1 ? "1" : "0", 1);
    CHECK(select_one(NULL) == (n > 1 ? 1 : 0));
    CHECK(select_one("0") == 0);
    setenv("ADNET_DEVICE", "no-such-device", 1);
    CHECK(select_one(NULL) == -1);
    unsetenv("ADNET_DEVICE");

    /* no match: the message lists what exists */
    int idx, got;
    CHECK_FAILS(adn_device_select_many("no-such-device", &idx, 1, &got), ADNET_ERR_DEVICE,
                "no OpenCL device matches 'no-such-device'");
    for (int i = 0; i < n; i++) CHECK(tu_contains(adnet_last_error(), info[i].name));
    CHECK_FAILS(adnet_device_select("all", &idx), ADNET_ERR_INVALID_ARGUMENT, "several devices");

    /* the "device" option sets the default like ADNET_DEVICE, and wins over it */
    setenv("ADNET_DEVICE", "no-such-device", 1);
    CHECK_OK(adnet_set_option("device", "0"));
    CHECK(select_one(NULL) == 0);
    CHECK_OK(adnet_set_option("device", NULL)); /* back to the environment */
    CHECK(select_one(NULL) == -1);
    unsetenv("ADNET_DEVICE");

    test_profiles(n);
    test_version();
    return tu_finish("test_devices");
}
