/* JPEG decoding as OpenCV's imread does it, and JPEG writing (image_jpeg.c). */
#ifndef ADN_IMAGE_JPEG_H
#define ADN_IMAGE_JPEG_H

#include "image_buffer.h"

/* Decodes a JPEG held in memory to BGR; name is the file name used in error messages. */
adnet_status adn_jpeg_decode_bgr(const uint8_t *data, size_t size, const char *name,
                                 adnet_image *out);
/* A baseline JPEG of a BGR (3-channel) or greyscale (1-channel) image, 4:2:0 chroma
 * subsampling as OpenCV writes it; quality 1..100. Atomic: written to a temporary name and
 * renamed; a failure leaves nothing. */
adnet_status adn_jpeg_write_bgr(const char *path, const adnet_image *img, int quality);

#endif
