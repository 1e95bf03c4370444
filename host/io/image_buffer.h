/* 8-bit image buffers (adnet_image of adnet.h): what every image reader and writer shares. */
#ifndef ADN_IMAGE_BUFFER_H
#define ADN_IMAGE_BUFFER_H

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

/* The largest image adnet decodes (a 16384 x 16384 frame): a corrupt header can claim any
 * size, and the allocation would come before the decoder notices the missing data. */
#define ADN_IMAGE_MAX_PIXELS ((size_t)1 << 28)

/* Allocates width x height x channels bytes (uninitialised) into img; at most
 * ADN_IMAGE_MAX_PIXELS pixels. */
adnet_status adn_image_alloc(adnet_image *img, int width, int height, int channels);
/* Fails with ADNET_ERR_FORMAT naming file `name` and its format ("JPEG") when the size its
 * header declares is empty or too large. */
adnet_status adn_image_check_size(const char *name, const char *format, long long width,
                                  long long height);

#endif
