/* Images in and out by file: JPEG and PNG decoding to 8-bit BGR exactly as OpenCV's
 * cv2.imread(path, cv2.IMREAD_COLOR) does it (the released evaluation read frames that way),
 * masks as 1-channel 8-bit images, and the writers results are saved with. The public calls
 * adnet_image_load_bgr, adnet_image_save and adnet_image_free are declared in adnet.h. */
#ifndef ADN_IMAGE_H
#define ADN_IMAGE_H

#include "image_buffer.h"
#include "image_jpeg.h"
#include "image_png.h"

/* Decodes a JPEG or PNG held in memory (the format comes from its signature) to BGR, as
 * adnet_image_load_bgr does; name is the file name used in error messages. */
adnet_status adn_image_decode_bgr(const uint8_t *data, size_t size, const char *name,
                                  adnet_image *out);

/* Reads a PNG mask as 1 channel of 8 bits: a palette PNG gives the palette index of each
 * pixel (as DAVIS annotations and results store objects), a greyscale PNG its grey level
 * (1-, 2- and 4-bit levels scaled to 0..255 as libpng, OpenCV and PIL do; alpha dropped).
 * Colour and 16-bit PNGs fail with ADNET_ERR_FORMAT. EXIF orientation is ignored, as the
 * DAVIS tools (PIL) ignore it. */
adnet_status adn_image_load_mask(const char *path, adnet_image *out);

#endif
