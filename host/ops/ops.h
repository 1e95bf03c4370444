/* The ops layer: the network's operations on device tensors. Each op enqueues work on the
 * device's in-order queue and returns without waiting. Every op has a plain-C reference in
 * tests/ops_reference.c and is tested on every device against it. */
#ifndef ADN_OPS_H
#define ADN_OPS_H

#include "device.h"

/* A float32 tensor of shape 1 x c x h x w (channels first, batch 1), stored at element
 * offset off of a device buffer. Many tensors share one buffer (the planned arena); a channel
 * range of a tensor is again a tensor, which is how branches write straight into a concat. */
typedef struct adn_tensor {
    cl_mem mem;
    size_t off; /* in floats */
    int c, h, w;
} adn_tensor;

static inline size_t adn_tensor_count(const adn_tensor *t) {
    return (size_t)t->c * (size_t)t->h * (size_t)t->w;
}

/* Channels [c0, c0 + n) of t. */
static inline adn_tensor adn_tensor_channels(adn_tensor t, int c0, int n) {
    adn_tensor s = t;
    s.off = t.off + (size_t)c0 * (size_t)t.h * (size_t)t.w;
    s.c = n;
    return s;
}

typedef enum adn_activation {
    ADN_ACT_NONE = 0,
    ADN_ACT_RELU = 1,
    ADN_ACT_LEAKY = 2 /* slope ADN_LEAKY_SLOPE, as In-Place ABN's leaky_relu */
} adn_activation;

#define ADN_LEAKY_SLOPE 0.01f

/* Output size of a convolution along one axis (floor mode). */
int adn_conv_out_dim(int in, int kernel, int stride, int pad, int dilation);
/* Output size of a pooling window along one axis with ceil_mode=True, as PyTorch computes it:
 * ceil((in + 2 pad - k) / stride) + 1, minus one when the last window would start inside the
 * right/bottom padding. */
int adn_pool_out_dim_ceil(int in, int kernel, int stride, int pad);

typedef struct adn_conv_shape {
    int cin, cout;
    int kh, kw;
    int stride, pad, dilation; /* the same along both axes */
} adn_conv_shape;

/* A convolution's parameters on the device. The weight is cout x (kh * cin * kw) floats in
 * OHIW order (output channel, kernel row, input channel, kernel column; see
 * adn_conv_weight_order): the weights of one kernel row are then one contiguous range of
 * columns, so a product can leave out kernel rows that read only padding. BatchNorm is
 * already folded in. bias is cout floats or NULL. A convolution adn_winograd_eligible may
 * also (or instead: weight NULL) carry its Winograd form, 36 x cout x cin floats
 * (adn_winograd_weights), and its tap form, 9 x cout x cin floats (adn_conv_taps_weights);
 * adn_conv then picks the cheapest per input size. */
typedef struct adn_conv_weights {
    adn_conv_shape shape;
    cl_mem weight;     /* NULL: only the Winograd form */
    size_t weight_off; /* in floats */
    cl_mem bias;       /* NULL: no bias */
    size_t bias_off;
    cl_mem wino; /* NULL: no Winograd form */
    size_t wino_off;
    cl_mem taps; /* NULL: no tap form (ops/conv_taps.c) */
    size_t taps_off;
    /* NULL: no oneDNN convolution (ops/conv_direct.c); it reads the tap or plain form */
    struct adn_conv_direct *direct;
} adn_conv_weights;

/* Reorders a weight from PyTorch's OIHW to the OHIW order adn_conv takes (1x1 and 1-row
 * kernels are the same in both). oihw and ohiw must not overlap. */
void adn_conv_weight_order(const adn_conv_shape *s, const float *oihw, float *ohiw);

/* Winograd's F(4x4, 3x3) (cl/winograd.cl) runs 3x3 stride-1 convolutions whose padding
 * equals their dilation (the output is the input's size): 36 multiplies per 4x4 output tile
 * and input channel instead of 144, on the d x d interleaved sub-grids of a dilation d. */
int adn_winograd_eligible(const adn_conv_shape *s);
/* Floats of the Winograd form: 36 x cout x cin. */
size_t adn_winograd_weight_floats(const adn_conv_shape *s);
/* The Winograd form of an OIHW weight: u[xi][o][i] = (G g G^T)[xi] for each 3x3 kernel g,
 * computed in double, xi = 6 row + column of the 6x6 transform. */
void adn_winograd_weights(const adn_conv_shape *s, const float *oihw, float *u);
/* The tap form (ops/conv_taps.c): a 3x3 stride-1 convolution with padding = dilation as nine
 * shifted 1x1 products, each over the output positions its tap reaches inside the input, on
 * CPU devices whose GEMM is oneDNN's. Eligible shapes, the form's floats (9 x cout x cin), and
 * the form of an OIHW weight: tap t = 3 ky + kx's cout x cin matrix at t cout cin. */
int adn_conv_taps_eligible(const adn_conv_shape *s);
size_t adn_conv_taps_weight_floats(const adn_conv_shape *s);
void adn_conv_taps_weights(const adn_conv_shape *s, const float *oihw, float *taps);

/* Whether the Winograd path is expected to be faster than im2col + GEMM on an h x w input with
 * scratch_floats of scratch (panels: the device's GEMM reads B in panels): its 36 products per
 * tile (tiles partly outside a small sub-grid included) and its transforms against the taps
 * im2col keeps chunk by chunk (kernel rows in the padding left out), its B matrices and its
 * epilogue; a cost model fitted to measurements (host/ops/winograd.c). */
int adn_winograd_pays(const adn_conv_shape *s, int h, int w, size_t scratch_floats, int panels);

/* Multiply-adds of a convolution on an h x w input. */
double adn_conv_macs(const adn_conv_shape *s, int h, int w);
/* The multiply-adds adn_conv actually performs on dev for an h x w input with scratch_floats of
 * scratch: Winograd's products (36 per tile, tiles outside the map included) where it takes
 * that path, else im2col's kept taps (kernel rows in the padding left out), else the nominal
 * count. Against the nominal count it says how much work the algorithms saved. */
double adn_conv_executed_macs(const adn_device *dev, const adn_conv_weights *cw, int h, int w,
                              size_t scratch_floats);

/* Scratch floats adn_conv needs for an h x w input when im2col may use at most cap floats:
 * 0 for a 1x1 stride-1 convolution (one GEMM straight on the input), else the size of one
 * im2col chunk (K = cin*kh*kw rows by as many output columns as fit in cap, at least one),
 * or of one chunk of Winograd tiles where that is larger (adn_winograd_eligible shapes). */
size_t adn_conv_scratch_floats(const adn_conv_shape *s, int h, int w, size_t cap);

/* y = act(conv(x) + bias + residual). x is cin x h x w; y is cout x oh x ow (it may be a
 * channel range of a larger tensor); residual is NULL or shaped like y. scratch holds at
 * least adn_conv_scratch_floats(shape, h, w, cap) floats at element offset scratch_off of
 * scratch_mem (unused for 1x1 stride-1). The im2col + GEMM runs in column chunks of the size
 * the scratch allows. */
adnet_status adn_conv(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                      const adn_tensor *y, const adn_tensor *residual, adn_activation act,
                      cl_mem scratch_mem, size_t scratch_off, size_t scratch_floats);

/* The fused epilogue on its own: y = act(y + bias[c] + residual), in place. bias_mem NULL:
 * no bias; residual NULL: none. */
adnet_status adn_bias_act(adn_device *dev, const adn_tensor *y, cl_mem bias_mem, size_t bias_off,
                          const adn_tensor *residual, adn_activation act);

/* Max pooling with a k x k window, stride and padding, ceil_mode=True (padding never wins).
 * y must be x.c x adn_pool_out_dim_ceil(x.h..) x adn_pool_out_dim_ceil(x.w..). */
adnet_status adn_maxpool(adn_device *dev, const adn_tensor *x, const adn_tensor *y, int k,
                         int stride, int pad);

/* y (c x 1 x 1) = mean over h x w of x. */
adnet_status adn_global_avgpool(adn_device *dev, const adn_tensor *x, const adn_tensor *y);

/* Bilinear resize with align_corners=True from x (c x h x w) to y (c x oh x ow). A 1 x 1
 * input is broadcast (the ASPP image-pooling branch). */
adnet_status adn_resize_bilinear(adn_device *dev, const adn_tensor *x, const adn_tensor *y);

/* y = x element for element (same element count). */
adnet_status adn_copy(adn_device *dev, const adn_tensor *x, const adn_tensor *y);

/* Horizontal mirror of each channel: y[c][i][w-1-j] = x[c][i][j]. */
adnet_status adn_flip_horizontal(adn_device *dev, const adn_tensor *x, const adn_tensor *y);

/* The anchor-diffusion kernel. With X0 the anchor embedding and Xt the current one (both
 * E x M, the same E), computes in one pass over shared tiles of Xt:
 *   out_anchor = attend(X0, Xt)   (output column i belongs to the anchor's position i)
 *   out_self   = attend(Xt, Xt)
 * where attend(Q, KV)[:, i] = sum_j softmax_j(Q[:, i] . KV[:, j] / sqrt(E)) KV[:, j].
 * Either output may be NULL (inter and intra need one branch). The softmax is computed
 * online over tiles; no M x M buffer is ever allocated. x0 may have another M than xt. */
adnet_status adn_attention(adn_device *dev, const adn_tensor *x0, const adn_tensor *xt,
                           const adn_tensor *out_anchor, const adn_tensor *out_self);

/* Multiply-adds of adn_attention for one branch: 2 x Mq x Mkv x E (scores and weighted sum). */
double adn_attention_macs(int e, int mq, int mkv);

#endif
