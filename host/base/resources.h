/* The process's own limits, checked before work that would otherwise die in them: threads
 * that cannot start say why, and work that needs a known amount of address space checks that
 * it is there first (under `ulimit -v`, the OpenCL compiler's allocations would otherwise end
 * the process with an uncaught C++ exception instead of an error adnet can report). */
#ifndef ADN_RESOURCES_H
#define ADN_RESOURCES_H

#include "adnet.h"

#include <pthread.h>
#include <stddef.h>

/* pthread_create with an error naming the thread (what: "the loader thread") and the reason;
 * a lack of resources (EAGAIN, ENOMEM) is ADNET_ERR_OUT_OF_MEMORY with the address-space
 * limit named when one is set. */
adnet_status adn_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *what);

/* Checks that bytes of address space can still be mapped (a reservation made and given back at
 * once, no memory touched); fails with ADNET_ERR_OUT_OF_MEMORY naming what needs it and the
 * limit. */
adnet_status adn_address_space_check(size_t bytes, const char *what);

/* The host memory a new allocation can take without swapping or the OOM killer: the kernel's
 * MemAvailable (/proc/meminfo; the physical memory where there is none). A test hook:
 * ADNET_TEST_MEMORY_AVAILABLE=BYTES pretends the machine has that much. */
unsigned long long adn_memory_available(void);

/* Checks, before allocating, that bytes of host memory are available (adn_memory_available)
 * and mappable (adn_address_space_check); fails with ADNET_ERR_OUT_OF_MEMORY naming what
 * needs them, how much, and how much there is. */
adnet_status adn_host_memory_check(unsigned long long bytes, const char *what);

/* " (the address-space limit, ulimit -v, is N MiB)" when one is set, else "". */
const char *adn_address_space_note(char *buf, size_t cap);

#endif
