/* Pooling: max pooling with padding that never wins, and the global average of each channel. */

/* One item per output pixel (ox, oy, channel). The window is clipped to the input, so padding
 * never takes part; with ceil mode every kept window holds at least one input pixel. */
__kernel void maxpool_f32(__global const float *x, uint x_off, uint h, uint w,
                          __global float *y, uint y_off, uint oh, uint ow, uint k, uint stride,
                          uint pad) {
    uint ox = get_global_id(0);
    uint oy = get_global_id(1);
    uint c = get_global_id(2);
    if (ox >= ow) return;
    int y0 = (int)(oy * stride) - (int)pad, x0 = (int)(ox * stride) - (int)pad;
    int y1 = min(y0 + (int)k, (int)h), x1 = min(x0 + (int)k, (int)w);
    y0 = max(y0, 0);
    x0 = max(x0, 0);
    __global const float *xc = x + x_off + (size_t)c * h * w;
    float m = -INFINITY;
    for (int iy = y0; iy < y1; iy++) {
        for (int ix = x0; ix < x1; ix++) {
            float v = xc[iy * (int)w + ix];
            if (v > m || isnan(v)) m = v; /* NaN propagates, as in PyTorch */
        }
    }
    y[y_off + ((size_t)c * oh + oy) * ow + ox] = m;
}

/* One work-group per channel: its items stride over the channel (coalesced), then a tree
 * reduction in local memory. The group width is a power of two of at most 256. */
__kernel void global_avgpool_f32(__global const float *x, uint x_off, uint hw,
                                 __global float *y, uint y_off) {
    __local float partial[256];
    uint lid = get_local_id(0), width = get_local_size(0);
    uint c = get_group_id(1);
    __global const float *xc = x + x_off + (size_t)c * hw;
    float sum = 0.0f;
    for (uint i = lid; i < hw; i += width) sum += xc[i];
    partial[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint step = width / 2; step > 0; step /= 2) {
        if (lid < step) partial[lid] += partial[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) y[y_off + c] = partial[0] / (float)hw;
}
