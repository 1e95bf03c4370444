/* `adnet bench --together`: several devices as one pool, run by the scheduler as `adnet
 * segment` runs them, against each device alone. */
#ifndef ADN_POOL_BENCH_H
#define ADN_POOL_BENCH_H

#include "benchmark.h"
#include "scheduler.h"

#define ADN_POOL_MAX 16

typedef struct adn_pool_result {
    int n; /* devices */
    char labels[ADN_POOL_MAX][200];
    long long units[ADN_POOL_MAX]; /* frames each computed in the timed run */
    int frames;                    /* frames timed */
    double seconds;                /* wall time of the timed frames */
    double fps;                    /* the pool's frames per second (anchor cached) */
} adn_pool_result;

/* Runs the configuration's model on devs as one pool: the anchor once, c->warmup frames per
 * device untimed, then c->frames frames per device timed from the first submission to the
 * last frame back. */
adnet_status adn_bench_pool(const adn_device_entry *devs, int n, const adn_bench_config *c,
                            adn_pool_result *r);

#endif
