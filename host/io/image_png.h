/* PNG decoding (as OpenCV's imread, or as a mask) and PNG writing (image_png.c). */
#ifndef ADN_IMAGE_PNG_H
#define ADN_IMAGE_PNG_H

#include "image_buffer.h"

/* mask = 0: BGR as OpenCV's IMREAD_COLOR; mask = 1: as adn_image_load_mask (image.h). */
adnet_status adn_png_decode(const uint8_t *data, size_t size, const char *name, int mask,
                            adnet_image *out);
/* Writers, atomic (written to a temporary name and renamed; a failure leaves nothing). */
/* An 8-bit greyscale PNG of width x height bytes. */
adnet_status adn_png_write_gray(const char *path, int width, int height, const uint8_t *data);
/* An 8-bit palette PNG: indices are width x height palette indices (each < n_colors), palette
 * holds n_colors RGB triples (1 <= n_colors <= 256). */
adnet_status adn_png_write_indexed(const char *path, int width, int height, const uint8_t *indices,
                                   const uint8_t *palette_rgb, int n_colors);
/* An 8-bit BGR image as an RGB PNG. */
adnet_status adn_png_write_bgr(const char *path, const adnet_image *img);

#endif
