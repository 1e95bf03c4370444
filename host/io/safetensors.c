#include "safetensors.h"

#include "status.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A header larger than this is not a checkpoint's (AD-Net's has about 600 tensors, 100 KB);
 * the limit keeps a corrupt length from making us allocate gigabytes before parsing. */
#define ST_MAX_HEADER (100ull << 20)
/* Integers above 2^53 cannot come through cJSON's doubles exactly. */
#define ST_MAX_INT 9007199254740992.0

typedef struct st_meta {
    char *key, *value;
} st_meta;

struct adn_safetensors {
    char *path;
    const unsigned char *map; /* the whole file, read-only */
    size_t map_size;
    const unsigned char *data; /* first byte after the header */
    uint64_t data_size;
    adn_st_tensor *tensors;
    int n_tensors;
    const adn_st_tensor **sorted; /* by name, for adn_st_find */
    st_meta *meta;
    int n_meta;
};

/* Element sizes of the safetensors dtypes; 0 for a name the format does not define (its
 * size cannot be checked, and it cannot be read). */
static size_t dtype_size(const char *name, adn_st_dtype *dtype) {
    static const struct {
        const char *name;
        size_t size;
        adn_st_dtype dtype;
    } table[] = {
        {"F32", 4, ADN_ST_F32},    {"F16", 2, ADN_ST_F16},       {"BF16", 2, ADN_ST_BF16},
        {"F64", 8, ADN_ST_OTHER},  {"I64", 8, ADN_ST_OTHER},     {"U64", 8, ADN_ST_OTHER},
        {"I32", 4, ADN_ST_OTHER},  {"U32", 4, ADN_ST_OTHER},     {"I16", 2, ADN_ST_OTHER},
        {"U16", 2, ADN_ST_OTHER},  {"I8", 1, ADN_ST_OTHER},      {"U8", 1, ADN_ST_OTHER},
        {"BOOL", 1, ADN_ST_OTHER}, {"F8_E5M2", 1, ADN_ST_OTHER}, {"F8_E4M3", 1, ADN_ST_OTHER},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (!strcmp(name, table[i].name)) {
            *dtype = table[i].dtype;
            return table[i].size;
        }
    }
    *dtype = ADN_ST_OTHER;
    return 0;
}

static uint64_t load_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* A JSON number that is a non-negative integer representable exactly. */
static int json_uint(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    if (!(v >= 0 && v <= ST_MAX_INT) || floor(v) != v) return 0;
    *out = (uint64_t)v;
    return 1;
}

static int mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (a != 0 && b > UINT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}

static void format_shape(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (n < size) snprintf(buf + n, size - n, "]");
}

static int cmp_tensor_name(const void *a, const void *b) {
    const adn_st_tensor *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Fills t from the header entry item; reports problems naming the file and the tensor. */
static adnet_status parse_tensor(const adn_safetensors *st, const cJSON *item, adn_st_tensor *t) {
    const char *path = st->path, *name = item->string;
    if (!cJSON_IsObject(item))
        return adn_fail(ADNET_ERR_FORMAT, "%s: header entry for tensor '%s' is not an object", path,
                        name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsString(dtype) || !dtype->valuestring[0])
        return adn_fail(ADNET_ERR_FORMAT, "%s: tensor '%s' has no \"dtype\" string", path, name);
    if (strlen(dtype->valuestring) >= sizeof t->dtype_name)
        return adn_fail(ADNET_ERR_FORMAT, "%s: tensor '%s' has an unknown dtype '%.32s...'", path,
                        name, dtype->valuestring);
    snprintf(t->dtype_name, sizeof t->dtype_name, "%s", dtype->valuestring);
    size_t esize = dtype_size(t->dtype_name, &t->dtype);

    if (!cJSON_IsArray(shape))
        return adn_fail(ADNET_ERR_FORMAT, "%s: tensor '%s' has no \"shape\" array", path, name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > ADN_ST_MAX_RANK)
        return adn_fail(ADNET_ERR_FORMAT, "%s: tensor '%s' has rank %d (at most %d supported)",
                        path, name, ndim, ADN_ST_MAX_RANK);
    t->ndim = ndim;
    t->numel = 1;
    int d = 0;
    const cJSON *dim;
    cJSON_ArrayForEach(dim, shape) {
        uint64_t v;
        if (!json_uint(dim, &v))
            return adn_fail(ADNET_ERR_FORMAT,
                            "%s: tensor '%s' has a shape entry that is not an integer in [0, 2^53]",
                            path, name);
        t->shape[d++] = (int64_t)v;
        if (!mul_u64(t->numel, v, &t->numel))
            return adn_fail(ADNET_ERR_FORMAT, "%s: tensor '%s' has a shape too large to address",
                            path, name);
    }

    uint64_t begin = 0, end = 0;
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_uint(cJSON_GetArrayItem(offsets, 0), &begin) ||
        !json_uint(cJSON_GetArrayItem(offsets, 1), &end))
        return adn_fail(ADNET_ERR_FORMAT,
                        "%s: tensor '%s' needs \"data_offsets\": [begin, end], integers in "
                        "[0, 2^53]",
                        path, name);
    if (begin > end || end > st->data_size)
        return adn_fail(ADNET_ERR_FORMAT,
                        "%s: tensor '%s' data_offsets [%llu, %llu] outside data (size %llu)", path,
                        name, (unsigned long long)begin, (unsigned long long)end,
                        (unsigned long long)st->data_size);
    t->begin = begin;
    t->end = end;
    if (esize) {
        uint64_t bytes;
        char sh[256];
        format_shape(sh, sizeof sh, t->ndim, t->shape);
        if (!mul_u64(t->numel, esize, &bytes) || bytes != end - begin)
            return adn_fail(ADNET_ERR_FORMAT,
                            "%s: tensor '%s' data_offsets [%llu, %llu] hold %llu bytes, but shape "
                            "%s of %s needs %llu x %zu bytes",
                            path, name, (unsigned long long)begin, (unsigned long long)end,
                            (unsigned long long)(end - begin), sh, t->dtype_name,
                            (unsigned long long)t->numel, esize);
    }
    return ADNET_OK;
}

static adnet_status parse_metadata(adn_safetensors *st, const cJSON *item) {
    if (!cJSON_IsObject(item))
        return adn_fail(ADNET_ERR_FORMAT, "%s: \"__metadata__\" is not an object", st->path);
    int n = cJSON_GetArraySize(item);
    st->meta = calloc(n ? (size_t)n : 1, sizeof *st->meta);
    if (!st->meta) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory reading %s", st->path);
    const cJSON *kv;
    cJSON_ArrayForEach(kv, item) {
        if (!cJSON_IsString(kv))
            return adn_fail(ADNET_ERR_FORMAT, "%s: metadata value of '%s' is not a string",
                            st->path, kv->string);
        st_meta *m = &st->meta[st->n_meta++];
        m->key = strdup(kv->string);
        m->value = strdup(kv->valuestring);
        if (!m->key || !m->value)
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory reading %s", st->path);
    }
    return ADNET_OK;
}

static adnet_status parse_header(adn_safetensors *st, const char *json, size_t len) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return adn_fail(ADNET_ERR_FORMAT, "%s: header is not valid JSON (error at byte %zu of %zu)",
                        st->path, at, len);
    }
    /* writers pad the header with spaces to align the data; anything else is corruption */
    for (const char *p = end; p < json + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            return adn_fail(ADNET_ERR_FORMAT, "%s: trailing bytes after the JSON header at %zu",
                            st->path, (size_t)(p - json));
        }
    }
    adnet_status s = ADNET_OK;
    if (!cJSON_IsObject(root)) {
        s = adn_fail(ADNET_ERR_FORMAT, "%s: header is not a JSON object", st->path);
        goto done;
    }
    int n = cJSON_GetArraySize(root);
    st->tensors = calloc(n ? (size_t)n : 1, sizeof *st->tensors);
    st->sorted = calloc(n ? (size_t)n : 1, sizeof *st->sorted);
    if (!st->tensors || !st->sorted) {
        s = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory reading %s", st->path);
        goto done;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        if (!strcmp(item->string, "__metadata__")) {
            if (st->meta) {
                s = adn_fail(ADNET_ERR_FORMAT, "%s: \"__metadata__\" appears twice", st->path);
                goto done;
            }
            if ((s = parse_metadata(st, item)) != ADNET_OK) goto done;
            continue;
        }
        adn_st_tensor *t = &st->tensors[st->n_tensors];
        if ((s = parse_tensor(st, item, t)) != ADNET_OK) goto done;
        if (!(t->name = strdup(item->string))) {
            s = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory reading %s", st->path);
            goto done;
        }
        st->sorted[st->n_tensors] = t;
        st->n_tensors++;
    }
    qsort(st->sorted, (size_t)st->n_tensors, sizeof *st->sorted, cmp_tensor_name);
    for (int i = 1; i < st->n_tensors; i++) {
        if (!strcmp(st->sorted[i - 1]->name, st->sorted[i]->name)) {
            s = adn_fail(ADNET_ERR_FORMAT, "%s: tensor '%s' appears twice in the header", st->path,
                         st->sorted[i]->name);
            goto done;
        }
    }
done:
    cJSON_Delete(root);
    return s;
}

adnet_status adn_st_open(const char *path, adn_safetensors **out) {
    *out = NULL;
    adn_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory opening %s", path);
    }
    adnet_status s = ADNET_OK;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        s = adn_fail(ADNET_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        s = adn_fail(ADNET_ERR_IO, "%s is not a regular file", path);
        goto fail;
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < 8) {
        close(fd);
        s = adn_fail(ADNET_ERR_FORMAT,
                     "%s: file is %llu bytes, too short for a safetensors file (8-byte header "
                     "length)",
                     path, (unsigned long long)size);
        goto fail;
    }
    if (size > SIZE_MAX) {
        close(fd);
        s = adn_fail(ADNET_ERR_IO, "%s: file too large to map", path);
        goto fail;
    }
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd); /* the mapping keeps the file */
    if (map == MAP_FAILED) {
        s = adn_fail(ADNET_ERR_IO, "cannot map %s: %s", path, strerror(map_errno));
        goto fail;
    }
    st->map = map;
    st->map_size = (size_t)size;

    uint64_t header_len = load_le64(st->map);
    if (header_len > size - 8) {
        s = adn_fail(ADNET_ERR_FORMAT, "%s: header length %llu exceeds file size %llu", path,
                     (unsigned long long)header_len, (unsigned long long)size);
        goto fail;
    }
    if (header_len > ST_MAX_HEADER) {
        s = adn_fail(ADNET_ERR_FORMAT, "%s: header length %llu exceeds the limit of %llu bytes",
                     path, (unsigned long long)header_len, (unsigned long long)ST_MAX_HEADER);
        goto fail;
    }
    st->data = st->map + 8 + header_len;
    st->data_size = size - 8 - header_len;
    /* cJSON reads a NUL-terminated copy: the mapping has no terminator of its own */
    char *json = malloc((size_t)header_len + 1);
    if (!json) {
        s = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory reading %s", path);
        goto fail;
    }
    memcpy(json, st->map + 8, (size_t)header_len);
    json[header_len] = '\0';
    s = parse_header(st, json, (size_t)header_len);
    free(json);
    if (s != ADNET_OK) goto fail;
    *out = st;
    return ADNET_OK;
fail:
    adn_st_close(st);
    return s;
}

void adn_st_close(adn_safetensors *st) {
    if (!st) return;
    if (st->map) munmap((void *)st->map, st->map_size);
    for (int i = 0; i < st->n_tensors; i++) free((void *)st->tensors[i].name);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->tensors);
    free(st->sorted);
    free(st->meta);
    free(st->path);
    free(st);
}

const char *adn_st_path(const adn_safetensors *st) {
    return st->path;
}

int adn_st_count(const adn_safetensors *st) {
    return st->n_tensors;
}

const adn_st_tensor *adn_st_tensor_at(const adn_safetensors *st, int i) {
    return i >= 0 && i < st->n_tensors ? &st->tensors[i] : NULL;
}

const adn_st_tensor *adn_st_find(const adn_safetensors *st, const char *name) {
    adn_st_tensor key = {.name = name};
    const adn_st_tensor *pkey = &key;
    const adn_st_tensor **hit =
        bsearch(&pkey, st->sorted, (size_t)st->n_tensors, sizeof *st->sorted, cmp_tensor_name);
    return hit ? *hit : NULL;
}

int adn_st_metadata_count(const adn_safetensors *st) {
    return st->n_meta;
}

void adn_st_metadata_at(const adn_safetensors *st, int i, const char **key, const char **value) {
    *key = st->meta[i].key;
    *value = st->meta[i].value;
}

const char *adn_st_metadata(const adn_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[i].key, key)) return st->meta[i].value;
    return NULL;
}

float adn_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* infinity, or NaN with its payload */
    } else if (exp != 0) {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    } else {
        /* zero or subnormal: man * 2^-24, exact in float32 */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float adn_bf16_to_f32(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

adnet_status adn_st_read_f32(const adn_safetensors *st, const adn_st_tensor *t, float *dst) {
    const unsigned char *p = st->data + t->begin;
    size_t n = (size_t)t->numel;
    switch (t->dtype) {
        case ADN_ST_F32:
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (n) memcpy(dst, p, n * sizeof *dst);
#else
            for (size_t i = 0; i < n; i++) {
                uint32_t bits = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                                (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
                memcpy(&dst[i], &bits, sizeof bits);
            }
#endif
            return ADNET_OK;
        case ADN_ST_F16:
            for (size_t i = 0; i < n; i++)
                dst[i] = adn_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            return ADNET_OK;
        case ADN_ST_BF16:
            for (size_t i = 0; i < n; i++)
                dst[i] = adn_bf16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            return ADNET_OK;
        default:
            return adn_fail(ADNET_ERR_FORMAT,
                            "%s: tensor '%s' has dtype %s; only F32, F16 and BF16 can be read",
                            st->path, t->name, t->dtype_name);
    }
}
