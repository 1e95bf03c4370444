/* The architecture description of a weights file ("adnet.arch" metadata, JSON written by
 * anyone): parsed for every model kind; what parses must survive adnet's own round trip
 * (formatted and parsed again to the same architecture) and give a layer list and a tensor
 * list (what the loader and `adnet inspect` build from it). */
#include "fuzz_util.h"

#include "arch.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *json = fz_string(data, size);
    static const adnet_model_kind kinds[] = {ADNET_MODEL_AD, ADNET_MODEL_INTER, ADNET_MODEL_INTRA,
                                             ADNET_MODEL_CONCAT, ADNET_MODEL_BASE};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        adn_arch a, b;
        if (adn_arch_parse(json, kinds[k], &a) != ADNET_OK) continue;
        char text[2048];
        int len = adn_arch_format(&a, text, sizeof text);
        if (len <= 0 || (size_t)len >= sizeof text) abort();
        if (adn_arch_parse(text, kinds[k], &b) != ADNET_OK || memcmp(&a, &b, sizeof a) != 0)
            abort(); /* adnet cannot read back what it wrote */
        adn_layer_desc *layers;
        adn_tensor_desc *tensors;
        int n;
        if (adn_arch_layers(&a, &layers, &n) == ADNET_OK) free(layers);
        if (adn_arch_tensors(&a, &tensors, &n) == ADNET_OK) free(tensors);
        (void)adn_arch_param_count(&a);
    }
    free(json);
    adn_clear_error();
    return 0;
}
