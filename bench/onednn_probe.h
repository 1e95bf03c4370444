/* What the oneDNN probes (onednn_gemm_probe.c, onednn_conv_probe.c) share: a monotonic clock
 * and the exit on a failed oneDNN call, naming it. Header-only: each probe is one cc command. */
#ifndef ADN_BENCH_ONEDNN_PROBE_H
#define ADN_BENCH_ONEDNN_PROBE_H

#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline void must(dnnl_status_t st, const char *what) {
    if (st != dnnl_success) {
        fprintf(stderr, "onednn probe: %s failed (status %d)\n", what, (int)st);
        exit(1);
    }
}

#endif
