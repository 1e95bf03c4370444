#include "arch.h"

#include "status.h"

#include <cjson/cJSON.h>

#include <math.h>
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

/* The classifier's input for the model kind: 3E (ad), 2E (inter, intra, concat), none (base). */
static void set_classifier_input(adn_arch *a) {
    a->cls_in = a->kind == ADNET_MODEL_AD     ? 3 * a->embed
                : a->kind == ADNET_MODEL_BASE ? 0
                                              : 2 * a->embed;
}

static int depth_of(const int blocks[4]) {
    return 3 * (blocks[0] + blocks[1] + blocks[2] + blocks[3]) + 2;
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
    static const adn_arch released = {.stem = {64, 64, 128},
                                      .planes = {64, 128, 256, 512},
                                      .blocks = {3, 4, 6, 3},
                                      .expansion = 4,
                                      .dilations = {1, 1, 2, 4},
                                      .multi_grid = {1, 2, 4},
                                      .aspp = 512,
                                      .aspp_rates = {12, 24, 36},
                                      .cls_hidden = 128};
    *out = released;
    out->kind = kind;
    out->released = 1;
    out->blocks[2] = depth == 50 ? 6 : 23;
    out->depth = depth_of(out->blocks);
    out->embed = embed;
    set_classifier_input(out);
    return ADNET_OK;
}

/* One integer list of an architecture's JSON, its length and the limits adnet supports. */
typedef struct arch_key {
    const char *key;
    int *dst;
    int n; /* 0: a single integer */
    int lo, hi;
} arch_key;

adnet_status adn_arch_parse(const char *json, adnet_model_kind kind, adn_arch *out) {
    memset(out, 0, sizeof *out);
    if (!adnet_model_kind_name(kind))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unknown model kind %d", (int)kind);
    /* the limits keep every buffer size within int and reject nonsense early; the shapes of
     * the tensors are then checked against the result (adn_weights_check) */
    const arch_key keys[] = {
        {"stem", out->stem, 3, 1, 4096},         {"planes", out->planes, 4, 1, 4096},
        {"blocks", out->blocks, 4, 1, 64},       {"expansion", &out->expansion, 0, 1, 8},
        {"dilations", out->dilations, 4, 1, 64}, {"multi_grid", out->multi_grid, 3, 1, 16},
        {"aspp", &out->aspp, 0, 1, 4096},        {"aspp_rates", out->aspp_rates, 3, 1, 256},
        {"embed", &out->embed, 0, 1, 4096},      {"classifier", &out->cls_hidden, 0, 1, 4096},
    };
    const int n_keys = (int)(sizeof keys / sizeof keys[0]);
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return adn_fail(ADNET_ERR_FORMAT, "architecture: not a JSON object");
    }
    adnet_status st = ADNET_OK;
    for (const cJSON *item = root->child; item && st == ADNET_OK; item = item->next) {
        int known = 0;
        for (int k = 0; k < n_keys; k++)
            known |= item->string && !strcmp(item->string, keys[k].key);
        if (!known)
            st = adn_fail(ADNET_ERR_FORMAT, "architecture: unknown key \"%s\"",
                          item->string ? item->string : "");
    }
    for (int k = 0; k < n_keys && st == ADNET_OK; k++) {
        const arch_key *d = &keys[k];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, d->key);
        int count = d->n ? d->n : 1;
        if (!v) {
            st = adn_fail(ADNET_ERR_FORMAT, "architecture: key \"%s\" is missing", d->key);
            break;
        }
        if (d->n && (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != d->n)) {
            st = adn_fail(ADNET_ERR_FORMAT, "architecture: \"%s\" must be a list of %d integers",
                          d->key, d->n);
            break;
        }
        for (int i = 0; i < count; i++) {
            const cJSON *e = d->n ? cJSON_GetArrayItem(v, i) : v;
            double x = cJSON_IsNumber(e) ? e->valuedouble : -1.0;
            /* the range first: converting a double outside int's range is undefined (found by
             * fuzz_arch: 1844674407370955161524 as a width) */
            if (!cJSON_IsNumber(e) || !(x >= d->lo && x <= d->hi) || x != floor(x)) {
                st = adn_fail(ADNET_ERR_FORMAT,
                              "architecture: \"%s\" must hold integers from %d to %d", d->key,
                              d->lo, d->hi);
                break;
            }
            d->dst[i] = (int)x;
        }
    }
    cJSON_Delete(root);
    if (st != ADNET_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    out->kind = kind;
    out->depth = depth_of(out->blocks);
    set_classifier_input(out);
    /* a description identical to a released backbone is that backbone */
    adn_arch r;
    if ((out->depth == 50 || out->depth == 101) &&
        adn_arch_make(kind, out->depth, out->embed, &r) == ADNET_OK) {
        r.released = 0;
        out->released = !memcmp(&r, out, sizeof r);
    }
    adn_clear_error();
    return ADNET_OK;
}

int adn_arch_format(const adn_arch *a, char *buf, size_t size) {
    int cls = a->cls_hidden;
    return snprintf(buf, size,
                    "{\"stem\":[%d,%d,%d],\"planes\":[%d,%d,%d,%d],\"blocks\":[%d,%d,%d,%d],"
                    "\"expansion\":%d,\"dilations\":[%d,%d,%d,%d],\"multi_grid\":[%d,%d,%d],"
                    "\"aspp\":%d,\"aspp_rates\":[%d,%d,%d],\"embed\":%d,\"classifier\":%d}",
                    a->stem[0], a->stem[1], a->stem[2], a->planes[0], a->planes[1], a->planes[2],
                    a->planes[3], a->blocks[0], a->blocks[1], a->blocks[2], a->blocks[3],
                    a->expansion, a->dilations[0], a->dilations[1], a->dilations[2],
                    a->dilations[3], a->multi_grid[0], a->multi_grid[1], a->multi_grid[2], a->aspp,
                    a->aspp_rates[0], a->aspp_rates[1], a->aspp_rates[2], a->embed, cls);
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
    const int *stem = a->stem;
    err |= conv_bn(&l, p, "stem", "conv1", "conv1", "bn1", 3, stem[0], 3, 2, 1, 1, ADN_ACT_RELU);
    err |=
        conv_bn(&l, p, "stem", "conv2", "conv2", "bn2", stem[0], stem[1], 3, 1, 1, 1, ADN_ACT_RELU);
    err |=
        conv_bn(&l, p, "stem", "conv3", "conv3", "bn3", stem[1], stem[2], 3, 1, 1, 1, ADN_ACT_RELU);

    static const int strides[4] = {1, 2, 1, 1}; /* output stride 8 (adn_feature_size) */
    const int x = a->expansion;
    int in = stem[2];
    for (int s = 0; s < 4; s++) {
        char group[16];
        snprintf(group, sizeof group, "layer%d", s + 1);
        for (int b = 0; b < a->blocks[s]; b++) {
            /* the last stage applies the multi-grid to its base dilation (released: 4 x 1, 2,
             * 4); the others are dilated alike throughout (1, 1, 2) */
            int dil = a->dilations[s] * (s == 3 ? a->multi_grid[b < 2 ? b : 2] : 1);
            int stride = b == 0 ? strides[s] : 1;
            int pl = a->planes[s];
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
                        conv_bn(&l, p, group, name, name, bn, pl, x * pl, 1, 1, 0, 1, ADN_ACT_RELU);
            }
            if (b == 0) {
                snprintf(name, sizeof name, "%s.downsample", base);
                snprintf(conv, sizeof conv, "%s.downsample.0", base);
                snprintf(bn, sizeof bn, "%s.downsample.1", base);
                err |= conv_bn(&l, p, group, name, conv, bn, in, x * pl, 1, stride, 0, 1,
                               ADN_ACT_NONE);
            }
            in = x * pl;
        }
    }
    /* ASPP */
    const int w = a->aspp;
    err |= conv_bn(&l, p, "aspp", "head.0.conv1", "head.0.conv1.0", "head.0.conv1.1", in, w, 1, 1,
                   0, 1, ADN_ACT_LEAKY);
    const int *rates = a->aspp_rates;
    for (int r = 0; r < 3; r++) {
        char name[32], conv[32], bn[32];
        snprintf(name, sizeof name, "head.0.conv%d", r + 2);
        snprintf(conv, sizeof conv, "head.0.conv%d.0", r + 2);
        snprintf(bn, sizeof bn, "head.0.conv%d.1", r + 2);
        err |=
            conv_bn(&l, p, "aspp", name, conv, bn, in, w, 3, 1, rates[r], rates[r], ADN_ACT_LEAKY);
    }
    err |= conv_bn(&l, p, "aspp", "head.0.image_pooling", "head.0.image_pooling.1",
                   "head.0.image_pooling.2", in, w, 1, 1, 0, 1, ADN_ACT_LEAKY);
    err |= conv_bn(&l, p, "aspp", "head.0.conv_bn_dropout", "head.0.conv_bn_dropout.0",
                   "head.0.conv_bn_dropout.1", 5 * w, w, 1, 1, 0, 1, ADN_ACT_LEAKY);
    err |= conv_bias(&l, p, "head", "head.1", w, a->embed, ADN_ACT_NONE);
    if (a->cls_in > 0) {
        adn_layer_desc *d =
            push(&l, "classifier", a->cls_in, a->cls_hidden, 1, 1, 0, 1, ADN_ACT_LEAKY);
        if (!d)
            err = 1;
        else {
            snprintf(d->name, sizeof d->name, "cls.0");
            snprintf(d->weight, sizeof d->weight, "cls.0.weight");
            snprintf(d->bias, sizeof d->bias, "cls.0.bias");
            snprintf(d->bn, sizeof d->bn, "cls.1");
        }
        err |= conv_bias(&l, "", "classifier", "cls.3", a->cls_hidden, 1, ADN_ACT_NONE);
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
