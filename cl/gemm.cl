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

#define GEMM_MR 8   /* rows of a register tile */
#define GEMM_NR 32  /* columns of a register tile: two float16 */
#define GEMM_MC 256 /* rows per work-item: each B tile is used by GEMM_MC / GEMM_MR tiles */
#define GEMM_KC 256 /* depth per pass: a GEMM_KC x GEMM_NR tile of B is 32 KiB */

/* Rows [m_begin, m_end) of the column tile at b and c (already offset to its first column),
 * of which the first `valid` columns exist. Inlined with valid = GEMM_NR for full tiles, so
 * that their loads and stores are plain vector moves. */
static inline void gemm_tile(uint m, uint k, uint lda, uint m_begin, uint m_end,
                             __global const float *a, __global const float *b, uint ldb,
                             __global float *c, uint ldc, int valid) {
    for (uint k0 = 0; k0 < k; k0 += GEMM_KC) {
        uint k1 = min(k, k0 + GEMM_KC);
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
            __global const float *bk = b + (size_t)k0 * ldb;
            for (uint kk = k0; kk < k1; kk++, bk += ldb) {
                float16 b_lo = load16_partial(bk, valid);
                float16 b_hi = load16_partial(bk + 16, valid - 16);
#pragma unroll
                for (uint r = 0; r < GEMM_MR; r++) {
                    float16 av = (float16)ar[r][kk];
                    lo[r] = fma(av, b_lo, lo[r]);
                    hi[r] = fma(av, b_hi, hi[r]);
                }
            }
#pragma unroll
            for (uint r = 0; r < GEMM_MR; r++) {
                if (r < rows) {
                    __global float *cr = c + (size_t)(m0 + r) * ldc;
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
            uint c_off, uint ldc, uint a_batch, uint b_batch, uint c_batch) {
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
    if (n - n0 >= GEMM_NR)
        gemm_tile(m, k, lda, m_begin, m_end, a, b, ldb, c, ldc, GEMM_NR);
    else
        gemm_tile(m, k, lda, m_begin, m_end, a, b, ldb, c, ldc, (int)(n - n0));
}
