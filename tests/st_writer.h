/* A minimal safetensors writer for tests: tensors are described by name, dtype, shape and
 * raw little-endian bytes (or NULL for zeros, written as a sparse hole so that full-size
 * checkpoints cost no disk), plus string metadata. Also raw writers for corrupt files. */
#ifndef ADN_ST_WRITER_H
#define ADN_ST_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tu_st_entry {
    char name[192];
    char dtype[16];
    int ndim;
    int64_t shape[8];
    const void *data; /* borrowed until tu_st_write; NULL: zeros */
    size_t bytes;
} tu_st_entry;

typedef struct tu_st_writer {
    tu_st_entry *t;
    int n, cap;
    char meta[4096]; /* JSON members of "__metadata__", comma-separated */
} tu_st_writer;

void tu_st_init(tu_st_writer *w);
void tu_st_free(tu_st_writer *w);
void tu_st_meta(tu_st_writer *w, const char *key, const char *value);
/* bytes = size of data; the header states exactly that many bytes for the tensor. */
void tu_st_add(tu_st_writer *w, const char *name, const char *dtype, int ndim, const int64_t *shape,
               const void *data, size_t bytes);
/* An F32 tensor of the given shape (data NULL: zeros). */
void tu_st_add_f32(tu_st_writer *w, const char *name, int ndim, const int64_t *shape,
                   const float *data);
/* Writes the file (header padded with spaces to a multiple of pad bytes, pad >= 1); exits
 * the test on an I/O error. */
void tu_st_write(const tu_st_writer *w, const char *path, int pad);

/* A file with an 8-byte header length (any value), header text and data bytes. */
void tu_st_write_raw(const char *path, uint64_t header_len, const char *header, const void *data,
                     size_t data_bytes);
/* A file holding exactly these bytes. */
void tu_write_bytes(const char *path, const void *data, size_t n);

#endif
