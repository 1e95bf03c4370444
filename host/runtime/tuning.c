#include "tuning.h"

#include "files.h"
#include "hash.h"
#include "program.h"
#include "settings.h"
#include "status.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TUNING_FORMAT "adnet-tune 1"

/* The candidates. adnet's GEMM: rows per work-item from one register tile's worth of reuse to
 * four times the default; depth per pass up to the 32 KiB private tile (256 x 32 floats) that
 * PoCL keeps in L1. The tiled attention: the group sizes every GPU runs well and key tiles the
 * local memory of the smallest device shapes holds. CLBlast: its own documented defaults and
 * two larger tilings of each GEMM kernel, and switch points around its default (512^3). */
static const int gemm_mc_values[] = {64, 128, 256, 512};
static const int gemm_kc_values[] = {64, 128, 256};
static const int attn_threads_values[] = {64, 128, 256};
static const int attn_bk_values[] = {32, 64, 128};
static const int clblast_set_values[] = {0, 1, 2};
static const int clblast_threshold_values[] = {128, 256, 384, 512, 768, 1024};

/* Each tunable: its JSON name, its candidates and the int field of the profile that holds it. */
static const struct {
    const char *name;
    const int *values;
    int n;
    size_t field;
} tunables[ADN_TUNABLE_COUNT] = {
#define T(name, v, f)                                                                              \
    { name, v, (int)(sizeof v / sizeof v[0]), offsetof(adn_device_profile, f) }
    T("gemm_mc", gemm_mc_values, gemm_mc),
    T("gemm_kc", gemm_kc_values, gemm_kc),
    T("attn_target_threads", attn_threads_values, attn_target_threads),
    T("attn_max_bk", attn_bk_values, attn_max_bk),
    T("clblast_xgemm", clblast_set_values, clblast_xgemm),
    T("clblast_direct", clblast_set_values, clblast_direct),
    T("clblast_threshold", clblast_threshold_values, clblast_threshold),
#undef T
};

const char *adn_tunable_name(adn_tunable t) {
    return (unsigned)t < ADN_TUNABLE_COUNT ? tunables[t].name : "?";
}

const int *adn_tunable_candidates(adn_tunable t, int *n) {
    *n = (unsigned)t < ADN_TUNABLE_COUNT ? tunables[t].n : 0;
    return *n ? tunables[t].values : NULL;
}

int adn_tunable_applies(adn_tunable t, const adn_device_profile *p) {
    switch (t) {
        case ADN_TUNE_GEMM_MC:
        case ADN_TUNE_GEMM_KC:
            return p->gemm == ADN_GEMM_ADNET;
        case ADN_TUNE_ATTN_THREADS:
        case ADN_TUNE_ATTN_MAX_BK:
            return p->attention == ADN_ATTN_TILED;
        case ADN_TUNE_CLBLAST_XGEMM:
        case ADN_TUNE_CLBLAST_DIRECT:
        case ADN_TUNE_CLBLAST_THRESHOLD:
            return p->gemm == ADN_GEMM_CLBLAST;
        default:
            return 0;
    }
}

int adn_tunable_get(const adn_device_profile *p, adn_tunable t) {
    if ((unsigned)t >= ADN_TUNABLE_COUNT) return 0;
    int v;
    memcpy(&v, (const char *)p + tunables[t].field, sizeof v);
    return v;
}

void adn_tunable_set(adn_device_profile *p, adn_tunable t, int v) {
    if ((unsigned)t < ADN_TUNABLE_COUNT) memcpy((char *)p + tunables[t].field, &v, sizeof v);
}

/* CLBlast's parameter sets (CLBlast 1.5's names: "GemmRoutine" holds the switch). XgemmDirect's
 * set 0 is CLBlast's documented default for devices it has no tuning for; the others are
 * work-group tiles of 64 to 256 work-items with vector loads, within the constraints CLBlast
 * checks (each tile a multiple of threads x vector width, the depth a multiple of the threads'
 * loading share). `adnet tune` measures CLBlast's own choice first and keeps it unless a set is
 * faster. */
static const char *const xgemm_names[] = {"GEMMK", "KREG",  "KWG",   "KWI", "MDIMA", "MDIMC",
                                          "MWG",   "NDIMB", "NDIMC", "NWG", "SA",    "SB",
                                          "STRM",  "STRN",  "VWM",   "VWN"};
static const size_t xgemm_sets[3][16] = {
    {0, 1, 32, 2, 16, 16, 64, 16, 16, 64, 1, 1, 1, 1, 2, 2},
    {0, 1, 16, 2, 8, 8, 64, 8, 8, 64, 1, 1, 0, 0, 4, 4},
    {0, 1, 32, 2, 16, 16, 128, 16, 16, 128, 1, 1, 1, 1, 4, 4},
};
/* CLBlast 1.5's XgemmDirect has one tile size WGD for all three dimensions */
static const char *const direct_names[] = {"WGD",  "MDIMCD", "NDIMCD", "MDIMAD", "NDIMBD",
                                           "KWID", "VWMD",   "VWND",   "PADA",   "PADB"};
static const size_t direct_sets[3][10] = {
    {32, 8, 8, 8, 8, 2, 1, 1, 1, 1},
    {64, 16, 16, 16, 16, 2, 2, 2, 1, 1},
    {64, 8, 8, 8, 8, 2, 4, 4, 1, 1},
};
static const char *const threshold_names[] = {"XGEMM_MIN_INDIRECT_SIZE"};
/* m n k for each candidate switch point (the candidates are cube sides), read-only: devices'
 * threads give them to CLBlast at once */
static const size_t threshold_cubes[] = {128ul * 128 * 128, 256ul * 256 * 256,
                                         384ul * 384 * 384, 512ul * 512 * 512,
                                         768ul * 768 * 768, 1024ul * 1024 * 1024};

int adn_clblast_param_set(adn_tunable t, int index, adn_clblast_params *out) {
    if (t == ADN_TUNE_CLBLAST_XGEMM && index >= 0 && index < 3) {
        *out = (adn_clblast_params){"Xgemm", 16, xgemm_names, xgemm_sets[index]};
        return 1;
    }
    if (t == ADN_TUNE_CLBLAST_DIRECT && index >= 0 && index < 3) {
        *out = (adn_clblast_params){"XgemmDirect", 10, direct_names, direct_sets[index]};
        return 1;
    }
    if (t == ADN_TUNE_CLBLAST_THRESHOLD) {
        for (size_t i = 0; i < sizeof threshold_cubes / sizeof threshold_cubes[0]; i++)
            if (clblast_threshold_values[i] == index) {
                *out = (adn_clblast_params){"GemmRoutine", 1, threshold_names, &threshold_cubes[i]};
                return 1;
            }
    }
    return 0;
}

void adn_tuning_key(const adn_device_entry *e, const adn_device_profile *p, char *buf, size_t cap) {
    uint64_t h = adn_embedded_sources_hash();
    const adnet_device_info *in = &e->info;
    snprintf(buf, cap, "adnet %s|%s|%s|%s|%s|%s|parts %d|%s gemm %s attention %s|%016llx",
             ADNET_VERSION_STRING, in->platform, in->vendor, in->name, in->driver_version,
             in->device_version, e->parts, p->name, adn_gemm_backend_name(p->gemm),
             adn_attention_name(p->attention), (unsigned long long)h);
}

void adn_tuning_path(const adn_device_entry *e, const adn_device_profile *p, char *buf,
                     size_t cap) {
    char dir[4096], key[2048];
    adn_cache_dir(dir, sizeof dir);
    if (!dir[0]) {
        if (cap) buf[0] = '\0';
        return;
    }
    adn_tuning_key(e, p, key, sizeof key);
    snprintf(buf, cap, "%s/tune-%016llx.json", dir,
             (unsigned long long)adn_hash_string(ADN_HASH_INIT, key));
}

static int candidate(adn_tunable t, int v) {
    for (int i = 0; i < tunables[t].n; i++)
        if (tunables[t].values[i] == v) return 1;
    return 0;
}

/* What `adnet tune` measured, as an entry records it. */
typedef struct entry_times {
    char network[64]; /* "ad R101 857x481" */
    double tuned_ms;  /* the network's products with the tuned values */
    double frame_ms;  /* a whole frame with them; -1 when not timed */
} entry_times;

/* Reads the entry's values into p (and, when times is not NULL, what it measured); on any doubt
 * says why and leaves p as it was. */
static int parse_entry(const char *text, const char *key, adn_device_profile *p, char *why,
                       size_t cap, entry_times *times) {
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        snprintf(why, cap, "corrupt: not JSON");
        return 0;
    }
    int ok = 0;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "key");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
    adn_device_profile q = *p;
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, TUNING_FORMAT)) {
        snprintf(why, cap, "corrupt: no \"format\": \"%s\"", TUNING_FORMAT);
    } else if (!cJSON_IsString(k)) {
        snprintf(why, cap, "corrupt: no key");
    } else if (strcmp(k->valuestring, key)) {
        snprintf(why, cap, "stale: measured for another adnet, driver or kernel source");
    } else if (!cJSON_IsObject(params)) {
        snprintf(why, cap, "corrupt: no params");
    } else {
        ok = 1;
        const cJSON *it;
        cJSON_ArrayForEach(it, params) {
            int t = 0;
            while (t < ADN_TUNABLE_COUNT && strcmp(tunables[t].name, it->string)) t++;
            if (t == ADN_TUNABLE_COUNT) {
                snprintf(why, cap, "corrupt: unknown parameter '%.40s'", it->string);
                ok = 0;
                break;
            }
            double v = cJSON_IsNumber(it) ? it->valuedouble : -1e300;
            /* the range before any conversion: a double outside int's is undefined */
            if (!(v >= -1 && v <= 1 << 20) || v != floor(v) || !candidate((adn_tunable)t, (int)v) ||
                !adn_tunable_applies((adn_tunable)t, p)) {
                snprintf(why, cap, "corrupt: %s is not one of its candidates for this profile",
                         tunables[t].name);
                ok = 0;
                break;
            }
            adn_tunable_set(&q, (adn_tunable)t, (int)v);
        }
    }
    if (ok && times) {
        const cJSON *net = cJSON_GetObjectItemCaseSensitive(root, "network");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "measured_ms");
        const cJSON *tuned = cJSON_GetObjectItemCaseSensitive(m, "tuned");
        const cJSON *frame = cJSON_GetObjectItemCaseSensitive(m, "frame");
        snprintf(times->network, sizeof times->network, "%s",
                 cJSON_IsString(net) ? net->valuestring : "");
        times->tuned_ms = cJSON_IsNumber(tuned) ? tuned->valuedouble : -1;
        times->frame_ms = cJSON_IsNumber(frame) ? frame->valuedouble : -1;
    }
    cJSON_Delete(root);
    if (ok) *p = q;
    return ok;
}

/* adn_tuning_apply, and what the entry measured into times (when not NULL). */
static int apply_entry(const adn_device_entry *e, adn_device_profile *p, entry_times *times) {
    char path[4200], key[2048], why[160];
    adn_tuning_path(e, p, path, sizeof path);
    if (!path[0]) {
        snprintf(p->tuning, sizeof p->tuning, "defaults: no cache directory");
        return 0;
    }
    unsigned char *data;
    size_t size;
    if (adn_read_file(path, &data, &size) != ADNET_OK) {
        adn_clear_error();
        snprintf(p->tuning, sizeof p->tuning, "defaults: not tuned (`adnet tune` writes %.250s)",
                 path);
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text) {
        free(data);
        snprintf(p->tuning, sizeof p->tuning, "defaults: out of memory reading %.250s", path);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    free(data);
    adn_tuning_key(e, p, key, sizeof key);
    int ok = strlen(text) == size && parse_entry(text, key, p, why, sizeof why, times);
    if (!ok && strlen(text) != size) snprintf(why, sizeof why, "corrupt: a NUL byte");
    free(text);
    if (!ok) {
        snprintf(p->tuning, sizeof p->tuning, "defaults: %.190s ignored (%.100s)", path, why);
        return 0;
    }
    p->tuned = 1;
    char summary[4800];
    size_t len = (size_t)snprintf(summary, sizeof summary, "tuned (");
    int first = 1;
    for (int t = 0; t < ADN_TUNABLE_COUNT; t++) {
        if (!adn_tunable_applies((adn_tunable)t, p)) continue;
        int v = adn_tunable_get(p, (adn_tunable)t);
        if (v < 0) /* CLBlast's own choice */
            len += (size_t)snprintf(summary + len, sizeof summary - len, "%s%s own",
                                    first ? "" : ", ", tunables[t].name);
        else
            len += (size_t)snprintf(summary + len, sizeof summary - len, "%s%s %d",
                                    first ? "" : ", ", tunables[t].name, v);
        first = 0;
    }
    snprintf(summary + len, sizeof summary - len, ") from %s", path);
    snprintf(p->tuning, sizeof p->tuning, "%.319s", summary);
    return 1;
}

int adn_tuning_apply(const adn_device_entry *e, adn_device_profile *p) {
    return apply_entry(e, p, NULL);
}

int adn_tuning_measured(const adn_device_entry *e, const adn_device_profile *p, char *network,
                        size_t cap, double *ms) {
    adn_device_profile q = *p;
    entry_times t;
    network[0] = '\0';
    *ms = -1;
    if (!apply_entry(e, &q, &t)) return 0; /* no valid entry for this device and driver */
    /* a whole frame where there is one: the GEMM products alone can rank two drivers the
     * other way round (docs/benchmarks.md, "Across drivers") */
    int has_frame = t.frame_ms > 0;
    double v = has_frame ? t.frame_ms : t.tuned_ms;
    if (!t.network[0] || !(v > 0)) return 0;
    snprintf(network, cap, "%s %s in the %s profile", has_frame ? "a frame of" : "products of",
             t.network, p->name);
    *ms = v;
    return 1;
}

adnet_status adn_tuning_store(const adn_device_entry *e, const adn_device_profile *p,
                              const char *network, double default_ms, double tuned_ms,
                              double frame_ms, char *path_out, size_t path_cap) {
    char path[4200], key[2048], dir[4096];
    adn_tuning_path(e, p, path, sizeof path);
    if (!path[0])
        return adn_fail(ADNET_ERR_IO, "no cache directory for the tuning entry (set "
                                      "ADNET_CACHE_DIR, XDG_CACHE_HOME or HOME)");
    adn_cache_dir(dir, sizeof dir);
    ADN_TRY(adn_mkdir_p(dir));
    adn_tuning_key(e, p, key, sizeof key);
    cJSON *root = cJSON_CreateObject();
    if (!root) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    cJSON_AddStringToObject(root, "format", TUNING_FORMAT);
    cJSON_AddStringToObject(root, "key", key);
    cJSON_AddStringToObject(root, "device", e->info.name);
    cJSON_AddStringToObject(root, "network", network);
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(root, "created", when);
    cJSON *params = cJSON_AddObjectToObject(root, "params");
    for (int t = 0; t < ADN_TUNABLE_COUNT; t++) {
        int v = adn_tunable_get(p, (adn_tunable)t);
        /* CLBlast's own values (-1) are written as absence */
        if (adn_tunable_applies((adn_tunable)t, p) && v >= 0)
            cJSON_AddNumberToObject(params, tunables[t].name, v);
    }
    cJSON *ms = cJSON_AddObjectToObject(root, "measured_ms");
    cJSON_AddNumberToObject(ms, "defaults", default_ms);
    cJSON_AddNumberToObject(ms, "tuned", tuned_ms);
    if (frame_ms > 0) cJSON_AddNumberToObject(ms, "frame", frame_ms);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    adnet_status st = adn_write_file_atomic(path, text, strlen(text));
    free(text);
    if (st == ADNET_OK && path_out) snprintf(path_out, path_cap, "%s", path);
    return st;
}

adnet_status adn_device_profile_resolve(const adn_device_entry *e, adn_device_profile *p) {
    int tune;
    ADN_TRY(adn_setting_choice(ADN_SETTING_TUNE, &tune));
    ADN_TRY(adn_device_profile_resolve_untuned(e, p));
    if (tune == 1) { /* "off" */
        snprintf(p->tuning, sizeof p->tuning, "defaults: tuning off");
        return ADNET_OK;
    }
    adn_device_profile tuned = *p;
    if (adn_tuning_apply(e, &tuned) && adn_device_profile_check(&tuned) == ADNET_OK) {
        *p = tuned;
    } else {
        adn_clear_error();
        snprintf(p->tuning, sizeof p->tuning, "%s", tuned.tuning);
    }
    return ADNET_OK;
}
