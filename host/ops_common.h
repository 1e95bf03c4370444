/* Helpers shared by the ops (not by the layers above): argument checks that name the op and
 * the tensor, and a one-call kernel launch. */
#ifndef ADN_OPS_COMMON_H
#define ADN_OPS_COMMON_H

#include "ops.h"

/* Checks that t is a usable tensor: present, on a buffer, with positive dims, and addressable
 * by the kernels' 32-bit element offsets. role names it in the message ("adn_conv: x ..."). */
adnet_status adn_check_tensor(const adn_tensor *t, const char *op, const char *role);

/* Checks that t is c x h x w; the message gives both shapes. */
adnet_status adn_check_shape(const adn_tensor *t, int c, int h, int w, const char *op,
                             const char *role);

/* True when a and b share elements of the same buffer. */
int adn_tensors_overlap(const adn_tensor *a, const adn_tensor *b);

/* Fails when a and b share elements (an op that reads a while writing b would race). */
adnet_status adn_check_disjoint(const adn_tensor *a, const adn_tensor *b, const char *op,
                                const char *role_a, const char *role_b);

/* The same for elements [off, off + n) of mem (scratch) and tensor t. */
adnet_status adn_check_range_disjoint(cl_mem mem, size_t off, size_t n, const adn_tensor *t,
                                      const char *op, const char *role_range, const char *role_t);

/* One kernel argument: its size and a pointer to its value. */
typedef struct adn_karg {
    size_t size;
    const void *value;
} adn_karg;

#define ADN_KARG(v)                                                                                \
    { sizeof(v), &(v) }

/* Sets the arguments of kernel name and enqueues it over n[0] x n[1] x n[2] items (dims of
 * them). Dimension 0 is the one kernels keep contiguous in memory: it is rounded up to a
 * multiple of the work-group width, so kernels bound-check their id in dimension 0. */
adnet_status adn_run_kernel(adn_device *dev, const char *name, int dims, const size_t *n,
                            int n_args, const adn_karg *args);

/* The same with an explicit work-group width local0 along dimension 0 (n[0] must be a
 * multiple of it), for kernels that cooperate within a group. */
adnet_status adn_run_kernel_grouped(adn_device *dev, const char *name, int dims, const size_t *n,
                                    size_t local0, int n_args, const adn_karg *args);

/* C[m x n] (leading dimension ldc) = A[m x k] (leading dimension lda >= k) B[k x n]
 * (leading dimension ldb), all row-major float32 at element offsets, on the device's GEMM
 * backend (dev->gemm). what names the operation in errors ("conv 3->5 ..."); col0 is the first
 * output column of the chunk it computes, for messages. */
adnet_status adn_gemm(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a, size_t a_off,
                      size_t lda, cl_mem b, size_t b_off, size_t ldb, cl_mem c, size_t c_off,
                      size_t ldc, const char *what, size_t col0);

/* Columns per panel of adn_gemm_b_panels's B. */
#define ADN_GEMM_PANEL 32

/* adn_gemm on adnet's backend only (dev->gemm == ADN_GEMM_ADNET), with B stored in panels of
 * ADN_GEMM_PANEL columns: panel p (columns 32 p ..) at b_off + 32 p k, row r of it at + 32 r,
 * the last panel holding only its columns at the same stride. adnet's CPU im2col writes this
 * layout when asked (cl/conv.cl). */
adnet_status adn_gemm_b_panels(adn_device *dev, size_t m, size_t n, size_t k, cl_mem a,
                               size_t a_off, size_t lda, cl_mem b, size_t b_off, cl_mem c,
                               size_t c_off, size_t ldc, const char *what);

/* The largest work-group kernel name can run with on dev. */
adnet_status adn_kernel_max_group(adn_device *dev, const char *name, size_t *max);

#endif
