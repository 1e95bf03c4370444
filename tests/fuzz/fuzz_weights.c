/* Weights files: the safetensors header and tensor table (adn_st_open), every small tensor read
 * as float32 (the dtype conversions, the data offsets), then what a loader does before it takes
 * any device memory: the architecture inferred from the shapes and the "adnet.arch" and "model"
 * metadata, every tensor checked against it (adn_weights_open_checked), and the first
 * convolution's weight read. An input the safetensors reader refuses ends there: adn_weights_open
 * begins with the same call on the same file, and parsing the header a second time for the nine
 * inputs in ten that fail had halved the inputs a second. */
#include "fuzz_util.h"

#include "arch.h"
#include "safetensors.h"
#include "status.h"
#include "weights.h"

#include <stdlib.h>

enum { MAX_READ = 1 << 14 }; /* floats: larger tensors are only checked, not read */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_write("weights.safetensors", data, size);
    adn_safetensors *st;
    static float buf[MAX_READ];
    if (adn_st_open(path, &st) != ADNET_OK) {
        adn_clear_error();
        return 0;
    }
    for (int i = 0; i < adn_st_count(st); i++) {
        const adn_st_tensor *t = adn_st_tensor_at(st, i);
        if (t->numel <= MAX_READ) adn_st_read_f32(st, t, buf);
    }
    for (int i = 0; i < adn_st_metadata_count(st); i++) {
        const char *k, *v;
        adn_st_metadata_at(st, i, &k, &v);
        if (!k || !v) abort(); /* the table promises both */
    }
    adn_st_close(st);
    adn_weights *w;
    adn_arch arch;
    if (adn_weights_open_checked(path, ADNET_MODEL_UNKNOWN, &w, &arch) == ADNET_OK) {
        adn_layer_desc *layers;
        int n;
        if (adn_arch_layers(&arch, &layers, &n) == ADNET_OK) {
            const adn_conv_shape *s = &layers[0].shape;
            int64_t shape[4] = {s->cout, s->cin, s->kh, s->kw};
            if ((int64_t)s->cout * s->cin * s->kh * s->kw <= MAX_READ)
                adn_weights_read(w, layers[0].weight, 4, shape, buf);
            free(layers);
        }
        adn_weights_close(w);
    }
    adn_clear_error();
    return 0;
}
