#include "attention_reference.h"

#include <math.h>
#include <stdlib.h>

static double score(const float *q, int mq, int i, const float *kv, int mkv, int j, int e) {
    double s = 0;
    for (int c = 0; c < e; c++)
        s += (double)q[(size_t)c * mq + i] * (double)kv[(size_t)c * mkv + j];
    return s / sqrt((double)e);
}

void ref_attention_columns(const float *q, int mq, const float *kv, int mkv, int e, const int *cols,
                           int ncols, double *out) {
    double *w = malloc((size_t)mkv * sizeof *w);
    if (!w) abort();
    for (int n = 0; n < ncols; n++) {
        int i = cols[n];
        double mx = -INFINITY;
        for (int j = 0; j < mkv; j++) {
            w[j] = score(q, mq, i, kv, mkv, j, e);
            if (w[j] > mx) mx = w[j];
        }
        double sum = 0;
        for (int j = 0; j < mkv; j++) {
            w[j] = exp(w[j] - mx);
            sum += w[j];
        }
        for (int c = 0; c < e; c++) {
            double acc = 0;
            const float *v = kv + (size_t)c * mkv;
            for (int j = 0; j < mkv; j++) acc += w[j] * (double)v[j];
            out[(size_t)c * ncols + n] = acc / sum;
        }
    }
    free(w);
}

void ref_attention(const float *q, int mq, const float *kv, int mkv, int e, double *out) {
    int *cols = malloc((size_t)mq * sizeof *cols);
    if (!cols) abort();
    for (int i = 0; i < mq; i++) cols[i] = i;
    ref_attention_columns(q, mq, kv, mkv, e, cols, mq, out);
    free(cols);
}

double ref_attention_max_score(const float *q, int mq, const float *kv, int mkv, int e,
                               const int *cols, int ncols) {
    double mx = 0;
    for (int n = 0; n < ncols; n++)
        for (int j = 0; j < mkv; j++) {
            double s = fabs(score(q, mq, cols[n], kv, mkv, j, e));
            if (s > mx) mx = s;
        }
    return mx;
}
