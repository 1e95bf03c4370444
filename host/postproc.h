/* Host-side post-processing of the network's logits into masks, as the released evaluation
 * loop does it: bilinear upsampling with align_corners=True to the frame's size, then a
 * threshold on the raw logits. */
#ifndef ADN_POSTPROC_H
#define ADN_POSTPROC_H

#include <stddef.h>
#include <stdint.h>

/* dst (dh x dw) = src (sh x sw) resized bilinearly with align_corners=True (the scale is
 * (s - 1) / (d - 1); a 1-pixel side maps to 0). Computed in float like PyTorch. */
void adn_upsample_bilinear_ac(const float *src, int sw, int sh, float *dst, int dw, int dh);

/* mask = 255 where x > threshold, else 0; returns the foreground count. */
size_t adn_threshold(const float *x, size_t n, float threshold, uint8_t *mask);

#endif
