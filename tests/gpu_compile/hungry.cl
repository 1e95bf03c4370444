/* A deliberately register-hungry kernel for the gpu-compile tier's can-fail test: 32 float16
 * accumulators (512 floats per work-item), all live across the loop, more than any GPU's
 * registers hold for one work-item (256 VGPRs on AMD, 255 on NVIDIA, 128 or 256 GRFs of 8 to
 * 32 lanes on Intel). Appended to adnet's program and classed as a GPU-profile kernel, every
 * vendor's compiler must report it spilling. Never part of adnet. */
#define HUNGRY_ACC 32

__kernel void gpu_compile_hungry(__global const float16 *x, __global float16 *y, uint n) {
    const size_t i = get_global_id(0);
    float16 acc[HUNGRY_ACC];
#pragma unroll
    for (int k = 0; k < HUNGRY_ACC; k++) acc[k] = x[i * HUNGRY_ACC + k];
    for (uint it = 0; it < n; it++) {
#pragma unroll
        for (int k = 0; k < HUNGRY_ACC; k++)
            acc[k] = mad(acc[k], acc[(k + 1) % HUNGRY_ACC], acc[(k + 7) % HUNGRY_ACC]);
    }
#pragma unroll
    for (int k = 0; k < HUNGRY_ACC; k++) y[i * HUNGRY_ACC + k] = acc[k];
}
