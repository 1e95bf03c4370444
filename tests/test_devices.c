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
    return tu_finish("test_devices");
}
