/* The AD-Net architecture as data: its configurations (model, depth, E) and every
 * convolution with the names of the tensors that hold it, in the released state_dict's
 * naming. The model builder, the weights checks, the synthetic weights and `adnet inspect`
 * all read this one description. */
#ifndef ADN_ARCH_H
#define ADN_ARCH_H

#include "adnet.h"
#include "ops.h"

#include <stddef.h>
#include <stdint.h>

typedef struct adn_arch {
    adnet_model_kind kind;
    int depth;         /* ResNet depth, 3 x (all blocks) + 2: 50 or 101 when released */
    int released;      /* 1: a released backbone (R50, R101); 0: read from "adnet.arch" */
    int stem[3];       /* the three stem convolutions' widths (released: 64, 64, 128) */
    int planes[4];     /* bottleneck width per stage (64, 128, 256, 512) */
    int blocks[4];     /* bottlenecks per stage (3, 4, 6 or 23, 3) */
    int expansion;     /* a bottleneck's output is expansion x planes (4) */
    int dilations[4];  /* base dilation per stage (1, 1, 2, 4); strides stay 1, 2, 1, 1 */
    int multi_grid[3]; /* last stage: block b's dilation is dilations[3] x multi_grid[min(b,2)] */
    int aspp;          /* ASPP width (512) */
    int aspp_rates[3]; /* the three dilated ASPP branches (12, 24, 36) */
    int embed;         /* E: output channels of the DeepLabv3 head */
    int cls_hidden;    /* the classifier's hidden width (128) */
    int cls_in;        /* channels into the classifier: 3E (ad), 2E, 0 (base: no classifier) */
} adn_arch;

/* Fills a released configuration; fails on an unsupported depth or embed. */
adnet_status adn_arch_make(adnet_model_kind kind, int depth, int embed, adn_arch *out);

/* An architecture from its JSON description (the "adnet.arch" metadata of a weights file):
 * an object with exactly the keys stem [3], planes [4], blocks [4], expansion, dilations [4],
 * multi_grid [3], aspp, aspp_rates [3], embed, classifier, each a positive integer (list)
 * within the limits adnet supports. Fails with ADNET_ERR_FORMAT naming the key. */
adnet_status adn_arch_parse(const char *json, adnet_model_kind kind, adn_arch *out);

/* The JSON description of a (the inverse of adn_arch_parse); returns the length written. */
int adn_arch_format(const adn_arch *a, char *buf, size_t size);

/* "features." for the attention/concat models, "" for base (the released checkpoints'
 * naming). */
const char *adn_arch_backbone_prefix(const adn_arch *a);

/* One convolution and the tensors that hold it. */
typedef struct adn_layer_desc {
    char name[64];    /* short name used in the graph: "layer1.0.conv1", "head.0.conv2", "cls.0" */
    char weight[112]; /* full tensor name of the weight (without any "module." prefix) */
    char bias[112];   /* the convolution's own bias tensor, or "" */
    char bn[112];   /* prefix of the BN tensors (.weight .bias .running_mean .running_var) or "" */
    char group[16]; /* stem, layer1..layer4, aspp, head, classifier */
    adn_conv_shape shape;
    adn_activation act; /* activation after the BN (after the residual add for conv3) */
} adn_layer_desc;

/* Every convolution of the architecture in forward order (malloc'd; free with free()). */
adnet_status adn_arch_layers(const adn_arch *a, adn_layer_desc **layers, int *n);
const adn_layer_desc *adn_arch_find(const adn_layer_desc *layers, int n, const char *name);

/* One tensor a weights file must hold. */
typedef struct adn_tensor_desc {
    char name[128];
    int ndim;
    int64_t shape[4];
} adn_tensor_desc;

/* Every tensor the architecture reads, with its shape (malloc'd). */
adnet_status adn_arch_tensors(const adn_arch *a, adn_tensor_desc **tensors, int *n);

/* Parameters used at inference. */
uint64_t adn_arch_param_count(const adn_arch *a);

#endif
