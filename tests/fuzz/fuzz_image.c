/* Frames: JPEG and PNG decoding to BGR exactly as adnet reads a frame (adn_image_decode_bgr:
 * the signature picks the format; EXIF orientation, greyscale, CMYK/YCCK, palettes, bit depths,
 * interlacing, size checks), then the resize and preprocessing every frame goes through. */
#include "fuzz_util.h"

#include "image.h"
#include "status.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    adnet_image img;
    if (adn_image_decode_bgr(data, size, "fuzz input", &img) == ADNET_OK) {
        if (img.width < 1 || img.height < 1 || img.channels != 3 || !img.data) abort();
        /* the network input of a small size, as adnet segment makes it */
        float *x = malloc(sizeof(float) * 3 * 17 * 13);
        if (!x) abort();
        adnet_preprocess(&img, 17, 13, x);
        free(x);
        adnet_image_free(&img);
    }
    adn_clear_error();
    return 0;
}
