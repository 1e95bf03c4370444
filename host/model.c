#include "model.h"

#include "status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BN_EPS 1e-5
/* Arena offsets are aligned to 64 floats (256 bytes): every device's preferred alignment. */
#define ARENA_ALIGN 64
#define MAX_PLANS   8

/* ---- graphs ------------------------------------------------------------------------ */

/* A tensor of a graph: a root that the planner places in the arena, a channel range (view) of
 * another value, or the anchor slot's buffer (external). */
typedef struct gvalue {
    int c, h, w;
    int parent; /* -1 for a root */
    int c0;     /* first channel within the parent */
    int external;
    size_t off;      /* arena offset in floats, set by the planner (roots and views) */
    int first, last; /* steps that write it first and read it last (roots) */
} gvalue;

typedef struct gstep {
    adn_step_info info;
    int layer; /* conv: index into the model's layers */
    int in, in2, out, out2, res, scratch;
    size_t scratch_floats;
    adn_activation act;
    int pool_k, pool_stride, pool_pad;
} gstep;

typedef struct graph {
    gvalue *v;
    int nv, cap_v;
    gstep *s;
    int ns, cap_s;
    int input, output;
    size_t arena_floats;
    adn_step_info *infos; /* a copy of the step infos, for adn_model_steps */
} graph;

typedef struct plan {
    int width, height, feat_w, feat_h;
    graph g[2];
} plan;

typedef struct anchor_slot {
    cl_mem mem;
    size_t floats;
    int width, height, valid;
} anchor_slot;

struct adnet_model {
    adn_device *dev;
    int owns_device;
    adn_arch arch;
    adn_layer_desc *layers;
    int n_layers;
    adn_conv_weights *convs;
    cl_mem weight_bufs[16];
    size_t weight_buf_floats[16];
    int n_weight_bufs;
    uint64_t weight_bytes;
    size_t scratch_cap;
    plan plans[MAX_PLANS];
    int n_plans;
    cl_mem arena;
    size_t arena_floats;
    anchor_slot anchors[ADN_MAX_ANCHORS];
};

static void graph_free(graph *g) {
    free(g->v);
    free(g->s);
    free(g->infos);
    memset(g, 0, sizeof *g);
}

static int new_value(graph *g, int c, int h, int w) {
    if (g->nv == g->cap_v) {
        int cap = g->cap_v ? 2 * g->cap_v : 256;
        gvalue *grown = realloc(g->v, (size_t)cap * sizeof *grown);
        if (!grown) return -1;
        g->v = grown;
        g->cap_v = cap;
    }
    gvalue *v = &g->v[g->nv];
    memset(v, 0, sizeof *v);
    v->c = c;
    v->h = h;
    v->w = w;
    v->parent = -1;
    v->first = v->last = -1;
    return g->nv++;
}

static int root_of(const graph *g, int id) {
    while (g->v[id].parent >= 0) id = g->v[id].parent;
    return id;
}

/* Channels [c0, c0 + n) of value id. */
static int new_view(graph *g, int id, int c0, int n) {
    if (id < 0) return -1;
    int h = g->v[id].h, w = g->v[id].w;
    int k = new_value(g, n, h, w);
    if (k < 0) return -1;
    g->v[k].parent = id;
    g->v[k].c0 = c0;
    return k;
}

static gstep *new_step(graph *g, adn_step_op op, const char *name, const char *group) {
    if (g->ns == g->cap_s) {
        int cap = g->cap_s ? 2 * g->cap_s : 256;
        gstep *grown = realloc(g->s, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        g->s = grown;
        g->cap_s = cap;
    }
    gstep *s = &g->s[g->ns++];
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
    adnet_model *m;
    graph *g;
    adnet_status st;
} builder;

static int fail_oom(builder *b) {
    if (b->st == ADNET_OK) b->st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    return -1;
}

static int find_layer(builder *b, const char *name) {
    for (int i = 0; i < b->m->n_layers; i++)
        if (!strcmp(b->m->layers[i].name, name)) return i;
    if (b->st == ADNET_OK)
        b->st = adn_fail(ADNET_ERR_INTERNAL, "the architecture has no layer '%s'", name);
    return -1;
}

/* out = act(conv(in) + residual); out < 0 makes a new value. Returns out. */
static int conv(builder *b, const char *name, int in, int out, int res, adn_activation act) {
    if (b->st != ADNET_OK || in < 0) return -1;
    int li = find_layer(b, name);
    if (li < 0) return -1;
    const adn_layer_desc *d = &b->m->layers[li];
    graph *g = b->g;
    const gvalue *x = &g->v[in];
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
    size_t sf = adn_conv_scratch_floats(&d->shape, xh, xw, b->m->scratch_cap);
    int scratch = -1;
    if (sf) {
        scratch = new_value(g, 1, 1, (int)sf);
        if (scratch < 0) return fail_oom(b);
    }
    gstep *s = new_step(g, ADN_STEP_CONV, d->name, d->group);
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
    graph *g = b->g;
    int c = g->v[in].c;
    int oh = adn_pool_out_dim_ceil(g->v[in].h, k, stride, pad);
    int ow = adn_pool_out_dim_ceil(g->v[in].w, k, stride, pad);
    int out = new_value(g, c, oh, ow);
    gstep *s = out < 0 ? NULL : new_step(g, ADN_STEP_MAXPOOL, "maxpool", "stem");
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
    gstep *s = new_step(b->g, op, name, group);
    if (!s) return fail_oom(b);
    s->in = in;
    s->out = out;
    return out;
}

/* ResNet-DeepLabv3 from a 3 x H x W input to the E-channel embedding in `out`. */
static void build_features(builder *b, int input, int out) {
    const adn_arch *a = &b->m->arch;
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
    graph *g = b->g;
    int h = g->v[x].h, w = g->v[x].w;
    int cat = new_value(g, 2560, h, w);
    if (cat < 0) {
        fail_oom(b);
        return;
    }
    conv(b, "head.0.conv1", x, new_view(g, cat, 0, 512), -1, ADN_ACT_LEAKY);
    conv(b, "head.0.conv2", x, new_view(g, cat, 512, 512), -1, ADN_ACT_LEAKY);
    conv(b, "head.0.conv3", x, new_view(g, cat, 1024, 512), -1, ADN_ACT_LEAKY);
    conv(b, "head.0.conv4", x, new_view(g, cat, 1536, 512), -1, ADN_ACT_LEAKY);
    int pooled =
        simple_step(b, ADN_STEP_GAP, "image_pooling.gap", "aspp", x, new_value(g, 2048, 1, 1));
    int pv = conv(b, "head.0.image_pooling", pooled, -1, -1, ADN_ACT_LEAKY);
    simple_step(b, ADN_STEP_RESIZE, "image_pooling.upsample", "aspp", pv,
                new_view(g, cat, 2048, 512));
    int y = conv(b, "head.0.conv_bn_dropout", cat, -1, -1, ADN_ACT_LEAKY);
    conv(b, "head.1", y, out, -1, ADN_ACT_NONE);
}

static int attention(builder *b, int x0, int xt, int out_anchor, int out_self) {
    if (b->st != ADNET_OK) return -1;
    gstep *s = new_step(b->g, ADN_STEP_ATTENTION, "attention", "attention");
    if (!s) return fail_oom(b);
    s->in = x0;
    s->in2 = xt;
    s->out = out_anchor;
    s->out2 = out_self;
    const gvalue *v = &b->g->v[xt];
    int mkv = v->h * v->w, e = v->c;
    int mq = x0 >= 0 ? b->g->v[x0].h * b->g->v[x0].w : mkv;
    s->info.macs = (out_anchor >= 0 ? adn_attention_macs(e, mq, mkv) : 0) +
                   (out_self >= 0 ? adn_attention_macs(e, mkv, mkv) : 0);
    return 0;
}

static adnet_status build_graph(adnet_model *m, graph *g, adn_graph_kind kind, int width,
                                int height, int fh, int fw) {
    builder b = {m, g, ADNET_OK};
    const adn_arch *a = &m->arch;
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

/* ---- memory planning ---------------------------------------------------------------- */

typedef struct block {
    size_t off, size;
} block;

static size_t align_up(size_t n) {
    return (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}

static void touch(graph *g, int id, int step, int writes) {
    if (id < 0) return;
    int r = root_of(g, id);
    gvalue *v = &g->v[r];
    if (v->first < 0 || (writes && step < v->first)) v->first = step;
    if (step > v->last) v->last = step;
}

/* The free blocks of the arena, sorted by offset and never adjacent (merged on release). */
typedef struct free_list {
    block *b;
    int n, cap;
    size_t end; /* the arena's size so far */
} free_list;

static size_t take(free_list *f, size_t need) {
    int best = -1;
    for (int k = 0; k < f->n; k++)
        if (f->b[k].size >= need && (best < 0 || f->b[k].size < f->b[best].size)) best = k;
    if (best >= 0) {
        size_t off = f->b[best].off;
        f->b[best].off += need;
        f->b[best].size -= need;
        if (f->b[best].size == 0) {
            memmove(&f->b[best], &f->b[best + 1], (size_t)(f->n - best - 1) * sizeof *f->b);
            f->n--;
        }
        return off;
    }
    /* nothing fits: grow the arena, starting inside a free block that ends at its end */
    if (f->n > 0 && f->b[f->n - 1].off + f->b[f->n - 1].size == f->end) {
        size_t off = f->b[f->n - 1].off;
        f->n--;
        f->end = off + need;
        return off;
    }
    size_t off = f->end;
    f->end += need;
    return off;
}

static int give_back(free_list *f, size_t off, size_t size) {
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 64;
        block *grown = realloc(f->b, (size_t)cap * sizeof *grown);
        if (!grown) return -1;
        f->b = grown;
        f->cap = cap;
    }
    int k = 0;
    while (k < f->n && f->b[k].off < off) k++;
    memmove(&f->b[k + 1], &f->b[k], (size_t)(f->n - k) * sizeof *f->b);
    f->b[k] = (block){off, size};
    f->n++;
    if (k + 1 < f->n && f->b[k].off + f->b[k].size == f->b[k + 1].off) {
        f->b[k].size += f->b[k + 1].size;
        memmove(&f->b[k + 1], &f->b[k + 2], (size_t)(f->n - k - 2) * sizeof *f->b);
        f->n--;
    }
    if (k > 0 && f->b[k - 1].off + f->b[k - 1].size == f->b[k].off) {
        f->b[k - 1].size += f->b[k].size;
        memmove(&f->b[k], &f->b[k + 1], (size_t)(f->n - k - 1) * sizeof *f->b);
        f->n--;
    }
    return 0;
}

/* Liveness-based placement: walking the steps in order, each root takes the best-fitting free
 * block when it is first written and gives it back after its last read. Outputs of a step are
 * placed before that step's dead inputs are freed, so an op never reads and writes the same
 * memory. */
static adnet_status plan_memory(graph *g) {
    for (int i = 0; i < g->ns; i++) {
        gstep *s = &g->s[i];
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

    free_list f = {0};
    for (int step = -1; step <= g->ns; step++) {
        for (int id = 0; id < g->nv; id++) {
            gvalue *v = &g->v[id];
            if (v->parent < 0 && !v->external && v->first == step)
                v->off = take(&f, align_up((size_t)v->c * v->h * v->w));
        }
        for (int id = 0; id < g->nv; id++) {
            gvalue *v = &g->v[id];
            if (v->parent >= 0 || v->external || v->last != step) continue;
            if (give_back(&f, v->off, align_up((size_t)v->c * v->h * v->w)) != 0) {
                free(f.b);
                return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
            }
        }
    }
    free(f.b);
    g->arena_floats = f.end;
    /* views sit inside their root */
    for (int id = 0; id < g->nv; id++) {
        gvalue *v = &g->v[id];
        if (v->parent < 0) continue;
        size_t off = 0;
        int k = id;
        while (g->v[k].parent >= 0) {
            const gvalue *p = &g->v[g->v[k].parent];
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
        const gvalue *o = &g->v[g->s[i].out >= 0 ? g->s[i].out : g->s[i].out2];
        g->infos[i].out_c = o->c;
        g->infos[i].out_h = o->h;
        g->infos[i].out_w = o->w;
    }
    return ADNET_OK;
}

/* ---- weights ------------------------------------------------------------------------ */

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

/* Packs the folded layers into as few buffers as the device's largest allocation allows. */
static adnet_status upload_weights(adnet_model *m, const adn_weights *w) {
    const adnet_device_info *in = &m->dev->entry.info;
    size_t cap = in->max_alloc_bytes ? (size_t)(in->max_alloc_bytes / sizeof(float)) : (1u << 28);
    if (cap > (1u << 28)) cap = 1u << 28; /* 1 GiB per buffer is plenty */
    int *buf_of = calloc((size_t)m->n_layers, sizeof *buf_of);
    size_t *off_of = calloc((size_t)m->n_layers, sizeof *off_of);
    if (!buf_of || !off_of) {
        free(buf_of);
        free(off_of);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    int nb = 0;
    size_t used = 0, largest = 0;
    for (int i = 0; i < m->n_layers; i++) {
        size_t need = layer_floats(&m->layers[i]);
        if (need > largest) largest = need;
        if (nb == 0 || used + need > cap) {
            if (nb == (int)(sizeof m->weight_bufs / sizeof m->weight_bufs[0]) || need > cap) {
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
        m->weight_buf_floats[nb - 1] = used;
    }
    adnet_status st = ADNET_OK;
    for (int k = 0; k < nb && st == ADNET_OK; k++) {
        st = adn_buffer_alloc(m->dev, m->weight_buf_floats[k] * sizeof(float), &m->weight_bufs[k]);
        if (st == ADNET_OK) {
            m->n_weight_bufs = k + 1;
            m->weight_bytes += m->weight_buf_floats[k] * sizeof(float);
        }
    }
    float *host = st == ADNET_OK ? malloc(largest * sizeof *host) : NULL;
    if (st == ADNET_OK && !host) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    for (int i = 0; i < m->n_layers && st == ADNET_OK; i++) {
        const adn_layer_desc *d = &m->layers[i];
        size_t wn = (size_t)d->shape.cout * d->shape.cin * d->shape.kh * d->shape.kw;
        size_t woff = off_of[i], boff = off_of[i] + align_up(wn);
        int has_bias = 0;
        st = fold_layer(w, d, host, host + align_up(wn), &has_bias);
        if (st == ADNET_OK && d->shape.kh > 1) /* OIHW as read, OHIW as adn_conv takes it */
            st = reorder_weight(&d->shape, host, wn);
        if (st == ADNET_OK)
            st = adn_buffer_write(m->dev, m->weight_bufs[buf_of[i]], woff * sizeof(float),
                                  layer_floats(d) * sizeof(float), host);
        adn_conv_weights *cw = &m->convs[i];
        cw->shape = d->shape;
        cw->weight = m->weight_bufs[buf_of[i]];
        cw->weight_off = woff;
        cw->bias = has_bias ? m->weight_bufs[buf_of[i]] : NULL;
        cw->bias_off = boff;
    }
    free(host);
    free(buf_of);
    free(off_of);
    return st;
}

adnet_status adn_model_create(adn_device *dev, const adn_weights *weights, const adn_arch *arch,
                              adnet_model **out) {
    *out = NULL;
    adnet_model *m = calloc(1, sizeof *m);
    if (!m) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    m->dev = dev;
    m->arch = *arch;
    /* im2col chunks stay under 64 MiB, or an eighth of the largest allocation */
    size_t cap = (size_t)16 << 20;
    size_t dev_cap = (size_t)(dev->entry.info.max_alloc_bytes / sizeof(float) / 8);
    if (dev_cap && dev_cap < cap) cap = dev_cap;
    m->scratch_cap = cap;
    adnet_status st = adn_arch_layers(arch, &m->layers, &m->n_layers);
    if (st == ADNET_OK) {
        m->convs = calloc((size_t)m->n_layers, sizeof *m->convs);
        if (!m->convs) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    if (st == ADNET_OK) st = upload_weights(m, weights);
    if (st != ADNET_OK) {
        adnet_model_free(m);
        return st;
    }
    *out = m;
    return ADNET_OK;
}

const adn_arch *adn_model_arch(const adnet_model *m) {
    return &m->arch;
}

adn_device *adn_model_device(const adnet_model *m) {
    return m->dev;
}

/* ---- planning and running ------------------------------------------------------------ */

static void feature_size(int width, int height, int *fw, int *fh) {
    /* conv1 (3x3 stride 2 pad 1), max pool (3x3/2/1, ceil), layer2's stride-2 3x3 conv */
    int w = adn_conv_out_dim(width, 3, 2, 1, 1), h = adn_conv_out_dim(height, 3, 2, 1, 1);
    w = adn_pool_out_dim_ceil(w, 3, 2, 1);
    h = adn_pool_out_dim_ceil(h, 3, 2, 1);
    *fw = adn_conv_out_dim(w, 3, 2, 1, 1);
    *fh = adn_conv_out_dim(h, 3, 2, 1, 1);
}

void adnet_feature_size(int width, int height, int *feat_w, int *feat_h) {
    feature_size(width, height, feat_w, feat_h);
}

static plan *find_plan(adnet_model *m, int width, int height) {
    for (int i = 0; i < m->n_plans; i++)
        if (m->plans[i].width == width && m->plans[i].height == height) return &m->plans[i];
    return NULL;
}

adnet_status adn_model_prepare(adnet_model *m, int width, int height) {
    if (find_plan(m, width, height)) return ADNET_OK;
    if (width < 1 || height < 1 || width > 16384 || height > 16384)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unsupported input size %dx%d", width, height);
    if (m->n_plans == MAX_PLANS) { /* the oldest plan goes */
        graph_free(&m->plans[0].g[0]);
        graph_free(&m->plans[0].g[1]);
        memmove(&m->plans[0], &m->plans[1], (MAX_PLANS - 1) * sizeof m->plans[0]);
        m->n_plans--;
    }
    plan *p = &m->plans[m->n_plans];
    memset(p, 0, sizeof *p);
    p->width = width;
    p->height = height;
    feature_size(width, height, &p->feat_w, &p->feat_h);
    adnet_status st = ADNET_OK;
    for (int k = 0; k < 2 && st == ADNET_OK; k++) {
        st = build_graph(m, &p->g[k], (adn_graph_kind)k, width, height, p->feat_h, p->feat_w);
        if (st == ADNET_OK) st = plan_memory(&p->g[k]);
    }
    if (st != ADNET_OK) {
        graph_free(&p->g[0]);
        graph_free(&p->g[1]);
        return adn_fail_context(st, "planning the model for %dx%d: ", width, height);
    }
    size_t need =
        p->g[0].arena_floats > p->g[1].arena_floats ? p->g[0].arena_floats : p->g[1].arena_floats;
    if (need > m->arena_floats) {
        /* the arena grows to the largest plan; the queue must be idle before it is replaced */
        cl_mem grown;
        ADN_TRY(adn_finish(m->dev));
        adn_buffer_free(m->dev, m->arena, m->arena_floats * sizeof(float));
        m->arena = NULL;
        m->arena_floats = 0;
        st = adn_buffer_alloc(m->dev, need * sizeof(float), &grown);
        if (st != ADNET_OK) {
            graph_free(&p->g[0]);
            graph_free(&p->g[1]);
            return adn_fail_context(st, "input %dx%d needs %.0f MiB of activations: ", width,
                                    height, (double)need * 4 / (1 << 20));
        }
        m->arena = grown;
        m->arena_floats = need;
    }
    m->n_plans++;
    return ADNET_OK;
}

static adn_tensor tensor_of(const adnet_model *m, const graph *g, int id, const anchor_slot *a) {
    const gvalue *v = &g->v[id];
    adn_tensor t = {v->external ? a->mem : m->arena, v->off, v->c, v->h, v->w};
    return t;
}

static adnet_status run_graph(adnet_model *m, const graph *g, const anchor_slot *a) {
    for (int i = 0; i < g->ns; i++) {
        const gstep *s = &g->s[i];
        adn_device_set_step(m->dev, i);
        adn_tensor in = s->in >= 0 ? tensor_of(m, g, s->in, a) : (adn_tensor){0};
        adn_tensor out = s->out >= 0 ? tensor_of(m, g, s->out, a) : (adn_tensor){0};
        adnet_status st = ADNET_OK;
        switch (s->info.op) {
            case ADN_STEP_CONV: {
                adn_tensor res = s->res >= 0 ? tensor_of(m, g, s->res, a) : (adn_tensor){0};
                adn_tensor scr = s->scratch >= 0 ? tensor_of(m, g, s->scratch, a) : (adn_tensor){0};
                st = adn_conv(m->dev, &m->convs[s->layer], &in, &out, s->res >= 0 ? &res : NULL,
                              s->act, scr.mem, scr.off, s->scratch_floats);
                break;
            }
            case ADN_STEP_MAXPOOL:
                st = adn_maxpool(m->dev, &in, &out, s->pool_k, s->pool_stride, s->pool_pad);
                break;
            case ADN_STEP_GAP:
                st = adn_global_avgpool(m->dev, &in, &out);
                break;
            case ADN_STEP_RESIZE:
                st = adn_resize_bilinear(m->dev, &in, &out);
                break;
            case ADN_STEP_COPY:
                st = adn_copy(m->dev, &in, &out);
                break;
            case ADN_STEP_ATTENTION: {
                adn_tensor xt = tensor_of(m, g, s->in2, a);
                adn_tensor o2 = s->out2 >= 0 ? tensor_of(m, g, s->out2, a) : (adn_tensor){0};
                st = adn_attention(m->dev, s->in >= 0 ? &in : NULL, &xt, s->out >= 0 ? &out : NULL,
                                   s->out2 >= 0 ? &o2 : NULL);
                break;
            }
        }
        if (st != ADNET_OK) {
            adn_device_set_step(m->dev, -1);
            return adn_fail_context(st, "step %d (%s): ", i, s->info.name);
        }
    }
    adn_device_set_step(m->dev, -1);
    return ADNET_OK;
}

static adnet_status check_slot(adnet_model *m, int slot) {
    if (slot < 0 || slot >= ADN_MAX_ANCHORS)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "anchor slot %d out of range", slot);
    (void)m;
    return ADNET_OK;
}

adnet_status adn_model_anchor(adnet_model *m, int slot, const float *input, int width, int height) {
    ADN_TRY(check_slot(m, slot));
    ADN_TRY(adn_model_prepare(m, width, height));
    plan *p = find_plan(m, width, height);
    anchor_slot *a = &m->anchors[slot];
    a->valid = 0;
    if (m->arch.kind == ADNET_MODEL_BASE) { /* base ignores the anchor */
        a->width = width;
        a->height = height;
        a->valid = 1;
        return ADNET_OK;
    }
    size_t need = (size_t)m->arch.embed * p->feat_h * p->feat_w;
    if (a->floats != need) {
        adn_buffer_free(m->dev, a->mem, a->floats * sizeof(float));
        a->mem = NULL;
        a->floats = 0;
        ADN_TRY(adn_buffer_alloc(m->dev, need * sizeof(float), &a->mem));
        a->floats = need;
    }
    const graph *g = &p->g[ADN_GRAPH_ANCHOR];
    const gvalue *in = &g->v[g->input];
    ADN_TRY(adn_buffer_write(m->dev, m->arena, in->off * sizeof(float),
                             (size_t)3 * width * height * sizeof(float), input));
    ADN_TRY(run_graph(m, g, a));
    ADN_TRY(adn_finish(m->dev));
    a->width = width;
    a->height = height;
    a->valid = 1;
    return ADNET_OK;
}

adnet_status adn_model_submit(adnet_model *m, int slot, const float *input, int width, int height,
                              float *logits, cl_event *done) {
    *done = NULL;
    ADN_TRY(check_slot(m, slot));
    anchor_slot *a = &m->anchors[slot];
    if (!a->valid)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "no anchor frame set (slot %d)", slot);
    if (a->width != width || a->height != height)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "frame size %dx%d differs from the anchor's %dx%d", width, height, a->width,
                        a->height);
    ADN_TRY(adn_model_prepare(m, width, height));
    plan *p = find_plan(m, width, height);
    const graph *g = &p->g[ADN_GRAPH_FRAME];
    const gvalue *in = &g->v[g->input];
    /* the upload must not block: the previous frame may still be computing */
    cl_event ev = NULL;
    ADN_CL(clEnqueueWriteBuffer(m->dev->queue, m->arena, CL_FALSE, in->off * sizeof(float),
                                (size_t)3 * width * height * sizeof(float), input, 0, NULL,
                                adn_device_event_slot(m->dev, &ev)),
           "clEnqueueWriteBuffer(frame)");
    adn_device_trace(m->dev, ev);
    ADN_TRY(run_graph(m, g, a));
    const gvalue *o = &g->v[g->output];
    ADN_CL(clEnqueueReadBuffer(m->dev->queue, m->arena, CL_FALSE, o->off * sizeof(float),
                               (size_t)o->c * o->h * o->w * sizeof(float), logits, 0, NULL, done),
           "clEnqueueReadBuffer(logits)");
    ADN_CL(clFlush(m->dev->queue), "clFlush");
    return ADNET_OK;
}

adnet_status adn_model_steps(adnet_model *m, int width, int height, adn_graph_kind g,
                             const adn_step_info **steps, int *n) {
    ADN_TRY(adn_model_prepare(m, width, height));
    plan *p = find_plan(m, width, height);
    *steps = p->g[g].infos;
    *n = p->g[g].ns;
    return ADNET_OK;
}

adnet_status adn_model_memory(adnet_model *m, int width, int height, uint64_t *arena_bytes,
                              uint64_t *weight_bytes) {
    ADN_TRY(adn_model_prepare(m, width, height));
    plan *p = find_plan(m, width, height);
    size_t a =
        p->g[0].arena_floats > p->g[1].arena_floats ? p->g[0].arena_floats : p->g[1].arena_floats;
    *arena_bytes = (uint64_t)a * sizeof(float);
    *weight_bytes = m->weight_bytes;
    return ADNET_OK;
}

/* ---- the public API ------------------------------------------------------------------ */

adnet_status adnet_model_load(const char *weights_path, adnet_model_kind kind, int device_index,
                              adnet_model **out) {
    *out = NULL;
    adn_weights *w;
    ADN_TRY(adn_weights_open(weights_path, &w));
    adn_arch arch;
    adnet_status st = adn_weights_arch(w, kind, &arch);
    /* every tensor is checked before any device memory is taken */
    if (st == ADNET_OK) st = adn_weights_check(w, &arch);
    adn_device *dev = NULL;
    if (st == ADNET_OK) st = adn_device_open(device_index, 0, &dev);
    adnet_model *m = NULL;
    if (st == ADNET_OK) st = adn_model_create(dev, w, &arch, &m);
    adn_weights_close(w);
    if (st != ADNET_OK) {
        adn_device_close(dev);
        return st;
    }
    m->owns_device = 1;
    *out = m;
    return ADNET_OK;
}

void adnet_model_free(adnet_model *m) {
    if (!m) return;
    if (m->dev) adn_finish(m->dev);
    for (int i = 0; i < m->n_plans; i++) {
        graph_free(&m->plans[i].g[0]);
        graph_free(&m->plans[i].g[1]);
    }
    for (int i = 0; i < ADN_MAX_ANCHORS; i++)
        adn_buffer_free(m->dev, m->anchors[i].mem, m->anchors[i].floats * sizeof(float));
    adn_buffer_free(m->dev, m->arena, m->arena_floats * sizeof(float));
    for (int k = 0; k < m->n_weight_bufs; k++)
        adn_buffer_free(m->dev, m->weight_bufs[k], m->weight_buf_floats[k] * sizeof(float));
    free(m->convs);
    free(m->layers);
    if (m->owns_device) adn_device_close(m->dev);
    free(m);
}

adnet_status adnet_model_get_info(const adnet_model *m, adnet_model_info *info) {
    memset(info, 0, sizeof *info);
    info->kind = m->arch.kind;
    info->depth = m->arch.depth;
    info->embed = m->arch.embed;
    info->params = adn_arch_param_count(&m->arch);
    snprintf(info->device, sizeof info->device, "%s", m->dev->entry.info.name);
    return ADNET_OK;
}

adnet_status adnet_model_set_anchor(adnet_model *m, const float *input, int width, int height) {
    return adn_model_anchor(m, 0, input, width, height);
}

adnet_status adnet_model_run(adnet_model *m, const float *input, int width, int height,
                             float *logits) {
    cl_event done;
    ADN_TRY(adn_model_submit(m, 0, input, width, height, logits, &done));
    cl_int err = clWaitForEvents(1, &done);
    clReleaseEvent(done);
    if (err != CL_SUCCESS) return adn_cl_fail(err, "running the model");
    return ADNET_OK;
}
