/* The OpenCL devices of this machine: enumerated once per process over every platform, in
 * adnet's global order (platforms, then devices), and chosen by spec strings. */
#ifndef ADN_DEVICE_LIST_H
#define ADN_DEVICE_LIST_H

#include "cl_status.h"

#include <stddef.h>

/* One device: its OpenCL handles, what adnet_device_get_info reports, and the limits the
 * device profile and the ops need. */
typedef struct adn_device_entry {
    cl_platform_id platform;
    cl_device_id device;
    adnet_device_info info;
    size_t max_work_items[3]; /* CL_DEVICE_MAX_WORK_ITEM_SIZES (1 beyond its dimensions) */
    size_t max_work_group;    /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
} adn_device_entry;

/* Enumerates once per process (thread-safe); the list is kept for the process's lifetime. */
adnet_status adn_devices(const adn_device_entry **list, int *count);

/* Resolves spec to device indices. "all" gives every device; other specs give one. An empty
 * or NULL spec takes the "device" setting (adnet_set_option, else $ADNET_DEVICE), else the
 * GPU with the highest estimated throughput, else the CPU. */
adnet_status adn_device_select_many(const char *spec, int *indices, int max, int *count);

#endif
