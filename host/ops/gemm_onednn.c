#include "gemm_onednn.h"

#include "native.h"
#include "ops.h"
#include "status.h"

#ifndef ADNET_HAVE_ONEDNN

adnet_status adn_gemm_onednn(adn_device *dev, size_t batch, size_t m, size_t n, size_t k, cl_mem a,
                             size_t a_off, size_t lda, size_t sa, cl_mem b, size_t b_off,
                             size_t ldb, size_t sb, cl_mem c, size_t c_off, size_t ldc, size_t sc,
                             const adn_gemm_epilogue *epi, const char *what) {
    (void)dev, (void)batch, (void)m, (void)n, (void)k, (void)a, (void)a_off, (void)lda, (void)sa;
    (void)b, (void)b_off, (void)ldb, (void)sb, (void)c, (void)c_off, (void)ldc, (void)sc, (void)epi;
    return adn_fail(ADNET_ERR_INTERNAL, "GEMM for %s: oneDNN is not built in", what);
}

#else

#include <dnnl.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The native kernel's arguments: copied by the driver at the enqueue, the buffers' handles
 * replaced by their host addresses (native.h) before run_products sees them. */
typedef struct products_args {
    void *a, *b, *c, *bias, *res; /* bias, res: NULL when absent */
    size_t a_off, b_off, c_off, bias_off, res_off;
    size_t batch, m, n, k, lda, ldb, ldc, sa, sb, sc;
    int act, threads;
    adn_device *dev; /* where a failure is reported */
    char what[128];  /* the operation, for that report (the caller's string is gone by then) */
} products_args;

int adn_onednn_threads(const adn_device *dev) {
    return dev->entry.info.compute_units > 0 ? (int)dev->entry.info.compute_units : 1;
}

void adn_onednn_epilogue(float *c, size_t ldc, size_t r0, size_t r1, size_t c0, size_t c1,
                         const float *bias, const float *res, int act) {
    const float slope = ADN_LEAKY_SLOPE;
    for (size_t i = r0; i < r1; i++) {
        float *row = c + i * ldc;
        const float add = bias ? bias[i] : 0.0f;
        const float *r = res ? res + i * ldc : NULL;
        for (size_t j = c0; j < c1; j++) {
            float v = row[j] + add + (r ? r[j] : 0.0f);
            if (act == ADN_ACT_RELU)
                v = v > 0.0f ? v : 0.0f;
            else if (act == ADN_ACT_LEAKY)
                v = v > 0.0f ? v : v * slope;
            row[j] = v;
        }
    }
}

void adn_onednn_report(adn_device *dev, int status, const char *what) {
    char msg[200];
    snprintf(msg, sizeof msg, "oneDNN failed (status %d) for %s", status, what);
    adn_native_report(
        dev, status == dnnl_out_of_memory ? ADNET_ERR_OUT_OF_MEMORY : ADNET_ERR_DEVICE, msg);
}

/* One thread's share of the products: product z's rows r0..r1, columns c0..c1, then their
 * epilogue while they are still in cache. */
static void block(const products_args *g, size_t z, size_t r0, size_t r1, size_t c0, size_t c1) {
    if (r0 >= r1 || c0 >= c1) return;
    const float *a = (const float *)g->a + g->a_off + z * g->sa;
    const float *b = (const float *)g->b + g->b_off + z * g->sb;
    float *c = (float *)g->c + g->c_off + z * g->sc;
    dnnl_status_t st =
        dnnl_sgemm('N', 'N', (dnnl_dim_t)(r1 - r0), (dnnl_dim_t)(c1 - c0), (dnnl_dim_t)g->k, 1.0f,
                   a + r0 * g->lda, (dnnl_dim_t)g->lda, b + c0, (dnnl_dim_t)g->ldb, 0.0f,
                   c + r0 * g->ldc + c0, (dnnl_dim_t)g->ldc);
    if (st != dnnl_success) {
        adn_onednn_report(g->dev, st, g->what);
        return;
    }
    if (g->bias || g->res || g->act != ADN_ACT_NONE)
        adn_onednn_epilogue(c, g->ldc, r0, r1, c0, c1,
                            g->bias ? (const float *)g->bias + g->bias_off : NULL,
                            g->res ? (const float *)g->res + g->res_off : NULL, g->act);
}

static void run_products(void *p) {
    const products_args *g = p;
    /* The device's compute units share the products: one OpenMP parallel region per native
     * kernel, each thread a block of the products and then its epilogue (still in cache), with
     * oneDNN sequential inside (it runs calls made in a parallel region on one thread). Letting
     * oneDNN thread each call itself was 20 to 30 % slower in the network: its threads meet at
     * barriers inside every call and, between calls, spin against the driver's own threads
     * running the OpenCL kernels or fall asleep (docs/architecture.md, "The CPU engine"). A
     * sub-device of one compute unit runs on the driver's thread alone. */
    const int nt = g->threads;
    if (nt <= 1) {
        omp_set_num_threads(1);
        for (size_t z = 0; z < g->batch; z++) block(g, z, 0, g->m, 0, g->n);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        const int t = omp_get_thread_num(), n = omp_get_num_threads();
        if (g->batch >= (size_t)n) {
            size_t z0, z1;
            adn_thread_share(g->batch, 1, t, n, &z0, &z1);
            for (size_t z = z0; z < z1; z++) block(g, z, 0, g->m, 0, g->n);
        } else if (g->n >= g->m) {
            size_t c0, c1;
            adn_thread_share(g->n, 64, t, n, &c0, &c1);
            for (size_t z = 0; z < g->batch; z++) block(g, z, 0, g->m, c0, c1);
        } else {
            size_t r0, r1;
            adn_thread_share(g->m, 16, t, n, &r0, &r1);
            for (size_t z = 0; z < g->batch; z++) block(g, z, r0, r1, 0, g->n);
        }
    }
}

adnet_status adn_gemm_onednn(adn_device *dev, size_t batch, size_t m, size_t n, size_t k, cl_mem a,
                             size_t a_off, size_t lda, size_t sa, cl_mem b, size_t b_off,
                             size_t ldb, size_t sb, cl_mem c, size_t c_off, size_t ldc, size_t sc,
                             const adn_gemm_epilogue *epi, const char *what) {
    if (epi && batch != 1)
        return adn_fail(ADNET_ERR_INTERNAL, "GEMM for %s: an epilogue on a batch", what);
    products_args g;
    memset(&g, 0, sizeof g);
    /* the handles, where native.h puts the host addresses (one buffer may hold several
     * operands: Winograd's products read and write one scratch buffer) */
    cl_mem mems[5] = {a, b, c};
    size_t at[5] = {offsetof(products_args, a), offsetof(products_args, b),
                    offsetof(products_args, c)};
    int n_mem = 3;
    if (epi && epi->bias) {
        mems[n_mem] = epi->bias;
        at[n_mem++] = offsetof(products_args, bias);
    }
    if (epi && epi->res) {
        mems[n_mem] = epi->res;
        at[n_mem++] = offsetof(products_args, res);
    }
    for (int i = 0; i < n_mem; i++) memcpy((char *)&g + at[i], &mems[i], sizeof(void *));
    g.a_off = a_off, g.b_off = b_off, g.c_off = c_off;
    g.bias_off = epi ? epi->bias_off : 0, g.res_off = epi ? epi->res_off : 0;
    g.batch = batch, g.m = m, g.n = n, g.k = k, g.lda = lda, g.ldb = ldb, g.ldc = ldc;
    g.sa = sa, g.sb = sb, g.sc = sc;
    g.act = epi ? epi->act : ADN_ACT_NONE;
    g.threads = adn_onednn_threads(dev);
    g.dev = dev;
    snprintf(g.what, sizeof g.what, "%.80s (M=%zu N=%zu K=%zu)", what, m, n, k);
    return adn_enqueue_native(dev, run_products, &g, sizeof g, n_mem, mems, at, "onednn_sgemm");
}

#endif
