#include "program.h"

#include "files.h"
#include "hash.h"
#include "settings.h"
#include "status.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct adn_program {
    cl_program program;
    adn_program_origin origin;
    double seconds;
    char cache_path[4200];
};

#define CACHE_MAGIC "ADNETCL1"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

const char *adn_cache_dir(char *buf, size_t cap) {
    const char *d;
    char set[4096];
    if (adn_setting_get(ADN_SETTING_CACHE_DIR, set, sizeof set))
        snprintf(buf, cap, "%s", set);
    else if ((d = getenv("XDG_CACHE_HOME")) && *d)
        snprintf(buf, cap, "%s/adnet", d);
    else if ((d = getenv("HOME")) && *d)
        snprintf(buf, cap, "%s/.cache/adnet", d);
    else
        buf[0] = '\0';
    return buf;
}

static uint64_t sources_hash(const adn_source *src, int n) {
    uint64_t h = ADN_HASH_INIT;
    for (int i = 0; i < n; i++) h = adn_hash_bytes(h, src[i].text, src[i].length);
    return h;
}

/* The embedded sources are constants of the binary, and every device profile resolution keys
 * its tuning entry with them: hashed once per process (hundreds of KB; rehashing them was most
 * of a resolution's time). The same hash as cache_key takes of them. */
static uint64_t embedded_hash;
static pthread_once_t embedded_hash_once = PTHREAD_ONCE_INIT;

static void hash_embedded(void) {
    embedded_hash = sources_hash(adn_embedded_sources, adn_embedded_source_count);
}

uint64_t adn_embedded_sources_hash(void) {
    pthread_once(&embedded_hash_once, hash_embedded);
    return embedded_hash;
}

/* The key names everything that makes a binary valid: a different driver, device, option or
 * source gives a different entry. */
static char *cache_key(const adn_device_entry *dev, const adn_source *src, int n,
                       const char *options) {
    uint64_t h = sources_hash(src, n); /* once per build: no need for the cached value */
    const adnet_device_info *in = &dev->info;
    size_t cap = 1024 + strlen(options);
    char *key = malloc(cap);
    if (!key) return NULL;
    snprintf(key, cap, "adnet %s|%s|%s|%s|%s|%s|%s|%016llx", ADNET_VERSION_STRING, in->platform,
             in->vendor, in->name, in->driver_version, in->device_version, options,
             (unsigned long long)h);
    return key;
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Entry layout: magic[8], key_len u64, key, payload_len u64, payload_hash u64, payload. */
static int cache_load(const char *path, const char *key, unsigned char **payload, size_t *len) {
    unsigned char *data;
    size_t size;
    *payload = NULL;
    if (adn_read_file(path, &data, &size) != ADNET_OK) {
        adn_clear_error();
        return 0;
    }
    size_t klen = strlen(key), pos = 0;
    int ok = size >= 8 + 8 && !memcmp(data, CACHE_MAGIC, 8);
    pos = 8;
    ok = ok && get_u64(data + pos) == klen && size - 16 >= klen + 16;
    pos += 8;
    ok = ok && !memcmp(data + pos, key, klen);
    pos += klen;
    uint64_t plen = ok ? get_u64(data + pos) : 0;
    ok = ok && plen == size - pos - 16 && plen > 0;
    uint64_t phash = ok ? get_u64(data + pos + 8) : 0;
    ok = ok && adn_hash_bytes(ADN_HASH_INIT, data + pos + 16, plen) == phash;
    if (!ok) {
        free(data);
        return 0;
    }
    *payload = malloc(plen);
    if (*payload) memcpy(*payload, data + pos + 16, plen);
    *len = plen;
    free(data);
    return *payload != NULL;
}

static void cache_store(const char *dir, const char *path, const char *key,
                        const unsigned char *bin, size_t len) {
    if (adn_mkdir_p(dir) != ADNET_OK) {
        adn_clear_error(); /* an unwritable cache only costs time */
        return;
    }
    size_t klen = strlen(key), total = 8 + 8 + klen + 16 + len;
    unsigned char *data = malloc(total);
    if (!data) return;
    memcpy(data, CACHE_MAGIC, 8);
    put_u64(data + 8, klen);
    memcpy(data + 16, key, klen);
    put_u64(data + 16 + klen, len);
    put_u64(data + 24 + klen, adn_hash_bytes(ADN_HASH_INIT, bin, len));
    memcpy(data + 32 + klen, bin, len);
    if (adn_write_file_atomic(path, data, total) != ADNET_OK) adn_clear_error();
    free(data);
}

static adnet_status build_failure(const adn_device_entry *dev, cl_program prog, cl_int err,
                                  const adn_source *src, int n) {
    size_t log_size = 0;
    clGetProgramBuildInfo(prog, dev->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
    char *log = malloc(log_size + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(prog, dev->device, CL_PROGRAM_BUILD_LOG, log_size, log, NULL);
        log[log_size] = '\0';
    }
    adnet_status st = adn_fail(ADNET_ERR_BUILD,
                               "building OpenCL program (%s%s) for %s failed with %s; "
                               "compiler log:\n%s",
                               n > 0 ? src[0].name : "?", n > 1 ? ", ..." : "", dev->info.name,
                               adn_cl_error_name(err), log ? log : "");
    free(log);
    return st;
}

static cl_program from_binary(const adn_device_entry *dev, cl_context context,
                              const unsigned char *bin, size_t len, const char *options) {
    cl_int err, bin_status;
    cl_program p =
        clCreateProgramWithBinary(context, 1, &dev->device, &len, &bin, &bin_status, &err);
    if (err != CL_SUCCESS || bin_status != CL_SUCCESS) {
        if (p) clReleaseProgram(p);
        return NULL;
    }
    if (clBuildProgram(p, 1, &dev->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return NULL;
    }
    return p;
}

static adnet_status program_binary(cl_program p, unsigned char **bin, size_t *len) {
    *bin = NULL;
    *len = 0;
    size_t size = 0;
    ADN_CL(clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL),
           "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)");
    if (size == 0) return ADNET_OK;
    unsigned char *b = malloc(size);
    if (!b) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    cl_int err = clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof b, &b, NULL);
    if (err != CL_SUCCESS) {
        free(b);
        return adn_cl_fail(err, "clGetProgramInfo(CL_PROGRAM_BINARIES)");
    }
    *bin = b;
    *len = size;
    return ADNET_OK;
}

adnet_status adn_program_build(const adn_device_entry *dev, cl_context context,
                               const adn_source *sources, int n_sources, const char *options,
                               adn_program **out) {
    *out = NULL;
    if (!options) options = "";
    adn_program *prog = calloc(1, sizeof *prog);
    char *key = cache_key(dev, sources, n_sources, options);
    if (!prog || !key) {
        free(prog);
        free(key);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    double t0 = now_seconds();
    char dir[4096];
    adn_cache_dir(dir, sizeof dir);
    if (dir[0])
        snprintf(prog->cache_path, sizeof prog->cache_path, "%s/%016llx.clbin", dir,
                 (unsigned long long)adn_hash_string(ADN_HASH_INIT, key));

    if (prog->cache_path[0]) {
        unsigned char *bin;
        size_t len;
        if (cache_load(prog->cache_path, key, &bin, &len)) {
            prog->program = from_binary(dev, context, bin, len, options);
            free(bin);
            if (prog->program) prog->origin = ADN_PROGRAM_FROM_CACHE;
        }
    }
    if (!prog->program) {
        const char **texts = calloc((size_t)n_sources, sizeof *texts);
        size_t *lens = calloc((size_t)n_sources, sizeof *lens);
        if (!texts || !lens) {
            free(texts);
            free(lens);
            free(key);
            free(prog);
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        }
        for (int i = 0; i < n_sources; i++) {
            texts[i] = sources[i].text;
            lens[i] = sources[i].length;
        }
        cl_int err;
        cl_program p = clCreateProgramWithSource(context, (cl_uint)n_sources, texts, lens, &err);
        free(texts);
        free(lens);
        if (err != CL_SUCCESS) {
            free(key);
            free(prog);
            return adn_cl_fail(err, "clCreateProgramWithSource");
        }
        err = clBuildProgram(p, 1, &dev->device, options, NULL, NULL);
        if (err != CL_SUCCESS) {
            adnet_status st = build_failure(dev, p, err, sources, n_sources);
            clReleaseProgram(p);
            free(key);
            free(prog);
            return st;
        }
        prog->program = p;
        prog->origin = ADN_PROGRAM_FROM_SOURCE;
        if (prog->cache_path[0]) {
            unsigned char *bin;
            size_t len;
            if (program_binary(p, &bin, &len) == ADNET_OK && len > 0)
                cache_store(dir, prog->cache_path, key, bin, len);
            else
                adn_clear_error();
            free(bin);
        }
    }
    prog->seconds = now_seconds() - t0;
    free(key);
    *out = prog;
    return ADNET_OK;
}

adnet_status adn_program_build_adnet(const adn_device_entry *dev, cl_context context,
                                     const char *options, adn_program **out) {
    return adn_program_build(dev, context, adn_embedded_sources, adn_embedded_source_count, options,
                             out);
}

cl_program adn_program_handle(const adn_program *p) {
    return p->program;
}

adn_program_origin adn_program_origin_of(const adn_program *p) {
    return p->origin;
}

double adn_program_build_seconds(const adn_program *p) {
    return p->seconds;
}

const char *adn_program_cache_path(const adn_program *p) {
    return p->cache_path;
}

void adn_program_free(adn_program *p) {
    if (!p) return;
    if (p->program) clReleaseProgram(p->program);
    free(p);
}
