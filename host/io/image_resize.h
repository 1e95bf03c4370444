/* Image resizing exactly as OpenCV's cv2.resize(..., interpolation=cv2.INTER_LINEAR) computes
 * it on 8-bit images, so that frames reach the network as they did in the released
 * evaluation (which resized with OpenCV). */
#ifndef ADN_RESIZE_H
#define ADN_RESIZE_H

#include "adnet.h"

#include <stdint.h>

/* Resizes an interleaved 8-bit image of sw x sh pixels with `channels` channels to dw x dh.
 * Bilinear with half-pixel centres, 11-bit fixed-point weights and OpenCV's rounding: the
 * result is bit-identical to OpenCV 4.6's INTER_LINEAR on the sizes tested. src and dst must
 * not overlap. Fails with ADNET_ERR_INVALID_ARGUMENT on a non-positive size. */
adnet_status adn_resize_linear_u8(const uint8_t *src, int sw, int sh, int channels, uint8_t *dst,
                                  int dw, int dh);

#endif
