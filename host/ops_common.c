#include "ops_common.h"

#include "status.h"

#include <stdint.h>
#include <stdio.h>

adnet_status adn_check_tensor(const adn_tensor *t, const char *op, const char *role) {
    if (!t) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: %s is NULL", op, role);
    if (!t->mem) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: %s has no buffer", op, role);
    if (t->c < 1 || t->h < 1 || t->w < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: %s has an empty shape %dx%dx%d", op, role,
                        t->c, t->h, t->w);
    /* kernels index with 32-bit offsets */
    size_t count = adn_tensor_count(t);
    if (count > UINT32_MAX || t->off > UINT32_MAX - count)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: %s (%dx%dx%d at element %zu) lies beyond the 2^32 elements the "
                        "kernels can address",
                        op, role, t->c, t->h, t->w, t->off);
    return ADNET_OK;
}

adnet_status adn_check_shape(const adn_tensor *t, int c, int h, int w, const char *op,
                             const char *role) {
    if (t->c != c || t->h != h || t->w != w)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: %s is %dx%dx%d, expected %dx%dx%d", op,
                        role, t->c, t->h, t->w, c, h, w);
    return ADNET_OK;
}

int adn_tensors_overlap(const adn_tensor *a, const adn_tensor *b) {
    if (a->mem != b->mem) return 0;
    size_t a_end = a->off + adn_tensor_count(a), b_end = b->off + adn_tensor_count(b);
    return a->off < b_end && b->off < a_end;
}

adnet_status adn_check_range_disjoint(cl_mem mem, size_t off, size_t n, const adn_tensor *t,
                                      const char *op, const char *role_range, const char *role_t) {
    size_t t_end = t->off + adn_tensor_count(t);
    if (mem == t->mem && off < t_end && t->off < off + n)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: %s (elements %zu..%zu) and %s (elements %zu..%zu) overlap in one "
                        "buffer",
                        op, role_range, off, off + n, role_t, t->off, t_end);
    return ADNET_OK;
}

adnet_status adn_check_disjoint(const adn_tensor *a, const adn_tensor *b, const char *op,
                                const char *role_a, const char *role_b) {
    return adn_check_range_disjoint(a->mem, a->off, adn_tensor_count(a), b, op, role_a, role_b);
}

adnet_status adn_kernel_max_group(adn_device *dev, const char *name, size_t *max) {
    cl_kernel k;
    ADN_TRY(adn_kernel(dev, name, &k));
    *max = 0;
    ADN_CL(clGetKernelWorkGroupInfo(k, dev->entry.device, CL_KERNEL_WORK_GROUP_SIZE, sizeof *max,
                                    max, NULL),
           "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE)");
    if (*max == 0) *max = 1;
    return ADNET_OK;
}

/* Sets the arguments and enqueues with the given local width (0: the driver chooses). */
static adnet_status launch(adn_device *dev, const char *name, cl_kernel k, int dims,
                           const size_t *global, size_t local0, int n_args, const adn_karg *args) {
    for (int i = 0; i < n_args; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS)
            return adn_fail(ADNET_ERR_OPENCL, "clSetKernelArg(%s, arg %d) failed: %s (%d)", name, i,
                            adn_cl_error_name(err), (int)err);
    }
    size_t local[3] = {local0, 1, 1};
    return adn_enqueue(dev, k, dims, global, local0 ? local : NULL, name);
}

adnet_status adn_run_kernel_grouped(adn_device *dev, const char *name, int dims, const size_t *n,
                                    size_t local0, int n_args, const adn_karg *args) {
    cl_kernel k;
    ADN_TRY(adn_kernel(dev, name, &k));
    if (local0 == 0 || n[0] % local0 != 0)
        return adn_fail(ADNET_ERR_INTERNAL, "%s: range %zu is not a multiple of the group %zu",
                        name, n[0], local0);
    return launch(dev, name, k, dims, n, local0, n_args, args);
}

/* The work-group width along dimension 0: 64 items (a multiple of every GPU's SIMD width),
 * narrower when the kernel allows less or the range itself is narrow, so that a 1-pixel-wide
 * map does not idle 63 of 64 items. Always a power of two. */
static size_t group_width(adn_device *dev, cl_kernel k, size_t n0) {
    size_t max = 0;
    if (clGetKernelWorkGroupInfo(k, dev->entry.device, CL_KERNEL_WORK_GROUP_SIZE, sizeof max, &max,
                                 NULL) != CL_SUCCESS ||
        max == 0)
        max = 1;
    size_t width = 64;
    while (width > max) width /= 2;
    while (width > 1 && width / 2 >= n0) width /= 2;
    return width;
}

adnet_status adn_run_kernel(adn_device *dev, const char *name, int dims, const size_t *n,
                            int n_args, const adn_karg *args) {
    cl_kernel k;
    ADN_TRY(adn_kernel(dev, name, &k));
    size_t global[3] = {1, 1, 1};
    for (int i = 0; i < dims; i++) global[i] = n[i];
    size_t local0 = group_width(dev, k, n[0]);
    global[0] = (n[0] + local0 - 1) / local0 * local0;
    return launch(dev, name, k, dims, global, local0, n_args, args);
}
