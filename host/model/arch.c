#include "arch.h"

#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *adnet_model_kind_name(adnet_model_kind kind) {
    switch (kind) {
        case ADNET_MODEL_AD:
            return "ad";
        case ADNET_MODEL_INTER:
            return "inter";
        case ADNET_MODEL_INTRA:
            return "intra";
        case ADNET_MODEL_CONCAT:
            return "concat";
        case ADNET_MODEL_BASE:
            return "base";
        default:
            return NULL;
    }
}

adnet_model_kind adnet_model_kind_parse(const char *name) {
    if (!name) return ADNET_MODEL_UNKNOWN;
    for (int k = ADNET_MODEL_AD; k <= ADNET_MODEL_BASE; k++)
        if (!strcmp(name, adnet_model_kind_name((adnet_model_kind)k))) return (adnet_model_kind)k;
    return ADNET_MODEL_UNKNOWN;
}

adnet_status adn_arch_make(adnet_model_kind kind, int depth, int embed, adn_arch *out) {
    memset(out, 0, sizeof *out);
    if (!adnet_model_kind_name(kind))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unknown model kind %d", (int)kind);
    if (depth != 50 && depth != 101)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unsupported ResNet depth %d (50 or 101)",
                        depth);
    if (embed < 1 || embed > 4096)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unsupported embedding size E = %d", embed);
    out->kind = kind;
    out->depth = depth;
    out->blocks[0] = 3;
    out->blocks[1] = 4;
    out->blocks[2] = depth == 50 ? 6 : 23;
    out->blocks[3] = 3;
    out->embed = embed;
    switch (kind) {
        case ADNET_MODEL_AD:
            out->cls_in = 3 * embed;
            break;
        case ADNET_MODEL_BASE:
            out->cls_in = 0;
            break;
        default:
            out->cls_in = 2 * embed;
            break;
    }
    return ADNET_OK;
}

const char *adn_arch_backbone_prefix(const adn_arch *a) {
    return a->kind == ADNET_MODEL_BASE ? "" : "features.";
}

typedef struct layer_list {
    adn_layer_desc *v;
    int n, cap;
} layer_list;

static adn_layer_desc *push(layer_list *l, const char *group, int cin, int cout, int k, int stride,
                            int pad, int dilation, adn_activation act) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 128;
        adn_layer_desc *grown = realloc(l->v, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        l->v = grown;
        l->cap = cap;
    }
    adn_layer_desc *d = &l->v[l->n++];
    memset(d, 0, sizeof *d);
    snprintf(d->group, sizeof d->group, "%s", group);
    d->shape = (adn_conv_shape){cin, cout, k, k, stride, pad, dilation};
    d->act = act;
    return d;
}

/* A convolution followed by a BN: weight "<p><conv>.weight", BN "<p><bn>". */
static int conv_bn(layer_list *l, const char *prefix, const char *group, const char *name,
                   const char *conv, const char *bn, int cin, int cout, int k, int stride, int pad,
                   int dilation, adn_activation act) {
    adn_layer_desc *d = push(l, group, cin, cout, k, stride, pad, dilation, act);
    if (!d) return -1;
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->weight, sizeof d->weight, "%s%s.weight", prefix, conv);
    snprintf(d->bn, sizeof d->bn, "%s%s", prefix, bn);
    return 0;
}

/* A convolution with its own bias and no BN. */
static int conv_bias(layer_list *l, const char *prefix, const char *group, const char *name,
                     int cin, int cout, adn_activation act) {
    adn_layer_desc *d = push(l, group, cin, cout, 1, 1, 0, 1, act);
    if (!d) return -1;
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->weight, sizeof d->weight, "%s%s.weight", prefix, name);
    snprintf(d->bias, sizeof d->bias, "%s%s.bias", prefix, name);
    return 0;
}

adnet_status adn_arch_layers(const adn_arch *a, adn_layer_desc **layers, int *n) {
    layer_list l = {0};
    const char *p = adn_arch_backbone_prefix(a);
    int err = 0;
    err |= conv_bn(&l, p, "stem", "conv1", "conv1", "bn1", 3, 64, 3, 2, 1, 1, ADN_ACT_RELU);
    err |= conv_bn(&l, p, "stem", "conv2", "conv2", "bn2", 64, 64, 3, 1, 1, 1, ADN_ACT_RELU);
    err |= conv_bn(&l, p, "stem", "conv3", "conv3", "bn3", 64, 128, 3, 1, 1, 1, ADN_ACT_RELU);

    static const int planes[4] = {64, 128, 256, 512};
    static const int strides[4] = {1, 2, 1, 1};
    int in = 128;
    for (int s = 0; s < 4; s++) {
        char group[16];
        snprintf(group, sizeof group, "layer%d", s + 1);
        for (int b = 0; b < a->blocks[s]; b++) {
            /* layer3 is dilated 2 throughout; layer4 uses the multi-grid 1, 2, 4 on base 4 */
            int dil = s < 2 ? 1 : s == 2 ? 2 : 4 << (b < 2 ? b : 2);
            int stride = b == 0 ? strides[s] : 1;
            int pl = planes[s];
            char base[32], name[64], conv[64], bn[64];
            snprintf(base, sizeof base, "layer%d.%d", s + 1, b);
            for (int c = 1; c <= 3; c++) {
                snprintf(name, sizeof name, "%s.conv%d", base, c);
                snprintf(bn, sizeof bn, "%s.bn%d", base, c);
                if (c == 1)
                    err |= conv_bn(&l, p, group, name, name, bn, in, pl, 1, 1, 0, 1, ADN_ACT_RELU);
                else if (c == 2)
                    err |= conv_bn(&l, p, group, name, name, bn, pl, pl, 3, stride, dil, dil,
                                   ADN_ACT_RELU);
                else
                    err |=
                        conv_bn(&l, p, group, name, name, bn, pl, 4 * pl, 1, 1, 0, 1, ADN_ACT_RELU);
            }
            if (b == 0) {
                snprintf(name, sizeof name, "%s.downsample", base);
                snprintf(conv, sizeof conv, "%s.downsample.0", base);
                snprintf(bn, sizeof bn, "%s.downsample.1", base);
                err |= conv_bn(&l, p, group, name, conv, bn, in, 4 * pl, 1, stride, 0, 1,
                               ADN_ACT_NONE);
            }
            in = 4 * pl;
        }
    }
    /* ASPP */
    err |= conv_bn(&l, p, "aspp", "head.0.conv1", "head.0.conv1.0", "head.0.conv1.1", 2048, 512, 1,
                   1, 0, 1, ADN_ACT_LEAKY);
    static const int rates[3] = {12, 24, 36};
    for (int r = 0; r < 3; r++) {
        char name[32], conv[32], bn[32];
        snprintf(name, sizeof name, "head.0.conv%d", r + 2);
        snprintf(conv, sizeof conv, "head.0.conv%d.0", r + 2);
        snprintf(bn, sizeof bn, "head.0.conv%d.1", r + 2);
        err |= conv_bn(&l, p, "aspp", name, conv, bn, 2048, 512, 3, 1, rates[r], rates[r],
                       ADN_ACT_LEAKY);
    }
    err |= conv_bn(&l, p, "aspp", "head.0.image_pooling", "head.0.image_pooling.1",
                   "head.0.image_pooling.2", 2048, 512, 1, 1, 0, 1, ADN_ACT_LEAKY);
    err |= conv_bn(&l, p, "aspp", "head.0.conv_bn_dropout", "head.0.conv_bn_dropout.0",
                   "head.0.conv_bn_dropout.1", 2560, 512, 1, 1, 0, 1, ADN_ACT_LEAKY);
    err |= conv_bias(&l, p, "head", "head.1", 512, a->embed, ADN_ACT_NONE);
    if (a->cls_in > 0) {
        adn_layer_desc *d = push(&l, "classifier", a->cls_in, 128, 1, 1, 0, 1, ADN_ACT_LEAKY);
        if (!d)
            err = 1;
        else {
            snprintf(d->name, sizeof d->name, "cls.0");
            snprintf(d->weight, sizeof d->weight, "cls.0.weight");
            snprintf(d->bias, sizeof d->bias, "cls.0.bias");
            snprintf(d->bn, sizeof d->bn, "cls.1");
        }
        err |= conv_bias(&l, "", "classifier", "cls.3", 128, 1, ADN_ACT_NONE);
    }
    if (err) {
        free(l.v);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    *layers = l.v;
    *n = l.n;
    return ADNET_OK;
}

const adn_layer_desc *adn_arch_find(const adn_layer_desc *layers, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(layers[i].name, name)) return &layers[i];
    return NULL;
}

adnet_status adn_arch_tensors(const adn_arch *a, adn_tensor_desc **tensors, int *n) {
    adn_layer_desc *layers;
    int nl;
    ADN_TRY(adn_arch_layers(a, &layers, &nl));
    adn_tensor_desc *t = calloc((size_t)nl * 6, sizeof *t);
    if (!t) {
        free(layers);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    static const char *bn_parts[4] = {"weight", "bias", "running_mean", "running_var"};
    int k = 0;
    for (int i = 0; i < nl; i++) {
        const adn_layer_desc *d = &layers[i];
        snprintf(t[k].name, sizeof t[k].name, "%s", d->weight);
        t[k].ndim = 4;
        t[k].shape[0] = d->shape.cout;
        t[k].shape[1] = d->shape.cin;
        t[k].shape[2] = d->shape.kh;
        t[k].shape[3] = d->shape.kw;
        k++;
        if (d->bias[0]) {
            snprintf(t[k].name, sizeof t[k].name, "%s", d->bias);
            t[k].ndim = 1;
            t[k].shape[0] = d->shape.cout;
            k++;
        }
        if (d->bn[0]) {
            for (int j = 0; j < 4; j++) {
                snprintf(t[k].name, sizeof t[k].name, "%s.%s", d->bn, bn_parts[j]);
                t[k].ndim = 1;
                t[k].shape[0] = d->shape.cout;
                k++;
            }
        }
    }
    free(layers);
    *tensors = t;
    *n = k;
    return ADNET_OK;
}

uint64_t adn_arch_param_count(const adn_arch *a) {
    adn_tensor_desc *t;
    int n;
    if (adn_arch_tensors(a, &t, &n) != ADNET_OK) return 0;
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        uint64_t c = 1;
        for (int d = 0; d < t[i].ndim; d++) c *= (uint64_t)t[i].shape[d];
        total += c;
    }
    free(t);
    return total;
}
