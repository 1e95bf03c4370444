/* Plain-C references for the ops of host/ops/ops.h: direct loops with double accumulation,
 * written from the operations' definitions (not from the kernels), for test_ops. All tensors
 * are c x h x w, channels first. */
#ifndef ADN_OPS_REFERENCE_H
#define ADN_OPS_REFERENCE_H

#include <stddef.h>

/* Output size of a convolution along one axis, by counting the window positions that fit. */
int ref_conv_out_dim(int in, int kernel, int stride, int pad, int dilation);

/* y (cout x oh x ow) = act(conv(x) + bias + residual) by direct summation over the window;
 * bias and residual may be NULL. act: 0 none, 1 ReLU, 2 leaky ReLU with slope 0.01. */
void ref_conv(const float *x, int cin, int h, int w, const float *weight, const float *bias,
              int cout, int k, int stride, int pad, int dilation, const float *residual, int act,
              float *y);

/* y = act(y + bias[c] + residual) in place; bias and residual may be NULL. */
void ref_bias_act(float *y, int c, int h, int w, const float *bias, const float *residual, int act);

/* Max pooling with padding that never wins, on given output sizes (ceil-mode windows that run
 * past the input are clipped to it). */
void ref_maxpool(const float *x, int c, int h, int w, int k, int stride, int pad, int oh, int ow,
                 float *y);

/* y[c] = mean of channel c. */
void ref_global_avgpool(const float *x, int c, int h, int w, float *y);

/* Bilinear resize with align_corners=True, computed in double. */
void ref_resize_bilinear(const float *x, int c, int h, int w, int oh, int ow, float *y);

/* y[c][i][w - 1 - j] = x[c][i][j]. */
void ref_flip_horizontal(const float *x, int c, int h, int w, float *y);

#endif
