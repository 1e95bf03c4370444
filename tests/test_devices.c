/* Device selection: every spec form (index, type, name substring, ADNET_DEVICE, the default)
 * against expectations computed here from the device list, and a spec that matches nothing
 * fails with a message listing every device. Run with POCL_DEVICES="pthread basic" to have
 * two devices of different speed on one chip. One device per chip: the chip identities and the
 * choice among a chip's drivers on hand-made cases (two drivers of one CPU, GPUs with and
 * without PCI addresses, each rule of the choice), and on the devices present. */
#include "test_util.h"
#include "device_chip.h"
#include "device_select.h"

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

/* ---- one device per chip, on hand-made devices ---------------------------------------- */

static void identify(adnet_device_type type, int unified, const char *name, unsigned vendor_id,
                     uint64_t mem, const int *pci, const char *host, char *p, char *d) {
    adn_chip_facts f = {type, unified, name, vendor_id, mem, pci != NULL, 0, 0, 0, 0, host};
    if (pci) {
        f.pci_domain = (unsigned)pci[0];
        f.pci_bus = (unsigned)pci[1];
        f.pci_device = (unsigned)pci[2];
        f.pci_function = (unsigned)pci[3];
    }
    adn_chip_identify(&f, p, 32, d, 160);
}

static void test_chip_identity(void) {
    char p1[32], d1[160], p2[32], d2[160];
    const char *xeon = "Intel(R) Xeon(R) Platinum 8480+";
    /* PoCL and Intel's runtime name the same host CPU differently */
    identify(ADNET_DEVICE_CPU, 1, "pthread-sapphirerapids-Intel(R) Xeon(R) Platinum 8480+", 0x8086,
             64ull << 30, NULL, xeon, p1, d1);
    identify(ADNET_DEVICE_CPU, 1, xeon, 0x8086, 62ull << 30, NULL, xeon, p2, d2);
    CHECK(!strcmp(p1, "") && !strcmp(d1, "host CPU Intel(R) Xeon(R) Platinum 8480+"));
    CHECK(!strcmp(d1, d2) && adn_chip_same(p1, d1, p2, d2));
    /* a CPU device not in host memory, or naming another model, is not the host CPU */
    identify(ADNET_DEVICE_CPU, 0, xeon, 0x8086, 62ull << 30, NULL, xeon, p2, d2);
    CHECK(!adn_chip_same(p1, d1, p2, d2));
    identify(ADNET_DEVICE_CPU, 1, "AMD EPYC 9654", 0x1022, 62ull << 30, NULL, xeon, p2, d2);
    CHECK(!adn_chip_same(p1, d1, p2, d2));
    /* GPUs: the PCI address decides where both have one */
    const int a[4] = {0, 3, 0, 0}, b[4] = {0, 0x65, 0, 0};
    identify(ADNET_DEVICE_GPU, 0, "NVIDIA GeForce RTX 3080", 0x10de, 10ull << 30, a, "", p1, d1);
    CHECK(!strcmp(p1, "PCI 0000:03:00.0"));
    CHECK(!strcmp(d1, "gpu 0x10de NVIDIA GeForce RTX 3080 10240 MiB"));
    identify(ADNET_DEVICE_GPU, 0, "NVIDIA GeForce RTX 3080", 0x10de, 10ull << 30, b, "", p2, d2);
    CHECK(!adn_chip_same(p1, d1, p2, d2)); /* two cards of one model */
    identify(ADNET_DEVICE_GPU, 0, "NVIDIA GeForce RTX 3080", 0x10de, 10ull << 30, a, "", p2, d2);
    CHECK(adn_chip_same(p1, d1, p2, d2));
    /* one driver without the address: the description decides */
    identify(ADNET_DEVICE_GPU, 0, "NVIDIA GeForce RTX 3080", 0x10de, 10ull << 30, NULL, "", p2, d2);
    CHECK(adn_chip_same(p1, d1, p2, d2));
    identify(ADNET_DEVICE_GPU, 0, "NVIDIA GeForce RTX 3080", 0x10de, 12ull << 30, NULL, "", p2, d2);
    CHECK(!adn_chip_same(p1, d1, p2, d2));
}

static adn_chip_candidate candidate(const char *desc, adnet_device_type type, const char *platform,
                                    const char *vendor, double gflops, double ms, const char *on) {
    adn_chip_candidate c = {"", desc, type, platform, vendor, gflops, ms, on};
    return c;
}

static void test_chip_choice(void) {
    const char *cpu = "host CPU AMD EPYC", *pocl = "Portable Computing Language";
    const char *intel = "Intel(R) OpenCL", *net = "ad R101 857x481 in the cpu profile";
    char why[4][320];
    int st[4];
    /* measured: the faster by adnet tune wins, whatever the estimates say */
    adn_chip_candidate c[4] = {
        candidate(cpu, ADNET_DEVICE_CPU, pocl, "AuthenticAMD", 166, 900, net),
        candidate(cpu, ADNET_DEVICE_CPU, intel, "Intel(R) Corporation", 0, 750, net),
        candidate("gpu 0x1002 gfx1030 16368 MiB", ADNET_DEVICE_GPU,
                  "AMD Accelerated Parallel "
                  "Processing",
                  "Advanced Micro Devices, Inc.", 20000, -1, ""),
    };
    adn_chip_choose(c, 3, st, why[0], sizeof why[0]);
    CHECK(st[0] == 1 && st[1] == -1 && st[2] == -1);
    CHECK(tu_contains(why[0], "same chip as [1]") && tu_contains(why[0], "measured"));
    CHECK(tu_contains(why[1], "2 devices expose") && why[2][0] == '\0');
    /* measured on different networks: not comparable, so the estimate (unknown for Intel's
     * 0 MHz: skipped), then the preference (PoCL for CPUs) */
    c[1].measured_on = "ad R101 321x177 in the cpu profile";
    adn_chip_choose(c, 2, st, why[0], sizeof why[0]);
    CHECK(st[0] == -1 && st[1] == 0 && tu_contains(why[1], "preferred driver"));
    /* estimates that differ (PoCL's pthread and basic devices: 2 and 1 compute units) */
    c[0] = candidate(cpu, ADNET_DEVICE_CPU, pocl, "AuthenticAMD", 83, -1, "");
    c[1] = candidate(cpu, ADNET_DEVICE_CPU, pocl, "AuthenticAMD", 166, -1, "");
    adn_chip_choose(c, 2, st, why[0], sizeof why[0]);
    CHECK(st[0] == 1 && st[1] == -1 && tu_contains(why[0], "estimated"));
    /* the same in every respect: the first listed */
    c[0] = c[1];
    adn_chip_choose(c, 2, st, why[0], sizeof why[0]);
    CHECK(st[0] == -1 && st[1] == 0 && tu_contains(why[1], "listed first"));
    /* a GPU through a portable driver and its maker's: the maker's */
    const char *g = "gpu 0x10de NVIDIA GeForce RTX 3080 10240 MiB";
    c[0] = candidate(g, ADNET_DEVICE_GPU, pocl, "NVIDIA Corporation", 30000, -1, "");
    c[1] = candidate(g, ADNET_DEVICE_GPU, "NVIDIA CUDA", "NVIDIA Corporation", 30000, -1, "");
    c[2] = candidate(cpu, ADNET_DEVICE_CPU, pocl, "AuthenticAMD", 166, -1, "");
    adn_chip_choose(c, 3, st, why[0], sizeof why[0]);
    CHECK(st[0] == 1 && st[1] == -1 && st[2] == -1);
    /* three devices of one chip point at one of them */
    for (int i = 0; i < 3; i++) c[i] = candidate(cpu, ADNET_DEVICE_CPU, pocl, "x", 166, -1, "");
    c[2].measured_ms = 5;
    c[2].measured_on = net;
    adn_chip_choose(c, 3, st, why[0], sizeof why[0]);
    CHECK(st[0] == -1 && st[1] == 0 && st[2] == 0); /* not every one measured: listed first */
    for (int i = 0; i < 3; i++) {
        c[i].measured_ms = i == 1 ? 4 : 6;
        c[i].measured_on = net;
    }
    adn_chip_choose(c, 3, st, why[0], sizeof why[0]);
    CHECK(st[0] == 1 && st[1] == -1 && st[2] == 1);
}

/* The devices present: "all" keeps one device per chip, "every" all of them. */
static void test_chips_present(int n, const adnet_device_info *info) {
    int all[16], count = 0, every[16], count_every = 0;
    CHECK_OK(adn_device_select_many("all", all, 16, &count));
    CHECK_OK(adn_device_select_many("every", every, 16, &count_every));
    CHECK(count_every == n);
    for (int i = 0; i < count_every; i++) CHECK(every[i] == i);
    int k = 0;
    for (int i = 0; i < n; i++) {
        int s = info[i].same_chip_as;
        if (s < 0) {
            CHECK(k < count && all[k] == i);
            k++;
        } else {
            /* the device standing for the chip is the same chip and stands for it */
            CHECK(s != i && s < n && info[s].same_chip_as == -1 &&
                  !strcmp(info[s].chip, info[i].chip));
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(info[i].chip, info[j].chip))
                CHECK(info[i].same_chip_as >= 0 || info[j].same_chip_as >= 0);
    }
    CHECK(k == count);
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
    const char *names[] = {"profile", "gemm", "im2col", "attention", "winograd", "onednn_conv"};
    for (int k = 0; k < 5; k++) CHECK_OK(adnet_set_option(names[k], ""));
}

/* The CPU engine by what a device can do, on hand-made entries: a CPU device without native
 * kernels (or whose memory is not the host's) falls back to adnet's GEMM, in panels, saying
 * why; one with both gets oneDNN's where it is built in. */
static void test_engine_choice(void) {
    adn_device_entry e;
    memset(&e, 0, sizeof e);
    e.info.type = ADNET_DEVICE_CPU;
    struct {
        int native, unified;
        const char *why;
    } cases[] = {{0, 1, "the device runs no native kernels"},
                 {1, 0, "the device does not share host memory"},
                 {0, 0, "the device runs no native kernels"},
                 {1, 1, NULL}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        e.native_kernels = cases[c].native;
        e.host_unified = cases[c].unified;
        const char *why = adn_onednn_unavailable(&e);
#ifdef ADNET_HAVE_ONEDNN
        CHECK(cases[c].why ? why && !strcmp(why, cases[c].why) : why == NULL);
#else
        CHECK(why && strstr(why, "not built in"));
#endif
        adn_device_profile p;
        CHECK_OK(adn_device_profile_named("cpu", &e, &p));
        CHECK_OK(adn_device_profile_check(&p));
        CHECK(p.gemm == (why ? ADN_GEMM_ADNET : ADN_GEMM_ONEDNN));
        CHECK(p.gemm_b_panels == (why != NULL));
        char desc[300];
        adn_device_profile_describe(&p, desc, sizeof desc);
        printf("  cpu profile with native kernels %d, host memory %d: %s\n", e.native_kernels,
               e.host_unified, desc);
        CHECK(why ? strstr(desc, "gemm adnet [no onednn: ") && strstr(desc, why)
                  : strstr(desc, "gemm onednn,") != NULL);
        /* forced, the same fallback, named as asked for */
        CHECK_OK(adnet_set_option("gemm", "onednn"));
        CHECK_OK(adn_device_profile_resolve_untuned(&e, &p));
        CHECK(p.gemm == (why ? ADN_GEMM_ADNET : ADN_GEMM_ONEDNN) && p.im2col == ADN_IM2COL_ROWS);
        CHECK(why ? strstr(p.gemm_note, "onednn asked: ") != NULL : !*p.gemm_note);
        CHECK_OK(adnet_set_option("gemm", NULL));
    }
    /* a GPU keeps CLBlast whatever it can do */
    e.info.type = ADNET_DEVICE_GPU;
    adn_device_profile g;
    CHECK_OK(adn_device_profile_resolve_untuned(&e, &g));
    CHECK(g.gemm == ADN_GEMM_CLBLAST && !*g.gemm_note);
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
        /* by the device's kind: CPU devices get the "cpu" profile, all others "gpu"; the cpu
         * profile's GEMM is oneDNN's where the device runs native kernels and oneDNN is built
         * in, else adnet's (in panels) with a note saying why */
        int cpu = info.type == ADNET_DEVICE_CPU;
        const adn_device_entry *list;
        int n_list;
        CHECK_OK(adn_devices(&list, &n_list));
        int onednn = cpu && adn_onednn_unavailable(&list[i]) == NULL;
        CHECK(!strcmp(p.name, cpu ? "cpu" : "gpu"));
        CHECK(p.gemm == (!cpu ? ADN_GEMM_CLBLAST : onednn ? ADN_GEMM_ONEDNN : ADN_GEMM_ADNET));
        CHECK(p.im2col == (cpu ? ADN_IM2COL_ROWS : ADN_IM2COL_GENERIC));
        CHECK(p.gemm_b_panels == (cpu && !onednn));
        CHECK(cpu && !onednn ? strstr(p.gemm_note, "no onednn: ") == p.gemm_note : !*p.gemm_note);
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
        /* oneDNN asked: where it cannot run, adnet's GEMM and a note saying why */
        CHECK_OK(adnet_set_option("im2col", ""));
        CHECK_OK(adnet_set_option("gemm", "onednn"));
        p = profile_of(i);
        const char *why = adn_onednn_unavailable(&list[i]);
        CHECK(p.gemm == (why ? ADN_GEMM_ADNET : ADN_GEMM_ONEDNN) && p.im2col == ADN_IM2COL_ROWS);
        CHECK(p.gemm_b_panels == (why != NULL));
        CHECK(why ? strstr(p.gemm_note, "onednn asked: ") == p.gemm_note && strstr(p.gemm_note, why)
                  : !*p.gemm_note);
        CHECK_OK(adnet_set_option("attention", "direct"));
        CHECK(profile_of(i).attention == ADN_ATTN_DIRECT);
        /* Winograd is on by default in both profiles, off when asked */
        CHECK(profile_of(i).winograd);
        CHECK_OK(adnet_set_option("winograd", "off"));
        CHECK(!profile_of(i).winograd);
        CHECK_OK(adnet_set_option("winograd", "on"));
        CHECK(profile_of(i).winograd);
        CHECK_OK(adnet_set_option("winograd", NULL));
        /* oneDNN's convolutions where they pay by default, forced on every 3x3, or none */
        CHECK(profile_of(i).onednn_conv == ADN_ONEDNN_CONV_AUTO);
        CHECK_OK(adnet_set_option("onednn_conv", "on"));
        CHECK(profile_of(i).onednn_conv == ADN_ONEDNN_CONV_ON);
        CHECK_OK(adnet_set_option("onednn_conv", "off"));
        CHECK(profile_of(i).onednn_conv == ADN_ONEDNN_CONV_OFF);
        CHECK_OK(adnet_set_option("onednn_conv", NULL));
        unset_profile_options();
    }
    /* words outside an option's list, unknown options, bad environment values */
    CHECK_FAILS(adnet_set_option("gemm", "cublas"), ADNET_ERR_INVALID_ARGUMENT,
                "option 'gemm' is 'cublas': expected one of 'clblast', 'adnet', 'onednn'");
    CHECK_FAILS(adnet_set_option("tile", "4"), ADNET_ERR_INVALID_ARGUMENT, "unknown option 'tile'");
    CHECK_FAILS(adnet_set_option("winograd", "yes"), ADNET_ERR_INVALID_ARGUMENT,
                "option 'winograd' is 'yes': expected one of 'on', 'off'");
    CHECK_FAILS(adnet_set_option("onednn_conv", "always"), ADNET_ERR_INVALID_ARGUMENT,
                "option 'onednn_conv' is 'always': expected one of 'auto', 'on', 'off'");
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
    test_engine_choice();
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

    /* "all" gives one device per chip, "every" every device */
    test_chips_present(n, info);

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
        if (best && info[i].same_chip_as < 0 &&
            (*best < 0 || info[i].estimated_gflops > info[*best].estimated_gflops))
            *best = i;
    }
    CHECK(select_one("cpu") == best_cpu);
    CHECK(select_one("gpu") == best_gpu);
    int want_default = best_gpu >= 0 ? best_gpu : best_cpu >= 0 ? best_cpu : 0;
    CHECK(select_one(NULL) == want_default);
    CHECK(select_one("") == want_default);

    /* a name substring, in another case, selects the first device that has it and stands for
     * its chip, else the first that has it */
    for (int i = 0; i < n; i++) {
        char upper[128];
        snprintf(upper, sizeof upper, "%s", info[i].name);
        for (char *p = upper; *p; p++) *p = (char)toupper((unsigned char)*p);
        int first = -1, first_standing = -1;
        for (int k = 0; k < n; k++)
            if (has_ci(info[k].name, upper) || has_ci(info[k].vendor, upper) ||
                has_ci(info[k].platform, upper)) {
                if (first < 0) first = k;
                if (first_standing < 0 && info[k].same_chip_as < 0) first_standing = k;
            }
        CHECK(select_one(upper) == (first_standing >= 0 ? first_standing : first));
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
    test_chip_identity();
    test_chip_choice();
    return tu_finish("test_devices");
}
