/* oneDNN's own convolution primitive as a form of adn_conv on oneDNN's engine: the direct
 * algorithm in oneDNN's blocked layouts (nChw16c on AVX-512), its source reordered in from
 * adnet's NCHW and its destination reordered back, in one native kernel. Measured layer by layer
 * against adnet's forms (bench/onednn_conv_probe.c and `adnet bench`, docs/benchmarks.md), it
 * wins where adnet's products are poorly shaped: the ASPP's wide dilations, whose padded taps its
 * kernels skip, and strided convolutions; adn_conv_direct_pays says where. */
#ifndef ADN_OPS_CONV_DIRECT_H
#define ADN_OPS_CONV_DIRECT_H

#include "ops.h"

/* A layer's primitives and its weights in oneDNN's layout, made on first use for each input
 * size and kept (its inputs' sizes change only between sessions). */
typedef struct adn_conv_direct adn_conv_direct;

/* Whether a layer of shape s gets the direct form on a device whose GEMM is oneDNN's (the
 * layers where adn_conv_direct_pays can hold), and the form itself. Without oneDNN built in,
 * no layer does and create fails. */
int adn_conv_direct_eligible(const adn_conv_shape *s);
adnet_status adn_conv_direct_create(adn_conv_direct **out);
void adn_conv_direct_free(adn_conv_direct *d);

/* Whether the direct form beats adnet's own (im2col, the tap form) for shape s: the rule
 * fitted on the measurements of docs/benchmarks.md (at both sizes measured, it depends on the
 * layer's kind, not on the input size). */
int adn_conv_direct_pays(const adn_conv_shape *s);

/* y = act(conv(x) + bias + residual) with oneDNN's primitive, reading the weights from the tap
 * form (cw->taps) or else the plain one; the arguments already checked by adn_conv. */
adnet_status adn_conv_direct_run(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                                 const adn_tensor *y, const adn_tensor *residual,
                                 adn_activation act, const char *desc);

#endif
