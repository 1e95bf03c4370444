#include "checks.h"

#include "buffers.h"
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
                        "%s: %s (elements %zu..%zu) overlaps %s (elements %zu..%zu) in one "
                        "buffer",
                        op, role_range, off, off + n, role_t, t->off, t_end);
    return ADNET_OK;
}

adnet_status adn_check_disjoint(const adn_tensor *a, const adn_tensor *b, const char *op,
                                const char *role_a, const char *role_b) {
    return adn_check_range_disjoint(a->mem, a->off, adn_tensor_count(a), b, op, role_a, role_b);
}

adnet_status adn_check_in_buffer(const adn_tensor *t, const char *op, const char *role) {
    size_t bytes = 0;
    ADN_TRY(adn_buffer_size(t->mem, &bytes));
    size_t end = t->off + adn_tensor_count(t);
    if (end > bytes / sizeof(float))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "%s: %s (%dx%dx%d at element %zu) runs past the end of its buffer (%zu "
                        "floats)",
                        op, role, t->c, t->h, t->w, t->off, bytes / sizeof(float));
    return ADNET_OK;
}

adnet_status adn_check_activation(adn_activation act, const char *op) {
    if (act != ADN_ACT_NONE && act != ADN_ACT_RELU && act != ADN_ACT_LEAKY)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: unknown activation %d", op, (int)act);
    return ADNET_OK;
}
