/* From a weights source to the device: each convolution's tensors read, its BatchNorm folded
 * in, its weight reordered for adn_conv, and all of them packed into few device buffers. */
#include "weight_upload.h"

#include "buffers.h"
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

static adnet_status reorder_weight(const adn_conv_shape *s, float *weight, size_t n) {
    float *oihw = malloc(n * sizeof *oihw);
    if (!oihw) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    memcpy(oihw, weight, n * sizeof *oihw);
    adn_conv_weight_order(s, oihw, weight);
    free(oihw);
    return ADNET_OK;
}

static size_t layer_floats(const adn_layer_desc *d) {
    return align_up((size_t)d->shape.cout * d->shape.cin * d->shape.kh * d->shape.kw) +
           align_up((size_t)d->shape.cout);
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
        size_t need = layer_floats(&layers[i]);
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
    adnet_status st = ADNET_OK;
    for (int k = 0; k < nb && st == ADNET_OK; k++) {
        st = adn_buffer_alloc(dev, m->buf_floats[k] * sizeof(float), &m->bufs[k]);
        if (st == ADNET_OK) {
            m->n_bufs = k + 1;
            m->bytes += m->buf_floats[k] * sizeof(float);
        }
    }
    float *host = st == ADNET_OK ? malloc(largest * sizeof *host) : NULL;
    if (st == ADNET_OK && !host) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    for (int i = 0; i < n_layers && st == ADNET_OK; i++) {
        const adn_layer_desc *d = &layers[i];
        size_t wn = (size_t)d->shape.cout * d->shape.cin * d->shape.kh * d->shape.kw;
        size_t woff = off_of[i], boff = off_of[i] + align_up(wn);
        int has_bias = 0;
        st = fold_layer(w, d, host, host + align_up(wn), &has_bias);
        if (st == ADNET_OK && d->shape.kh > 1) /* OIHW as read, OHIW as adn_conv takes it */
            st = reorder_weight(&d->shape, host, wn);
        if (st == ADNET_OK)
            st = adn_buffer_write(dev, m->bufs[buf_of[i]], woff * sizeof(float),
                                  layer_floats(d) * sizeof(float), host);
        adn_conv_weights *cw = &m->convs[i];
        cw->shape = d->shape;
        cw->weight = m->bufs[buf_of[i]];
        cw->weight_off = woff;
        cw->bias = has_bias ? m->bufs[buf_of[i]] : NULL;
        cw->bias_off = boff;
    }
    free(host);
    free(buf_of);
    free(off_of);
    return st;
}
