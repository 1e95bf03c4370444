/* Tap by tap: a 3x3 stride-1 convolution whose padding equals its dilation d, computed as the
 * sum over its nine taps of a 1x1 convolution of the input shifted by the tap's offset, each tap
 * multiplied only over the output positions where it lands inside the input. Wide dilations
 * on small maps (the ASPP's 12, 24 and 36 on a 41x23 map at 321x177) leave most taps mostly in
 * the padding: im2col leaves out only the kernel rows that lie wholly outside (conv.c), this
 * form leaves out every tap outside, columns too, and writes no im2col matrix. It runs as one
 * native kernel of oneDNN products (CPU devices whose GEMM is oneDNN's). */
#ifndef ADN_OPS_CONV_TAPS_H
#define ADN_OPS_CONV_TAPS_H

#include "ops.h"

/* (adn_conv_taps_eligible, adn_conv_taps_weight_floats and adn_conv_taps_weights: ops.h) */

/* The multiply-adds of the tap form on an h x w input: each tap over the positions it reaches. */
double adn_conv_taps_macs(const adn_conv_shape *s, int h, int w);

/* The scratch floats the tap form needs at least: an output row's packed input and products
 * (it runs on as many threads as the scratch has such rows for, up to the device's compute
 * units). */
size_t adn_conv_taps_min_scratch(const adn_conv_shape *s, int w);

/* y = act(conv(x) + bias + residual) in the tap form (cw->taps), on dev's oneDNN engine; the
 * arguments already checked by adn_conv, the scratch at least adn_conv_taps_min_scratch. */
adnet_status adn_conv_taps(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                           const adn_tensor *y, const adn_tensor *residual, adn_activation act,
                           cl_mem scratch_mem, size_t scratch_off, size_t scratch_floats,
                           const char *desc);

#endif
