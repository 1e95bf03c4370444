/* How adn_conv's im2col path cuts a convolution into column chunks, for the Winograd path's
 * cost model (internal to the ops layer). */
#ifndef ADN_OPS_CONV_CHUNKS_H
#define ADN_OPS_CONV_CHUNKS_H

#include "ops.h"

/* Output columns per im2col chunk of n columns and k matrix rows in scratch_floats, as adn_conv
 * cuts them (whole 32-column panels when gemm_panels and a panel fits: *panels says whether);
 * 0 when not one column fits. */
size_t adn_conv_chunk_columns(size_t n, size_t k, size_t scratch_floats, int gemm_panels,
                              int *panels);

/* The im2col taps adn_conv computes on an h x w input in chunks of cols output columns: per
 * chunk, the kernel rows that reach the input for one of its output rows times kw, times the
 * chunk's columns. Multiplied by cin it is the size of every chunk's B matrix together. */
double adn_conv_im2col_taps(const adn_conv_shape *s, int h, int w, size_t cols);

#endif
