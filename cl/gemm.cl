/* adnet's own SGEMM for CPU devices: C[m x n] = A[m x k] B[k x n], all row-major. CLBlast's kernels are written for GPUs (work-groups sharing local
 * memory); an OpenCL CPU runtime such as PoCL runs them at a few percent of the CPU's peak.
 * A may have a leading dimension lda > k (a range of a wider matrix's columns). This kernel is
 * written the way a CPU wants it: one work-item per work-group, each a loop
 * nest over a register tile of 8 rows x 32 columns (16 float16 accumulators, which a
 * compiler keeps in vector registers), with the B tile it streams kept in the L1 cache while
 * it is reused by every 8-row micro-tile of the work-item's 256 rows.
 *
 * Grid: dimension 0 over ceil(n / 32) column tiles, dimension 1 over ceil(m / GEMM_MC) row
 * blocks, dimension 2 over a batch of products alike in shape whose matrices lie a_batch,
 * b_batch and c_batch floats apart (Winograd's 36 per chunk: one launch keeps both cores busy
 * where each product alone has a few column tiles), work-groups of 1 x 1 x 1. Partial column tiles load and store through bounds checks;
 * partial row tiles read a valid row in place of the missing ones and store only their own. */

#define GEMM_MR 8  /* rows of a register tile */
#define GEMM_NR 32 /* columns of a register tile: two float16 */
/* The two sizes `adnet tune` chooses per device (build options from the device profile; the
 * host computes the grid from the same profile values). */
#ifndef GEMM_MC
#define GEMM_MC 256 /* rows per work-item: each B tile is used by GEMM_MC / GEMM_MR tiles */
#endif
#ifndef GEMM_KC
#define GEMM_KC 256 /* depth per pass: a GEMM_KC x GEMM_NR tile of B is 32 KiB */
#endif

/* The epilogue the GEMM applies as it stores its last depth block (the convolutions' bias,
 * residual and activation, as bias_act_f32 does in a separate pass): each value of C read and
 * written once instead of three more times. */
typedef struct gemm_epilogue {
    __global const float *bias; /* per row of C; NULL: none */
    __global const float *res;  /* laid out as C (ldc), offset as c; NULL: none */
    int act;                    /* 0 none, 1 ReLU, 2 leaky ReLU with slope */
    float slope;
} gemm_epilogue;

static inline float16 gemm_epilogue16(float16 v, float bias, __global const float *res,
                                      int valid, int act, float slope) {
    v += (float16)bias;
    if (res) v += load16_partial(res, valid);
    if (act == 1) return fmax(v, (float16)0.0f);
    if (act == 2) return select(v * slope, v, isgreaterequal(v, (float16)0.0f));
    return v;
}

/* Rows [m_begin, m_end) of the column tile at b and c (already offset to its first column),
 * of which the first `valid` columns exist. Inlined with valid = GEMM_NR for full tiles, so
 * that their loads and stores are plain vector moves. Each depth block of the tile of B is
 * first copied into bt (the work-item's own local memory: work-groups are of one), so that the
 * GEMM_MC / GEMM_MR micro-tiles that reuse it read one contiguous 32 KiB block: read in place
 * from a row-major B (the 1x1 convolutions' input), the tile's 256 rows lie a feature map
 * apart, each on its own page, and every micro-tile walked them all again. */
static inline void gemm_tile(uint m, uint k, uint lda, uint m_begin, uint m_end,
                             __global const float *a, __global const float *b, uint ldb,
                             __global float *c, uint ldc, int valid, float *bt,
                             gemm_epilogue ep) {
    for (uint k0 = 0; k0 < k; k0 += GEMM_KC) {
        uint k1 = min(k, k0 + GEMM_KC);
        __global const float *bk = b + (size_t)k0 * ldb;
        for (uint kk = k0; kk < k1; kk++, bk += ldb) {
            float *row = bt + (kk - k0) * GEMM_NR;
            vstore16(load16_partial(bk, valid), 0, row);
            vstore16(load16_partial(bk + 16, valid - 16), 0, row + 16);
        }
        for (uint m0 = m_begin; m0 < m_end; m0 += GEMM_MR) {
            uint rows = min((uint)GEMM_MR, m_end - m0);
            __global const float *ar[GEMM_MR];
            float16 lo[GEMM_MR], hi[GEMM_MR];
#pragma unroll
            for (uint r = 0; r < GEMM_MR; r++) {
                /* a missing row reads the last real one: its results are never stored */
                ar[r] = a + (size_t)(m0 + min(r, rows - 1)) * lda;
                __global float *cr = c + (size_t)(m0 + r) * ldc;
                if (k0 > 0 && r < rows) {
                    lo[r] = load16_partial(cr, valid);
                    hi[r] = load16_partial(cr + 16, valid - 16);
                } else {
                    lo[r] = (float16)0.0f;
                    hi[r] = (float16)0.0f;
                }
            }
            const float *bl = bt;
            for (uint kk = k0; kk < k1; kk++, bl += GEMM_NR) {
                float16 b_lo = vload16(0, bl);
                float16 b_hi = vload16(0, bl + 16);
#pragma unroll
                for (uint r = 0; r < GEMM_MR; r++) {
                    float16 av = (float16)ar[r][kk];
                    lo[r] = fma(av, b_lo, lo[r]);
                    hi[r] = fma(av, b_hi, hi[r]);
                }
            }
            const int last = k1 == k;
#pragma unroll
            for (uint r = 0; r < GEMM_MR; r++) {
                if (r < rows) {
                    __global float *cr = c + (size_t)(m0 + r) * ldc;
                    if (last) {
                        float bv = ep.bias ? ep.bias[m0 + r] : 0.0f;
                        __global const float *rr = ep.res ? ep.res + (size_t)(m0 + r) * ldc : 0;
                        lo[r] = gemm_epilogue16(lo[r], bv, rr, valid, ep.act, ep.slope);
                        hi[r] = gemm_epilogue16(hi[r], bv, rr ? rr + 16 : 0, valid - 16, ep.act,
                                                ep.slope);
                    }
                    store16_partial(cr, lo[r], valid);
                    store16_partial(cr + 16, hi[r], valid - 16);
                }
            }
        }
    }
}

/* b_packed 0: B is row-major with leading dimension ldb. b_packed 1: B is stored in panels of
 * GEMM_NR columns, panel after panel, each k rows of GEMM_NR floats (the last panel's rows
 * hold only its columns, at the same stride), as adnet's im2col writes it for this kernel: a
 * work-item's B tile is then one contiguous stream instead of k rows far apart (about a fifth
 * faster). ldb is unused then. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
gemm_nn_f32(uint m, uint n, uint k, __global const float *a, uint a_off, uint lda,
            __global const float *b, uint b_off, uint ldb, uint b_packed, __global float *c,
            uint c_off, uint ldc, uint a_batch, uint b_batch, uint c_batch,
            __global const float *bias, uint bias_off, int has_bias, __global const float *res,
            uint res_off, int has_res, int act, float slope) {
    /* the work-item's tile of B */
    float bt[GEMM_KC * GEMM_NR];
    uint n0 = get_global_id(0) * GEMM_NR;
    uint m_begin = get_global_id(1) * GEMM_MC;
    if (n0 >= n || m_begin >= m) return;
    const uint z = get_global_id(2);
    a_off += z * a_batch;
    b_off += z * b_batch;
    c_off += z * c_batch;
    uint m_end = min(m, m_begin + GEMM_MC);
    a += a_off;
    if (b_packed) {
        b += b_off + (size_t)n0 * k;
        ldb = GEMM_NR;
    } else {
        b += b_off + n0;
    }
    c += c_off + n0;
    gemm_epilogue ep = {has_bias ? bias + bias_off : 0, has_res ? res + res_off + n0 : 0, act,
                        slope};
    if (n - n0 >= GEMM_NR)
        gemm_tile(m, k, lda, m_begin, m_end, a, b, ldb, c, ldc, GEMM_NR, bt, ep);
    else
        gemm_tile(m, k, lda, m_begin, m_end, a, b, ldb, c, ldc, (int)(n - n0), bt, ep);
}
