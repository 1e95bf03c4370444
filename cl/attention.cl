/* The anchor-diffusion attention: attend(Q, KV)[:, i] = sum_j softmax_j(Q[:, i] . KV[:, j] /
 * sqrt(E)) KV[:, j] for Q = X0 (anchor branch) and Q = Xt (intra-frame branch), KV = Xt.
 * Tensors are E x M, channels first: element (e, i) at off + e * M + i.
 *
 * The softmax is computed online in the manner of FlashAttention: keys are visited in tiles,
 * and each query row keeps a running maximum m, a running sum l and an accumulator rescaled
 * by exp(m_old - m_new) whenever the maximum grows. No M x M matrix exists anywhere. Scores
 * are kept in base 2 (the host folds log2(e) into the scale) so that exp2 does the work.
 *
 * The host (host/ops/attention.c) mirrors the ATTN_ constants, while every tile size is a run-time
 * argument chosen from the device's local memory and work-group limits.
 *
 * Written for both kinds of device. On a GPU a work-item is a thread and the work-group's
 * tiles live in on-chip local memory. On a CPU (PoCL) a work-group runs as loops over its
 * work-items between barriers, and a work-item's float8 arithmetic becomes SIMD code. Both
 * heavy loops have the same shape, one vector load and four broadcast multiply-adds per step,
 * and three habits keep them fast on a CPU: the per-work-item blocks are named variables, not
 * private arrays indexed in loops (those stay in memory, one copy per work-item); pointers are
 * formed once outside the loops; and the loops are entered under a condition on the local id
 * (tid < nthreads, always true), which keeps PoCL from cutting every iteration into its own
 * loop over the work-items (its implicit loop barriers), so the accumulators stay in
 * registers. */

/* Query rows per work-item: one float8. */
#define ATTN_VEC 8
/* Key columns per work-item in the scores, channels per work-item in the accumulation
 * (spelled out as s0..s3 and acc0..acc3). */
#define ATTN_COLS 4

/* One work-group computes bq query positions for each of nb branches (nb = 1 or 2): its
 * rows = nb * bq = 8 nrb query rows share every key/value tile of Xt, so the anchor and the
 * intra-frame branch read Xt from global memory once between them.
 *
 * Local size (nrb, ng). Work-item (rb, g) owns the 8 rows 8 rb .. 8 rb + 7 and
 * - in the scores, the keys g + c ng of the tile (c < 4; so bk <= 4 ng);
 * - in the accumulation, the channels g + c ng (c < 4; so E <= 4 ng).
 * Per key tile of bk positions:
 *   1. the tile Xt[:, j0 : j0 + bk] is copied to local memory (ks, E x ldk, ldk = bk + 1: the
 *      odd row length spreads the channel rows over memory banks);
 *   2. each work-item computes its 8 x 4 scores (ss, bk x rows, rows contiguous) and their
 *      partial row maxima (pmax, ng x rows);
 *   3. one work-item per row folds the partial maxima into the running maximum m (rowm) and
 *      sets alpha = exp2(m_old - m_new);
 *   4. each work-item turns its scores into weights P = exp2(S - m) in place;
 *   5. each work-item sums the tile's P V for its rows and channels apart, then adds it to its
 *      accumulators rescaled by alpha: a peaked softmax adds thousands of tiny weights to one
 *      large one, and added one by one to the running sum in float they would round away.
 *      The row sums l follow the same path (every work-item of a row block keeps a copy).
 * Keys past the end of Xt get the score -inf (weight 0) and zero values; key j0 is always
 * valid, so every new maximum is finite (and alpha = exp2(-inf) = 0 on the first tile).
 * Query rows past the end of their frame compute on zeros and are not written.
 *
 * Local memory (floats): qs E x rows, ks E x (bk + 1), ss bk x rows, pmax ng x rows, rowm
 * rows, alpha rows. */
__kernel void attention_tiled(__global const float *x0, uint x0_off, uint m0,
                              __global const float *xt, uint xt_off, uint mt, __global float *out0,
                              uint out0_off, __global float *out1, uint out1_off, uint e_dim,
                              uint first_branch, float scale_log2, uint bq, uint bk,
                              __local float *qs, __local float *ks, __local float *ss,
                              __local float *pmax, __local float *rowm, __local float *alpha) {
    const uint rb = get_local_id(0), g = get_local_id(1);
    const uint nrb = get_local_size(0), ng = get_local_size(1);
    const uint tid = g * nrb + rb, nthreads = nrb * ng;
    const uint rows = ATTN_VEC * nrb, ldk = bk + 1, runs = (bk + ATTN_VEC - 1) / ATTN_VEC;
    const uint i0 = get_group_id(0) * bq;
    /* this work-item's keys (clamped into the tile: a key past bk computes on a valid one and
     * is discarded) and channels (clamped likewise: one past E is never written) */
    const uint k0 = g, k1 = g + ng, k2 = g + 2 * ng, k3 = g + 3 * ng;
    const uint e0 = g, e1 = g + ng, e2 = g + 2 * ng, e3 = g + 3 * ng;
    __local const float *kc0 = ks + min(k0, bk - 1), *kc1 = ks + min(k1, bk - 1);
    __local const float *kc2 = ks + min(k2, bk - 1), *kc3 = ks + min(k3, bk - 1);
    __local const float *vr0 = ks + min(e0, e_dim - 1) * ldk;
    __local const float *vr1 = ks + min(e1, e_dim - 1) * ldk;
    __local const float *vr2 = ks + min(e2, e_dim - 1) * ldk;
    __local const float *vr3 = ks + min(e3, e_dim - 1) * ldk;
    __local const float *qcol = qs + rb * ATTN_VEC;
    __local float *scol = ss + rb * ATTN_VEC;

    /* the query block of every branch, E x rows */
    for (uint idx = tid; idx < e_dim * rows; idx += nthreads) {
        const uint e = idx / rows, r = idx - e * rows;
        const uint slot = r / bq, i = i0 + (r - slot * bq);
        const uint anchor = first_branch + slot == 0;
        const uint m = anchor ? m0 : mt;
        float v = 0.0f;
        if (i < m) v = anchor ? x0[x0_off + e * m + i] : xt[xt_off + e * m + i];
        qs[idx] = v;
    }
    for (uint r = tid; r < rows; r += nthreads) rowm[r] = -INFINITY;

    float8 acc0 = (float8)(0.0f), acc1 = (float8)(0.0f), acc2 = (float8)(0.0f),
           acc3 = (float8)(0.0f), lsum = (float8)(0.0f);

    for (uint j0 = 0; j0 < mt; j0 += bk) {
        /* the previous tile's readers are done (and the query block is in place) */
        barrier(CLK_LOCAL_MEM_FENCE);
        /* 1. in runs of 8 keys of one channel, consecutive work-items on consecutive runs */
        for (uint run = tid; run < e_dim * runs; run += nthreads) {
            const uint e = run / runs, k = (run - e * runs) * ATTN_VEC;
            __global const float *src = xt + xt_off + e * mt + j0 + k;
            __local float *dst = ks + e * ldk + k;
            if (k + ATTN_VEC <= bk && j0 + k + ATTN_VEC <= mt) {
                vstore8(vload8(0, src), 0, dst);
            } else {
                for (uint l = 0; l < ATTN_VEC && k + l < bk; l++)
                    dst[l] = j0 + k + l < mt ? src[l] : 0.0f;
            }
        }
#ifndef ADN_TEST_BREAK_ATTENTION_BARRIER /* defined only by tests/test_attention_broken.c */
        barrier(CLK_LOCAL_MEM_FENCE);
#endif

        /* 2. scores */
        {
            float8 s0 = (float8)(0.0f), s1 = (float8)(0.0f), s2 = (float8)(0.0f),
                   s3 = (float8)(0.0f);
            if (tid < nthreads) {
                for (uint e = 0; e < e_dim; e++) {
                    const float8 q = vload8(0, qcol + e * rows);
                    const uint o = e * ldk;
                    s0 = fma(q, (float8)(kc0[o]), s0);
                    s1 = fma(q, (float8)(kc1[o]), s1);
                    s2 = fma(q, (float8)(kc2[o]), s2);
                    s3 = fma(q, (float8)(kc3[o]), s3);
                }
            }
            const float8 ninf = (float8)(-INFINITY);
            s0 = j0 + k0 < mt ? s0 * scale_log2 : ninf;
            s1 = j0 + k1 < mt ? s1 * scale_log2 : ninf;
            s2 = j0 + k2 < mt ? s2 * scale_log2 : ninf;
            s3 = j0 + k3 < mt ? s3 * scale_log2 : ninf;
            float8 pm = ninf;
            if (k0 < bk) {
                vstore8(s0, 0, scol + k0 * rows);
                pm = s0;
            }
            if (k1 < bk) {
                vstore8(s1, 0, scol + k1 * rows);
                pm = fmax(pm, s1);
            }
            if (k2 < bk) {
                vstore8(s2, 0, scol + k2 * rows);
                pm = fmax(pm, s2);
            }
            if (k3 < bk) {
                vstore8(s3, 0, scol + k3 * rows);
                pm = fmax(pm, s3);
            }
            vstore8(pm, 0, pmax + g * rows + rb * ATTN_VEC);
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        /* 3. running maxima */
        for (uint r = tid; r < rows; r += nthreads) {
            const float old = rowm[r];
            float mx = old;
            for (uint h = 0; h < ng; h++) mx = fmax(mx, pmax[h * rows + r]);
            alpha[r] = exp2(old - mx);
            rowm[r] = mx;
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        /* 4. weights, over the same blocks as the scores */
        {
            const float8 m8 = vload8(rb, rowm);
            if (k0 < bk) vstore8(exp2(vload8(0, scol + k0 * rows) - m8), 0, scol + k0 * rows);
            if (k1 < bk) vstore8(exp2(vload8(0, scol + k1 * rows) - m8), 0, scol + k1 * rows);
            if (k2 < bk) vstore8(exp2(vload8(0, scol + k2 * rows) - m8), 0, scol + k2 * rows);
            if (k3 < bk) vstore8(exp2(vload8(0, scol + k3 * rows) - m8), 0, scol + k3 * rows);
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        /* 5. the tile's P V, then the running accumulators */
        {
            float8 part0 = (float8)(0.0f), part1 = (float8)(0.0f), part2 = (float8)(0.0f),
                   part3 = (float8)(0.0f), l = (float8)(0.0f);
            if (tid < nthreads) {
                for (uint k = 0; k < bk; k++) {
                    const float8 p = vload8(0, scol + k * rows);
                    part0 = fma(p, (float8)(vr0[k]), part0);
                    part1 = fma(p, (float8)(vr1[k]), part1);
                    part2 = fma(p, (float8)(vr2[k]), part2);
                    part3 = fma(p, (float8)(vr3[k]), part3);
                    l += p;
                }
            }
            const float8 al = vload8(rb, alpha);
            acc0 = fma(acc0, al, part0);
            acc1 = fma(acc1, al, part1);
            acc2 = fma(acc2, al, part2);
            acc3 = fma(acc3, al, part3);
            lsum = fma(lsum, al, l);
        }
    }

    /* rows along the lanes of a float8, channels e0..e3; both loops unrolled so that o stays in
     * registers (NVPTX otherwise keeps it in a 128-byte stack frame, in local memory) */
    float o[ATTN_COLS][ATTN_VEC];
    vstore8(acc0 / lsum, 0, o[0]);
    vstore8(acc1 / lsum, 0, o[1]);
    vstore8(acc2 / lsum, 0, o[2]);
    vstore8(acc3 / lsum, 0, o[3]);
#pragma unroll
    for (uint lane = 0; lane < ATTN_VEC; lane++) {
        const uint r = rb * ATTN_VEC + lane;
        const uint slot = r / bq, i = i0 + (r - slot * bq);
        const uint anchor = first_branch + slot == 0;
        const uint m = anchor ? m0 : mt;
        if (i >= m) continue;
        __global float *out = anchor ? out0 + out0_off + i : out1 + out1_off + i;
#pragma unroll
        for (uint c = 0; c < ATTN_COLS; c++) {
            const uint e = g + c * ng;
            if (e < e_dim) out[e * m] = o[c][lane];
        }
    }
}

/* The fallback for devices or embedding sizes the tiled kernel cannot fit (E too large for
 * local memory, tiny work-groups): one work-item per query row of one branch (global size
 * Mq x nb), no local memory. Keys are visited in chunks of ATTN_DIRECT_CHUNK with the same
 * online softmax; the accumulator lives in the output column itself (read, rescaled and
 * written once per chunk), so any E works. Slow but exact in the same sense. Every loop over a
 * chunk runs its full constant length, unrolled, with the keys past the end masked (score
 * -inf, weight 0): a loop bounded by the chunk's actual length keeps s[] in scratch memory on
 * GPUs (132 bytes per lane on gfx1030, a 128-byte stack frame on NVPTX), where this kernel is
 * part of the GPU profile (tests/gpu_compile). */
#define ATTN_DIRECT_CHUNK 32

__kernel void attention_direct(__global const float *x0, uint x0_off, uint m0,
                               __global const float *xt, uint xt_off, uint mt, __global float *out0,
                               uint out0_off, __global float *out1, uint out1_off, uint e_dim,
                               uint first_branch, float scale_log2) {
    const uint i = get_global_id(0);
    const uint anchor = first_branch + get_global_id(1) == 0;
    const uint m = anchor ? m0 : mt;
    if (i >= m) return;
    __global const float *q = anchor ? x0 + x0_off : xt + xt_off;
    __global float *out = anchor ? out0 + out0_off : out1 + out1_off;
    __global const float *kv = xt + xt_off;

    float rowm = -INFINITY, lsum = 0.0f;
    for (uint j0 = 0; j0 < mt; j0 += ATTN_DIRECT_CHUNK) {
        const uint last = min((uint)ATTN_DIRECT_CHUNK, mt - j0) - 1; /* the chunk's last key */
        float s[ATTN_DIRECT_CHUNK];
#pragma unroll
        for (uint c = 0; c < ATTN_DIRECT_CHUNK; c++) s[c] = 0.0f;
        for (uint e = 0; e < e_dim; e++) {
            const float qe = q[e * m + i];
            __global const float *row = kv + e * mt + j0;
            /* keys past the end read the last one: computed, then masked below */
#pragma unroll
            for (uint c = 0; c < ATTN_DIRECT_CHUNK; c++) s[c] = fma(qe, row[min(c, last)], s[c]);
        }
        float mx = rowm;
#pragma unroll
        for (uint c = 0; c < ATTN_DIRECT_CHUNK; c++) {
            s[c] = c <= last ? s[c] * scale_log2 : -INFINITY;
            mx = fmax(mx, s[c]);
        }
        const float al = exp2(rowm - mx);
        rowm = mx;
        float lpart = 0.0f;
#pragma unroll
        for (uint c = 0; c < ATTN_DIRECT_CHUNK; c++) {
            s[c] = exp2(s[c] - mx); /* 0 for a masked key */
            lpart += s[c];
        }
        lsum = fma(lsum, al, lpart);
        for (uint e = 0; e < e_dim; e++) {
            __global const float *row = kv + e * mt + j0;
            float part = 0.0f; /* summed apart first, as in attention_tiled */
#pragma unroll
            for (uint c = 0; c < ATTN_DIRECT_CHUNK; c++)
                part = fma(s[c], row[min(c, last)], part);
            out[e * m + i] = j0 == 0 ? part : fma(out[e * m + i], al, part);
        }
    }
    const float inv = 1.0f / lsum;
    for (uint e = 0; e < e_dim; e++) out[e * m + i] *= inv;
}

/* ---- the CPU kernel ------------------------------------------------------------------- *
 * For CPU devices, where attention_tiled's cooperation through local memory and barriers
 * becomes loops over work-items that keep little in registers. Work-groups of one work-item,
 * each owning 16 query rows as the 16 lanes of a float16 (so a query row's running maximum
 * and sum are plain vector operations): with both branches, lanes 0-7 are 8 positions of the
 * anchor branch and lanes 8-15 the same positions of the intra-frame branch, so the two share
 * every tile of Xt as in attention_tiled; with one branch, 16 consecutive positions of it.
 * Keys are visited in tiles of ATTN_ROWS_K = 16 with the same online softmax in base 2 as
 * attention_tiled. Per key tile:
 *   scores   st[j] (16 lanes) = sum_e Xt[e, j0 + j] * Q[e, lanes]: 16 accumulators in
 *            registers, one vector load of the queries' row e and 16 broadcast keys per
 *            channel;
 *   softmax  m_new = max(m, st[j] over j), alpha = exp2(m - m_new), P = exp2(st - m_new);
 *   values   out[e, lanes] = alpha out[e, lanes] + sum_j Xt[e, j0 + j] P[j]: the tile's sum is
 *            formed apart and then added, as in attention_tiled, and the accumulator is the
 *            output rows themselves (16 floats per channel, in the L1 cache), so any E works.
 * The output is divided by the row sums at the end. Keys past the end of Xt are skipped;
 * query rows past the end of their frame compute on zeros and are not stored. */
#define ATTN_ROWS_K 16

/* Where a work-item's 16 lanes live: lanes 0-7 at qa / oa (row stride ma: that frame's M,
 * va of them real), lanes 8-15 at qb / ob (mb, vb). */
typedef struct attn_lanes {
    __global const float *qa, *qb;
    __global float *oa, *ob;
    uint ma, mb, va, vb;
} attn_lanes;

static inline float16 attn_query_row(const attn_lanes *l, uint e) {
    return (float16)(load8_partial(l->qa + (size_t)e * l->ma, (int)l->va),
                     load8_partial(l->qb + (size_t)e * l->mb, (int)l->vb));
}

static inline float16 attn_out_row(const attn_lanes *l, uint e) {
    return (float16)(load8_partial(l->oa + (size_t)e * l->ma, (int)l->va),
                     load8_partial(l->ob + (size_t)e * l->mb, (int)l->vb));
}

static inline void attn_set_out_row(const attn_lanes *l, uint e, float16 v) {
    store8_partial(l->oa + (size_t)e * l->ma, v.lo, (int)l->va);
    store8_partial(l->ob + (size_t)e * l->mb, v.hi, (int)l->vb);
}

/* exp2(d) for d <= 0, with weights below 2^-64 taken as 0. Next to the weight 1 of the
 * row's maximum they are far below float precision (even 2^16 of them add less than 2^-48),
 * and kept they would turn into subnormal numbers further down (exp2 below -126, products
 * with small values), which x86 CPUs compute a hundred times slower: with real embeddings,
 * whose scores spread widely, that made the kernel several times slower. */
static inline float16 attn_weight(float16 d) {
    return select((float16)0.0f, exp2(d), d > (float16)-64.0f);
}

/* One key tile of nk keys (nk = ATTN_ROWS_K for full tiles, inlined as a constant). */
static inline void attn_rows_tile(const attn_lanes *l, __global const float *kv, uint mt,
                                  uint e_dim, float scale_log2, uint j0, uint nk, float16 *rowm,
                                  float16 *lsum) {
    float16 st[ATTN_ROWS_K];
#pragma unroll
    for (uint j = 0; j < ATTN_ROWS_K; j++) st[j] = (float16)0.0f;
    __global const float *ke = kv + j0;
    for (uint e = 0; e < e_dim; e++, ke += mt) {
        const float16 qv = attn_query_row(l, e);
#pragma unroll
        for (uint j = 0; j < ATTN_ROWS_K; j++)
            if (j < nk) st[j] = fma((float16)ke[j], qv, st[j]);
    }
    float16 mx = *rowm;
#pragma unroll
    for (uint j = 0; j < ATTN_ROWS_K; j++)
        if (j < nk) {
            st[j] *= scale_log2;
            mx = fmax(mx, st[j]);
        }
    const float16 alpha = attn_weight(*rowm - mx);
    *rowm = mx;
    float16 part = (float16)0.0f;
#pragma unroll
    for (uint j = 0; j < ATTN_ROWS_K; j++) {
        st[j] = j < nk ? attn_weight(st[j] - mx) : (float16)0.0f;
        part += st[j];
    }
    *lsum = fma(*lsum, alpha, part);
    __global const float *ve = kv + j0;
    for (uint e = 0; e < e_dim; e++, ve += mt) {
        float16 pv = (float16)0.0f;
#pragma unroll
        for (uint j = 0; j < ATTN_ROWS_K; j++)
            if (j < nk) pv = fma((float16)ve[j], st[j], pv);
        attn_set_out_row(l, e, j0 == 0 ? pv : fma(attn_out_row(l, e), alpha, pv));
    }
}

/* Global size: both = 1 (out0 the anchor's, out1 the intra-frame output): ceil(max(m0, mt)
 * / 8) x 1; both = 0 (one branch, as first_branch says): ceil(M / 16) x 1. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
attention_rows(__global const float *x0, uint x0_off, uint m0, __global const float *xt,
               uint xt_off, uint mt, __global float *out0, uint out0_off, __global float *out1,
               uint out1_off, uint e_dim, uint first_branch, float scale_log2, uint both) {
    attn_lanes l;
    if (both) {
        const uint i = get_global_id(0) * 8;
        l.qa = x0 + x0_off + i;
        l.oa = out0 + out0_off + i;
        l.ma = m0;
        l.va = i < m0 ? min(8u, m0 - i) : 0u;
        l.qb = xt + xt_off + i;
        l.ob = out1 + out1_off + i;
        l.mb = mt;
        l.vb = i < mt ? min(8u, mt - i) : 0u;
        if (l.va == 0 && l.vb == 0) return;
    } else {
        const uint i = get_global_id(0) * 16;
        const uint anchor = first_branch == 0;
        const uint m = anchor ? m0 : mt;
        if (i >= m) return;
        __global const float *q = (anchor ? x0 + x0_off : xt + xt_off) + i;
        __global float *out = out0 + out0_off + i;
        l.qa = q;
        l.qb = q + 8;
        l.oa = out;
        l.ob = out + 8;
        l.ma = l.mb = m;
        l.va = min(8u, m - i);
        l.vb = m - i > 8 ? min(8u, m - i - 8) : 0u;
    }
    __global const float *kv = xt + xt_off;
    float16 rowm = (float16)(-INFINITY), lsum = (float16)0.0f;
    uint j0 = 0;
    for (; j0 + ATTN_ROWS_K <= mt; j0 += ATTN_ROWS_K)
        attn_rows_tile(&l, kv, mt, e_dim, scale_log2, j0, ATTN_ROWS_K, &rowm, &lsum);
    if (j0 < mt) attn_rows_tile(&l, kv, mt, e_dim, scale_log2, j0, mt - j0, &rowm, &lsum);
    const float16 inv = 1.0f / lsum;
    for (uint e = 0; e < e_dim; e++) attn_set_out_row(&l, e, attn_out_row(&l, e) * inv);
}
