/* What a device can do, measured: the floating-point throughput of a kernel that does nothing
 * but independent multiply-adds, and that of a large SGEMM on the backend adnet's
 * convolutions run on (the device profile's: CLBlast's or adnet's own). `adnet bench` reports every
 * figure also as a share of these. */
#ifndef ADN_PEAK_H
#define ADN_PEAK_H

#include "device.h"

/* GFLOP/s of the multiply-add kernels of cl/peak.cl: for each, the best of three runs of
 * about min_seconds / 6 each after its iteration count has been scaled up to that length;
 * the faster kernel counts, and *kernel gets its name. A kernel that fails on this device is
 * skipped; the call fails only when none runs. */
adnet_status adn_peak_fma(adn_device *dev, double min_seconds, double *gflops, const char **kernel);

/* GFLOP/s (2 n^3 per call) of adn_gemm on n x n row-major matrices: one untimed call
 * (CLBlast compiles its kernels then), then as many calls back to back as take about
 * min_seconds, timed on the host from the first enqueue to clFinish (CLBlast's event covers
 * only its last kernel). *reps gets the number of timed calls. The three matrices are
 * allocated through adn_buffer_alloc (they count towards the device's mem_peak). */
adnet_status adn_peak_sgemm(adn_device *dev, int n, double min_seconds, double *gflops, int *reps);

#endif
