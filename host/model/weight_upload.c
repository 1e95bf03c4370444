/* From a weights source to the device: each convolution's tensors read, its BatchNorm folded
 * in, its weight reordered for adn_conv, and all of them packed into few device buffers. */
#include "weight_upload.h"

#include "buffers.h"
#include "conv_direct.h"
#include "device_profile.h"
#include "resources.h"
#include "status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BN_EPS 1e-5
/* Each tensor starts at a multiple of 64 floats (256 bytes) of its buffer. */
#define WEIGHT_ALIGN 64

static size_t align_up(size_t n) {
    return (n + WEIGHT_ALIGN - 1) / WEIGHT_ALIGN * WEIGHT_ALIGN;
}

/* Reads one layer's tensors and folds its In-Place ABN into the convolution:
 *   s = (|w| + eps) / sqrt(var + eps),  W' = W * s,  b' = (conv_bias - mean) * s + bias
 * (In-Place ABN keeps the scale positive with |w| + eps; using w breaks on any negative
 * weight). Folding runs in double so the folded float weights are rounded once. */
static adnet_status fold_layer(const adn_weights *w, const adn_layer_desc *d, float *weight,
                               float *bias, int *has_bias) {
    const adn_conv_shape *s = &d->shape;
    int64_t wshape[4] = {s->cout, s->cin, s->kh, s->kw};
    int64_t vshape[1] = {s->cout};
    size_t per_out = (size_t)s->cin * s->kh * s->kw;
    ADN_TRY(adn_weights_read(w, d->weight, 4, wshape, weight));
    double *b = calloc((size_t)s->cout, sizeof *b);
    float *tmp = malloc((size_t)s->cout * 4 * sizeof *tmp);
    if (!b || !tmp) {
        free(b);
        free(tmp);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    adnet_status st = ADNET_OK;
    *has_bias = 0;
    if (d->bias[0]) {
        st = adn_weights_read(w, d->bias, 1, vshape, tmp);
        for (int o = 0; st == ADNET_OK && o < s->cout; o++) b[o] = tmp[o];
        *has_bias = 1;
    }
    if (st == ADNET_OK && d->bn[0]) {
        static const char *parts[4] = {"weight", "bias", "running_mean", "running_var"};
        for (int k = 0; k < 4 && st == ADNET_OK; k++) {
            char name[160];
            snprintf(name, sizeof name, "%s.%s", d->bn, parts[k]);
            st = adn_weights_read(w, name, 1, vshape, tmp + (size_t)k * s->cout);
        }
        for (int o = 0; st == ADNET_OK && o < s->cout; o++) {
            double g = tmp[o], beta = tmp[s->cout + o];
            double mean = tmp[2 * s->cout + o], var = tmp[3 * s->cout + o];
            double scale = (fabs(g) + BN_EPS) / sqrt(var + BN_EPS);
            float *row = weight + (size_t)o * per_out;
            for (size_t i = 0; i < per_out; i++) row[i] = (float)((double)row[i] * scale);
            b[o] = (b[o] - mean) * scale + beta;
        }
        *has_bias = 1;
    }
    for (int o = 0; o < s->cout; o++) bias[o] = (float)b[o];
    free(b);
    free(tmp);
    return st;
}

/* Whether a layer gets its Winograd form on dev, and whether it keeps its plain form too. The
 * form is 4 times the plain one, so it is made only where it was measured to pay
 * (docs/benchmarks.md): 64 channels or more on both sides, at most 1024 inputs (the ASPP's
 * 2048 make chunks of few tiles whose GEMMs stream 4 times the weights: slower than im2col at
 * dilations 24 and 36 and at 321x177, 20 % faster only for dilation 12 at 857x481, not worth
 * its 151 MiB), and dilations up to 16 (wider ones leave most of a tile outside the small
 * sub-grids). Dilations up to 4 pay on every feature map larger than a few tiles, so their
 * plain form is not kept; wider ones fall back to im2col on small maps (adn_winograd_pays).
 * The profile can turn Winograd off (ADNET_WINOGRAD=off), e.g. to save device memory. */
#define WINOGRAD_MIN_CHANNELS       64
#define WINOGRAD_MAX_INPUT_CHANNELS 1024
#define WINOGRAD_MAX_DILATION       16
#define PLAIN_FROM_DILATION         8

static int has_winograd(const adn_device *dev, const adn_layer_desc *d) {
    const adn_conv_shape *s = &d->shape;
    return dev->profile.winograd && adn_winograd_eligible(s) && s->cin >= WINOGRAD_MIN_CHANNELS &&
           s->cin <= WINOGRAD_MAX_INPUT_CHANNELS && s->cout >= WINOGRAD_MIN_CHANNELS &&
           s->dilation <= WINOGRAD_MAX_DILATION;
}

static int has_taps(const adn_device *dev, const adn_layer_desc *d);

static int has_plain(const adn_device *dev, const adn_layer_desc *d) {
    return !has_taps(dev, d) && (!has_winograd(dev, d) || d->shape.dilation >= PLAIN_FROM_DILATION);
}

/* Whether a layer gets its tap form (ops/conv_taps.c) on dev: on oneDNN's engine, for the wide
 * dilations (from 8: the ASPP's), whose taps fall mostly in the padding of small maps. It
 * replaces the plain form: on that engine it was faster at every size measured, even where it
 * multiplies as much as im2col (adn_conv's uses_taps). */
#define TAPS_FROM_DILATION 8

static int has_taps(const adn_device *dev, const adn_layer_desc *d) {
    return dev->profile.gemm == ADN_GEMM_ONEDNN && adn_conv_taps_eligible(&d->shape) &&
           d->shape.dilation >= TAPS_FROM_DILATION;
}

static size_t layer_floats(const adn_device *dev, const adn_layer_desc *d) {
    size_t plain = (size_t)d->shape.cout * d->shape.cin * d->shape.kh * d->shape.kw;
    return (has_plain(dev, d) ? align_up(plain) : 0) + align_up((size_t)d->shape.cout) +
           (has_winograd(dev, d) ? align_up(adn_winograd_weight_floats(&d->shape)) : 0) +
           (has_taps(dev, d) ? align_up(adn_conv_taps_weight_floats(&d->shape)) : 0);
}

static adnet_status upload(adn_device *dev, const adn_weights *w, const adn_layer_desc *layers,
                           int n_layers, adn_device_weights *m);

adnet_status adn_device_weights_upload(adn_device *dev, const adn_weights *w,
                                       const adn_layer_desc *layers, int n_layers,
                                       adn_device_weights *m) {
    memset(m, 0, sizeof *m);
    m->convs = calloc((size_t)(n_layers ? n_layers : 1), sizeof *m->convs);
    if (!m->convs) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    m->n_convs = n_layers;
    adnet_status st = upload(dev, w, layers, n_layers, m);
    if (st != ADNET_OK) adn_device_weights_free(dev, m);
    return st;
}

void adn_device_weights_free(adn_device *dev, adn_device_weights *m) {
    for (int i = 0; m->convs && i < m->n_convs; i++) adn_conv_direct_free(m->convs[i].direct);
    for (int k = 0; k < m->n_bufs; k++)
        adn_buffer_free(dev, m->bufs[k], m->buf_floats[k] * sizeof(float));
    free(m->convs);
    memset(m, 0, sizeof *m);
}

/* Packs the folded layers into as few buffers as the device's largest allocation allows. */
static adnet_status upload(adn_device *dev, const adn_weights *w, const adn_layer_desc *layers,
                           int n_layers, adn_device_weights *m) {
    const adnet_device_info *in = &dev->entry.info;
    size_t cap = in->max_alloc_bytes ? (size_t)(in->max_alloc_bytes / sizeof(float)) : (1u << 28);
    if (cap > (1u << 28)) cap = 1u << 28; /* 1 GiB per buffer is plenty */
    int *buf_of = calloc((size_t)n_layers, sizeof *buf_of);
    size_t *off_of = calloc((size_t)n_layers, sizeof *off_of);
    if (!buf_of || !off_of) {
        free(buf_of);
        free(off_of);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    int nb = 0;
    size_t used = 0, largest = 0;
    for (int i = 0; i < n_layers; i++) {
        size_t need = layer_floats(dev, &layers[i]);
        if (need > largest) largest = need;
        if (nb == 0 || used + need > cap) {
            if (nb == (int)(sizeof m->bufs / sizeof m->bufs[0]) || need > cap) {
                free(buf_of);
                free(off_of);
                return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                                "device %s cannot hold the weights (largest allocation %llu MiB)",
                                in->name, (unsigned long long)(in->max_alloc_bytes >> 20));
            }
            nb++;
            used = 0;
        }
        buf_of[i] = nb - 1;
        off_of[i] = used;
        used += need;
        m->buf_floats[nb - 1] = used;
    }
    /* the whole image on the device and the largest layer's on the host, refused before
     * anything is allocated when the machine cannot hold them */
    unsigned long long total = 0;
    for (int k = 0; k < nb; k++) total += m->buf_floats[k] * sizeof(float);
    adnet_status st = ADNET_OK;
    if (in->global_mem_bytes && total > in->global_mem_bytes)
        st = adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                      "the weights need %llu MiB on device %s, which has %llu MiB%s", total >> 20,
                      in->name, (unsigned long long)(in->global_mem_bytes >> 20),
                      dev->profile.winograd ? " (ADNET_WINOGRAD=off needs about half)" : "");
    size_t largest_plain = 0;
    for (int i = 0; i < n_layers; i++) {
        const adn_conv_shape *s = &layers[i].shape;
        size_t wn = (size_t)s->cout * s->cin * s->kh * s->kw;
        if (wn > largest_plain) largest_plain = wn;
    }
    if (st == ADNET_OK)
        st = adn_host_memory_check((unsigned long long)(largest + largest_plain) * sizeof(float) +
                                       (64ull << 20),
                                   "folding the weights (the largest layer)");
    if (st != ADNET_OK) {
        free(buf_of);
        free(off_of);
        return st;
    }
    for (int k = 0; k < nb && st == ADNET_OK; k++) {
        st = adn_buffer_alloc(dev, m->buf_floats[k] * sizeof(float), &m->bufs[k]);
        if (st == ADNET_OK) {
            m->n_bufs = k + 1;
            m->bytes += m->buf_floats[k] * sizeof(float);
        }
    }
    /* the host image of the largest layer, laid out as on the device: plain weight (if
     * kept), bias (folded in place), Winograd form and tap form (if any); plus the folded OIHW
     * weight the forms are made from */
    float *host = st == ADNET_OK ? calloc(largest, sizeof *host) : NULL;
    float *oihw = st == ADNET_OK ? malloc(largest_plain * sizeof *oihw) : NULL;
    if (st == ADNET_OK && (!host || !oihw))
        st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    for (int i = 0; i < n_layers && st == ADNET_OK; i++) {
        const adn_layer_desc *d = &layers[i];
        size_t wn = (size_t)d->shape.cout * d->shape.cin * d->shape.kh * d->shape.kw;
        int plain = has_plain(dev, d), wino = has_winograd(dev, d), taps = has_taps(dev, d);
        size_t plain_n = plain ? align_up(wn) : 0;
        size_t boff = plain_n, uoff = plain_n + align_up((size_t)d->shape.cout);
        size_t toff = uoff + (wino ? align_up(adn_winograd_weight_floats(&d->shape)) : 0);
        int has_bias = 0;
        st = fold_layer(w, d, oihw, host + boff, &has_bias);
        if (st == ADNET_OK && plain && d->shape.kh > 1) /* OIHW as read, OHIW as adn_conv takes */
            adn_conv_weight_order(&d->shape, oihw, host);
        else if (st == ADNET_OK && plain) /* 1x1 and 1-row kernels: the same in both orders */
            memcpy(host, oihw, wn * sizeof *host);
        if (st == ADNET_OK && wino) adn_winograd_weights(&d->shape, oihw, host + uoff);
        if (st == ADNET_OK && taps) adn_conv_taps_weights(&d->shape, oihw, host + toff);
        if (st == ADNET_OK)
            st = adn_buffer_write(dev, m->bufs[buf_of[i]], off_of[i] * sizeof(float),
                                  layer_floats(dev, d) * sizeof(float), host);
        adn_conv_weights *cw = &m->convs[i];
        cw->shape = d->shape;
        cw->weight = plain ? m->bufs[buf_of[i]] : NULL;
        cw->weight_off = off_of[i];
        cw->bias = has_bias ? m->bufs[buf_of[i]] : NULL;
        cw->bias_off = off_of[i] + boff;
        cw->wino = wino ? m->bufs[buf_of[i]] : NULL;
        cw->wino_off = off_of[i] + uoff;
        cw->taps = taps ? m->bufs[buf_of[i]] : NULL;
        cw->taps_off = off_of[i] + toff;
        /* oneDNN's convolution reads the tap or plain form: made here, its primitives and
         * weights in oneDNN's layout on first use */
        if (st == ADNET_OK && dev->profile.gemm == ADN_GEMM_ONEDNN &&
            dev->profile.onednn_conv != ADN_ONEDNN_CONV_OFF && (taps || plain) &&
            adn_conv_direct_eligible(&d->shape))
            st = adn_conv_direct_create(&cw->direct);
    }
    free(oihw);
    free(host);
    free(buf_of);
    free(off_of);
    return st;
}
