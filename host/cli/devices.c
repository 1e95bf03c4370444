/* adnet devices: every OpenCL platform and device, as a table or as JSON. */
#include "args.h"
#include "commands.h"

#include "adnet.h"
#include "device_profile.h"
#include "resources.h"
#include "tuning.h"
#include "device_select.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The profile device i gets when opened now ("" when the settings are wrong: the error then
 * comes when a command opens it). */
static void profile_line(int i, char *dst, size_t cap, adn_device_profile *p) {
    const adn_device_entry *list;
    int n;
    dst[0] = '\0';
    memset(p, 0, sizeof *p);
    if (adn_devices(&list, &n) != ADNET_OK || i >= n ||
        adn_device_profile_resolve(&list[i], p) != ADNET_OK) {
        snprintf(dst, cap, "%s", adnet_last_error());
        return;
    }
    adn_device_profile_describe(p, dst, cap);
}

static int print_json(int n, int chosen) {
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "devices");
    for (int i = 0; i < n; i++) {
        adnet_device_info in;
        if (adnet_device_get_info(i, &in) != ADNET_OK) continue;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "index", in.index);
        cJSON_AddStringToObject(d, "type", adnet_device_type_name(in.type));
        cJSON_AddStringToObject(d, "platform", in.platform);
        cJSON_AddStringToObject(d, "vendor", in.vendor);
        cJSON_AddStringToObject(d, "name", in.name);
        cJSON_AddStringToObject(d, "driver_version", in.driver_version);
        cJSON_AddStringToObject(d, "device_version", in.device_version);
        cJSON_AddStringToObject(d, "opencl_c_version", in.opencl_c_version);
        cJSON_AddNumberToObject(d, "compute_units", in.compute_units);
        cJSON_AddNumberToObject(d, "clock_mhz", in.clock_mhz);
        cJSON_AddNumberToObject(d, "global_mem_bytes", (double)in.global_mem_bytes);
        cJSON_AddNumberToObject(d, "max_alloc_bytes", (double)in.max_alloc_bytes);
        cJSON_AddNumberToObject(d, "local_mem_bytes", (double)in.local_mem_bytes);
        cJSON_AddBoolToObject(d, "fp16", in.fp16);
        cJSON_AddNumberToObject(d, "estimated_gflops", in.estimated_gflops);
        cJSON_AddBoolToObject(d, "default", i == chosen);
        cJSON_AddStringToObject(d, "chip", in.chip);
        /* the device that stands for this one's chip in "all" and the default (itself when
         * it does) and why */
        cJSON_AddNumberToObject(d, "chip_device", in.same_chip_as < 0 ? i : in.same_chip_as);
        cJSON_AddBoolToObject(d, "in_all", in.same_chip_as < 0);
        cJSON_AddStringToObject(d, "chip_note", adn_device_chip_note(i));
        char line[256];
        adn_device_profile p;
        profile_line(i, line, sizeof line, &p);
        cJSON *pj = cJSON_AddObjectToObject(d, "profile");
        cJSON_AddStringToObject(pj, "name", p.name);
        cJSON_AddStringToObject(pj, "gemm", adn_gemm_backend_name(p.gemm));
        /* why the GEMM is not oneDNN's where the profile would have chosen it ("" otherwise) */
        cJSON_AddStringToObject(pj, "gemm_note", p.gemm_note);
        cJSON_AddStringToObject(pj, "im2col", adn_im2col_name(p.im2col));
        cJSON_AddBoolToObject(pj, "gemm_b_panels", p.gemm_b_panels);
        cJSON_AddStringToObject(pj, "attention", adn_attention_name(p.attention));
        cJSON_AddBoolToObject(pj, "winograd", p.winograd);
        /* oneDNN's convolutions: "auto", "on" or "off" ("off" where the GEMM is not oneDNN's) */
        static const char *const conv_words[] = {"off", "auto", "on"};
        cJSON_AddStringToObject(
            pj, "onednn_conv",
            conv_words[p.gemm == ADN_GEMM_ONEDNN ? (int)p.onednn_conv : ADN_ONEDNN_CONV_OFF]);
        cJSON_AddBoolToObject(pj, "tuned", p.tuned);
        cJSON_AddStringToObject(pj, "tuning", p.tuning);
        cJSON_AddItemToArray(arr, d);
    }
    char *text = cJSON_Print(root);
    if (text) printf("%s\n", text);
    free(text);
    cJSON_Delete(root);
    return CLI_EXIT_OK;
}

static void mib(char *dst, size_t cap, uint64_t b) {
    snprintf(dst, cap, "%.0f MiB", (double)b / (1024.0 * 1024.0));
}

/* adnet devices --resolve SPEC: the devices a run given --device SPEC would use. */
static int resolve(const char *spec, int json) {
    adn_device_entry *devs;
    int n;
    adnet_status st = adn_device_list_resolve(spec, &devs, &n);
    if (st != ADNET_OK) {
        fprintf(stderr, "adnet devices: %s\n", adnet_last_error());
        return st == ADNET_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "resolved") : NULL;
    for (int i = 0; i < n; i++) {
        char label[200], line[256];
        adn_device_entry_label(&devs[i], label, sizeof label);
        adn_device_profile p;
        if (adn_device_profile_resolve(&devs[i], &p) == ADNET_OK)
            adn_device_profile_describe(&p, line, sizeof line);
        else
            snprintf(line, sizeof line, "%s", adnet_last_error());
        if (!json) {
            printf("%d: %s, %u compute units, profile %s\n", i, label, devs[i].info.compute_units,
                   line);
            continue;
        }
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "position", i);
        cJSON_AddNumberToObject(d, "index", devs[i].info.index);
        cJSON_AddStringToObject(d, "name", devs[i].info.name);
        cJSON_AddNumberToObject(d, "part", devs[i].parts ? devs[i].part : 0);
        cJSON_AddNumberToObject(d, "parts", devs[i].parts ? devs[i].parts : 1);
        cJSON_AddNumberToObject(d, "compute_units", devs[i].info.compute_units);
        cJSON_AddStringToObject(d, "chip", devs[i].info.chip);
        cJSON_AddStringToObject(d, "profile", line);
        cJSON_AddItemToArray(arr, d);
    }
    char shared[600];
    if (adn_device_list_shared_chip(devs, n, shared, sizeof shared)) {
        if (root) cJSON_AddStringToObject(root, "warning", shared);
        fprintf(stderr, "adnet devices: warning: %s\n", shared);
    }
    if (root) {
        char *text = cJSON_Print(root);
        if (text) printf("%s\n", text);
        free(text);
        cJSON_Delete(root);
    }
    adn_device_list_free(devs, n);
    return CLI_EXIT_OK;
}

int cmd_devices(int argc, char **argv) {
    int json = 0;
    const char *spec = NULL;
    cli_option opts[] = {
        {"json", NULL, "print the list as JSON", NULL, &json},
        {"resolve", "SPEC",
         "show the devices a run given --device SPEC uses (a comma-separated list, all, and "
         "/N to split a device into N)",
         &spec, NULL},
    };
    cli_command cmd = {"adnet devices",
                       "[--json] [--resolve SPEC]",
                       "Lists every OpenCL platform and device adnet can use. The index, type or "
                       "a name substring\nselects a device with --device; ADNET_DEVICE sets the "
                       "default. Each device's profile\n(its GEMM, im2col and attention kernels) "
                       "comes from its kind; ADNET_PROFILE=cpu|gpu,\nADNET_GEMM, ADNET_IM2COL "
                       "and ADNET_ATTENTION force it. Where two drivers expose one chip\n(PoCL "
                       "and Intel's CPU runtime on one CPU), \"all\" and the default use one of "
                       "them:\nthe faster by `adnet tune`'s measurements, else by estimate or "
                       "preference;\n\"every\" names every device of every driver.",
                       NULL,
                       opts,
                       2,
                       0,
                       0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;
    if (spec) return resolve(spec, json);

    int n = 0;
    int st = adnet_device_count(&n);
    if (st != ADNET_OK) return cli_fail(st);
    int chosen = -1;
    if (n > 0 && adnet_device_select(NULL, &chosen) != ADNET_OK) chosen = -1;
    if (json) return print_json(n, chosen);
    if (n == 0) {
        char note[96];
        printf("No OpenCL device found. Install an OpenCL driver (for the CPU: Debian's "
               "pocl-opencl-icd)%s.\n",
               adn_address_space_note(note, sizeof note));
        return CLI_EXIT_OK;
    }
    for (int i = 0; i < n; i++) {
        adnet_device_info in;
        st = adnet_device_get_info(i, &in);
        if (st != ADNET_OK) return cli_fail(st);
        char g[32], a[32], l[32];
        mib(g, sizeof g, in.global_mem_bytes);
        mib(a, sizeof a, in.max_alloc_bytes);
        snprintf(l, sizeof l, "%.0f KiB", (double)in.local_mem_bytes / 1024.0);
        printf("[%d] %s%s\n", i, in.name, i == chosen ? "  (default)" : "");
        printf("    type %s, platform %s, vendor %s\n", adnet_device_type_name(in.type),
               in.platform, in.vendor);
        printf("    driver %s, %s, %s\n", in.driver_version, in.device_version,
               in.opencl_c_version);
        printf("    %u compute units at %u MHz (about %.0f GFLOP/s), fp16 %s\n", in.compute_units,
               in.clock_mhz, in.estimated_gflops, in.fp16 ? "yes" : "no");
        printf("    global memory %s, max allocation %s, local memory %s\n", g, a, l);
        const char *note = adn_device_chip_note(i);
        if (in.same_chip_as >= 0)
            printf("    chip %s: left out of \"all\" and the default, %s\n", in.chip, note);
        else if (*note)
            printf("    chip %s: %s\n", in.chip, note);
        else
            printf("    chip %s\n", in.chip);
        char line[256];
        adn_device_profile p;
        profile_line(i, line, sizeof line, &p);
        printf("    profile %s\n", line);
        printf("    kernel parameters: %s\n", p.tuning);
    }
    return CLI_EXIT_OK;
}
