/* The device's floating-point throughput, for `adnet bench`. Each work-item runs independent
 * multiply-add chains (enough to hide the FMA latency), iters times, and stores their sum so
 * that the compiler cannot drop the work. b is just below 1 and c small, so the values stay
 * finite and normal whatever iters is.
 *
 * Two shapes of the same work, because devices reach their peak differently: GPUs run
 * scalar work-items side by side in their SIMD lanes (peak_fma_f32: 16 scalar chains), while
 * a CPU driver such as PoCL does not vectorise this loop across work-items and needs explicit
 * vectors (peak_fma_f32x16: 16 chains of float16; with 8 chains a 2-core Zen 5 under PoCL
 * showed 345 GFLOP/s, with 16 chains 520). The host runs both and keeps the faster; a kernel
 * a device cannot run (too many registers) is skipped.
 * FLOPs per work-item and iteration: 2 x 16 (scalar) and 2 x 16 x 16 (vector). */
__kernel void peak_fma_f32(__global float *out, uint out_off, float b, float c, uint iters) {
    float x0 = (float)get_global_id(0) * 1e-6f;
    float x1 = x0 + 0.01f, x2 = x0 + 0.02f, x3 = x0 + 0.03f, x4 = x0 + 0.04f;
    float x5 = x0 + 0.05f, x6 = x0 + 0.06f, x7 = x0 + 0.07f, x8 = x0 + 0.08f;
    float x9 = x0 + 0.09f, x10 = x0 + 0.10f, x11 = x0 + 0.11f, x12 = x0 + 0.12f;
    float x13 = x0 + 0.13f, x14 = x0 + 0.14f, x15 = x0 + 0.15f;
    for (uint i = 0; i < iters; i++) {
        x0 = mad(x0, b, c);
        x1 = mad(x1, b, c);
        x2 = mad(x2, b, c);
        x3 = mad(x3, b, c);
        x4 = mad(x4, b, c);
        x5 = mad(x5, b, c);
        x6 = mad(x6, b, c);
        x7 = mad(x7, b, c);
        x8 = mad(x8, b, c);
        x9 = mad(x9, b, c);
        x10 = mad(x10, b, c);
        x11 = mad(x11, b, c);
        x12 = mad(x12, b, c);
        x13 = mad(x13, b, c);
        x14 = mad(x14, b, c);
        x15 = mad(x15, b, c);
    }
    out[out_off + get_global_id(0)] = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) +
                                      ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
}

__kernel void peak_fma_f32x16(__global float *out, uint out_off, float b, float c, uint iters) {
    float16 x0 = (float16)((float)get_global_id(0) * 1e-6f) +
                 (float16)(0.0f, 0.001f, 0.002f, 0.003f, 0.004f, 0.005f, 0.006f, 0.007f, 0.008f,
                           0.009f, 0.010f, 0.011f, 0.012f, 0.013f, 0.014f, 0.015f);
    float16 x1 = x0 + 0.1f, x2 = x0 + 0.2f, x3 = x0 + 0.3f, x4 = x0 + 0.4f;
    float16 x5 = x0 + 0.5f, x6 = x0 + 0.6f, x7 = x0 + 0.7f, x8 = x0 + 0.8f;
    float16 x9 = x0 + 0.9f, x10 = x0 + 1.0f, x11 = x0 + 1.1f, x12 = x0 + 1.2f;
    float16 x13 = x0 + 1.3f, x14 = x0 + 1.4f, x15 = x0 + 1.5f;
    float16 bv = (float16)(b), cv = (float16)(c);
    for (uint i = 0; i < iters; i++) {
        x0 = mad(x0, bv, cv);
        x1 = mad(x1, bv, cv);
        x2 = mad(x2, bv, cv);
        x3 = mad(x3, bv, cv);
        x4 = mad(x4, bv, cv);
        x5 = mad(x5, bv, cv);
        x6 = mad(x6, bv, cv);
        x7 = mad(x7, bv, cv);
        x8 = mad(x8, bv, cv);
        x9 = mad(x9, bv, cv);
        x10 = mad(x10, bv, cv);
        x11 = mad(x11, bv, cv);
        x12 = mad(x12, bv, cv);
        x13 = mad(x13, bv, cv);
        x14 = mad(x14, bv, cv);
        x15 = mad(x15, bv, cv);
    }
    float16 s = (((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7))) +
                (((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15)));
    float8 h = s.lo + s.hi;
    float4 q = h.lo + h.hi;
    out[out_off + get_global_id(0)] = (q.x + q.y) + (q.z + q.w);
}
