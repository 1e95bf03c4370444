/* AD-Net as a graph: the steps of one forward pass over values (tensors), built from the
 * architecture for one input size, then planned: every value gets its offset in one arena.
 *
 * Two graphs exist per input size: the anchor graph (frame -> embedding X0, written straight
 * into an external buffer, the anchor slot) and the frame graph (frame -> Xt, written straight
 * into the last E channels of the classifier's input, -> attention with X0 -> classifier ->
 * logits). */
#ifndef ADN_GRAPH_H
#define ADN_GRAPH_H

#include "arch.h"

/* Arena offsets are aligned to 64 floats (256 bytes): every device's preferred alignment. */
#define ADN_ARENA_ALIGN 64

typedef enum adn_graph_kind { ADN_GRAPH_ANCHOR = 0, ADN_GRAPH_FRAME = 1 } adn_graph_kind;

typedef enum adn_step_op {
    ADN_STEP_CONV,
    ADN_STEP_MAXPOOL,
    ADN_STEP_GAP,
    ADN_STEP_RESIZE,
    ADN_STEP_COPY,
    ADN_STEP_ATTENTION
} adn_step_op;

/* What one step of a planned graph is, for profiles and FLOP counts. */
typedef struct adn_step_info {
    adn_step_op op;
    const char *name;  /* "layer3.4.conv2", "attention", ... */
    const char *group; /* stem, layer1..layer4, aspp, head, attention, classifier */
    double macs;       /* multiply-adds (0 for data movement) */
    double exec_macs;  /* of them, those the device computes (adn_conv_executed_macs: Winograd's
                          products, im2col's kept taps); set by the model for its device */
    int out_c, out_h, out_w;
} adn_step_info;

/* A tensor of a graph: a root that the planner places in the arena, a channel range (view) of
 * another value, or the external buffer (the anchor slot). */
typedef struct adn_gvalue {
    int c, h, w;
    int parent; /* -1 for a root */
    int c0;     /* first channel within the parent */
    int external;
    size_t off;      /* arena offset in floats, set by the planner (roots and views) */
    int first, last; /* steps that write it first and read it last (roots) */
} adn_gvalue;

typedef struct adn_gstep {
    adn_step_info info;
    int layer;                            /* conv: index into the architecture's layers */
    int in, in2, out, out2, res, scratch; /* values, -1 for none */
    size_t scratch_floats;
    adn_activation act;
    int pool_k, pool_stride, pool_pad;
} adn_gstep;

typedef struct adn_graph {
    adn_gvalue *v;
    int nv, cap_v;
    adn_gstep *s;
    int ns, cap_s;
    int input, output;
    size_t arena_floats;  /* after adn_graph_plan */
    adn_step_info *infos; /* the step infos with output shapes, after adn_graph_plan */
} adn_graph;

/* The feature map size for an input of width x height (output stride 8, rounded as the
 * network's strided layers round). */
void adn_feature_size(int width, int height, int *fw, int *fh);

/* Builds graph kind for an input of width x height from architecture a and its layers (from
 * adn_arch_layers); convolutions get im2col scratch of at most scratch_cap floats. Fails
 * clearly when the input is too small for a layer. */
adnet_status adn_graph_build(adn_graph *g, const adn_arch *a, const adn_layer_desc *layers,
                             int n_layers, size_t scratch_cap, adn_graph_kind kind, int width,
                             int height);

/* Places every value in the arena (planner.h) by its lifetime, and fills infos. */
adnet_status adn_graph_plan(adn_graph *g);

void adn_graph_free(adn_graph *g);

#endif
