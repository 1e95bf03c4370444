/* The model: weights on a device, the planned graphs of every input size used (the newest
 * eight), one arena for their activations, and the anchor slots. */
#include "model.h"

#include "buffers.h"
#include "executor.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PLANS 8

typedef struct plan {
    int width, height, feat_w, feat_h;
    adn_graph g[2];
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
    adn_device_weights weights;
    size_t scratch_cap; /* floats */
    plan plans[MAX_PLANS];
    int n_plans;
    cl_mem arena;
    size_t arena_floats;
    anchor_slot anchors[ADN_MAX_ANCHORS];
};

adnet_status adn_model_create(adn_device *dev, const adn_weights *weights, const adn_arch *arch,
                              adnet_model **out) {
    *out = NULL;
    adnet_model *m = calloc(1, sizeof *m);
    if (!m) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    m->dev = dev;
    m->arch = *arch;
    /* im2col chunks stay under the profile's cap */
    m->scratch_cap = dev->profile.scratch_cap_bytes / sizeof(float);
    adnet_status st = adn_arch_layers(arch, &m->layers, &m->n_layers);
    if (st == ADNET_OK)
        st = adn_device_weights_upload(dev, weights, m->layers, m->n_layers, &m->weights);
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

void adn_model_adopt_device(adnet_model *m) {
    m->owns_device = 1;
}

void adnet_model_free(adnet_model *m) {
    if (!m) return;
    if (m->dev) adn_finish(m->dev);
    for (int i = 0; i < m->n_plans; i++) {
        adn_graph_free(&m->plans[i].g[0]);
        adn_graph_free(&m->plans[i].g[1]);
    }
    for (int i = 0; i < ADN_MAX_ANCHORS; i++)
        adn_buffer_free(m->dev, m->anchors[i].mem, m->anchors[i].floats * sizeof(float));
    adn_buffer_free(m->dev, m->arena, m->arena_floats * sizeof(float));
    adn_device_weights_free(m->dev, &m->weights);
    free(m->layers);
    if (m->owns_device) adn_device_close(m->dev);
    free(m);
}

/* ---- planning and running ------------------------------------------------------------ */

static plan *find_plan(adnet_model *m, int width, int height) {
    for (int i = 0; i < m->n_plans; i++)
        if (m->plans[i].width == width && m->plans[i].height == height) return &m->plans[i];
    return NULL;
}

/* The multiply-adds each step computes on this model's device, by the path adn_conv takes. */
static void count_executed(const adnet_model *m, adn_graph *g) {
    for (int i = 0; i < g->ns; i++) {
        const adn_gstep *s = &g->s[i];
        adn_step_info *info = &g->infos[i];
        info->exec_macs = info->macs;
        if (s->info.op == ADN_STEP_CONV && s->layer >= 0 && s->layer < m->weights.n_convs) {
            const adn_gvalue *in = &g->v[s->in];
            info->exec_macs = adn_conv_executed_macs(m->dev, &m->weights.convs[s->layer], in->h,
                                                     in->w, s->scratch_floats);
        }
    }
}

adnet_status adn_model_prepare(adnet_model *m, int width, int height) {
    if (find_plan(m, width, height)) return ADNET_OK;
    if (width < 1 || height < 1 || width > 16384 || height > 16384)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unsupported input size %dx%d", width, height);
    if (m->n_plans == MAX_PLANS) { /* the oldest plan goes */
        adn_graph_free(&m->plans[0].g[0]);
        adn_graph_free(&m->plans[0].g[1]);
        memmove(&m->plans[0], &m->plans[1], (MAX_PLANS - 1) * sizeof m->plans[0]);
        m->n_plans--;
    }
    plan *p = &m->plans[m->n_plans];
    memset(p, 0, sizeof *p);
    p->width = width;
    p->height = height;
    adn_feature_size(width, height, &p->feat_w, &p->feat_h);
    adnet_status st = ADNET_OK;
    for (int k = 0; k < 2 && st == ADNET_OK; k++) {
        st = adn_graph_build(&p->g[k], &m->arch, m->layers, m->n_layers, m->scratch_cap,
                             (adn_graph_kind)k, width, height);
        if (st == ADNET_OK) st = adn_graph_plan(&p->g[k]);
        if (st == ADNET_OK) count_executed(m, &p->g[k]);
    }
    if (st != ADNET_OK) {
        adn_graph_free(&p->g[0]);
        adn_graph_free(&p->g[1]);
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
            adn_graph_free(&p->g[0]);
            adn_graph_free(&p->g[1]);
            return adn_fail_context(st, "input %dx%d needs %.0f MiB of activations: ", width,
                                    height, (double)need * 4 / (1 << 20));
        }
        m->arena = grown;
        m->arena_floats = need;
    }
    m->n_plans++;
    return ADNET_OK;
}

static adnet_status check_slot(adnet_model *m, int slot) {
    if (slot < 0 || slot >= ADN_MAX_ANCHORS)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "anchor slot %d out of range", slot);
    (void)m;
    return ADNET_OK;
}

size_t adn_model_anchor_floats(const adnet_model *m, int width, int height) {
    if (m->arch.kind == ADNET_MODEL_BASE) return 0; /* base ignores the anchor */
    int fw, fh;
    adn_feature_size(width, height, &fw, &fh);
    return (size_t)m->arch.embed * (size_t)fh * (size_t)fw;
}

/* Makes slot's buffer the size of an embedding for width x height; the slot is invalid until
 * filled. */
static adnet_status slot_for(adnet_model *m, int slot, int width, int height, anchor_slot **out) {
    ADN_TRY(check_slot(m, slot));
    ADN_TRY(adn_model_prepare(m, width, height));
    anchor_slot *a = &m->anchors[slot];
    a->valid = 0;
    size_t need = adn_model_anchor_floats(m, width, height);
    if (need && a->floats != need) {
        adn_buffer_free(m->dev, a->mem, a->floats * sizeof(float));
        a->mem = NULL;
        a->floats = 0;
        ADN_TRY(adn_buffer_alloc(m->dev, need * sizeof(float), &a->mem));
        a->floats = need;
    }
    *out = a;
    return ADNET_OK;
}

adnet_status adn_model_anchor_write(adnet_model *m, int slot, const float *embedding, int width,
                                    int height) {
    anchor_slot *a;
    ADN_TRY(slot_for(m, slot, width, height, &a));
    size_t n = adn_model_anchor_floats(m, width, height);
    if (n) ADN_TRY(adn_buffer_write(m->dev, a->mem, 0, n * sizeof(float), embedding));
    a->width = width;
    a->height = height;
    a->valid = 1;
    return ADNET_OK;
}

adnet_status adn_model_anchor_read(adnet_model *m, int slot, float *embedding) {
    ADN_TRY(check_slot(m, slot));
    const anchor_slot *a = &m->anchors[slot];
    if (!a->valid)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "no anchor frame set (slot %d)", slot);
    size_t n = adn_model_anchor_floats(m, a->width, a->height);
    if (n) ADN_TRY(adn_buffer_read(m->dev, a->mem, 0, n * sizeof(float), embedding));
    return ADNET_OK;
}

adnet_status adn_model_anchor(adnet_model *m, int slot, const float *input, int width, int height) {
    anchor_slot *a;
    ADN_TRY(slot_for(m, slot, width, height, &a));
    if (m->arch.kind == ADNET_MODEL_BASE) { /* base ignores the anchor */
        a->width = width;
        a->height = height;
        a->valid = 1;
        return ADNET_OK;
    }
    plan *p = find_plan(m, width, height);
    const adn_graph *g = &p->g[ADN_GRAPH_ANCHOR];
    const adn_gvalue *in = &g->v[g->input];
    ADN_TRY(adn_buffer_write(m->dev, m->arena, in->off * sizeof(float),
                             (size_t)3 * width * height * sizeof(float), input));
    ADN_TRY(adn_graph_run(m->dev, g, m->weights.convs, m->arena, a->mem));
    ADN_TRY(adn_finish(m->dev));
    a->width = width;
    a->height = height;
    a->valid = 1;
    return ADNET_OK;
}

adnet_status adn_model_submit(adnet_model *m, int slot, const float *input, int width, int height,
                              float *logits, adn_event *done) {
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
    const adn_graph *g = &p->g[ADN_GRAPH_FRAME];
    const adn_gvalue *in = &g->v[g->input];
    /* the upload must not block: the previous frame may still be computing */
    ADN_TRY(adn_buffer_write_async(m->dev, m->arena, in->off * sizeof(float),
                                   (size_t)3 * width * height * sizeof(float), input));
    ADN_TRY(adn_graph_run(m->dev, g, m->weights.convs, m->arena, a->mem));
    const adn_gvalue *o = &g->v[g->output];
    ADN_TRY(adn_buffer_read_async(m->dev, m->arena, o->off * sizeof(float),
                                  (size_t)o->c * o->h * o->w * sizeof(float), logits, done));
    return adn_flush(m->dev);
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
    *weight_bytes = m->weights.bytes;
    return ADNET_OK;
}
