#include "postproc.h"

void adn_upsample_bilinear_ac(const float *src, int sw, int sh, float *dst, int dw, int dh) {
    /* PyTorch's align_corners=True: source coordinate = dst index * (in - 1) / (out - 1),
     * computed in float (its area_pixel_compute_scale) */
    float sy = dh > 1 ? (float)(sh - 1) / (float)(dh - 1) : 0.0f;
    float sx = dw > 1 ? (float)(sw - 1) / (float)(dw - 1) : 0.0f;
    for (int y = 0; y < dh; y++) {
        float fy = sy * (float)y;
        int y0 = (int)fy;
        if (y0 > sh - 1) y0 = sh - 1;
        int y1 = y0 + (y0 < sh - 1);
        float ly = fy - (float)y0, hy = 1.0f - ly;
        const float *r0 = src + (size_t)y0 * sw, *r1 = src + (size_t)y1 * sw;
        float *out = dst + (size_t)y * dw;
        for (int x = 0; x < dw; x++) {
            float fx = sx * (float)x;
            int x0 = (int)fx;
            if (x0 > sw - 1) x0 = sw - 1;
            int x1 = x0 + (x0 < sw - 1);
            float lx = fx - (float)x0, hx = 1.0f - lx;
            out[x] = hy * (hx * r0[x0] + lx * r0[x1]) + ly * (hx * r1[x0] + lx * r1[x1]);
        }
    }
}

size_t adn_threshold(const float *x, size_t n, float threshold, uint8_t *mask) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int on = x[i] > threshold;
        mask[i] = on ? 255 : 0;
        count += (size_t)on;
    }
    return count;
}
