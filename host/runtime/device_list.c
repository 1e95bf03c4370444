#include "device_list.h"

#include "cl_status.h"
#include "device_chip.h"
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

/* The host's CPU model as Linux names it ("model name" of /proc/cpuinfo); "" elsewhere. */
static void host_cpu_model(char *dst, size_t cap) {
    dst[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(dst, cap, "%s", v);
        size_t n = strlen(dst);
        while (n > 0 && isspace((unsigned char)dst[n - 1])) dst[--n] = '\0';
        break;
    }
    fclose(f);
}

/* Whether the device lists extension ext. */
static int has_extension(cl_device_id d, const char *ext) {
    size_t size = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &size) != CL_SUCCESS || size == 0)
        return 0;
    char *all = malloc(size + 1);
    int found = 0;
    if (all && clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, size, all, NULL) == CL_SUCCESS) {
        all[size] = '\0';
        found = strstr(all, ext) != NULL;
    }
    free(all);
    return found;
}

/* The PCI address of a device, from whichever query its driver offers: cl_khr_pci_bus_info,
 * AMD's device topology, NVIDIA's bus and slot ids (each asked only where the device lists its
 * extension: a driver checking API use, Oclgrind's, reports unknown queries). Returns 0 when
 * none answers. */
static int read_pci(cl_device_id d, adn_chip_facts *f) {
    int khr_ext = has_extension(d, "cl_khr_pci_bus_info");
    int amd_ext = has_extension(d, "cl_amd_device_attribute_query");
    int nv_ext = has_extension(d, "cl_nv_device_attribute_query");
    struct {
        cl_uint domain, bus, device, function;
    } khr;
    if (khr_ext && clGetDeviceInfo(d, 0x410F /* CL_DEVICE_PCI_BUS_INFO_KHR */, sizeof khr, &khr,
                                   NULL) == CL_SUCCESS) {
        f->pci_domain = khr.domain;
        f->pci_bus = khr.bus;
        f->pci_device = khr.device;
        f->pci_function = khr.function;
        return 1;
    }
    /* cl_device_topology_amd: a type word (1: PCIe), then 17 unused bytes, bus, device and
     * function */
    union {
        cl_uint raw[6];
        struct {
            cl_uint type;
            cl_char unused[17], bus, device, function;
        } pcie;
    } amd;
    if (amd_ext &&
        clGetDeviceInfo(d, 0x4037 /* CL_DEVICE_TOPOLOGY_AMD */, sizeof amd, &amd, NULL) ==
            CL_SUCCESS &&
        amd.pcie.type == 1) {
        f->pci_bus = (unsigned char)amd.pcie.bus;
        f->pci_device = (unsigned char)amd.pcie.device;
        f->pci_function = (unsigned char)amd.pcie.function;
        return 1;
    }
    cl_uint bus = 0, slot = 0, domain = 0;
    if (nv_ext &&
        clGetDeviceInfo(d, 0x4008 /* CL_DEVICE_PCI_BUS_ID_NV */, sizeof bus, &bus, NULL) ==
            CL_SUCCESS &&
        clGetDeviceInfo(d, 0x4009 /* CL_DEVICE_PCI_SLOT_ID_NV */, sizeof slot, &slot, NULL) ==
            CL_SUCCESS) {
        if (clGetDeviceInfo(d, 0x400A /* CL_DEVICE_PCI_DOMAIN_ID_NV */, sizeof domain, &domain,
                            NULL) != CL_SUCCESS)
            domain = 0;
        f->pci_domain = domain;
        f->pci_bus = bus;
        f->pci_device = slot >> 3;
        f->pci_function = slot & 7;
        return 1;
    }
    return 0;
}

/* What identifies the chip behind device d (device_chip.h). */
static void read_chip(cl_device_id d, const char *host_model, adn_device_entry *e) {
    adn_chip_facts f;
    memset(&f, 0, sizeof f);
    f.type = e->info.type;
    f.name = e->info.name;
    f.global_mem_bytes = e->info.global_mem_bytes;
    f.host_cpu_model = host_model;
    cl_uint vid = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_VENDOR_ID, sizeof vid, &vid, NULL) == CL_SUCCESS)
        f.vendor_id = vid;
    cl_bool unified = CL_FALSE;
    if (clGetDeviceInfo(d, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL) ==
        CL_SUCCESS)
        f.host_unified = unified == CL_TRUE;
    f.has_pci = read_pci(d, &f);
    adn_chip_identify(&f, e->chip_pci, sizeof e->chip_pci, e->chip_desc, sizeof e->chip_desc);
    snprintf(e->info.chip, sizeof e->info.chip, "%s", *e->chip_pci ? e->chip_pci : e->chip_desc);
    e->info.same_chip_as = -1; /* device_select.c decides */
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
    cl_device_exec_capabilities exec = 0;
    e->native_kernels = clGetDeviceInfo(d, CL_DEVICE_EXECUTION_CAPABILITIES, sizeof exec, &exec,
                                        NULL) == CL_SUCCESS &&
                        (exec & CL_EXEC_NATIVE_KERNEL) != 0;
    cl_bool unified = CL_FALSE;
    e->host_unified = clGetDeviceInfo(d, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified,
                                      NULL) == CL_SUCCESS &&
                      unified == CL_TRUE;
}

int adn_device_runs_native(const adn_device_entry *e) {
    return e->native_kernels && e->host_unified;
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
            char host_model[256];
            host_cpu_model(host_model, sizeof host_model);
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
                    read_chip(ds[j], host_model, &all[n]);
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

/* ---- sub-devices and labels ---------------------------------------------------------- */

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
adnet_status adn_device_split(const adn_device_entry *e, int parts, const char *spec,
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
