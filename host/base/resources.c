/* MAP_ANONYMOUS and MAP_NORESERVE are not POSIX */
#define _DEFAULT_SOURCE
#include "resources.h"

#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

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
