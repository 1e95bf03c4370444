#include "launch.h"

#include "status.h"

adnet_status adn_kernel_max_group(adn_device *dev, const char *name, size_t *max) {
    cl_kernel k;
    adn_kernel_limits lim;
    ADN_TRY(adn_kernel(dev, name, &k));
    ADN_TRY(adn_kernel_get_limits(dev, k, name, &lim));
    *max = lim.work_group;
    return ADNET_OK;
}

/* Sets the arguments and enqueues with the given local width (0: the driver chooses). */
static adnet_status launch(adn_device *dev, const char *name, cl_kernel k, int dims,
                           const size_t *global, size_t local0, int n_args, const adn_karg *args) {
    for (int i = 0; i < n_args; i++) ADN_TRY(adn_set_arg(k, name, i, args[i].size, args[i].value));
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

/* The work-group width along dimension 0: the profile's (64 items, a multiple of every GPU's
 * SIMD width), narrower when the kernel allows less or the range itself is narrow, so that a
 * 1-pixel-wide map does not idle 63 of 64 items. Always a power of two. */
static size_t group_width(adn_device *dev, cl_kernel k, const char *name, size_t n0) {
    adn_kernel_limits lim = {1, 0}; /* a kernel whose limits cannot be read runs one-wide */
    if (adn_kernel_get_limits(dev, k, name, &lim) != ADNET_OK) adn_clear_error();
    size_t max = lim.work_group;
    size_t width = dev->profile.group_width;
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
    size_t local0 = group_width(dev, k, name, n[0]);
    global[0] = (n[0] + local0 - 1) / local0 * local0;
    return launch(dev, name, k, dims, global, local0, n_args, args);
}
