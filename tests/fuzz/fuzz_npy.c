/* .npy arrays (references, --dump files, pruning inputs): adn_npy_read_f32 from a file; what it
 * accepts must hold exactly the elements its shape says. */
#include "fuzz_util.h"

#include "npy.h"
#include "status.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    float *x;
    int ndim;
    size_t shape[ADN_NPY_MAX_DIMS];
    if (adn_npy_read_f32(fz_write("array.npy", data, size), &x, &ndim, shape) == ADNET_OK) {
        size_t n = 1;
        for (int i = 0; i < ndim; i++) n *= shape[i];
        if (n * sizeof(float) > size) abort(); /* more elements than bytes: impossible */
        float sum = 0;                         /* every element is readable */
        for (size_t i = 0; i < n; i++) sum += x[i];
        sink = sum;
        free(x);
    }
    adn_clear_error();
    return 0;
}
