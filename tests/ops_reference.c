#include "ops_reference.h"

#include <math.h>

int ref_conv_out_dim(int in, int kernel, int stride, int pad, int dilation) {
    int n = 0;
    /* a position counts when its last tap still lies inside the padded input */
    for (int o = 0; o * stride + dilation * (kernel - 1) <= in - 1 + 2 * pad; o++) n++;
    return n;
}

static double activate(double v, int act) {
    if (act == 1) return v > 0 ? v : 0;
    if (act == 2) return v >= 0 ? v : 0.01 * v;
    return v;
}

void ref_conv(const float *x, int cin, int h, int w, const float *weight, const float *bias,
              int cout, int k, int stride, int pad, int dilation, const float *residual, int act,
              float *y) {
    int oh = ref_conv_out_dim(h, k, stride, pad, dilation);
    int ow = ref_conv_out_dim(w, k, stride, pad, dilation);
    for (int co = 0; co < cout; co++) {
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                double sum = bias ? bias[co] : 0.0;
                for (int ci = 0; ci < cin; ci++) {
                    for (int ky = 0; ky < k; ky++) {
                        int iy = oy * stride - pad + ky * dilation;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < k; kx++) {
                            int ix = ox * stride - pad + kx * dilation;
                            if (ix < 0 || ix >= w) continue;
                            double wv = weight[((co * cin + ci) * k + ky) * k + kx];
                            sum += wv * x[(ci * h + iy) * w + ix];
                        }
                    }
                }
                size_t o = ((size_t)co * oh + oy) * ow + ox;
                if (residual) sum += residual[o];
                y[o] = (float)activate(sum, act);
            }
        }
    }
}

void ref_bias_act(float *y, int c, int h, int w, const float *bias, const float *residual,
                  int act) {
    for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < h * w; i++) {
            size_t o = (size_t)ch * h * w + i;
            double v = (double)y[o] + (bias ? bias[ch] : 0.0) + (residual ? residual[o] : 0.0);
            y[o] = (float)activate(v, act);
        }
    }
}

void ref_maxpool(const float *x, int c, int h, int w, int k, int stride, int pad, int oh, int ow,
                 float *y) {
    for (int ch = 0; ch < c; ch++) {
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                double m = -INFINITY;
                int seen = 0;
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        double v = x[(ch * h + iy) * w + ix];
                        if (!seen || v > m) m = v;
                        seen = 1;
                    }
                }
                /* a window of padding only would be NaN: the test then fails loudly */
                y[(ch * oh + oy) * ow + ox] = seen ? (float)m : NAN;
            }
        }
    }
}

void ref_global_avgpool(const float *x, int c, int h, int w, float *y) {
    for (int ch = 0; ch < c; ch++) {
        double sum = 0;
        for (int i = 0; i < h * w; i++) sum += x[(size_t)ch * h * w + i];
        y[ch] = (float)(sum / (h * w));
    }
}

/* The two source samples and the weight of the second along one axis. */
static void corner_sample(int dst, int in, int out, int *i0, int *i1, double *frac) {
    double src = out > 1 ? (double)dst * (in - 1) / (out - 1) : 0.0;
    *i0 = (int)floor(src);
    if (*i0 > in - 1) *i0 = in - 1;
    *i1 = *i0 + 1 < in ? *i0 + 1 : in - 1;
    *frac = src - *i0;
}

void ref_resize_bilinear(const float *x, int c, int h, int w, int oh, int ow, float *y) {
    for (int ch = 0; ch < c; ch++) {
        const float *xc = x + (size_t)ch * h * w;
        for (int oy = 0; oy < oh; oy++) {
            int y0, y1;
            double fy;
            corner_sample(oy, h, oh, &y0, &y1, &fy);
            for (int ox = 0; ox < ow; ox++) {
                int x0, x1;
                double fx;
                corner_sample(ox, w, ow, &x0, &x1, &fx);
                double v = (1 - fy) * ((1 - fx) * xc[y0 * w + x0] + fx * xc[y0 * w + x1]) +
                           fy * ((1 - fx) * xc[y1 * w + x0] + fx * xc[y1 * w + x1]);
                y[((size_t)ch * oh + oy) * ow + ox] = (float)v;
            }
        }
    }
}

void ref_flip_horizontal(const float *x, int c, int h, int w, float *y) {
    for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                y[((size_t)ch * h + i) * w + (w - 1 - j)] = x[((size_t)ch * h + i) * w + j];
}
