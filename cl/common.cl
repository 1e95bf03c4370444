/* Helpers shared by adnet's kernels. Every kernel takes its tensors as a buffer and an
 * element offset, so that one buffer can hold many tensors (the planned arena). This file
 * comes first in the program (CMakeLists.txt), so the other files can use what it defines. */

/* load8_partial / load16_partial: N floats from p, the lanes from valid on read as 0 (no
 * memory past them is touched); store8_partial / store16_partial: the first valid lanes of v
 * to p. valid may be <= 0 or >= N. For the edges of tiles that stand out past a matrix. */
#define ADN_PARTIAL_IO(N)                                                                  \
    static inline float##N load##N##_partial(__global const float *p, int valid) {         \
        if (valid >= N) return vload##N(0, p);                                             \
        float t[N];                                                                        \
        for (int j = 0; j < N; j++) t[j] = j < valid ? p[j] : 0.0f;                        \
        return vload##N(0, t);                                                             \
    }                                                                                      \
    static inline void store##N##_partial(__global float *p, float##N v, int valid) {      \
        if (valid >= N) {                                                                  \
            vstore##N(v, 0, p);                                                            \
            return;                                                                        \
        }                                                                                  \
        float t[N];                                                                        \
        vstore##N(v, 0, t);                                                                \
        for (int j = 0; j < valid; j++) p[j] = t[j];                                       \
    }
ADN_PARTIAL_IO(8)
ADN_PARTIAL_IO(16)

/* Fills n floats with a value (used for tests of the runtime and for clearing buffers on
 * devices whose clEnqueueFillBuffer is slow). */
__kernel void fill_f32(__global float *dst, uint dst_off, float value, uint n) {
    uint i = get_global_id(0);
    if (i < n) dst[dst_off + i] = value;
}
