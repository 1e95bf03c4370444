#include "st_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, const char *path) {
    fprintf(stderr, "test writer: %s %s\n", what, path);
    exit(1);
}

void tu_st_init(tu_st_writer *w) {
    memset(w, 0, sizeof *w);
}

void tu_st_free(tu_st_writer *w) {
    free(w->t);
    memset(w, 0, sizeof *w);
}

void tu_st_meta(tu_st_writer *w, const char *key, const char *value) {
    size_t n = strlen(w->meta);
    n += (size_t)snprintf(w->meta + n, sizeof w->meta - n, "%s\"%s\": \"", n ? ", " : "", key);
    /* the value as a JSON string: quotes and backslashes escaped (JSON-valued metadata) */
    for (const char *c = value; *c && n + 3 < sizeof w->meta; c++) {
        if (*c == '"' || *c == '\\') w->meta[n++] = '\\';
        w->meta[n++] = *c;
    }
    if (n + 2 > sizeof w->meta) die("metadata too long for", key);
    w->meta[n++] = '"';
    w->meta[n] = 0;
}

void tu_st_add(tu_st_writer *w, const char *name, const char *dtype, int ndim, const int64_t *shape,
               const void *data, size_t bytes) {
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->t = realloc(w->t, (size_t)w->cap * sizeof *w->t);
        if (!w->t) die("out of memory for", name);
    }
    tu_st_entry *e = &w->t[w->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->dtype, sizeof e->dtype, "%s", dtype);
    e->ndim = ndim;
    for (int i = 0; i < ndim; i++) e->shape[i] = shape[i];
    e->data = data;
    e->bytes = bytes;
}

void tu_st_add_f32(tu_st_writer *w, const char *name, int ndim, const int64_t *shape,
                   const float *data) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    tu_st_add(w, name, "F32", ndim, shape, data, n * sizeof(float));
}

/* Appends to a growing string. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
put(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = 2 * (b->n + (size_t)k + 1);
        b->s = realloc(b->s, b->cap);
        if (!b->s) die("out of memory", "");
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

void tu_st_write(const tu_st_writer *w, const char *path, int pad) {
    sbuf h = {0};
    put(&h, "{");
    int first = 1;
    if (w->meta[0]) {
        put(&h, "\"__metadata__\": {%s}", w->meta);
        first = 0;
    }
    long long off = 0;
    for (int i = 0; i < w->n; i++) {
        const tu_st_entry *e = &w->t[i];
        put(&h, first ? "\"%s\": " : ", \"%s\": ", e->name);
        first = 0;
        put(&h, "{\"dtype\": \"%s\", \"shape\": [", e->dtype);
        for (int d = 0; d < e->ndim; d++) put(&h, d ? ", %lld" : "%lld", (long long)e->shape[d]);
        put(&h, "], \"data_offsets\": [%lld, ", off);
        off += (long long)e->bytes;
        put(&h, "%lld]}", off);
    }
    put(&h, "}");
    while (pad > 1 && h.n % (size_t)pad) put(&h, " ");

    FILE *fp = fopen(path, "wb");
    if (!fp) die("cannot write", path);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    if (fwrite(len, 1, 8, fp) != 8 || fwrite(h.s, 1, h.n, fp) != h.n) die("cannot write", path);
    for (int i = 0; i < w->n; i++) {
        const tu_st_entry *e = &w->t[i];
        if (e->data) {
            if (e->bytes && fwrite(e->data, 1, e->bytes, fp) != e->bytes) die("cannot write", path);
        } else if (fseek(fp, (long)e->bytes, SEEK_CUR) != 0) {
            die("cannot seek in", path);
        }
    }
    /* a trailing hole: the file must still end where the last tensor ends */
    long total = (long)(8 + h.n) + (long)off;
    if (fflush(fp) != 0 || ftruncate(fileno(fp), total) != 0 || fclose(fp) != 0)
        die("cannot finish", path);
    free(h.s);
}

void tu_st_write_raw(const char *path, uint64_t header_len, const char *header, const void *data,
                     size_t data_bytes) {
    FILE *fp = fopen(path, "wb");
    if (!fp) die("cannot write", path);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(header_len >> (8 * i));
    size_t hn = strlen(header);
    if (fwrite(len, 1, 8, fp) != 8 || fwrite(header, 1, hn, fp) != hn ||
        (data_bytes && fwrite(data, 1, data_bytes, fp) != data_bytes) || fclose(fp) != 0)
        die("cannot write", path);
}

void tu_write_bytes(const char *path, const void *data, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp || (n && fwrite(data, 1, n, fp) != n) || fclose(fp) != 0) die("cannot write", path);
}
