/* Kernel launches for the ops: arguments from a list, and the work-group shape the device
 * profile asks for. */
#ifndef ADN_OPS_LAUNCH_H
#define ADN_OPS_LAUNCH_H

#include "device.h"

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

/* The largest work-group kernel name can run with on dev. */
adnet_status adn_kernel_max_group(adn_device *dev, const char *name, size_t *max);

#endif
