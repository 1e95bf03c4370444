/* Helpers shared by adnet's kernels. Every kernel takes its tensors as a buffer and an
 * element offset, so that one buffer can hold many tensors (the planned arena). */

/* Fills n floats with a value (used for tests of the runtime and for clearing buffers on
 * devices whose clEnqueueFillBuffer is slow). */
__kernel void fill_f32(__global float *dst, uint dst_off, float value, uint n) {
    uint i = get_global_id(0);
    if (i < n) dst[dst_off + i] = value;
}
