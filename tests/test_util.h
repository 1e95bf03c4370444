/* Shared helpers for adnet's C tests: checks that report file and line, a deterministic
 * random generator, array comparison against references, and the list of devices to run on. */
#ifndef ADN_TEST_UTIL_H
#define ADN_TEST_UTIL_H

#include "buffers.h"
#include "device.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern int tu_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            tu_failures++;                                                                         \
        }                                                                                          \
    } while (0)

/* Requires a library call to succeed; on failure prints its message and aborts the test. */
#define CHECK_OK(call)                                                                             \
    do {                                                                                           \
        adnet_status tu_st_ = (call);                                                              \
        if (tu_st_ != ADNET_OK) {                                                                  \
            fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #call,               \
                    adnet_strerror(tu_st_), adnet_last_error());                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Requires a call to fail with a given status and a message containing a substring. */
#define CHECK_FAILS(call, status, substring)                                                       \
    do {                                                                                           \
        adnet_status tu_st_ = (call);                                                              \
        if (tu_st_ != (status)) {                                                                  \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d\n", __FILE__, __LINE__,       \
                    #call, (int)tu_st_, adnet_last_error(), (int)(status));                        \
            tu_failures++;                                                                         \
        } else if (!tu_contains(adnet_last_error(), substring)) {                                  \
            fprintf(stderr, "%s:%d: message '%s' lacks '%s'\n", __FILE__, __LINE__,                \
                    adnet_last_error(), substring);                                                \
            tu_failures++;                                                                         \
        }                                                                                          \
    } while (0)

int tu_contains(const char *hay, const char *needle);

/* Prints a summary and returns the process exit code. */
int tu_finish(const char *test_name);

/* Deterministic xorshift random numbers. */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;
tu_rng tu_rng_seed(uint64_t seed);
float tu_uniform(tu_rng *r, float lo, float hi);
void tu_fill_uniform(tu_rng *r, float *x, size_t n, float lo, float hi);

/* max |a - b| over n values; also reports the index of the worst element. */
double tu_max_abs_diff(const float *a, const float *b, size_t n, size_t *worst);
/* Checks max |got - want| <= atol + rtol * max|want|; prints a line either way. */
int tu_check_close(const char *what, const float *got, const float *want, size_t n, double atol,
                   double rtol);

/* Opens every OpenCL device present (or the ones ADNET_TEST_DEVICES names, as a device spec).
 * Fails the test when there is none. */
int tu_open_devices(adn_device **devs, int max);
/* Whether the tests run under a device simulator (ADNET_TEST_SIMULATOR set and not "0", as the
 * oclgrind tier sets it): the cases at full network sizes take hours there and are left to
 * real devices. */
int tu_under_simulator(void);
void tu_close_devices(adn_device **devs, int n);

/* The device profiles every op test runs in, the same way everywhere: the device's own, the
 * named "cpu" and "gpu" profiles, two mixes (the cpu profile's GEMM fed by the generic im2col
 * with the direct attention kernel; CLBlast's fed by the rows im2col with the tiled one), and
 * adnet's GEMM in panels where the cpu profile's is oneDNN's, so every kernel variant and every
 * GEMM engine runs on every device present. Returns how many were written (<= max). */
int tu_profiles(const adn_device *dev, adn_device_profile *out, int max);

/* A fresh temporary directory under $TMPDIR (removed by tu_rm_rf). */
char *tu_mkdtemp(void);
void tu_rm_rf(const char *path);

#endif
