/* Choosing devices: spec strings ("0", "gpu", "nvidia", "all", "cpu/2", lists) resolved over the
 * device list, with one device per chip for "all" and the default (device_chip.h decides which
 * driver stands for a chip, from `adnet tune`'s measurements where there are some). */
#ifndef ADN_DEVICE_SELECT_H
#define ADN_DEVICE_SELECT_H

#include "device_list.h"

/* Resolves spec to device indices. "all" gives one device per chip (the one that stands for it);
 * "every" gives every device of every driver (the tests' loop over drivers); other specs give
 * one. An empty or NULL spec takes the "device" setting (adnet_set_option, else $ADNET_DEVICE),
 * else the GPU with the highest estimated throughput, else the CPU, among the devices that
 * stand for their chips. A type ("cpu") picks among those too; an index or a name picks
 * exactly the device it names. */
adnet_status adn_device_select_many(const char *spec, int *indices, int max, int *count);

/* The devices of one run, from a list spec: specs separated by commas, or "all" (one per chip);
 * a spec may end with /N, that device split into N equal sub-devices, each a device of its own
 * ("cpu/2": the CPU as two halves). NULL or "" is the default device. A spec that matches
 * nothing, a split the device cannot give, or a device named twice (also as a whole and in
 * parts) fails with ADNET_ERR_INVALID_ARGUMENT and a message listing the devices. *list is
 * malloc'd; free it with adn_device_list_free. */
adnet_status adn_device_list_resolve(const char *spec, adn_device_entry **list, int *n);

/* Why device index stands for its chip or was left out of "all" ("" when it is the only device
 * of its chip); the same text as `adnet devices` prints. */
const char *adn_device_chip_note(int index);

/* When two devices of a resolved list are the same chip through different drivers or device
 * entries (not parts of one split device), writes a warning naming them into dst and returns 1:
 * their replicas then share the chip's cores or compute units. */
int adn_device_list_shared_chip(const adn_device_entry *list, int n, char *dst, size_t cap);

#endif
