/* adnet tune: searches each device's kernel parameters on the network's shapes (perf/tune.h)
 * and caches the winners, which every later run on that device and driver uses. */
#include "args.h"
#include "commands.h"

#include "device_select.h"
#include "files.h"
#include "status.h"
#include "tuner.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_trial(void *ctx, const char *group, const char *params, double ms,
                     const char *status) {
    if (*(int *)ctx) return; /* quiet */
    if (ms >= 0)
        fprintf(stderr, "  %-9s %-62s %9.2f ms  %s\n", group, params, ms, status);
    else
        fprintf(stderr, "  %-9s %-62s %12s  %s\n", group, params, "-", status);
}

static cJSON *result_json(const adn_device_entry *e, const adn_tune_result *r) {
    cJSON *o = cJSON_CreateObject();
    char label[200];
    adn_device_entry_label(e, label, sizeof label);
    cJSON_AddStringToObject(o, "device", label);
    cJSON_AddNumberToObject(o, "index", e->info.index);
    cJSON_AddStringToObject(o, "network", r->network);
    cJSON_AddNumberToObject(o, "gemm_products", r->n_shapes);
    cJSON_AddNumberToObject(o, "gemm_coverage", r->coverage);
    cJSON_AddNumberToObject(o, "default_ms", r->default_ms);
    cJSON_AddNumberToObject(o, "tuned_ms", r->tuned_ms);
    if (r->frame_ms > 0) cJSON_AddNumberToObject(o, "frame_ms", r->frame_ms);
    cJSON_AddStringToObject(o, "entry", r->path);
    cJSON *arr = cJSON_AddArrayToObject(o, "trials");
    for (int i = 0; i < r->n_trials; i++) {
        const adn_tune_trial *t = &r->trials[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "group", t->group);
        cJSON_AddStringToObject(j, "params", t->params);
        if (t->ms >= 0)
            cJSON_AddNumberToObject(j, "ms", t->ms);
        else
            cJSON_AddNullToObject(j, "ms");
        cJSON_AddStringToObject(j, "status", t->status);
        cJSON_AddBoolToObject(j, "chosen", t->chosen);
        cJSON_AddItemToArray(arr, j);
    }
    return o;
}

int cmd_tune(int argc, char **argv) {
    const char *device = NULL, *model = "ad", *backbone = "101", *size = "857x481";
    const char *budget = "120", *json = NULL, *frames = "3";
    int quiet = 0;
    cli_option opts[] = {
        {"device", "SPEC",
         "OpenCL device: index, gpu, cpu, a name substring, or all (default: $ADNET_DEVICE, else "
         "the fastest GPU, else the CPU)",
         &device, NULL},
        {"model", "NAME", "the network whose shapes are measured: ad, inter, intra, concat, base",
         &model, NULL},
        {"backbone", "DEPTH", "ResNet depth, 50 or 101", &backbone, NULL},
        {"size", "WxH", "network input size (the shapes scale with it)", &size, NULL},
        {"budget", "S", "seconds per device after which no further candidate is started", &budget,
         NULL},
        {"frames", "N",
         "then time N whole frames with the tuned values (anchor cached) and keep their median: "
         "what decides which of two drivers of one chip `all` uses (0: skip)",
         &frames, NULL},
        {"json", "FILE", "also write every trial as JSON", &json, NULL},
        {"quiet", NULL, "print nothing but errors", NULL, &quiet},
    };
    cli_command cmd = {
        "adnet tune",
        "[options]",
        "Searches each device's kernel parameters on the network's real shapes and keeps the\n"
        "fastest in the cache directory (next to the compiled kernels, $ADNET_CACHE_DIR), keyed "
        "by\ndevice, driver and adnet version: adnet's GEMM tile (rows per work-item, depth per "
        "pass)\non CPU devices; CLBlast's GEMM parameters and the tiled attention's group and "
        "key tile on\nGPUs. Every later run on the device uses them (ADNET_TUNE=off ignores "
        "them); `adnet\ndevices` and `adnet bench` say whether a device is tuned. A candidate "
        "whose results differ\nfrom the defaults' beyond float noise is refused. A corrupt or "
        "stale entry is ignored and\nrewritten by the next `adnet tune`.",
        "Exit status: 0 success, 1 a device failed or the entry could not be written, 2 bad "
        "command\nline.",
        opts,
        (int)(sizeof opts / sizeof opts[0]),
        0,
        0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;

    adn_tune_config c;
    memset(&c, 0, sizeof c);
    c.kind = adnet_model_kind_parse(model);
    if (c.kind == ADNET_MODEL_UNKNOWN)
        return cli_usage_error(&cmd, "unknown --model '%s' (ad, inter, intra, concat, base)",
                               model);
    if (cli_parse_int(backbone, &c.depth) != 0 || (c.depth != 50 && c.depth != 101))
        return cli_usage_error(&cmd, "--backbone must be 50 or 101, got '%s'", backbone);
    if (cli_parse_size(size, &c.width, &c.height) != 0)
        return cli_usage_error(&cmd, "--size must be WxH (e.g. 857x481), got '%s'", size);
    char *end;
    c.budget_s = strtod(budget, &end);
    if (end == budget || *end || !(c.budget_s > 0 && c.budget_s <= 86400))
        return cli_usage_error(&cmd, "--budget must be seconds in (0, 86400], got '%s'", budget);
    if (cli_parse_int(frames, &c.frame_frames) != 0 || c.frame_frames < 0 || c.frame_frames > 100)
        return cli_usage_error(&cmd, "--frames must be 0 to 100, got '%s'", frames);
    c.progress = on_trial;
    c.ctx = &quiet;

    adn_device_entry *devs = NULL;
    int n_dev = 0;
    adnet_status st = adn_device_list_resolve(device, &devs, &n_dev);
    if (st != ADNET_OK) {
        fprintf(stderr, "adnet tune: %s\n", adnet_last_error());
        return st == ADNET_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    /* fail now, not after minutes of measuring: the JSON must be writable */
    adn_atomic_file probe;
    if (json) {
        if ((st = adn_atomic_open(&probe, json)) != ADNET_OK) {
            adn_device_list_free(devs, n_dev);
            return cli_fail(st);
        }
        adn_atomic_abort(&probe);
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON *results = cJSON_AddArrayToObject(doc, "devices");
    int failed = 0;
    for (int k = 0; k < n_dev && !failed; k++) {
        char label[200];
        adn_device_entry_label(&devs[k], label, sizeof label);
        if (!quiet)
            fprintf(stderr, "adnet tune: %s: %s R%d at %dx%d, budget %g s\n", label, model, c.depth,
                    c.width, c.height, c.budget_s);
        adn_tune_result r;
        st = adn_tune(&devs[k], &c, &r);
        if (st != ADNET_OK) {
            cli_fail(st);
            failed = 1;
            break;
        }
        if (!quiet)
            printf("%s: measured on %d GEMM products (%.0f %% of the convolutions' "
                   "multiply-adds)%s: %.2f ms with the defaults, %.2f ms tuned (%.2fx)\n  entry: "
                   "%s\n",
                   label, r.n_shapes, 100.0 * r.coverage,
                   r.tuned.attention == ADN_ATTN_TILED ? " and the attention" : "", r.default_ms,
                   r.tuned_ms, r.tuned_ms > 0 ? r.default_ms / r.tuned_ms : 0.0, r.path);
        if (!quiet && r.frame_ms > 0)
            printf("  a whole frame with the tuned values (anchor cached, median of %d): %.1f ms\n",
                   c.frame_frames, r.frame_ms);
        cJSON_AddItemToArray(results, result_json(&devs[k], &r));
        adn_tune_result_free(&r);
    }
    adn_device_list_free(devs, n_dev);
    if (json && !failed) {
        char *text = cJSON_Print(doc);
        st = text ? adn_write_file_atomic(json, text, strlen(text))
                  : adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        free(text);
        if (st != ADNET_OK) failed = cli_fail(st) != 0;
    }
    cJSON_Delete(doc);
    return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
