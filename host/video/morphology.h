/* Binary morphology with square kernels of ones, as OpenCV's cv2.erode / cv2.dilate /
 * cv2.morphologyEx(MORPH_OPEN) compute it with their defaults (one iteration, anchor at the
 * kernel's centre, BORDER_CONSTANT with the morphology default value): pixels outside the
 * image never win, so for erosion they count as foreground and for dilation as background.
 *
 * Masks are width x height bytes, row after row: 0 is background, any other value is
 * foreground (the released loop feeds 0/1 images; OpenCV's min/max of 0/1 stays 0/1). Results
 * are 0/1. Every pass is separable (a row pass, then a column pass) with running counts, so the
 * cost per pixel does not depend on the kernel's size. */
#ifndef ADN_MORPHOLOGY_H
#define ADN_MORPHOLOGY_H

#include "adnet.h"

#include <stdint.h>

/* dst = src eroded with a ksize x ksize square whose anchor is (ksize / 2, ksize / 2), as
 * OpenCV places the default anchor (also for even sizes): output pixel (x, y) covers columns
 * x - ksize / 2 .. x - ksize / 2 + ksize - 1, and rows likewise. dst may be src. Fails with
 * ADNET_ERR_INVALID_ARGUMENT on a non-positive size and ADNET_ERR_OUT_OF_MEMORY. */
adnet_status adn_erode_square(const uint8_t *src, uint8_t *dst, int width, int height, int ksize);

/* dst = src dilated with the same square and anchor; dst may be src. */
adnet_status adn_dilate_square(const uint8_t *src, uint8_t *dst, int width, int height, int ksize);

/* dst = opening of src (erosion, then dilation, the same square): cv2.morphologyEx(src,
 * cv2.MORPH_OPEN, np.ones((ksize, ksize))). dst may be src. */
adnet_status adn_open_square(const uint8_t *src, uint8_t *dst, int width, int height, int ksize);

#endif
