#include "device_list.h"

#include "cl_status.h"
#include "settings.h"
#include "resources.h"
#include "status.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- enumeration ------------------------------------------------------------------- */

static adn_device_entry *g_devices;
static int g_n_devices = -1;

static void info_string(cl_device_id d, cl_device_info what, char *dst, size_t cap) {
    dst[0] = '\0';
    if (clGetDeviceInfo(d, what, cap, dst, NULL) != CL_SUCCESS) dst[0] = '\0';
    dst[cap - 1] = '\0';
    /* some drivers pad names with spaces */
    size_t n = strlen(dst);
    while (n > 0 && isspace((unsigned char)dst[n - 1])) dst[--n] = '\0';
}

/* A rough peak-FLOP/s estimate used only to rank devices for the default choice: lanes per
 * compute unit differ by vendor (an NVIDIA SM has 128 FP32 lanes, an AMD CU 64, an Intel EU
 * 8, a CPU core a 16-wide vector unit with FMA). */
static double estimate_gflops(const adnet_device_info *in) {
    double lanes = 16.0;
    if (in->type == ADNET_DEVICE_GPU) {
        char v[300];
        snprintf(v, sizeof v, "%s %s", in->vendor, in->platform);
        for (char *p = v; *p; p++) *p = (char)tolower((unsigned char)*p);
        if (strstr(v, "nvidia"))
            lanes = 128;
        else if (strstr(v, "advanced micro") || strstr(v, "amd"))
            lanes = 64;
        else if (strstr(v, "intel"))
            lanes = 8;
        else
            lanes = 32;
    }
    return 2.0 * lanes * in->compute_units * in->clock_mhz / 1000.0;
}

static void read_info(cl_platform_id p, cl_device_id d, adnet_device_info *in) {
    memset(in, 0, sizeof *in);
    char pname[128] = "";
    clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof pname, pname, NULL);
    pname[sizeof pname - 1] = '\0';
    snprintf(in->platform, sizeof in->platform, "%s", pname);
    info_string(d, CL_DEVICE_VENDOR, in->vendor, sizeof in->vendor);
    info_string(d, CL_DEVICE_NAME, in->name, sizeof in->name);
    info_string(d, CL_DRIVER_VERSION, in->driver_version, sizeof in->driver_version);
    info_string(d, CL_DEVICE_VERSION, in->device_version, sizeof in->device_version);
    info_string(d, CL_DEVICE_OPENCL_C_VERSION, in->opencl_c_version, sizeof in->opencl_c_version);
    cl_device_type t = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    in->type = (t & CL_DEVICE_TYPE_GPU)           ? ADNET_DEVICE_GPU
               : (t & CL_DEVICE_TYPE_CPU)         ? ADNET_DEVICE_CPU
               : (t & CL_DEVICE_TYPE_ACCELERATOR) ? ADNET_DEVICE_ACCELERATOR
                                                  : ADNET_DEVICE_OTHER;
    cl_uint u = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof u, &u, NULL);
    in->compute_units = u;
    u = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof u, &u, NULL);
    in->clock_mhz = u;
    cl_ulong l = 0;
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof l, &l, NULL);
    in->global_mem_bytes = l;
    l = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof l, &l, NULL);
    in->max_alloc_bytes = l;
    l = 0;
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof l, &l, NULL);
    in->local_mem_bytes = l;
    size_t ext_size = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_size) == CL_SUCCESS &&
        ext_size > 0) {
        char *ext = malloc(ext_size + 1);
        if (ext && clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, ext_size, ext, NULL) == CL_SUCCESS) {
            ext[ext_size] = '\0';
            in->fp16 = strstr(ext, "cl_khr_fp16") != NULL;
        }
        free(ext);
    }
    in->estimated_gflops = estimate_gflops(in);
}

static void read_limits(cl_device_id d, adn_device_entry *e) {
    cl_uint dims = 0;
    size_t items[16] = {0};
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, sizeof dims, &dims, NULL);
    if (dims > 16) dims = 16;
    if (dims > 0)
        clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, dims * sizeof items[0], items, NULL);
    for (int i = 0; i < 3; i++) e->max_work_items[i] = (cl_uint)i < dims && items[i] ? items[i] : 1;
    size_t wg = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    e->max_work_group = wg ? wg : 1;
}

static adnet_status enumerate(void) {
    if (g_n_devices < 0) {
        /* OpenCL runtimes load their compilers and start worker threads here, and some end the
         * process when that fails (PoCL 3.1 aborts in its scheduler under `ulimit -v`) */
        ADN_TRY(adn_address_space_check((size_t)384 << 20,
                                        "starting the OpenCL runtime (its compiler libraries "
                                        "and worker threads)"));
        cl_uint np = 0;
        cl_int err = clGetPlatformIDs(0, NULL, &np);
        if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || np == 0) {
            g_n_devices = 0;
        } else if (err != CL_SUCCESS) {
            return adn_cl_fail(err, "clGetPlatformIDs");
        } else {
            cl_platform_id *ps = calloc(np, sizeof *ps);
            if (!ps) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
            ADN_CL(clGetPlatformIDs(np, ps, NULL), "clGetPlatformIDs");
            int n = 0, cap = 0;
            adn_device_entry *all = NULL;
            for (cl_uint i = 0; i < np; i++) {
                cl_uint nd = 0;
                if (clGetDeviceIDs(ps[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS) continue;
                cl_device_id *ds = calloc(nd, sizeof *ds);
                if (!ds || clGetDeviceIDs(ps[i], CL_DEVICE_TYPE_ALL, nd, ds, NULL) != CL_SUCCESS) {
                    free(ds);
                    continue;
                }
                for (cl_uint j = 0; j < nd; j++) {
                    if (n == cap) {
                        cap = cap ? 2 * cap : 8;
                        adn_device_entry *grown = realloc(all, (size_t)cap * sizeof *all);
                        if (!grown) {
                            free(ds);
                            free(ps);
                            free(all);
                            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
                        }
                        all = grown;
                    }
                    memset(&all[n], 0, sizeof all[n]); /* a whole device: parts = 0 */
                    all[n].platform = ps[i];
                    all[n].device = ds[j];
                    read_info(ps[i], ds[j], &all[n].info);
                    read_limits(ds[j], &all[n]);
                    all[n].info.index = n;
                    n++;
                }
                free(ds);
            }
            free(ps);
            g_devices = all;
            g_n_devices = n;
        }
    }
    return ADNET_OK;
}

/* Enumeration happens once, under a lock: any thread may be the first to ask. */
static pthread_mutex_t enum_lock = PTHREAD_MUTEX_INITIALIZER;

adnet_status adn_devices(const adn_device_entry **list, int *count) {
    pthread_mutex_lock(&enum_lock);
    adnet_status st = enumerate();
    pthread_mutex_unlock(&enum_lock);
    ADN_TRY(st);
    *list = g_devices;
    *count = g_n_devices;
    return ADNET_OK;
}

adnet_status adnet_device_count(int *count) {
    const adn_device_entry *list;
    return adn_devices(&list, count);
}

adnet_status adnet_device_get_info(int index, adnet_device_info *info) {
    const adn_device_entry *list;
    int n;
    ADN_TRY(adn_devices(&list, &n));
    if (index < 0 || index >= n)
        return adn_fail(ADNET_ERR_DEVICE, "device %d does not exist (%d devices)", index, n);
    *info = list[index].info;
    return ADNET_OK;
}

/* ---- selection --------------------------------------------------------------------- */

const char *adnet_device_type_name(adnet_device_type type) {
    switch (type) {
        case ADNET_DEVICE_CPU:
            return "cpu";
        case ADNET_DEVICE_GPU:
            return "gpu";
        case ADNET_DEVICE_ACCELERATOR:
            return "accelerator";
        default:
            return "other";
    }
}

static int contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return n == 0;
}

static adnet_status no_match(const char *spec, const adn_device_entry *list, int n) {
    char msg[900];
    int len = snprintf(msg, sizeof msg, "no OpenCL device matches '%s'; devices:", spec);
    if (n == 0) len += snprintf(msg + len, sizeof msg - (size_t)len, " none");
    for (int i = 0; i < n && len < (int)sizeof msg - 1; i++)
        len += snprintf(msg + len, sizeof msg - (size_t)len, " [%d] %s (%s, %s)%s", i,
                        list[i].info.name, list[i].info.platform,
                        adnet_device_type_name(list[i].info.type), i + 1 < n ? ";" : "");
    return adn_fail(ADNET_ERR_DEVICE, "%s", msg);
}

/* The best device of a type mask by estimated throughput; -1 when none. */
static int best_of(const adn_device_entry *list, int n, unsigned type_mask) {
    int best = -1;
    for (int i = 0; i < n; i++)
        if ((unsigned)list[i].info.type & type_mask)
            if (best < 0 || list[i].info.estimated_gflops > list[best].info.estimated_gflops)
                best = i;
    return best;
}

adnet_status adn_device_select_many(const char *spec, int *indices, int max, int *count) {
    const adn_device_entry *list;
    int n;
    ADN_TRY(adn_devices(&list, &n));
    *count = 0;
    char from_settings[256];
    if ((!spec || !*spec) &&
        adn_setting_get(ADN_SETTING_DEVICE, from_settings, sizeof from_settings))
        spec = from_settings;
    if (n == 0) {
        char note[96];
        return adn_fail(ADNET_ERR_DEVICE,
                        "no OpenCL device found: install an OpenCL driver (for the CPU, "
                        "Debian's pocl-opencl-icd)%s",
                        adn_address_space_note(note, sizeof note));
    }
    if (!spec || !*spec) {
        int i = best_of(list, n, ADNET_DEVICE_GPU);
        if (i < 0) i = best_of(list, n, ADNET_DEVICE_CPU);
        if (i < 0) i = 0;
        indices[0] = i;
        *count = 1;
        return ADNET_OK;
    }
    if (!strcmp(spec, "all")) {
        for (int i = 0; i < n && i < max; i++) indices[(*count)++] = i;
        return ADNET_OK;
    }
    char *end;
    long idx = strtol(spec, &end, 10);
    if (end != spec && *end == '\0') {
        if (idx < 0 || idx >= n) return no_match(spec, list, n);
        indices[0] = (int)idx;
        *count = 1;
        return ADNET_OK;
    }
    unsigned type = 0;
    if (!strcmp(spec, "gpu"))
        type = ADNET_DEVICE_GPU;
    else if (!strcmp(spec, "cpu"))
        type = ADNET_DEVICE_CPU;
    else if (!strcmp(spec, "accelerator"))
        type = ADNET_DEVICE_ACCELERATOR;
    if (type) {
        int i = best_of(list, n, type);
        if (i < 0) return no_match(spec, list, n);
        indices[0] = i;
        *count = 1;
        return ADNET_OK;
    }
    for (int i = 0; i < n; i++) {
        if (contains_ci(list[i].info.name, spec) || contains_ci(list[i].info.vendor, spec) ||
            contains_ci(list[i].info.platform, spec)) {
            indices[0] = i;
            *count = 1;
            return ADNET_OK;
        }
    }
    return no_match(spec, list, n);
}

adnet_status adnet_device_select(const char *spec, int *index) {
    int count = 0;
    if (spec && !strcmp(spec, "all"))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device spec 'all' names several devices; this command uses one");
    ADN_TRY(adn_device_select_many(spec, index, 1, &count));
    return ADNET_OK;
}

/* ---- lists of devices, and sub-devices -------------------------------------------------- */

void adn_device_entry_label(const adn_device_entry *e, char *dst, size_t cap) {
    if (e->parts > 0)
        snprintf(dst, cap, "[%d] %s, part %d of %d", e->info.index, e->info.name, e->part + 1,
                 e->parts);
    else
        snprintf(dst, cap, "[%d] %s", e->info.index, e->info.name);
}

void adn_device_list_free(adn_device_entry *list, int n) {
    if (!list) return;
    for (int i = 0; i < n; i++)
        if (list[i].parts > 0 && list[i].device) clReleaseDevice(list[i].device);
    free(list);
}

/* Splits device e into parts equal sub-devices, appended to out[*n ..]. */
static adnet_status split(const adn_device_entry *e, int parts, const char *spec,
                          adn_device_entry *out, int *n) {
    unsigned cu = e->info.compute_units;
    if (parts < 2 || cu < (unsigned)parts)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device spec '%s': %s has %u compute units, which do not split into %d "
                        "parts",
                        spec, e->info.name, cu, parts);
    cl_device_partition_property props[] = {
        CL_DEVICE_PARTITION_EQUALLY, (cl_device_partition_property)(cu / (unsigned)parts), 0};
    cl_device_id subs[64];
    cl_uint got = 0;
    cl_int err = clCreateSubDevices(e->device, props, (cl_uint)parts, subs, &got);
    if (err != CL_SUCCESS || got < (cl_uint)parts) {
        for (cl_uint i = 0; err == CL_SUCCESS && i < got; i++) clReleaseDevice(subs[i]);
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device spec '%s': %s cannot be split into %d equal sub-devices (%s)", spec,
                        e->info.name, parts,
                        err != CL_SUCCESS ? adn_cl_error_name(err) : "too few parts");
    }
    for (cl_uint i = (cl_uint)parts; i < got; i++) clReleaseDevice(subs[i]);
    for (int k = 0; k < parts; k++) {
        adn_device_entry *s = &out[(*n)++];
        *s = *e;
        s->device = subs[k];
        s->part = k;
        s->parts = parts;
        read_limits(subs[k], s);
        cl_uint u = 0;
        if (clGetDeviceInfo(subs[k], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof u, &u, NULL) ==
                CL_SUCCESS &&
            u > 0)
            s->info.compute_units = u;
        s->info.estimated_gflops = estimate_gflops(&s->info);
    }
    return ADNET_OK;
}

adnet_status adn_device_list_resolve(const char *spec, adn_device_entry **list, int *n) {
    const adn_device_entry *all;
    int n_all;
    *list = NULL;
    *n = 0;
    ADN_TRY(adn_devices(&all, &n_all));
    int cap = n_all + 64;
    adn_device_entry *out = calloc((size_t)cap, sizeof *out);
    char *copy = strdup(spec ? spec : "");
    if (!out || !copy) {
        free(out);
        free(copy);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    adnet_status st = ADNET_OK;
    int used[256] = {0};
    char *save = NULL;
    int empty = copy[0] == '\0';
    for (char *item = empty ? copy : strtok_r(copy, ",", &save); item && st == ADNET_OK;
         item = empty ? NULL : strtok_r(NULL, ",", &save)) {
        while (*item == ' ') item++;
        int parts = 0;
        char *slash = strrchr(item, '/');
        if (slash) {
            char *end;
            long p = strtol(slash + 1, &end, 10);
            if (end == slash + 1 || *end || p < 1 || p > 64) {
                st = adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                              "device spec '%s': the part after '/' must be a count of 1 to 64",
                              item);
                break;
            }
            *slash = '\0';
            parts = p > 1 ? (int)p : 0;
        }
        int idx[256], count = 0;
        st = adn_device_select_many(item, idx, 256, &count);
        if (st == ADNET_ERR_DEVICE && n_all > 0) st = ADNET_ERR_INVALID_ARGUMENT; /* usage */
        for (int k = 0; k < count && st == ADNET_OK; k++) {
            int i = idx[k];
            if (i >= 256 || used[i]) {
                st = adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                              "device spec '%s' names device [%d] %s twice; give each device "
                              "once (see adnet devices)",
                              spec, i, all[i].info.name);
                break;
            }
            if (*n + (parts ? parts : 1) > cap) {
                st = adn_fail(ADNET_ERR_INVALID_ARGUMENT, "device spec '%s': too many devices",
                              spec);
                break;
            }
            if (parts) {
                st = split(&all[i], parts, item, out, n);
            } else {
                out[(*n)++] = all[i];
            }
            used[i] = 1;
        }
    }
    free(copy);
    if (st != ADNET_OK) {
        adn_device_list_free(out, *n);
        *n = 0;
        /* every such error lists what there is */
        if (!strstr(adnet_last_error(), "; devices:")) {
            char msg[2048];
            int len = snprintf(msg, sizeof msg, "%s; devices:", adnet_last_error());
            for (int i = 0; i < n_all && len < (int)sizeof msg - 1; i++)
                len += snprintf(msg + len, sizeof msg - (size_t)len,
                                " [%d] %s (%s, %s, %u compute units)%s", i, all[i].info.name,
                                all[i].info.platform, adnet_device_type_name(all[i].info.type),
                                all[i].info.compute_units, i + 1 < n_all ? ";" : "");
            adn_fail(st, "%s", msg);
        }
        return st;
    }
    *list = out;
    return ADNET_OK;
}
