/* Resampling and copies of whole maps: bilinear resize (align_corners=True) and the horizontal
 * mirror used by the multi-scale + mirror evaluation. */

/* One item per output pixel (ox, oy, channel). As PyTorch's align_corners=True: the source
 * coordinate is dst * (in - 1) / (out - 1) (0 when out == 1); its floor and the next pixel
 * (clamped to the last one) are blended by the fractional part. */
__kernel void resize_bilinear_f32(__global const float *x, uint x_off, uint h, uint w,
                                  __global float *y, uint y_off, uint oh, uint ow,
                                  float scale_y, float scale_x) {
    uint ox = get_global_id(0);
    uint oy = get_global_id(1);
    uint c = get_global_id(2);
    if (ox >= ow) return;
    float sy = scale_y * (float)oy, sx = scale_x * (float)ox;
    uint y0 = min((uint)sy, h - 1), x0 = min((uint)sx, w - 1);
    uint y1 = y0 + (y0 < h - 1), x1 = x0 + (x0 < w - 1);
    float ly = clamp(sy - (float)y0, 0.0f, 1.0f), lx = clamp(sx - (float)x0, 0.0f, 1.0f);
    __global const float *xc = x + x_off + (size_t)c * h * w;
    float top = (1.0f - lx) * xc[y0 * w + x0] + lx * xc[y0 * w + x1];
    float bottom = (1.0f - lx) * xc[y1 * w + x0] + lx * xc[y1 * w + x1];
    y[y_off + ((size_t)c * oh + oy) * ow + ox] = (1.0f - ly) * top + ly * bottom;
}

/* y[row][w - 1 - j] = x[row][j]; one item per (j, row) over all rows of all channels. */
__kernel void flip_horizontal_f32(__global const float *x, uint x_off, __global float *y,
                                  uint y_off, uint w) {
    uint j = get_global_id(0);
    uint row = get_global_id(1);
    if (j >= w) return;
    size_t base = (size_t)row * w;
    y[y_off + base + (w - 1 - j)] = x[x_off + base + j];
}
