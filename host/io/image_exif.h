/* EXIF orientation: reading the tag, and turning an image upright by it. */
#ifndef ADN_IMAGE_EXIF_H
#define ADN_IMAGE_EXIF_H

#include "image_buffer.h"

/* The EXIF orientation (1..8) of a TIFF-structured EXIF block (starting at its byte-order
 * mark), or 0 when it has none or the block is malformed. */
int adn_exif_orientation(const uint8_t *tiff, size_t size);
/* The EXIF orientation of a JPEG: from its first APP1 "Exif" segment, 0 when none. */
int adn_jpeg_exif_orientation(const uint8_t *data, size_t size);
/* Turns img upright according to an EXIF orientation (2..8 transform; others leave it). */
adnet_status adn_image_apply_orientation(adnet_image *img, int orientation);

#endif
