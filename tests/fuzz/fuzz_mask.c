/* Masks: annotations, results and pruning masks as `adnet eval` and `adnet segment` read them
 * (adn_image_load_mask: palette index or grey level of a PNG, anything else refused), from a
 * file as they are read. */
#include "fuzz_util.h"

#include "image.h"
#include "status.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    adnet_image m;
    if (adn_image_load_mask(fz_write("mask.png", data, size), &m) == ADNET_OK) {
        if (m.width < 1 || m.height < 1 || m.channels != 1 || !m.data) abort();
        unsigned long sum = 0; /* every pixel is readable */
        for (size_t i = 0; i < (size_t)m.width * m.height; i++) sum += m.data[i];
        (void)sum;
        adnet_image_free(&m);
    }
    adn_clear_error();
    return 0;
}
