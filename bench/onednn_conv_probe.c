/* oneDNN's own convolution primitives on every convolution of the R101 network that costs
 * something, at one input size, on this CPU: what adnet would get by handing a whole layer to
 * oneDNN instead of its im2col / Winograd / tap products with dnnl_sgemm (issue 23, point 3).
 *
 * Each layer is timed three ways, oneDNN threading itself over all cores, best of 5 runs after
 * one untimed run, bias and ReLU fused as oneDNN's post-op:
 *   plain    source and destination in adnet's layout (NCHW), weights in oneDNN's choice;
 *   blocked  every tensor in oneDNN's choice (nChw16c on AVX-512), the primitive alone;
 *   +reorder the blocked primitive plus reordering its source in and its destination out, the
 *            price of one layer in blocked form inside a network kept in NCHW;
 *   sgemm    (1x1 stride 1 only) the way adnet's engine runs them now: dnnl_sgemm on each
 *            thread's share of the columns, then bias and ReLU on it.
 * The sums per layer group (weighted by how often each shape occurs in a frame) compare with
 * the groups of `adnet bench --json` on the same machine (docs/benchmarks.md, "oneDNN's
 * convolution primitives"):
 *
 *   cc -O2 bench/onednn_conv_probe.c -ldnnl -fopenmp -o /tmp/onednn_conv_probe
 *   /tmp/onednn_conv_probe 321x177
 */
#include "onednn_probe.h"

#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One convolution shape of the network: the map level its input is at (0 the frame, 1 after
 * the stem's stride-2 convolution, 2 after the max pool, 3 after layer2's stride 2) and how
 * many times a frame runs it. ResNet-101 with output stride 8 (layer3 dilation 2, layer4
 * dilation 4) and the ASPP at 12/24/36, as host/model/arch.c builds it. */
struct layer {
    const char *group, *name;
    int cin, cout, k, stride, dilation, level, count;
};

static const struct layer layers[] = {
    {"stem", "conv1 3x3/2", 3, 64, 3, 2, 1, 0, 1},
    {"stem", "conv2 3x3", 64, 64, 3, 1, 1, 1, 1},
    {"stem", "conv3 3x3", 64, 128, 3, 1, 1, 1, 1},
    {"layer1", "0.conv1 1x1", 128, 64, 1, 1, 1, 2, 1},
    {"layer1", "conv1 1x1", 256, 64, 1, 1, 1, 2, 2},
    {"layer1", "conv2 3x3", 64, 64, 3, 1, 1, 2, 3},
    {"layer1", "conv3 1x1", 64, 256, 1, 1, 1, 2, 3},
    {"layer1", "downsample", 128, 256, 1, 1, 1, 2, 1},
    {"layer2", "0.conv1 1x1", 256, 128, 1, 1, 1, 2, 1},
    {"layer2", "0.conv2 3x3/2", 128, 128, 3, 2, 1, 2, 1},
    {"layer2", "downsample/2", 256, 512, 1, 2, 1, 2, 1},
    {"layer2", "conv1 1x1", 512, 128, 1, 1, 1, 3, 3},
    {"layer2", "conv2 3x3", 128, 128, 3, 1, 1, 3, 3},
    {"layer2", "conv3 1x1", 128, 512, 1, 1, 1, 3, 4},
    {"layer3", "0.conv1 1x1", 512, 256, 1, 1, 1, 3, 1},
    {"layer3", "conv1 1x1", 1024, 256, 1, 1, 1, 3, 22},
    {"layer3", "conv2 3x3 d2", 256, 256, 3, 1, 2, 3, 23},
    {"layer3", "conv3 1x1", 256, 1024, 1, 1, 1, 3, 23},
    {"layer3", "downsample", 512, 1024, 1, 1, 1, 3, 1},
    {"layer4", "0.conv1 1x1", 1024, 512, 1, 1, 1, 3, 1},
    {"layer4", "conv1 1x1", 2048, 512, 1, 1, 1, 3, 2},
    {"layer4", "conv2 3x3 d4", 512, 512, 3, 1, 4, 3, 3},
    {"layer4", "conv3 1x1", 512, 2048, 1, 1, 1, 3, 3},
    {"layer4", "downsample", 1024, 2048, 1, 1, 1, 3, 1},
    {"aspp", "conv1 1x1", 2048, 512, 1, 1, 1, 3, 1},
    {"aspp", "conv2 3x3 d12", 2048, 512, 3, 1, 12, 3, 1},
    {"aspp", "conv3 3x3 d24", 2048, 512, 3, 1, 24, 3, 1},
    {"aspp", "conv4 3x3 d36", 2048, 512, 3, 1, 36, 3, 1},
    {"aspp", "project 1x1", 2560, 512, 1, 1, 1, 3, 1},
};

static dnnl_engine_t eng;
static dnnl_stream_t stream;

static float *filled(size_t n) {
    float *p = malloc(sizeof(float) * n);
    if (!p) {
        fprintf(stderr, "onednn_conv_probe: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)(i % 17) * 0.01f - 0.08f;
    return p;
}

/* Seconds of the best of 5 runs of a primitive (after one untimed run). */
static double best_of(dnnl_primitive_t prim, int nargs, const dnnl_exec_arg_t *args) {
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        double t0 = now_s();
        must(dnnl_primitive_execute(prim, stream, nargs, args), "execute");
        must(dnnl_stream_wait(stream), "wait");
        double t = now_s() - t0;
        if (r > 0 && t < best) best = t;
    }
    return best;
}

/* Seconds of reordering a tensor from one layout to another (best of 5). */
static double reorder_s(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, float *buf) {
    if (dnnl_memory_desc_equal(from, to)) return 0.0;
    dnnl_primitive_desc_t pd;
    must(dnnl_reorder_primitive_desc_create(&pd, from, eng, to, eng, NULL), "reorder desc");
    dnnl_primitive_t prim;
    must(dnnl_primitive_create(&prim, pd), "reorder");
    dnnl_memory_t a, b;
    must(dnnl_memory_create(&a, from, eng, DNNL_MEMORY_ALLOCATE), "reorder source");
    must(dnnl_memory_create(&b, to, eng, DNNL_MEMORY_ALLOCATE), "reorder destination");
    void *h;
    must(dnnl_memory_get_data_handle(a, &h), "handle");
    memcpy(h, buf,
           dnnl_memory_desc_get_size(from) < dnnl_memory_desc_get_size(to)
               ? dnnl_memory_desc_get_size(from)
               : dnnl_memory_desc_get_size(to));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
    double t = best_of(prim, 2, args);
    dnnl_memory_destroy(a);
    dnnl_memory_destroy(b);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    return t;
}

/* Seconds of a 1x1 convolution made the way adnet's CPU engine makes it (gemm_onednn.c): the
 * columns shared among the threads of one parallel region, each a sequential dnnl_sgemm on its
 * share then bias and ReLU on it while in cache (best of 5). */
static double sgemm_s(const struct layer *l, int h, int w) {
    long m = l->cout, k = l->cin, n = (long)h * w;
    float *a = filled((size_t)(m * k)), *b = filled((size_t)(k * n)), *c = filled((size_t)(m * n));
    float *bias = filled((size_t)m);
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        double t0 = now_s();
#pragma omp parallel
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            long units = (n + 63) / 64, c0 = units * t / nt * 64, c1 = units * (t + 1) / nt * 64;
            if (c1 > n) c1 = n;
            if (c0 < c1) {
                dnnl_sgemm('N', 'N', m, c1 - c0, k, 1.0f, a, k, b + c0, n, 0.0f, c + c0, n);
                for (long i = 0; i < m; i++)
                    for (long j = c0; j < c1; j++) {
                        float v = c[i * n + j] + bias[i];
                        c[i * n + j] = v > 0.0f ? v : 0.0f;
                    }
            }
        }
        double t = now_s() - t0;
        if (r > 0 && t < best) best = t;
    }
    free(a), free(b), free(c), free(bias);
    return best;
}

/* Times one layer; blocked != 0 lets oneDNN choose the activations' layout. Returns the
 * primitive's seconds, and in *reorders those of moving its source and destination between
 * NCHW and that layout. */
static double conv_s(const struct layer *l, int h, int w, int blocked, double *reorders, char *impl,
                     size_t impl_size) {
    int pad = l->k == 1 ? 0 : (l->stride == 2 ? 1 : l->dilation);
    int oh = (h + 2 * pad - l->dilation * (l->k - 1) - 1) / l->stride + 1;
    int ow = (w + 2 * pad - l->dilation * (l->k - 1) - 1) / l->stride + 1;
    dnnl_dims_t sd = {1, l->cin, h, w}, wd = {l->cout, l->cin, l->k, l->k}, bd = {l->cout},
                dd = {1, l->cout, oh, ow};
    dnnl_memory_desc_t src_plain, dst_plain, src_any, dst_any, wts_any, bias;
    must(dnnl_memory_desc_init_by_tag(&src_plain, 4, sd, dnnl_f32, dnnl_nchw), "src md");
    must(dnnl_memory_desc_init_by_tag(&dst_plain, 4, dd, dnnl_f32, dnnl_nchw), "dst md");
    must(dnnl_memory_desc_init_by_tag(&src_any, 4, sd, dnnl_f32, dnnl_format_tag_any), "src");
    must(dnnl_memory_desc_init_by_tag(&dst_any, 4, dd, dnnl_f32, dnnl_format_tag_any), "dst");
    must(dnnl_memory_desc_init_by_tag(&wts_any, 4, wd, dnnl_f32, dnnl_format_tag_any), "wts");
    must(dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_x), "bias md");
    dnnl_dims_t strides = {l->stride, l->stride}, dil = {l->dilation - 1, l->dilation - 1},
                pads = {pad, pad};
    dnnl_convolution_desc_t cd;
    must(dnnl_dilated_convolution_forward_desc_init(
             &cd, dnnl_forward_inference, dnnl_convolution_direct, blocked ? &src_any : &src_plain,
             &wts_any, &bias, blocked ? &dst_any : &dst_plain, strides, dil, pads, pads),
         "convolution descriptor");
    dnnl_post_ops_t po;
    must(dnnl_post_ops_create(&po), "post-ops");
    must(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), "relu");
    dnnl_primitive_attr_t attr;
    must(dnnl_primitive_attr_create(&attr), "attributes");
    must(dnnl_primitive_attr_set_post_ops(attr, po), "attach post-ops");
    dnnl_primitive_desc_t pd;
    must(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL), "convolution primitive desc");
    const char *name = "";
    must(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name), "implementation");
    snprintf(impl, impl_size, "%s", name);
    const dnnl_memory_desc_t *src_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *wts_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dst_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    dnnl_primitive_t prim;
    must(dnnl_primitive_create(&prim, pd), "convolution primitive");
    dnnl_memory_t sm, wm, bm, dm;
    must(dnnl_memory_create(&sm, src_md, eng, DNNL_MEMORY_ALLOCATE), "source");
    must(dnnl_memory_create(&wm, wts_md, eng, DNNL_MEMORY_ALLOCATE), "weights");
    must(dnnl_memory_create(&bm, &bias, eng, DNNL_MEMORY_ALLOCATE), "bias");
    must(dnnl_memory_create(&dm, dst_md, eng, DNNL_MEMORY_ALLOCATE), "destination");
    size_t biggest = dnnl_memory_desc_get_size(src_md);
    if (dnnl_memory_desc_get_size(wts_md) > biggest) biggest = dnnl_memory_desc_get_size(wts_md);
    if (dnnl_memory_desc_get_size(dst_md) > biggest) biggest = dnnl_memory_desc_get_size(dst_md);
    float *fill = filled(biggest / sizeof(float) + 1);
    dnnl_memory_t mems[3] = {sm, wm, bm};
    const dnnl_memory_desc_t *mds[3] = {src_md, wts_md, &bias};
    for (int i = 0; i < 3; i++) {
        void *hnd;
        must(dnnl_memory_get_data_handle(mems[i], &hnd), "handle");
        memcpy(hnd, fill, dnnl_memory_desc_get_size(mds[i]));
    }
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, dm}};
    double t = best_of(prim, 4, args);
    *reorders =
        blocked ? reorder_s(&src_plain, src_md, fill) + reorder_s(dst_md, &dst_plain, fill) : 0.0;
    free(fill);
    dnnl_memory_destroy(sm);
    dnnl_memory_destroy(wm);
    dnnl_memory_destroy(bm);
    dnnl_memory_destroy(dm);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    dnnl_post_ops_destroy(po);
    return t;
}

int main(int argc, char **argv) {
    int w = 321, h = 177;
    if (argc > 1 && sscanf(argv[1], "%dx%d", &w, &h) != 2) {
        fprintf(stderr, "usage: onednn_conv_probe [WxH]\n");
        return 2;
    }
    int lh[4] = {h}, lw[4] = {w};
    for (int i = 1; i < 4; i++) {
        lh[i] = (lh[i - 1] - 1) / 2 + 1;
        lw[i] = (lw[i - 1] - 1) / 2 + 1;
    }
    must(dnnl_engine_create(&eng, dnnl_cpu, 0), "engine");
    must(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags), "stream");
    printf("%dx%d, %d threads; ms per run (x count in a frame)\n", w, h, omp_get_max_threads());
    printf("%-7s %-14s %5s %8s %8s %9s %8s  %s | %s\n", "group", "layer", "count", "plain",
           "blocked", "+reorder", "sgemm", "plain implementation", "blocked implementation");
    const char *groups[] = {"stem", "layer1", "layer2", "layer3", "layer4", "aspp"};
    double sum[6][3] = {{0}};
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        const struct layer *l = &layers[i];
        char ip[64], ib[64];
        double r0, r1;
        double p = conv_s(l, lh[l->level], lw[l->level], 0, &r0, ip, sizeof ip);
        double b = conv_s(l, lh[l->level], lw[l->level], 1, &r1, ib, sizeof ib);
        double g = l->k == 1 && l->stride == 1 ? sgemm_s(l, lh[l->level], lw[l->level]) : 0.0;
        printf("%-7s %-14s %5d %8.2f %8.2f %9.2f %8.2f  %s | %s\n", l->group, l->name, l->count,
               1e3 * p, 1e3 * b, 1e3 * (b + r1), 1e3 * g, ip, ib);
        for (int g = 0; g < 6; g++)
            if (!strcmp(groups[g], l->group)) {
                sum[g][0] += l->count * p;
                sum[g][1] += l->count * b;
                sum[g][2] += l->count * (b + r1);
            }
    }
    printf("\nms per frame per group\n%-7s %8s %8s %9s\n", "group", "plain", "blocked", "+reorder");
    for (int g = 0; g < 6; g++)
        printf("%-7s %8.1f %8.1f %9.1f\n", groups[g], 1e3 * sum[g][0], 1e3 * sum[g][1],
               1e3 * sum[g][2]);
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    return 0;
}
