/* .npy reading and writing. A .npy file is the magic "\x93NUMPY", a major and minor version
 * byte, the header length (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3),
 * and a header that is a Python dict literal
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ended by a newline, followed by the raw array data. */
#include "npy.h"

#include "files.h"
#include "status.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static void swap_bytes_f32(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = (uint8_t *)&x[i], t;
        t = b[0], b[0] = b[3], b[3] = t;
        t = b[1], b[1] = b[2], b[2] = t;
    }
}

/* ---- writing ----------------------------------------------------------------------------- */

adnet_status adn_npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape) {
    if (ndim < 0 || ndim > ADN_NPY_MAX_DIMS || (ndim > 0 && !shape))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "writing '%s': bad number of dimensions %d",
                        path, ndim);
    char dict[64 + ADN_NPY_MAX_DIMS * 24];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] && count > SIZE_MAX / sizeof(float) / shape[i])
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "writing '%s': shape too large", path);
        count *= shape[i];
        n += snprintf(dict + n, sizeof dict - (size_t)n, i ? " %zu," : "%zu,", shape[i]);
    }
    /* a 1-tuple keeps its comma, others lose the trailing one: (5,) but (2, 3) */
    if (ndim > 1) n--;
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    if (count && !data) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "writing '%s': no data", path);

    /* magic (6) + version (2) + length (2) + dict + padding + '\n' = a multiple of 64 */
    size_t unpadded = 10 + (size_t)n + 1;
    size_t total = (unpadded + 63) / 64 * 64;
    uint8_t header[sizeof dict + 80];
    memcpy(header, npy_magic, 6);
    header[6] = 1, header[7] = 0;
    size_t header_len = total - 10;
    header[8] = (uint8_t)(header_len & 0xff), header[9] = (uint8_t)(header_len >> 8);
    memcpy(header + 10, dict, (size_t)n);
    memset(header + 10 + n, ' ', total - unpadded);
    header[total - 1] = '\n';

    adn_atomic_file f;
    ADN_TRY(adn_atomic_open(&f, path));
    int ok = fwrite(header, 1, total, f.fp) == total;
    if (ok && count) {
        if (host_is_little_endian()) {
            ok = fwrite(data, sizeof(float), count, f.fp) == count;
        } else {
            /* little-endian on disk whatever the host: swap through a small buffer */
            float chunk[1024];
            for (size_t i = 0; ok && i < count; i += 1024) {
                size_t m = count - i < 1024 ? count - i : 1024;
                memcpy(chunk, data + i, m * sizeof(float));
                swap_bytes_f32(chunk, m);
                ok = fwrite(chunk, sizeof(float), m, f.fp) == m;
            }
        }
    }
    if (!ok) {
        int e = errno;
        adn_atomic_abort(&f);
        return adn_fail(ADNET_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    return adn_atomic_commit(&f);
}

/* ---- reading: a parser for the subset of Python literals a .npy header uses ---------------- */

typedef struct header_parser {
    const char *p, *end;
} header_parser;

static void skip_space(header_parser *h) {
    while (h->p < h->end && isspace((unsigned char)*h->p)) h->p++;
}

static int accept_char(header_parser *h, char c) {
    skip_space(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...", no escapes) into out. */
static int parse_string(header_parser *h, char *out, size_t cap) {
    skip_space(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return 0;
    char quote = *h->p++;
    size_t n = 0;
    while (h->p < h->end && *h->p != quote) {
        if (*h->p == '\\' || n + 1 >= cap) return 0;
        out[n++] = *h->p++;
    }
    if (h->p >= h->end) return 0;
    h->p++;
    out[n] = '\0';
    return 1;
}

static int parse_word(header_parser *h, const char *word) {
    skip_space(h);
    size_t n = strlen(word);
    if ((size_t)(h->end - h->p) < n || memcmp(h->p, word, n) != 0) return 0;
    if (h->p + n < h->end && (isalnum((unsigned char)h->p[n]) || h->p[n] == '_')) return 0;
    h->p += n;
    return 1;
}

/* A tuple of non-negative integers: (), (5,), (2, 3), (2, 3,). */
static int parse_shape(header_parser *h, int *ndim, size_t *shape) {
    if (!accept_char(h, '(')) return 0;
    *ndim = 0;
    for (;;) {
        if (accept_char(h, ')')) return 1;
        skip_space(h);
        if (h->p >= h->end || !isdigit((unsigned char)*h->p)) return 0;
        size_t v = 0;
        while (h->p < h->end && isdigit((unsigned char)*h->p)) {
            size_t digit = (size_t)(*h->p++ - '0');
            if (v > (SIZE_MAX - digit) / 10) return 0;
            v = v * 10 + digit;
        }
        if (h->p < h->end && (*h->p == 'L' || *h->p == 'l')) h->p++; /* Python 2 longs */
        if (*ndim >= ADN_NPY_MAX_DIMS) return 0;
        shape[(*ndim)++] = v;
        if (!accept_char(h, ',')) return accept_char(h, ')');
        /* a 1-tuple needs its comma; more dims may follow */
    }
}

static adnet_status bad_npy(const char *path, const char *what) {
    return adn_fail(ADNET_ERR_FORMAT, "'%s': not a float32 .npy file: %s", path, what);
}

adnet_status adn_npy_read_f32(const char *path, float **data, int *ndim,
                              size_t shape[ADN_NPY_MAX_DIMS]) {
    *data = NULL;
    *ndim = 0;
    unsigned char *file;
    size_t size;
    ADN_TRY(adn_read_file(path, &file, &size));
    adnet_status st = ADNET_OK;
    if (size < 10 || memcmp(file, npy_magic, 6) != 0) {
        st = bad_npy(path, "no NumPy magic");
        goto done;
    }
    int major = file[6];
    size_t prefix, header_len;
    if (major == 1) {
        prefix = 10;
        header_len = (size_t)file[8] | (size_t)file[9] << 8;
    } else if (major == 2 || major == 3) {
        if (size < 12) {
            st = bad_npy(path, "truncated header");
            goto done;
        }
        prefix = 12;
        header_len = (size_t)file[8] | (size_t)file[9] << 8 | (size_t)file[10] << 16 |
                     (size_t)file[11] << 24;
    } else {
        char what[64];
        snprintf(what, sizeof what, "unsupported format version %d.%d", major, file[7]);
        st = bad_npy(path, what);
        goto done;
    }
#ifndef ADN_FUZZ_CANARY_NO_HEADER_CHECK /* defined only by tests/fuzz's canary build */
    if (header_len > size - prefix) {
        st = bad_npy(path, "truncated header");
        goto done;
    }
#endif

    header_parser h = {(const char *)file + prefix, (const char *)file + prefix + header_len};
    char descr[32] = "", key[32];
    int fortran = -1, have_shape = 0, nd = 0;
    size_t dims[ADN_NPY_MAX_DIMS];
    if (!accept_char(&h, '{')) {
        st = bad_npy(path, "header is not a dict");
        goto done;
    }
    while (!accept_char(&h, '}')) {
        if (!parse_string(&h, key, sizeof key) || !accept_char(&h, ':')) {
            st = bad_npy(path, "malformed header");
            goto done;
        }
        int ok;
        if (strcmp(key, "descr") == 0)
            ok = parse_string(&h, descr, sizeof descr);
        else if (strcmp(key, "fortran_order") == 0) {
            if (parse_word(&h, "False"))
                fortran = 0;
            else if (parse_word(&h, "True"))
                fortran = 1;
            ok = fortran >= 0;
        } else if (strcmp(key, "shape") == 0)
            ok = have_shape = parse_shape(&h, &nd, dims);
        else
            ok = 0;
        if (!ok) {
            char what[96];
            snprintf(what, sizeof what, "malformed or unknown header entry '%s'", key);
            st = bad_npy(path, what);
            goto done;
        }
        if (!accept_char(&h, ',')) {
            if (!accept_char(&h, '}')) {
                st = bad_npy(path, "malformed header");
                goto done;
            }
            break;
        }
    }
    skip_space(&h);
    if (h.p != h.end || !descr[0] || fortran < 0 || !have_shape) {
        st = bad_npy(path, "header lacks descr, fortran_order or shape");
        goto done;
    }
    int swap;
    if (strcmp(descr, "<f4") == 0)
        swap = !host_is_little_endian();
    else if (strcmp(descr, ">f4") == 0)
        swap = host_is_little_endian();
    else {
        char what[80];
        snprintf(what, sizeof what, "dtype '%s' (expected '<f4')", descr);
        st = bad_npy(path, what);
        goto done;
    }
    if (fortran) {
        st = bad_npy(path, "Fortran order is not supported");
        goto done;
    }
    size_t count = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] && count > SIZE_MAX / sizeof(float) / dims[i]) {
            st = bad_npy(path, "shape too large");
            goto done;
        }
        count *= dims[i];
    }
    size_t avail = size - prefix - header_len;
    if (avail != count * sizeof(float)) {
        char what[128];
        snprintf(what, sizeof what, "%zu data bytes for a shape of %zu floats (%s)", avail, count,
                 avail < count * sizeof(float) ? "truncated" : "trailing bytes");
        st = bad_npy(path, what);
        goto done;
    }
    float *out = malloc(count ? count * sizeof(float) : 1);
    if (!out) {
        st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory reading '%s'", path);
        goto done;
    }
    memcpy(out, file + prefix + header_len, count * sizeof(float));
    if (swap) swap_bytes_f32(out, count);
    *data = out;
    *ndim = nd;
    for (int i = 0; i < nd; i++) shape[i] = dims[i];
done:
    free(file);
    return st;
}
