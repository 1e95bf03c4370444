/* oneDNN's two ways to multiply matrices, on the network's product shapes, on this CPU:
 * dnnl_sgemm (what adnet's CPU engine calls) and the matmul primitive (brgemm kernels), each
 * threaded by oneDNN itself over all cores, best of 5 calls after one untimed call. Used to
 * choose the call (docs/benchmarks.md, "oneDNN as the CPU engine"):
 *
 *   cc -O2 bench/onednn_gemm_probe.c -ldnnl -fopenmp -o /tmp/onednn_gemm_probe
 *   /tmp/onednn_gemm_probe
 */
#include "onednn_probe.h"

#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* GFLOP/s of the matmul primitive on row-major m x k times k x n */
static double matmul_gflops(dnnl_engine_t eng, dnnl_stream_t stream, long m, long n, long k,
                            float *a, float *b, float *c, const char **impl) {
    dnnl_memory_desc_t ad, bd, cd;
    dnnl_dims_t da = {m, k}, db = {k, n}, dc = {m, n};
    dnnl_dims_t sa = {k, 1}, sb = {n, 1}, sc = {n, 1};
    must(dnnl_memory_desc_init_by_strides(&ad, 2, da, dnnl_f32, sa), "A's descriptor");
    must(dnnl_memory_desc_init_by_strides(&bd, 2, db, dnnl_f32, sb), "B's descriptor");
    must(dnnl_memory_desc_init_by_strides(&cd, 2, dc, dnnl_f32, sc), "C's descriptor");
    dnnl_matmul_desc_t md;
    must(dnnl_matmul_desc_init(&md, &ad, &bd, NULL, &cd), "matmul descriptor");
    dnnl_primitive_desc_t pd;
    must(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL), "matmul primitive descriptor");
    must(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, impl), "its implementation");
    dnnl_primitive_t prim;
    must(dnnl_primitive_create(&prim, pd), "matmul primitive");
    dnnl_memory_t am, bm, cm;
    must(dnnl_memory_create(&am, &ad, eng, a), "A");
    must(dnnl_memory_create(&bm, &bd, eng, b), "B");
    must(dnnl_memory_create(&cm, &cd, eng, c), "C");
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}};
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        double t0 = now_s();
        must(dnnl_primitive_execute(prim, stream, 3, args), "matmul");
        must(dnnl_stream_wait(stream), "stream wait");
        if (r > 0 && now_s() - t0 < best) best = now_s() - t0;
    }
    dnnl_memory_destroy(am);
    dnnl_memory_destroy(bm);
    dnnl_memory_destroy(cm);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    return 2.0 * (double)m * (double)n * (double)k / best * 1e-9;
}

int main(void) {
    /* M N K: 2048^3; layer3's 1x1 convolutions at 857x481; a 3x3's im2col chunk; one of
     * Winograd's 36 products; layer4's 1x1 convolutions at 321x177 */
    static const long shapes[][3] = {{2048, 2048, 2048}, {256, 6588, 1024}, {1024, 6588, 256},
                                     {256, 1600, 2304},  {256, 400, 256},   {2048, 943, 512},
                                     {512, 943, 2048}};
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    must(dnnl_engine_create(&eng, dnnl_cpu, 0), "engine");
    must(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags), "stream");
    printf("%d threads\n%-18s %12s %12s  %s\n", omp_get_max_threads(), "M x N x K", "sgemm GF/s",
           "matmul GF/s", "matmul implementation");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc(sizeof(float) * (size_t)(m * k));
        float *b = malloc(sizeof(float) * (size_t)(k * n));
        float *c = malloc(sizeof(float) * (size_t)(m * n));
        if (!a || !b || !c) return 1;
        for (long i = 0; i < m * k; i++) a[i] = (float)(i % 13) * 0.1f;
        for (long i = 0; i < k * n; i++) b[i] = (float)(i % 7) * 0.1f;
        double best = 1e30;
        for (int r = 0; r < 6; r++) {
            double t0 = now_s();
            must(dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, k, b, n, 0.0f, c, n), "sgemm");
            if (r > 0 && now_s() - t0 < best) best = now_s() - t0;
        }
        const char *impl = "";
        double mm = matmul_gflops(eng, stream, m, n, k, a, b, c, &impl);
        char shape[40];
        snprintf(shape, sizeof shape, "%ldx%ldx%ld", m, n, k);
        printf("%-18s %12.1f %12.1f  %s\n", shape, 2.0 * (double)(m * n) * (double)k / best * 1e-9,
               mm, impl);
        free(a);
        free(b);
        free(c);
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    return 0;
}
