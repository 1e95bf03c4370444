/* A safetensors reader: the file is memory-mapped read-only and its JSON header is checked
 * in full at open (header length against the file size, JSON syntax, every tensor's dtype,
 * shape and data offsets), so that reading a tensor afterwards can never leave the mapping.
 *
 * Format: an 8-byte little-endian header length N, N bytes of JSON
 *   {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
 *    "data_offsets": [begin, end]}, ...}
 * and the tensor data, with offsets relative to the first byte after the header. */
#ifndef ADN_SAFETENSORS_H
#define ADN_SAFETENSORS_H

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

#define ADN_ST_MAX_RANK 8

typedef enum adn_st_dtype {
    ADN_ST_F32 = 0,
    ADN_ST_F16,
    ADN_ST_BF16,
    ADN_ST_OTHER /* a dtype this reader cannot convert to float32 (I64, F64, ...) */
} adn_st_dtype;

typedef struct adn_st_tensor {
    const char *name;    /* as written in the file */
    char dtype_name[16]; /* as written in the file ("F32", "I64", ...) */
    adn_st_dtype dtype;
    int ndim;
    int64_t shape[ADN_ST_MAX_RANK];
    uint64_t numel;
    uint64_t begin, end; /* byte offsets into the data section, begin <= end <= data size */
} adn_st_tensor;

typedef struct adn_safetensors adn_safetensors;

/* Opens and validates path. A missing or unreadable file is ADNET_ERR_IO; a truncated or
 * corrupt one is ADNET_ERR_FORMAT with a message naming the file and the problem. Tensors
 * of any dtype of the safetensors format are accepted here (their sizes are checked against
 * their shapes); only reading one as float32 requires F32, F16 or BF16. */
adnet_status adn_st_open(const char *path, adn_safetensors **out);
void adn_st_close(adn_safetensors *st);

const char *adn_st_path(const adn_safetensors *st);

/* The tensors in the order of the header. */
int adn_st_count(const adn_safetensors *st);
const adn_st_tensor *adn_st_tensor_at(const adn_safetensors *st, int i);
/* The tensor with exactly this name, or NULL. */
const adn_st_tensor *adn_st_find(const adn_safetensors *st, const char *name);

/* A value of "__metadata__" (NULL when absent). */
const char *adn_st_metadata(const adn_safetensors *st, const char *key);
/* The entries of "__metadata__" in the order of the header. */
int adn_st_metadata_count(const adn_safetensors *st);
void adn_st_metadata_at(const adn_safetensors *st, int i, const char **key, const char **value);

/* Converts tensor t (of this file) to float32: F32 as is, F16 exactly (subnormals, infinities
 * and NaN included), BF16 by widening. Writes t->numel floats. Another dtype is
 * ADNET_ERR_FORMAT naming the file, the tensor and its dtype. */
adnet_status adn_st_read_f32(const adn_safetensors *st, const adn_st_tensor *t, float *dst);

/* The conversions themselves (little-endian bit patterns to float32). */
float adn_f16_to_f32(uint16_t h);
float adn_bf16_to_f32(uint16_t b);

#endif
