/* The graph builder: AD-Net as a list of steps over values, from the architecture. */
#include "graph.h"

#include "planner.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void adn_graph_free(adn_graph *g) {
    free(g->v);
    free(g->s);
    free(g->infos);
    memset(g, 0, sizeof *g);
}

static int new_value(adn_graph *g, int c, int h, int w) {
    if (g->nv == g->cap_v) {
        int cap = g->cap_v ? 2 * g->cap_v : 256;
        adn_gvalue *grown = realloc(g->v, (size_t)cap * sizeof *grown);
        if (!grown) return -1;
        g->v = grown;
        g->cap_v = cap;
    }
    adn_gvalue *v = &g->v[g->nv];
    memset(v, 0, sizeof *v);
    v->c = c;
    v->h = h;
    v->w = w;
    v->parent = -1;
    v->first = v->last = -1;
    return g->nv++;
}

static int root_of(const adn_graph *g, int id) {
    while (g->v[id].parent >= 0) id = g->v[id].parent;
    return id;
}

/* Channels [c0, c0 + n) of value id. */
static int new_view(adn_graph *g, int id, int c0, int n) {
    if (id < 0) return -1;
    int h = g->v[id].h, w = g->v[id].w;
    int k = new_value(g, n, h, w);
    if (k < 0) return -1;
    g->v[k].parent = id;
    g->v[k].c0 = c0;
    return k;
}

static adn_gstep *new_step(adn_graph *g, adn_step_op op, const char *name, const char *group) {
    if (g->ns == g->cap_s) {
        int cap = g->cap_s ? 2 * g->cap_s : 256;
        adn_gstep *grown = realloc(g->s, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        g->s = grown;
        g->cap_s = cap;
    }
    adn_gstep *s = &g->s[g->ns++];
    memset(s, 0, sizeof *s);
    s->info.op = op;
    s->info.name = name;
    s->info.group = group;
    s->layer = -1;
    s->in = s->in2 = s->out = s->out2 = s->res = s->scratch = -1;
    return s;
}

/* The graph builder: records an error once and then ignores further calls, so the builder
 * reads as straight-line code. */
typedef struct builder {
    const adn_arch *arch;
    const adn_layer_desc *layers;
    int n_layers;
    size_t scratch_cap; /* floats */
    adn_graph *g;
    adnet_status st;
} builder;

static int fail_oom(builder *b) {
    if (b->st == ADNET_OK) b->st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    return -1;
}

static int find_layer(builder *b, const char *name) {
    for (int i = 0; i < b->n_layers; i++)
        if (!strcmp(b->layers[i].name, name)) return i;
    if (b->st == ADNET_OK)
        b->st = adn_fail(ADNET_ERR_INTERNAL, "the architecture has no layer '%s'", name);
    return -1;
}

/* out = act(conv(in) + residual); out < 0 makes a new value. Returns out. */
static int conv(builder *b, const char *name, int in, int out, int res, adn_activation act) {
    if (b->st != ADNET_OK || in < 0) return -1;
    int li = find_layer(b, name);
    if (li < 0) return -1;
    const adn_layer_desc *d = &b->layers[li];
    adn_graph *g = b->g;
    const adn_gvalue *x = &g->v[in];
    int oh = adn_conv_out_dim(x->h, d->shape.kh, d->shape.stride, d->shape.pad, d->shape.dilation);
    int ow = adn_conv_out_dim(x->w, d->shape.kw, d->shape.stride, d->shape.pad, d->shape.dilation);
    if (oh < 1 || ow < 1) {
        b->st = adn_fail(ADNET_ERR_INVALID_ARGUMENT, "the input is too small: layer %s gets %dx%d",
                         name, x->w, x->h);
        return -1;
    }
    int xh = x->h, xw = x->w;
    if (out < 0) out = new_value(g, d->shape.cout, oh, ow);
    if (out < 0) return fail_oom(b);
    size_t sf = adn_conv_scratch_floats(&d->shape, xh, xw, b->scratch_cap);
    int scratch = -1;
    if (sf) {
        scratch = new_value(g, 1, 1, (int)sf);
        if (scratch < 0) return fail_oom(b);
    }
    adn_gstep *s = new_step(g, ADN_STEP_CONV, d->name, d->group);
    if (!s) return fail_oom(b);
    s->layer = li;
    s->in = in;
    s->out = out;
    s->res = res;
    s->act = act;
    s->scratch = scratch;
    s->scratch_floats = sf;
    s->info.macs = adn_conv_macs(&d->shape, xh, xw);
    return out;
}

static int maxpool(builder *b, int in, int k, int stride, int pad) {
    if (b->st != ADNET_OK || in < 0) return -1;
    adn_graph *g = b->g;
    int c = g->v[in].c;
    int oh = adn_pool_out_dim_ceil(g->v[in].h, k, stride, pad);
    int ow = adn_pool_out_dim_ceil(g->v[in].w, k, stride, pad);
    int out = new_value(g, c, oh, ow);
    adn_gstep *s = out < 0 ? NULL : new_step(g, ADN_STEP_MAXPOOL, "maxpool", "stem");
    if (!s) return fail_oom(b);
    s->in = in;
    s->out = out;
    s->pool_k = k;
    s->pool_stride = stride;
    s->pool_pad = pad;
    return out;
}

static int simple_step(builder *b, adn_step_op op, const char *name, const char *group, int in,
                       int out) {
    if (b->st != ADNET_OK || in < 0 || out < 0) return -1;
    adn_gstep *s = new_step(b->g, op, name, group);
    if (!s) return fail_oom(b);
    s->in = in;
    s->out = out;
    return out;
}

/* ResNet-DeepLabv3 from a 3 x H x W input to the E-channel embedding in `out`. */
static void build_features(builder *b, int input, int out) {
    const adn_arch *a = b->arch;
    int x = conv(b, "conv1", input, -1, -1, ADN_ACT_RELU);
    x = conv(b, "conv2", x, -1, -1, ADN_ACT_RELU);
    x = conv(b, "conv3", x, -1, -1, ADN_ACT_RELU);
    x = maxpool(b, x, 3, 2, 1);
    for (int st = 0; st < 4; st++) {
        for (int blk = 0; blk < a->blocks[st]; blk++) {
            char n1[32], n2[32], n3[32], nd[32];
            snprintf(n1, sizeof n1, "layer%d.%d.conv1", st + 1, blk);
            snprintf(n2, sizeof n2, "layer%d.%d.conv2", st + 1, blk);
            snprintf(n3, sizeof n3, "layer%d.%d.conv3", st + 1, blk);
            snprintf(nd, sizeof nd, "layer%d.%d.downsample", st + 1, blk);
            int t1 = conv(b, n1, x, -1, -1, ADN_ACT_RELU);
            int t2 = conv(b, n2, t1, -1, -1, ADN_ACT_RELU);
            int res = blk == 0 ? conv(b, nd, x, -1, -1, ADN_ACT_NONE) : x;
            x = conv(b, n3, t2, -1, res, ADN_ACT_RELU);
        }
    }
    if (b->st != ADNET_OK) return;
    /* ASPP: the five branches write straight into their channels of the concat buffer */
    adn_graph *g = b->g;
    int h = g->v[x].h, w = g->v[x].w;
    int aw = a->aspp, c = g->v[x].c;
    int cat = new_value(g, 5 * aw, h, w);
    if (cat < 0) {
        fail_oom(b);
        return;
    }
    conv(b, "head.0.conv1", x, new_view(g, cat, 0, aw), -1, ADN_ACT_LEAKY);
    conv(b, "head.0.conv2", x, new_view(g, cat, aw, aw), -1, ADN_ACT_LEAKY);
    conv(b, "head.0.conv3", x, new_view(g, cat, 2 * aw, aw), -1, ADN_ACT_LEAKY);
    conv(b, "head.0.conv4", x, new_view(g, cat, 3 * aw, aw), -1, ADN_ACT_LEAKY);
    int pooled =
        simple_step(b, ADN_STEP_GAP, "image_pooling.gap", "aspp", x, new_value(g, c, 1, 1));
    int pv = conv(b, "head.0.image_pooling", pooled, -1, -1, ADN_ACT_LEAKY);
    simple_step(b, ADN_STEP_RESIZE, "image_pooling.upsample", "aspp", pv,
                new_view(g, cat, 4 * aw, aw));
    int y = conv(b, "head.0.conv_bn_dropout", cat, -1, -1, ADN_ACT_LEAKY);
    conv(b, "head.1", y, out, -1, ADN_ACT_NONE);
}

static int attention(builder *b, int x0, int xt, int out_anchor, int out_self) {
    if (b->st != ADNET_OK) return -1;
    adn_gstep *s = new_step(b->g, ADN_STEP_ATTENTION, "attention", "attention");
    if (!s) return fail_oom(b);
    s->in = x0;
    s->in2 = xt;
    s->out = out_anchor;
    s->out2 = out_self;
    const adn_gvalue *v = &b->g->v[xt];
    int mkv = v->h * v->w, e = v->c;
    int mq = x0 >= 0 ? b->g->v[x0].h * b->g->v[x0].w : mkv;
    s->info.macs = (out_anchor >= 0 ? adn_attention_macs(e, mq, mkv) : 0) +
                   (out_self >= 0 ? adn_attention_macs(e, mkv, mkv) : 0);
    return 0;
}

adnet_status adn_graph_build(adn_graph *g, const adn_arch *a, const adn_layer_desc *layers,
                             int n_layers, size_t scratch_cap, adn_graph_kind kind, int width,
                             int height) {
    memset(g, 0, sizeof *g);
    builder b = {a, layers, n_layers, scratch_cap, g, ADNET_OK};
    int fw, fh;
    adn_feature_size(width, height, &fw, &fh);
    int e = a->embed;
    g->input = new_value(g, 3, height, width);
    if (g->input < 0) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (kind == ADN_GRAPH_ANCHOR) {
        /* the embedding goes straight into the anchor slot */
        g->output = new_value(g, e, fh, fw);
        if (g->output < 0) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        g->v[g->output].external = 1;
        build_features(&b, g->input, g->output);
        return b.st;
    }
    if (a->kind == ADNET_MODEL_BASE) {
        /* DeepLabv3 alone: the E = 1 embedding is the logit */
        g->output = new_value(g, e, fh, fw);
        build_features(&b, g->input, g->output);
        return b.st;
    }
    /* the classifier's input, in the spec's channel order; Xt is always the last E channels,
     * written there directly by the feature extractor */
    int cls_in = new_value(g, a->cls_in, fh, fw);
    int x0 = new_value(g, e, fh, fw);
    if (cls_in < 0 || x0 < 0) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    g->v[x0].external = 1;
    int xt = new_view(g, cls_in, a->cls_in - e, e);
    build_features(&b, g->input, xt);
    switch (a->kind) {
        case ADNET_MODEL_AD:
            attention(&b, x0, xt, new_view(g, cls_in, 0, e), new_view(g, cls_in, e, e));
            break;
        case ADNET_MODEL_INTER:
            attention(&b, x0, xt, new_view(g, cls_in, 0, e), -1);
            break;
        case ADNET_MODEL_INTRA:
            attention(&b, -1, xt, -1, new_view(g, cls_in, 0, e));
            break;
        case ADNET_MODEL_CONCAT:
            simple_step(&b, ADN_STEP_COPY, "concat.anchor", "classifier", x0,
                        new_view(g, cls_in, 0, e));
            break;
        default:
            break;
    }
    int c0 = conv(&b, "cls.0", cls_in, -1, -1, ADN_ACT_LEAKY);
    g->output = conv(&b, "cls.3", c0, -1, -1, ADN_ACT_NONE);
    return b.st;
}

static void touch(adn_graph *g, int id, int step, int writes) {
    if (id < 0) return;
    int r = root_of(g, id);
    adn_gvalue *v = &g->v[r];
    if (v->first < 0 || (writes && step < v->first)) v->first = step;
    if (step > v->last) v->last = step;
}

/* Liveness: each root lives from the step that first writes it to the one that reads it last,
 * and the planner (planner.h) places the roots in one arena; views sit inside their root. */
adnet_status adn_graph_plan(adn_graph *g) {
    for (int i = 0; i < g->ns; i++) {
        adn_gstep *s = &g->s[i];
        touch(g, s->in, i, 0);
        touch(g, s->in2, i, 0);
        touch(g, s->res, i, 0);
        touch(g, s->out, i, 1);
        touch(g, s->out2, i, 1);
        touch(g, s->scratch, i, 1);
    }
    /* the input is written by the upload before step 0; the output is read after the last */
    g->v[root_of(g, g->input)].first = -1;
    touch(g, g->output, g->ns, 0);

    adn_planner *planner;
    ADN_TRY(adn_planner_create(ADN_ARENA_ALIGN, &planner));
    int *ids = malloc((size_t)(g->nv ? g->nv : 1) * sizeof *ids);
    adnet_status st = ids ? ADNET_OK : adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    for (int id = 0; id < g->nv && st == ADNET_OK; id++) {
        adn_gvalue *v = &g->v[id];
        ids[id] = -1;
        if (v->parent >= 0 || v->external) continue;
        /* an untouched root is placed and freed before step 0; one never read stays */
        int first = v->first, last = v->last < v->first ? g->ns + 1 : v->last;
        st = adn_planner_reserve(planner, (size_t)v->c * v->h * v->w, first, last, &ids[id]);
    }
    if (st == ADNET_OK) st = adn_planner_place(planner);
    for (int id = 0; id < g->nv && st == ADNET_OK; id++)
        if (ids[id] >= 0) g->v[id].off = adn_planner_offset(planner, ids[id]);
    g->arena_floats = adn_planner_size(planner);
    free(ids);
    adn_planner_free(planner);
    ADN_TRY(st);
    /* views sit inside their root */
    for (int id = 0; id < g->nv; id++) {
        adn_gvalue *v = &g->v[id];
        if (v->parent < 0) continue;
        size_t off = 0;
        int k = id;
        while (g->v[k].parent >= 0) {
            const adn_gvalue *p = &g->v[g->v[k].parent];
            off += (size_t)g->v[k].c0 * p->h * p->w;
            k = g->v[k].parent;
        }
        v->off = g->v[k].off + off;
        v->external = g->v[k].external;
    }
    g->infos = malloc((size_t)(g->ns ? g->ns : 1) * sizeof *g->infos);
    if (!g->infos) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    for (int i = 0; i < g->ns; i++) {
        g->infos[i] = g->s[i].info;
        const adn_gvalue *o = &g->v[g->s[i].out >= 0 ? g->s[i].out : g->s[i].out2];
        g->infos[i].out_c = o->c;
        g->infos[i].out_h = o->h;
        g->infos[i].out_w = o->w;
    }
    return ADNET_OK;
}

void adn_feature_size(int width, int height, int *fw, int *fh) {
    /* conv1 (3x3 stride 2 pad 1), max pool (3x3/2/1, ceil), layer2's stride-2 3x3 conv */
    int w = adn_conv_out_dim(width, 3, 2, 1, 1), h = adn_conv_out_dim(height, 3, 2, 1, 1);
    w = adn_pool_out_dim_ceil(w, 3, 2, 1);
    h = adn_pool_out_dim_ceil(h, 3, 2, 1);
    *fw = adn_conv_out_dim(w, 3, 2, 1, 1);
    *fh = adn_conv_out_dim(h, 3, 2, 1, 1);
}
