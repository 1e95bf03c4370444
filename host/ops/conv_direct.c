#include "conv_direct.h"

#include "conv_taps.h"
#include "gemm_onednn.h"
#include "native.h"
#include "status.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int adn_conv_direct_pays(const adn_conv_shape *s) {
    /* the fitted rule (docs/benchmarks.md, "oneDNN's convolution primitives"): the wide
     * dilations and the strided convolutions */
    return s->dilation >= 8 || s->stride > 1;
}

#ifndef ADNET_HAVE_ONEDNN

int adn_conv_direct_eligible(const adn_conv_shape *s) {
    (void)s;
    return 0;
}

adnet_status adn_conv_direct_create(adn_conv_direct **out) {
    *out = NULL;
    return adn_fail(ADNET_ERR_INTERNAL, "oneDNN's convolution: oneDNN is not built in");
}

void adn_conv_direct_free(adn_conv_direct *d) {
    (void)d;
}

adnet_status adn_conv_direct_run(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                                 const adn_tensor *y, const adn_tensor *residual,
                                 adn_activation act, const char *desc) {
    (void)dev, (void)cw, (void)x, (void)y, (void)residual, (void)act;
    return adn_fail(ADNET_ERR_INTERNAL, "%s: oneDNN's convolution is not built in", desc);
}

#else

#include <dnnl.h>
#include <omp.h>

int adn_conv_direct_eligible(const adn_conv_shape *s) {
    return s->kh > 1 || s->kw > 1;
}

/* What one input size needs: the convolution and the two reorders around it, and memory
 * objects whose addresses are set at each run. */
typedef struct direct_size {
    int h, w, relu;
    dnnl_primitive_t conv, src_in, dst_out;
    dnnl_memory_desc_t wmd; /* the weights' layout this size's primitive takes */
    size_t src_bytes, dst_bytes;
    dnnl_memory_t x, src, wts, bias, dst, y;
} direct_size;

enum { MAX_SIZES = 4 };

struct adn_conv_direct {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    void *wblk; /* the weights in wblk_md's layout, NULL until the first run */
    dnnl_memory_desc_t wblk_md;
    direct_size sizes[MAX_SIZES];
    int n_sizes, next; /* next: the size replaced when all are taken */
};

/* The native kernel's arguments: the buffers' handles, then (native.h) their host addresses. */
typedef struct direct_args {
    void *x, *y, *w, *bias, *res; /* bias, res: NULL when absent */
    size_t x_off, y_off, w_off, bias_off, res_off;
    adn_conv_shape shape;
    int from_taps, h, wd, oh, ow, act, threads;
    adn_conv_direct *d;
    adn_device *dev;
    char what[96];
} direct_args;

adnet_status adn_conv_direct_create(adn_conv_direct **out) {
    adn_conv_direct *d = calloc(1, sizeof *d);
    if (!d) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (dnnl_engine_create(&d->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&d->stream, d->eng, dnnl_stream_default_flags) != dnnl_success) {
        adn_conv_direct_free(d);
        return adn_fail(ADNET_ERR_DEVICE, "oneDNN's CPU engine could not be created");
    }
    *out = d;
    return ADNET_OK;
}

static void size_free(direct_size *z) {
    dnnl_primitive_t prims[3] = {z->conv, z->src_in, z->dst_out};
    for (int i = 0; i < 3; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[6] = {z->x, z->src, z->wts, z->bias, z->dst, z->y};
    for (int i = 0; i < 6; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    memset(z, 0, sizeof *z);
}

void adn_conv_direct_free(adn_conv_direct *d) {
    if (!d) return;
    for (int i = 0; i < d->n_sizes; i++) size_free(&d->sizes[i]);
    if (d->stream) dnnl_stream_destroy(d->stream);
    if (d->eng) dnnl_engine_destroy(d->eng);
    free(d->wblk);
    free(d);
}

/* A reorder primitive from one layout to another. */
static dnnl_status_t make_reorder(dnnl_engine_t eng, const dnnl_memory_desc_t *from,
                                  const dnnl_memory_desc_t *to, dnnl_primitive_t *out) {
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_reorder_primitive_desc_create(&pd, from, eng, to, eng, NULL);
    if (st != dnnl_success) return st;
    st = dnnl_primitive_create(out, pd);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

#define TRY_DNNL(call)                                                                             \
    do {                                                                                           \
        dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success) return st_;                                                       \
    } while (0)

/* The primitives for one input size: the convolution with every tensor in the layout oneDNN
 * picks (bias, and the activation as its post-op where no residual comes after), and the
 * reorders of the source from NCHW and of the destination to NCHW. */
static dnnl_status_t make_size(const adn_conv_direct *d, const direct_args *g, direct_size *z) {
    const adn_conv_shape *s = &g->shape;
    z->h = g->h, z->w = g->wd;
    z->relu = !g->res && g->act != ADN_ACT_NONE;
    dnnl_dims_t sd = {1, s->cin, g->h, g->wd}, wd = {s->cout, s->cin, s->kh, s->kw}, bd = {s->cout},
                dd = {1, s->cout, g->oh, g->ow};
    dnnl_memory_desc_t x_md, y_md, src_any, dst_any, w_any, b_md;
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&x_md, 4, sd, dnnl_f32, dnnl_nchw));
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&y_md, 4, dd, dnnl_f32, dnnl_nchw));
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&src_any, 4, sd, dnnl_f32, dnnl_format_tag_any));
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&dst_any, 4, dd, dnnl_f32, dnnl_format_tag_any));
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    TRY_DNNL(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    /* oneDNN counts dilation from 0 (no gaps) */
    dnnl_dims_t strides = {s->stride, s->stride}, dil = {s->dilation - 1, s->dilation - 1},
                pad = {s->pad, s->pad};
    dnnl_convolution_desc_t cd;
    TRY_DNNL(dnnl_dilated_convolution_forward_desc_init(
        &cd, dnnl_forward_inference, dnnl_convolution_direct, &src_any, &w_any,
        g->bias ? &b_md : NULL, &dst_any, strides, dil, pad, pad));
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_status_t st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success && z->relu) {
        /* ReLU with a slope below zero is the leaky one */
        float alpha = g->act == ADN_ACT_LEAKY ? ADN_LEAKY_SLOPE : 0.0f;
        st = dnnl_post_ops_create(&po);
        if (st == dnnl_success)
            st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, alpha, 0.0f);
        if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(attr, po);
    }
    dnnl_primitive_desc_t pd = NULL;
    if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &cd, attr, d->eng, NULL);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) return st;
    const dnnl_memory_desc_t *src_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dst_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    z->wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    z->src_bytes = (dnnl_memory_desc_get_size(src_md) + 63) / 64 * 64;
    z->dst_bytes = dnnl_memory_desc_get_size(dst_md);
    st = dnnl_primitive_create(&z->conv, pd);
    if (st == dnnl_success) st = make_reorder(d->eng, &x_md, src_md, &z->src_in);
    if (st == dnnl_success) st = make_reorder(d->eng, dst_md, &y_md, &z->dst_out);
    if (st == dnnl_success) st = dnnl_memory_create(&z->x, &x_md, d->eng, DNNL_MEMORY_NONE);
    if (st == dnnl_success) st = dnnl_memory_create(&z->src, src_md, d->eng, DNNL_MEMORY_NONE);
    if (st == dnnl_success) st = dnnl_memory_create(&z->wts, &z->wmd, d->eng, DNNL_MEMORY_NONE);
    if (st == dnnl_success && g->bias)
        st = dnnl_memory_create(&z->bias, &b_md, d->eng, DNNL_MEMORY_NONE);
    if (st == dnnl_success) st = dnnl_memory_create(&z->dst, dst_md, d->eng, DNNL_MEMORY_NONE);
    if (st == dnnl_success) st = dnnl_memory_create(&z->y, &y_md, d->eng, DNNL_MEMORY_NONE);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

/* The primitives for this run's input size (and activation), made on its first run. */
static dnnl_status_t find_size(adn_conv_direct *d, const direct_args *g, direct_size **out) {
    const int relu = !g->res && g->act != ADN_ACT_NONE;
    for (int i = 0; i < d->n_sizes; i++) {
        direct_size *z = &d->sizes[i];
        if (z->h == g->h && z->w == g->wd && z->relu == relu) {
            *out = z;
            return dnnl_success;
        }
    }
    direct_size *z = &d->sizes[d->n_sizes < MAX_SIZES ? d->n_sizes++ : d->next];
    if (d->n_sizes == MAX_SIZES) d->next = (d->next + 1) % MAX_SIZES;
    size_free(z);
    dnnl_status_t st = make_size(d, g, z);
    if (st != dnnl_success) {
        size_free(z);
        /* a zeroed entry matches no size: it is made again next time */
        return st;
    }
    *out = z;
    return dnnl_success;
}

/* The weights in the layout of z's primitive, reordered from adnet's form (the tap form's
 * [ky kx][o][i] or the plain [o][ky][i][kx], both described by their strides) when they are
 * not there yet. */
static dnnl_status_t ensure_weights(adn_conv_direct *d, const direct_args *g,
                                    const direct_size *z) {
    if (d->wblk && dnnl_memory_desc_equal(&d->wblk_md, &z->wmd)) return dnnl_success;
    const adn_conv_shape *s = &g->shape;
    dnnl_dims_t dims = {s->cout, s->cin, s->kh, s->kw};
    dnnl_dim_t cin = s->cin, cout = s->cout, kh = s->kh, kw = s->kw;
    dnnl_dims_t taps = {cin, 1, kw * cout * cin, cout * cin};
    dnnl_dims_t plain = {kh * cin * kw, kw, cin * kw, 1};
    dnnl_memory_desc_t from;
    TRY_DNNL(
        dnnl_memory_desc_init_by_strides(&from, 4, dims, dnnl_f32, g->from_taps ? taps : plain));
    size_t bytes = (dnnl_memory_desc_get_size(&z->wmd) + 63) / 64 * 64;
    void *blk = aligned_alloc(64, bytes);
    if (!blk) return dnnl_out_of_memory;
    dnnl_memory_t src = NULL, dst = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_status_t st = dnnl_memory_create(&src, &from, d->eng, (float *)g->w + g->w_off);
    if (st == dnnl_success) st = dnnl_memory_create(&dst, &z->wmd, d->eng, blk);
    if (st == dnnl_success) st = make_reorder(d->eng, &from, &z->wmd, &r);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
        st = dnnl_primitive_execute(r, d->stream, 2, args);
    }
    if (st == dnnl_success) st = dnnl_stream_wait(d->stream);
    if (r) dnnl_primitive_destroy(r);
    if (src) dnnl_memory_destroy(src);
    if (dst) dnnl_memory_destroy(dst);
    if (st != dnnl_success) {
        free(blk);
        return st;
    }
    free(d->wblk);
    d->wblk = blk;
    d->wblk_md = z->wmd;
    return dnnl_success;
}

static dnnl_status_t run(const direct_args *g) {
    adn_conv_direct *d = g->d;
    direct_size *z;
    TRY_DNNL(find_size(d, g, &z));
    TRY_DNNL(ensure_weights(d, g, z));
    unsigned char *ws = adn_native_workspace(g->dev, z->src_bytes + z->dst_bytes);
    if (!ws) return dnnl_out_of_memory;
    float *x = (float *)g->x + g->x_off, *y = (float *)g->y + g->y_off;
    TRY_DNNL(dnnl_memory_set_data_handle(z->x, x));
    TRY_DNNL(dnnl_memory_set_data_handle(z->src, ws));
    TRY_DNNL(dnnl_memory_set_data_handle(z->wts, d->wblk));
    TRY_DNNL(dnnl_memory_set_data_handle(z->dst, ws + z->src_bytes));
    TRY_DNNL(dnnl_memory_set_data_handle(z->y, y));
    if (z->bias) TRY_DNNL(dnnl_memory_set_data_handle(z->bias, (float *)g->bias + g->bias_off));
    dnnl_exec_arg_t in[2] = {{DNNL_ARG_FROM, z->x}, {DNNL_ARG_TO, z->src}};
    dnnl_exec_arg_t conv[4] = {{DNNL_ARG_SRC, z->src},
                               {DNNL_ARG_WEIGHTS, z->wts},
                               {DNNL_ARG_DST, z->dst},
                               {DNNL_ARG_BIAS, z->bias}};
    dnnl_exec_arg_t out[2] = {{DNNL_ARG_FROM, z->dst}, {DNNL_ARG_TO, z->y}};
    TRY_DNNL(dnnl_primitive_execute(z->src_in, d->stream, 2, in));
    TRY_DNNL(dnnl_primitive_execute(z->conv, d->stream, z->bias ? 4 : 3, conv));
    TRY_DNNL(dnnl_primitive_execute(z->dst_out, d->stream, 2, out));
    return dnnl_stream_wait(d->stream);
}

static void run_direct(void *p) {
    const direct_args *g = p;
    /* oneDNN threads its primitives itself (one parallel region each) on the OpenMP threads
     * this thread may start: the device's compute units */
    omp_set_num_threads(g->threads);
    dnnl_status_t st = run(g);
    if (st != dnnl_success) {
        adn_onednn_report(g->dev, st, g->what);
        return;
    }
    if (!g->res) return; /* the activation, if any, was the primitive's post-op */
    const size_t plane = (size_t)g->oh * (size_t)g->ow;
    const float *res = (const float *)g->res + g->res_off;
    float *y = (float *)g->y + g->y_off;
#pragma omp parallel num_threads(g->threads)
    {
        size_t r0, r1;
        adn_thread_share((size_t)g->shape.cout, 1, omp_get_thread_num(), omp_get_num_threads(), &r0,
                         &r1);
        adn_onednn_epilogue(y, plane, r0, r1, 0, plane, NULL, res, g->act);
    }
}

adnet_status adn_conv_direct_run(adn_device *dev, const adn_conv_weights *cw, const adn_tensor *x,
                                 const adn_tensor *y, const adn_tensor *residual,
                                 adn_activation act, const char *desc) {
    cl_mem wmem = cw->taps ? cw->taps : cw->weight;
    if (!cw->direct || !wmem || dev->profile.gemm != ADN_GEMM_ONEDNN)
        return adn_fail(ADNET_ERR_INTERNAL, "%s: oneDNN's convolution cannot run here", desc);
    direct_args g;
    memset(&g, 0, sizeof g);
    cl_mem mems[5];
    size_t at[5];
    int n = 0;
#define ADD_MEM(field, mem)                                                                        \
    do {                                                                                           \
        g.field = (void *)(mem);                                                                   \
        mems[n] = (mem);                                                                           \
        at[n++] = offsetof(direct_args, field);                                                    \
    } while (0)
    ADD_MEM(x, x->mem);
    ADD_MEM(y, y->mem);
    ADD_MEM(w, wmem);
    if (residual) ADD_MEM(res, residual->mem);
    if (cw->bias) ADD_MEM(bias, cw->bias);
#undef ADD_MEM
    g.x_off = x->off, g.y_off = y->off, g.res_off = residual ? residual->off : 0;
    g.w_off = cw->taps ? cw->taps_off : cw->weight_off, g.bias_off = cw->bias_off;
    g.shape = cw->shape, g.from_taps = cw->taps != NULL;
    g.h = x->h, g.wd = x->w, g.oh = y->h, g.ow = y->w, g.act = (int)act;
    g.threads = adn_onednn_threads(dev);
    g.d = cw->direct;
    g.dev = dev;
    snprintf(g.what, sizeof g.what, "%.64s as oneDNN's convolution", desc);
    return adn_enqueue_native(dev, run_direct, &g, sizeof g, n, mems, at, "conv_onednn");
}

#endif
