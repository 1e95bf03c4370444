/* The anchor-diffusion attention (adn_attention in ops.h): argument checks, the choice of
 * tile sizes for a device, and the launch of cl/attention.cl. */
#include "attention.h"

#include "checks.h"
#include "status.h"

#include <math.h>
#include <stdint.h>

double adn_attention_macs(int e, int mq, int mkv) {
    return 2.0 * (double)mq * (double)mkv * (double)e;
}

/* Local memory of one work-group, in floats (see the layout in cl/attention.cl). */
static size_t tiled_local_floats(int e, int nrb, int ng, int bk) {
    size_t rows = (size_t)ADN_ATTN_VEC * (size_t)nrb;
    return (size_t)e * rows               /* qs */
           + (size_t)e * ((size_t)bk + 1) /* ks */
           + (size_t)bk * rows            /* ss */
           + (size_t)ng * rows            /* pmax */
           + 2 * rows;                    /* rowm, alpha */
}

adnet_status adn_attention_device_limits(adn_device *dev, adn_attention_limits *lim) {
    cl_kernel k;
    adn_kernel_limits kl;
    ADN_TRY(adn_kernel(dev, "attention_tiled", &k));
    ADN_TRY(adn_kernel_get_limits(dev, k, "attention_tiled", &kl));
    uint64_t local = dev->entry.info.local_mem_bytes;
    lim->wg_max = kl.work_group;
    lim->item_max[0] = dev->entry.max_work_items[0];
    lim->item_max[1] = dev->entry.max_work_items[1];
    lim->local_bytes = local > kl.local_bytes_used ? local - kl.local_bytes_used : 0;
    return ADNET_OK;
}

static adnet_status check_e_branches(int e, int branches) {
    if (e < 1 || (branches != 1 && branches != 2))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "attention plan: E = %d and %d branches (E >= 1, 1 or 2 branches)", e,
                        branches);
    return ADNET_OK;
}

adnet_status adn_attention_plan_check(const adn_attention_limits *lim, int e, int branches,
                                      const adn_attention_plan *p) {
    ADN_TRY(check_e_branches(e, branches));
    if (p->kernel != ADN_ATTN_TILED) return ADNET_OK;
    if (p->nrb < 1 || p->ng < 1 || p->bk < 1 || p->bq < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "attention plan: nrb %d, ng %d, bq %d, bk %d must be positive", p->nrb,
                        p->ng, p->bq, p->bk);
    if ((long)p->ng * ADN_ATTN_COLS < e)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "attention plan: ng %d covers %d channels, E is %d", p->ng,
                        p->ng * ADN_ATTN_COLS, e);
    if ((long)p->bk > (long)p->ng * ADN_ATTN_COLS)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "attention plan: bk %d exceeds the %d keys ng %d covers", p->bk,
                        p->ng * ADN_ATTN_COLS, p->ng);
    if ((long)p->bq * branches != (long)ADN_ATTN_VEC * p->nrb)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "attention plan: bq %d x %d branches must equal %d rows x nrb %d", p->bq,
                        branches, ADN_ATTN_VEC, p->nrb);
    if ((size_t)p->nrb * (size_t)p->ng > lim->wg_max || (size_t)p->nrb > lim->item_max[0] ||
        (size_t)p->ng > lim->item_max[1])
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "attention plan: work-group %d x %d exceeds the device's limits "
                        "(%zu work-items, %zu x %zu)",
                        p->nrb, p->ng, lim->wg_max, lim->item_max[0], lim->item_max[1]);
    size_t bytes = tiled_local_floats(e, p->nrb, p->ng, p->bk) * sizeof(float);
    if (bytes > lim->local_bytes)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "attention plan: %zu bytes of local memory, the device offers %llu", bytes,
                        (unsigned long long)lim->local_bytes);
    return ADNET_OK;
}

adnet_status adn_attention_choose(const adn_device_profile *prof, const adn_attention_limits *lim,
                                  int e, int branches, adn_attention_plan *plan) {
    adn_attention_plan p = {0};
    ADN_TRY(check_e_branches(e, branches));
    /* the channels (and the keys of a tile) are spread over ng work-items, 4 each */
    size_t ng = ((size_t)e + ADN_ATTN_COLS - 1) / ADN_ATTN_COLS;
    if (ng <= lim->item_max[1] && ng <= lim->wg_max && lim->item_max[0] >= 1) {
        size_t nrb = (size_t)prof->attn_target_threads / ng;
        if (nrb > lim->wg_max / ng) nrb = lim->wg_max / ng;
        if (nrb > lim->item_max[0]) nrb = lim->item_max[0];
        if (nrb > (size_t)prof->attn_max_nrb) nrb = (size_t)prof->attn_max_nrb;
        if (nrb < 1) nrb = 1;
        size_t bk = ng * ADN_ATTN_COLS;
        if (bk > (size_t)prof->attn_max_bk) bk = (size_t)prof->attn_max_bk;
        for (;;) {
            size_t bytes = tiled_local_floats(e, (int)nrb, (int)ng, (int)bk) * sizeof(float);
            if (bytes <= lim->local_bytes) {
                p.kernel = ADN_ATTN_TILED;
                p.nrb = (int)nrb;
                p.ng = (int)ng;
                p.bk = (int)bk;
                p.bq = ADN_ATTN_VEC * (int)nrb / branches;
                p.local_bytes = bytes;
                break;
            }
            if (bk > (size_t)prof->attn_min_preferred_bk)
                bk /= 2;
            else if (nrb > 1)
                nrb /= 2;
            else if (bk > 1)
                bk /= 2;
            else
                break; /* not even one key column fits: the fallback */
        }
    }
    *plan = p;
    return ADNET_OK;
}

adnet_status adn_attention_plan_for(adn_device *dev, int e, int branches,
                                    adn_attention_plan *plan) {
    const adn_device_profile *prof = &dev->profile;
    if (prof->attention != ADN_ATTN_TILED) {
        /* attention_rows (a CPU's shape: it runs attention_tiled's work-groups as loops over
         * their work-items, between barriers; see cl/attention.cl) or the direct kernel */
        ADN_TRY(check_e_branches(e, branches));
        adn_attention_plan p = {0};
        p.kernel = prof->attention;
        *plan = p;
        return ADNET_OK;
    }
    adn_attention_limits lim;
    ADN_TRY(adn_attention_device_limits(dev, &lim));
    return adn_attention_choose(prof, &lim, e, branches, plan);
}

/* ---- argument checks ------------------------------------------------------------------ */

/* x0 (when out_anchor is asked for) and xt: usable, inside their buffers, with one E;
 * outputs shaped like their queries (out_anchor like x0, out_self like xt), apart from the
 * inputs and from each other. */
static adnet_status check_args(const adn_tensor *x0, const adn_tensor *xt,
                               const adn_tensor *out_anchor, const adn_tensor *out_self) {
    const char *op = "attention";
    if (!xt) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "attention: xt is missing");
    ADN_TRY(adn_check_tensor(xt, op, "xt"));
    ADN_TRY(adn_check_in_buffer(xt, op, "xt"));
    if (out_anchor) {
        if (!x0)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "attention: out_anchor is requested but x0 is missing");
        ADN_TRY(adn_check_tensor(x0, op, "x0"));
        ADN_TRY(adn_check_in_buffer(x0, op, "x0"));
        if (x0->c != xt->c)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "attention: x0 has %d channels, xt has %d (the same E is needed)",
                            x0->c, xt->c);
        ADN_TRY(adn_check_tensor(out_anchor, op, "out_anchor"));
        ADN_TRY(adn_check_shape(out_anchor, x0->c, x0->h, x0->w, op, "out_anchor"));
        ADN_TRY(adn_check_in_buffer(out_anchor, op, "out_anchor"));
        ADN_TRY(adn_check_disjoint(out_anchor, x0, op, "out_anchor", "x0"));
        ADN_TRY(adn_check_disjoint(out_anchor, xt, op, "out_anchor", "xt"));
    }
    if (out_self) {
        ADN_TRY(adn_check_tensor(out_self, op, "out_self"));
        ADN_TRY(adn_check_shape(out_self, xt->c, xt->h, xt->w, op, "out_self"));
        ADN_TRY(adn_check_in_buffer(out_self, op, "out_self"));
        ADN_TRY(adn_check_disjoint(out_self, xt, op, "out_self", "xt"));
        if (out_anchor && x0) ADN_TRY(adn_check_disjoint(out_self, x0, op, "out_self", "x0"));
        if (out_anchor)
            ADN_TRY(adn_check_disjoint(out_self, out_anchor, op, "out_self", "out_anchor"));
    }
    return ADNET_OK;
}

/* ---- launch --------------------------------------------------------------------------- */

/* Sets the arguments both kernels share (the first 13) and returns the number of query
 * positions to cover. Unused output or input slots get a valid buffer the kernel never
 * touches. */
static adnet_status set_common_args(cl_kernel k, const char *name, const adn_tensor *x0,
                                    const adn_tensor *xt, const adn_tensor *out_anchor,
                                    const adn_tensor *out_self, size_t *mq) {
    const adn_tensor *q0 = out_anchor ? x0 : xt;
    const adn_tensor *o0 = out_anchor ? out_anchor : out_self;
    const adn_tensor *o1 = out_self ? out_self : out_anchor;
    cl_uint x0_off = (cl_uint)q0->off, m0 = (cl_uint)((size_t)q0->h * (size_t)q0->w);
    cl_uint xt_off = (cl_uint)xt->off, mt = (cl_uint)((size_t)xt->h * (size_t)xt->w);
    cl_uint out0_off = (cl_uint)o0->off, out1_off = (cl_uint)o1->off;
    cl_uint e_dim = (cl_uint)xt->c, first = out_anchor ? 0u : 1u;
    /* scores in base 2: exp(s / sqrt(E)) = exp2(s * log2(e) / sqrt(E)) */
    cl_float scale = (cl_float)(1.4426950408889634 / sqrt((double)xt->c));
    const size_t u = sizeof(cl_uint), b = sizeof(cl_mem);
    size_t sizes[] = {b, u, u, b, u, u, b, u, b, u, u, u, sizeof scale};
    const void *vals[] = {&q0->mem,  &x0_off,  &m0,       &xt->mem, &xt_off, &mt,   &o0->mem,
                          &out0_off, &o1->mem, &out1_off, &e_dim,   &first,  &scale};
    ADN_TRY(adn_set_args(k, name, 13, sizes, vals));
    *mq = out_anchor ? m0 : mt;
    if (out_self && mt > *mq) *mq = mt;
    return ADNET_OK;
}

/* Enqueues the plan on checked arguments. */
static adnet_status launch(adn_device *dev, const adn_attention_plan *plan, const adn_tensor *x0,
                           const adn_tensor *xt, const adn_tensor *out_anchor,
                           const adn_tensor *out_self) {
    const int branches = (out_anchor != NULL) + (out_self != NULL);
    const char *name = plan->kernel == ADN_ATTN_TILED  ? "attention_tiled"
                       : plan->kernel == ADN_ATTN_ROWS ? "attention_rows"
                                                       : "attention_direct";
    cl_kernel k;
    ADN_TRY(adn_kernel(dev, name, &k));
    size_t mq;
    ADN_TRY(set_common_args(k, name, x0, xt, out_anchor, out_self, &mq));
    if (plan->kernel == ADN_ATTN_DIRECT) {
        size_t global[2] = {mq, (size_t)branches};
        return adn_enqueue(dev, k, 2, global, NULL, name);
    }
    if (plan->kernel == ADN_ATTN_ROWS) {
        /* 16 query rows per work-item: 8 positions of each branch when both are asked for
         * (they share the tiles of Xt), else 16 positions of the one (argument 13, both) */
        cl_uint both = branches == 2;
        ADN_TRY(adn_set_arg(k, name, 13, sizeof both, &both));
        size_t per_item = both ? 8 : 16;
        size_t global[2] = {(mq + per_item - 1) / per_item, 1};
        size_t local[2] = {1, 1};
        return adn_enqueue(dev, k, 2, global, local, name);
    }
    cl_uint bq = (cl_uint)plan->bq, bk = (cl_uint)plan->bk;
    const size_t f = sizeof(float), e = (size_t)xt->c, bkz = (size_t)plan->bk;
    const size_t rows = (size_t)ADN_ATTN_VEC * (size_t)plan->nrb;
    /* arguments 13.. : bq, bk, then the local buffers qs, ks, ss, pmax, rowm, alpha */
    size_t sizes[] = {sizeof bq,         sizeof bk,      f * e * rows,
                      f * e * (bkz + 1), f * bkz * rows, f * (size_t)plan->ng * rows,
                      f * rows,          f * rows};
    const void *vals[] = {&bq, &bk, NULL, NULL, NULL, NULL, NULL, NULL};
    ADN_TRY(adn_set_args_from(k, name, 13, 8, sizes, vals));
    size_t groups = (mq + (size_t)plan->bq - 1) / (size_t)plan->bq;
    size_t local[2] = {(size_t)plan->nrb, (size_t)plan->ng};
    size_t global[2] = {groups * local[0], local[1]};
    return adn_enqueue(dev, k, 2, global, local, name);
}

adnet_status adn_attention_with_plan(adn_device *dev, const adn_attention_plan *plan,
                                     const adn_tensor *x0, const adn_tensor *xt,
                                     const adn_tensor *out_anchor, const adn_tensor *out_self) {
    ADN_TRY(check_args(x0, xt, out_anchor, out_self));
    if (!out_anchor && !out_self) return ADNET_OK; /* nothing asked for */
    const int branches = (out_anchor != NULL) + (out_self != NULL);
    adn_attention_limits lim;
    ADN_TRY(adn_attention_device_limits(dev, &lim));
    ADN_TRY(adn_attention_plan_check(&lim, xt->c, branches, plan));
    return launch(dev, plan, x0, xt, out_anchor, out_self);
}

adnet_status adn_attention(adn_device *dev, const adn_tensor *x0, const adn_tensor *xt,
                           const adn_tensor *out_anchor, const adn_tensor *out_self) {
    ADN_TRY(check_args(x0, xt, out_anchor, out_self));
    if (!out_anchor && !out_self) return ADNET_OK; /* nothing asked for */
    const int branches = (out_anchor != NULL) + (out_self != NULL);
    adn_attention_plan plan;
    ADN_TRY(adn_attention_plan_for(dev, xt->c, branches, &plan));
    return launch(dev, &plan, x0, xt, out_anchor, out_self);
}
