/* NumPy .npy files of float32 arrays: references and intermediate tensors exchanged with
 * Python (tests, tools, --dump options). Format: NumPy's format description, version 1.0. */
#ifndef ADN_NPY_H
#define ADN_NPY_H

#include "adnet.h"

#include <stddef.h>

#define ADN_NPY_MAX_DIMS 8

/* Writes data (C order, shape[0] x ... x shape[ndim - 1] floats) as a version 1.0 .npy file
 * with dtype '<f4'; the header is padded so that the data starts at a multiple of 64 bytes.
 * ndim may be 0 (a scalar). Atomic: on failure nothing is left under path. */
adnet_status adn_npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape);

/* Reads a .npy file of float32 ('<f4' or '>f4', C order; versions 1.0, 2.0 and 3.0). On
 * success *data is malloc'd (free it), *ndim and shape[0 .. *ndim - 1] describe it. Anything
 * else (another dtype, Fortran order, a malformed header, a size that does not match the
 * shape) fails with ADNET_ERR_FORMAT naming the file; a missing file with ADNET_ERR_IO. */
adnet_status adn_npy_read_f32(const char *path, float **data, int *ndim,
                              size_t shape[ADN_NPY_MAX_DIMS]);

#endif
