#include "pool_bench.h"

#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Submits n units of one input and waits for them all; counts them per device. */
static adnet_status run_units(adn_sched *s, adn_unit *units, int n, long long *per_device) {
    for (int i = 0; i < n; i++) ADN_TRY(adn_sched_submit(s, &units[i]));
    for (int done = 0; done < n;) {
        adn_unit *u = NULL;
        ADN_TRY(adn_sched_poll(s, 0.5, &u));
        if (!u) continue;
        done++;
        if (per_device && u->device >= 0 && u->device < ADN_POOL_MAX) per_device[u->device]++;
    }
    return ADNET_OK;
}

adnet_status adn_bench_pool(const adn_device_entry *devs, int n, const adn_bench_config *c,
                            adn_pool_result *r) {
    memset(r, 0, sizeof *r);
    if (n < 1 || n > ADN_POOL_MAX)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "a pool of 1 to %d devices, not %d",
                        ADN_POOL_MAX, n);
    r->n = n;
    for (int i = 0; i < n; i++) adn_device_entry_label(&devs[i], r->labels[i], sizeof r->labels[i]);
    adn_weights *w;
    adn_arch arch;
    ADN_TRY(adn_bench_open_weights(c, &w, &arch));
    adn_sched *s = NULL;
    int units_n = (c->warmup > c->frames ? c->warmup : c->frames) * n;
    if (units_n < 1) units_n = 1;
    int fw, fh;
    adnet_feature_size(c->width, c->height, &fw, &fh);
    float *input = adn_bench_random_input(c->width, c->height, c->seed + 1);
    float *anchor = adn_bench_random_input(c->width, c->height, c->seed);
    float *logits = malloc((size_t)units_n * fw * fh * sizeof *logits);
    adn_unit *units = calloc((size_t)units_n, sizeof *units);
    adnet_status st = input && anchor && logits && units
                          ? ADNET_OK
                          : adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK) st = adn_sched_create(devs, n, w, &arch, &c->width, &c->height, 1, &s);
    if (st == ADNET_OK) st = adn_sched_wait_all_ready(s);
    const float *anchors[1] = {anchor};
    if (st == ADNET_OK) st = adn_sched_set_anchor(s, 0, 1, &c->width, &c->height, anchors);
    for (int i = 0; i < units_n; i++)
        units[i] =
            (adn_unit){0, 0, c->width, c->height, input, logits + (size_t)i * fw * fh, NULL, -1};
    if (st == ADNET_OK && c->warmup > 0) st = run_units(s, units, c->warmup * n, NULL);
    if (st == ADNET_OK) {
        double t0 = adn_sched_now();
        st = run_units(s, units, c->frames * n, r->units);
        r->seconds = adn_sched_now() - t0;
        r->frames = c->frames * n;
        r->fps = r->seconds > 0 ? r->frames / r->seconds : 0;
    }
    if (s) adn_sched_drain(s);
    adn_sched_free(s);
    adn_weights_close(w);
    free(input);
    free(anchor);
    free(logits);
    free(units);
    return st;
}
