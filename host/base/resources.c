/* MAP_ANONYMOUS and MAP_NORESERVE are not POSIX */
#define _DEFAULT_SOURCE
#include "resources.h"

#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

const char *adn_address_space_note(char *buf, size_t cap) {
    struct rlimit r;
    if (getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
        snprintf(buf, cap, " (the address-space limit, ulimit -v, is %llu MiB)",
                 (unsigned long long)(r.rlim_cur >> 20));
    else if (cap)
        buf[0] = '\0';
    return buf;
}

adnet_status adn_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *what) {
    int err = pthread_create(t, NULL, fn, arg);
    if (err == 0) return ADNET_OK;
    char note[96];
    if (err == EAGAIN || err == ENOMEM)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "cannot start %s: %s%s", what, strerror(err),
                        adn_address_space_note(note, sizeof note));
    return adn_fail(ADNET_ERR_INTERNAL, "cannot start %s: %s", what, strerror(err));
}

unsigned long long adn_memory_available(void) {
    const char *hook = getenv("ADNET_TEST_MEMORY_AVAILABLE");
    if (hook && *hook) return strtoull(hook, NULL, 10);
    unsigned long long kib = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[128];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
        fclose(f);
    }
    if (kib) return kib << 10;
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (unsigned long long)pages * (unsigned long long)size : ~0ull;
}

adnet_status adn_host_memory_check(unsigned long long bytes, const char *what) {
    unsigned long long avail = adn_memory_available();
    if (bytes > avail)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                        "%s needs %llu MiB of memory, more than the %llu MiB this machine has "
                        "available",
                        what, bytes >> 20, avail >> 20);
    if (bytes > (size_t)-1) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "%s is too large", what);
    return adn_address_space_check((size_t)bytes, what);
}

adnet_status adn_address_space_check(size_t bytes, const char *what) {
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
        munmap(p, bytes);
        return ADNET_OK;
    }
    char note[96];
    return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                    "%s needs about %zu MiB more address space than is left%s", what, bytes >> 20,
                    adn_address_space_note(note, sizeof note));
}
