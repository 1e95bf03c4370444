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
    /* a sub-device (spec "cpu/2"): part `part` (0-based) of `parts` equal parts of the device
     * info.index names; parts = 0 for a whole device. device is then the sub-device, which
     * adn_device_list_free releases. */
    int part, parts;
} adn_device_entry;

/* Enumerates once per process (thread-safe); the list is kept for the process's lifetime. */
adnet_status adn_devices(const adn_device_entry **list, int *count);

/* Resolves spec to device indices. "all" gives every device; other specs give one. An empty
 * or NULL spec takes the "device" setting (adnet_set_option, else $ADNET_DEVICE), else the
 * GPU with the highest estimated throughput, else the CPU. */
adnet_status adn_device_select_many(const char *spec, int *indices, int max, int *count);

/* The devices of one run, from a list spec: specs separated by commas, or "all" (every device);
 * a spec may end with /N, that device split into N equal sub-devices, each a device of its own
 * ("cpu/2": the CPU as two halves). NULL or "" is the default device. A spec that matches
 * nothing, a split the device cannot give, or a device named twice (also as a whole and in
 * parts) fails with ADNET_ERR_INVALID_ARGUMENT and a message listing the devices. *list is
 * malloc'd; free it with adn_device_list_free. */
adnet_status adn_device_list_resolve(const char *spec, adn_device_entry **list, int *n);
void adn_device_list_free(adn_device_entry *list, int n);

/* "[0] name" or "[0] name, part 1 of 2", for messages and summaries. */
void adn_device_entry_label(const adn_device_entry *e, char *dst, size_t cap);

#endif
