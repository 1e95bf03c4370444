#include "device.h"

#include "program.h"
#include "status.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *adn_cl_error_name(cl_int err) {
    switch (err) {
#define E(x)                                                                                       \
    case x:                                                                                        \
        return #x;
        E(CL_SUCCESS)
        E(CL_DEVICE_NOT_FOUND)
        E(CL_DEVICE_NOT_AVAILABLE)
        E(CL_COMPILER_NOT_AVAILABLE)
        E(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        E(CL_OUT_OF_RESOURCES)
        E(CL_OUT_OF_HOST_MEMORY)
        E(CL_PROFILING_INFO_NOT_AVAILABLE)
        E(CL_MEM_COPY_OVERLAP)
        E(CL_IMAGE_FORMAT_MISMATCH)
        E(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        E(CL_BUILD_PROGRAM_FAILURE)
        E(CL_MAP_FAILURE)
        E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        E(CL_COMPILE_PROGRAM_FAILURE)
        E(CL_LINKER_NOT_AVAILABLE)
        E(CL_LINK_PROGRAM_FAILURE)
        E(CL_DEVICE_PARTITION_FAILED)
        E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        E(CL_INVALID_VALUE)
        E(CL_INVALID_DEVICE_TYPE)
        E(CL_INVALID_PLATFORM)
        E(CL_INVALID_DEVICE)
        E(CL_INVALID_CONTEXT)
        E(CL_INVALID_QUEUE_PROPERTIES)
        E(CL_INVALID_COMMAND_QUEUE)
        E(CL_INVALID_HOST_PTR)
        E(CL_INVALID_MEM_OBJECT)
        E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
        E(CL_INVALID_IMAGE_SIZE)
        E(CL_INVALID_SAMPLER)
        E(CL_INVALID_BINARY)
        E(CL_INVALID_BUILD_OPTIONS)
        E(CL_INVALID_PROGRAM)
        E(CL_INVALID_PROGRAM_EXECUTABLE)
        E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION)
        E(CL_INVALID_KERNEL)
        E(CL_INVALID_ARG_INDEX)
        E(CL_INVALID_ARG_VALUE)
        E(CL_INVALID_ARG_SIZE)
        E(CL_INVALID_KERNEL_ARGS)
        E(CL_INVALID_WORK_DIMENSION)
        E(CL_INVALID_WORK_GROUP_SIZE)
        E(CL_INVALID_WORK_ITEM_SIZE)
        E(CL_INVALID_GLOBAL_OFFSET)
        E(CL_INVALID_EVENT_WAIT_LIST)
        E(CL_INVALID_EVENT)
        E(CL_INVALID_OPERATION)
        E(CL_INVALID_GL_OBJECT)
        E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_MIP_LEVEL)
        E(CL_INVALID_GLOBAL_WORK_SIZE)
        E(CL_INVALID_PROPERTY)
        E(CL_INVALID_IMAGE_DESCRIPTOR)
        E(CL_INVALID_COMPILER_OPTIONS)
        E(CL_INVALID_LINKER_OPTIONS)
        E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
        case -1001:
            return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform is installed)";
    }
    return "unknown OpenCL error";
}

adnet_status adn_cl_fail(cl_int err, const char *what) {
    adnet_status st = (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_HOST_MEMORY ||
                       err == CL_INVALID_BUFFER_SIZE)
                          ? ADNET_ERR_OUT_OF_MEMORY
                          : ADNET_ERR_OPENCL;
    return adn_fail(st, "%s failed: %s (%d)", what, adn_cl_error_name(err), (int)err);
}

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

adnet_status adn_devices(const adn_device_entry **list, int *count) {
    if (g_n_devices < 0) {
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
                    all[n].platform = ps[i];
                    all[n].device = ds[j];
                    read_info(ps[i], ds[j], &all[n].info);
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
    if (!spec || !*spec) spec = getenv("ADNET_DEVICE");
    if (n == 0)
        return adn_fail(ADNET_ERR_DEVICE,
                        "no OpenCL device found: install an OpenCL driver (for the CPU, "
                        "Debian's pocl-opencl-icd)");
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

/* ---- an opened device ---------------------------------------------------------------- */

const char *adn_gemm_backend_name(adn_gemm_backend b) {
    return b == ADN_GEMM_ADNET ? "adnet" : "clblast";
}

/* CLBlast's GEMM kernels share work through local memory across work-items, which GPUs run
 * in parallel and CPU runtimes run as loops (PoCL reaches a few percent of a CPU's peak with
 * them); adnet's kernel is a register-tiled loop nest, a CPU's shape. */
static adnet_status choose_gemm(const adn_device_entry *e, adn_gemm_backend *out) {
    const char *env = getenv("ADNET_GEMM");
    if (env && *env) {
        if (!strcmp(env, "clblast"))
            *out = ADN_GEMM_CLBLAST;
        else if (!strcmp(env, "adnet"))
            *out = ADN_GEMM_ADNET;
        else
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "ADNET_GEMM is '%s': expected 'clblast' or 'adnet' (or unset: adnet's "
                            "GEMM on CPU devices, CLBlast's on others)",
                            env);
        return ADNET_OK;
    }
    *out = e->info.type == ADNET_DEVICE_CPU ? ADN_GEMM_ADNET : ADN_GEMM_CLBLAST;
    return ADNET_OK;
}

adnet_status adn_device_open(int index, int flags, adn_device **out) {
    const adn_device_entry *list;
    int n;
    *out = NULL;
    ADN_TRY(adn_devices(&list, &n));
    if (index < 0 || index >= n)
        return adn_fail(ADNET_ERR_DEVICE, "device %d does not exist (%d devices)", index, n);
    adn_gemm_backend gemm = ADN_GEMM_CLBLAST;
    ADN_TRY(choose_gemm(&list[index], &gemm));
    adn_device *dev = calloc(1, sizeof *dev);
    if (!dev) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    dev->entry = list[index];
    dev->gemm = gemm;
    dev->profiling = (flags & ADN_DEVICE_PROFILING) != 0;
    dev->current_step = -1;
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                     (cl_context_properties)dev->entry.platform, 0};
    dev->context = clCreateContext(props, 1, &dev->entry.device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        free(dev);
        return adn_cl_fail(err, "clCreateContext");
    }
    dev->queue = clCreateCommandQueue(dev->context, dev->entry.device,
                                      dev->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (err != CL_SUCCESS) {
        adn_device_close(dev);
        return adn_cl_fail(err, "clCreateCommandQueue");
    }
    adnet_status st = adn_program_build_adnet(dev, &dev->program);
    if (st != ADNET_OK) {
        adn_device_close(dev);
        return st;
    }
    *out = dev;
    return ADNET_OK;
}

void adn_device_close(adn_device *dev) {
    if (!dev) return;
    if (dev->queue) clFinish(dev->queue);
    adn_device_trace_clear(dev);
    free(dev->trace);
    for (int i = 0; i < dev->n_kernels; i++) clReleaseKernel(dev->kernels[i].kernel);
    adn_program_free(dev->program);
    if (dev->queue) clReleaseCommandQueue(dev->queue);
    if (dev->context) clReleaseContext(dev->context);
    free(dev);
}

adnet_status adn_kernel(adn_device *dev, const char *name, cl_kernel *out) {
    for (int i = 0; i < dev->n_kernels; i++) {
        if (dev->kernels[i].name == name || !strcmp(dev->kernels[i].name, name)) {
            *out = dev->kernels[i].kernel;
            return ADNET_OK;
        }
    }
    if (dev->n_kernels == (int)(sizeof dev->kernels / sizeof dev->kernels[0]))
        return adn_fail(ADNET_ERR_INTERNAL, "too many kernels on one device");
    cl_int err;
    cl_kernel k = clCreateKernel(adn_program_handle(dev->program), name, &err);
    if (err != CL_SUCCESS) {
        adn_fail(ADNET_ERR_OPENCL, "clCreateKernel(%s) failed: %s", name, adn_cl_error_name(err));
        return ADNET_ERR_OPENCL;
    }
    dev->kernels[dev->n_kernels].name = name;
    dev->kernels[dev->n_kernels].kernel = k;
    dev->n_kernels++;
    *out = k;
    return ADNET_OK;
}

adnet_status adn_set_args(cl_kernel k, const char *kernel_name, int n, const size_t *sizes,
                          const void *const *values) {
    for (int i = 0; i < n; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, sizes[i], values[i]);
        if (err != CL_SUCCESS)
            return adn_fail(ADNET_ERR_OPENCL, "clSetKernelArg(%s, arg %d) failed: %s", kernel_name,
                            i, adn_cl_error_name(err));
    }
    return ADNET_OK;
}

/* Records a profiled event with its label (profiling section below). */
static void trace_labeled(adn_device *dev, cl_event ev, const char *label);

adnet_status adn_enqueue(adn_device *dev, cl_kernel k, int dims, const size_t *global,
                         const size_t *local, const char *what) {
    for (int i = 0; i < dims; i++)
        if (global[i] == 0) return ADNET_OK; /* nothing to do */
    cl_event ev = NULL;
    cl_int err = clEnqueueNDRangeKernel(dev->queue, k, (cl_uint)dims, NULL, global, local, 0, NULL,
                                        adn_device_event_slot(dev, &ev));
    if (err != CL_SUCCESS) {
        char msg[160];
        snprintf(msg, sizeof msg, "clEnqueueNDRangeKernel(%s)", what);
        return adn_cl_fail(err, msg);
    }
    trace_labeled(dev, ev, what);
    return ADNET_OK;
}

/* ---- buffers ----------------------------------------------------------------------- */

static void fmt_bytes(char *dst, size_t cap, uint64_t b) {
    if (b >= (1ull << 30))
        snprintf(dst, cap, "%.2f GiB", (double)b / (1ull << 30));
    else
        snprintf(dst, cap, "%.1f MiB", (double)b / (1ull << 20));
}

adnet_status adn_buffer_alloc(adn_device *dev, size_t bytes, cl_mem *out) {
    *out = NULL;
    if (bytes == 0) bytes = 4;
    const adnet_device_info *in = &dev->entry.info;
    if (in->max_alloc_bytes && bytes > in->max_alloc_bytes) {
        char a[32], b[32];
        fmt_bytes(a, sizeof a, bytes);
        fmt_bytes(b, sizeof b, in->max_alloc_bytes);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                        "device %s cannot hold a buffer of %s (its largest allocation is %s)",
                        in->name, a, b);
    }
    if (in->global_mem_bytes && dev->mem_current + bytes > in->global_mem_bytes) {
        char a[32], b[32], c[32];
        fmt_bytes(a, sizeof a, bytes);
        fmt_bytes(b, sizeof b, dev->mem_current);
        fmt_bytes(c, sizeof c, in->global_mem_bytes);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                        "device %s is out of memory: %s requested with %s in use of %s", in->name,
                        a, b, c);
    }
    cl_int err;
    cl_mem m = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (err != CL_SUCCESS) return adn_cl_fail(err, "clCreateBuffer");
    dev->mem_current += bytes;
    if (dev->mem_current > dev->mem_peak) dev->mem_peak = dev->mem_current;
    *out = m;
    return ADNET_OK;
}

void adn_buffer_free(adn_device *dev, cl_mem mem, size_t bytes) {
    if (!mem) return;
    if (bytes == 0) bytes = 4;
    clReleaseMemObject(mem);
    dev->mem_current -= bytes <= dev->mem_current ? bytes : dev->mem_current;
}

adnet_status adn_buffer_write(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                              const void *src) {
    if (bytes == 0) return ADNET_OK;
    cl_event ev = NULL;
    ADN_CL(clEnqueueWriteBuffer(dev->queue, mem, CL_TRUE, offset_bytes, bytes, src, 0, NULL,
                                adn_device_event_slot(dev, &ev)),
           "clEnqueueWriteBuffer");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_buffer_read(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                             void *dst) {
    if (bytes == 0) return ADNET_OK;
    cl_event ev = NULL;
    ADN_CL(clEnqueueReadBuffer(dev->queue, mem, CL_TRUE, offset_bytes, bytes, dst, 0, NULL,
                               adn_device_event_slot(dev, &ev)),
           "clEnqueueReadBuffer");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_buffer_fill_zero(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes) {
    if (bytes == 0) return ADNET_OK;
    const float zero = 0.0f;
    cl_event ev = NULL;
    ADN_CL(clEnqueueFillBuffer(dev->queue, mem, &zero, sizeof zero, offset_bytes, bytes, 0, NULL,
                               adn_device_event_slot(dev, &ev)),
           "clEnqueueFillBuffer");
    adn_device_trace(dev, ev);
    return ADNET_OK;
}

adnet_status adn_finish(adn_device *dev) {
    ADN_CL(clFinish(dev->queue), "clFinish");
    return ADNET_OK;
}

/* ---- profiling --------------------------------------------------------------------- */

void adn_device_set_step(adn_device *dev, int step) {
    dev->current_step = step;
}

cl_event *adn_device_event_slot(adn_device *dev, cl_event *slot) {
    *slot = NULL;
    return dev->profiling ? slot : NULL;
}

static void trace_labeled(adn_device *dev, cl_event ev, const char *label) {
    if (!ev) return;
    if (dev->n_trace == dev->cap_trace) {
        int cap = dev->cap_trace ? 2 * dev->cap_trace : 256;
        adn_trace_event *grown = realloc(dev->trace, (size_t)cap * sizeof *grown);
        if (!grown) { /* losing a profile sample is better than failing the run */
            clReleaseEvent(ev);
            return;
        }
        dev->trace = grown;
        dev->cap_trace = cap;
    }
    dev->trace[dev->n_trace].event = ev;
    dev->trace[dev->n_trace].step = dev->current_step;
    dev->trace[dev->n_trace].label = label;
    dev->n_trace++;
}

void adn_device_trace(adn_device *dev, cl_event ev) {
    trace_labeled(dev, ev, NULL);
}

void adn_device_trace_clear(adn_device *dev) {
    for (int i = 0; i < dev->n_trace; i++) clReleaseEvent(dev->trace[i].event);
    dev->n_trace = 0;
}
