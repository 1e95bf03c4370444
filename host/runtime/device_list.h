/* The OpenCL devices of this machine: enumerated once per process over every platform, in
 * adnet's global order (platforms, then devices), with what identifies the chip behind each
 * (device_chip.h). Choosing devices by spec strings is device_select.h. */
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
    /* CL_EXEC_NATIVE_KERNEL in CL_DEVICE_EXECUTION_CAPABILITIES and CL_DEVICE_HOST_UNIFIED_MEMORY:
     * together, the device can run a host function on its buffers in its own queue (native.h) */
    int native_kernels, host_unified;
    /* a sub-device (spec "cpu/2"): part `part` (0-based) of `parts` equal parts of the device
     * info.index names; parts = 0 for a whole device. device is then the sub-device, which
     * adn_device_list_free releases. */
    int part, parts;
    /* the chip behind the device (device_chip.h): its PCI address ("" when the driver gives
     * none) and its description; info.chip shows the first that is set */
    char chip_pci[32];
    char chip_desc[160];
} adn_device_entry;

/* Whether e can run native kernels on its buffers (native.h): CL_EXEC_NATIVE_KERNEL and memory
 * shared with the host (a CPU runtime's devices). */
int adn_device_runs_native(const adn_device_entry *e);

/* Enumerates once per process (thread-safe); the list is kept for the process's lifetime. */
adnet_status adn_devices(const adn_device_entry **list, int *count);

/* Splits device e into parts equal sub-devices (clCreateSubDevices), appended to out[*n ..];
 * spec names the request in messages. */
adnet_status adn_device_split(const adn_device_entry *e, int parts, const char *spec,
                              adn_device_entry *out, int *n);

/* "[0] name" or "[0] name, part 1 of 2", for messages and summaries. */
void adn_device_entry_label(const adn_device_entry *e, char *dst, size_t cap);
/* Frees a list of adn_device_select.h's adn_device_list_resolve (its sub-devices included). */
void adn_device_list_free(adn_device_entry *list, int n);

#endif
