/* The Winograd path of adn_conv (cl/winograd.cl): chunking, the 36 GEMMs and the launches.
 * Internal to the ops layer; adn_conv calls it after its argument checks. */
#ifndef ADN_OPS_WINOGRAD_H
#define ADN_OPS_WINOGRAD_H

#include "ops.h"

/* Scratch floats of one chunk of Winograd tiles on an h x w input when the chunk may use at
 * most cap floats (at least one tile): the transformed input V (36 x cin x the chunk's columns,
 * rounded to whole GEMM panels) and the products M (36 x cout x the chunk's tiles); 0 when
 * not even one tile fits in cap (adn_conv then takes im2col). */
size_t adn_winograd_scratch_floats(const adn_conv_shape *s, int h, int w, size_t cap);

/* The GEMM multiply-adds of the Winograd path on an h x w input: 36 per tile and channel pair,
 * the tiles of every sub-grid counted (also those partly or wholly outside the map). */
double adn_winograd_executed_macs(const adn_conv_shape *s, int h, int w);

/* Whether scratch_floats hold one chunk (one tile) of the Winograd path on dev. */
int adn_winograd_fits(const adn_device *dev, const adn_conv_shape *s, size_t scratch_floats);

/* y = act(conv(x) + bias + residual) through the Winograd form cw->wino; arguments already
 * checked by adn_conv (desc names the convolution in errors). */
adnet_status adn_winograd_conv(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                               const adn_tensor *y, const adn_tensor *residual, adn_activation act,
                               cl_mem scratch_mem, size_t scratch_off, size_t scratch_floats,
                               const char *desc);

#endif
