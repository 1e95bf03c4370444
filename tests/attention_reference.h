/* A plain-C reference for the attention of AD-Net, written for clarity, not speed: the scores
 * of one query column are materialised in double, soft-maxed, and the values weighted. It
 * shares nothing with the tiled kernel's algorithm (no online softmax, no tiles). */
#ifndef ADN_ATTENTION_REFERENCE_H
#define ADN_ATTENTION_REFERENCE_H

/* q is e x mq, kv is e x mkv (channels first, contiguous). For each of the ncols query columns
 * cols[n], out[c * ncols + n] = attend(q, kv)[c, cols[n]], where
 *   attend(Q, KV)[:, i] = sum_j softmax_j(Q[:, i] . KV[:, j] / sqrt(e)) KV[:, j]. */
void ref_attention_columns(const float *q, int mq, const float *kv, int mkv, int e, const int *cols,
                           int ncols, double *out);

/* All columns: out is e x mq. */
void ref_attention(const float *q, int mq, const float *kv, int mkv, int e, double *out);

/* The largest |Q[:, i] . KV[:, j]| / sqrt(e) over the given query columns (to report how
 * far the scores of a test reach). */
double ref_attention_max_score(const float *q, int mq, const float *kv, int mkv, int e,
                               const int *cols, int ncols);

#endif
