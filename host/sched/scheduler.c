/* The scheduler's rules (docs/architecture.md, "The scheduler"):
 * - dispatch: the unit at the head of the queue goes to the ready device expected to finish it
 *   first: (units in flight x its mean time per unit, less what the oldest has run) + its
 *   mean, plus a small cost when it must first upload the video's anchor. Means are running
 *   means per device and input size, seeded by each device's first unit (unmeasured devices
 *   count as fast as the fastest measured one, so each gets its first unit early). When the
 *   best device already has two units in flight, nothing is dispatched: the unit waits for it,
 *   so a slow device never gets a unit a faster one would finish sooner.
 * - faults: a unit that fails retires its device; a device whose oldest unit runs longer than
 *   max(WATCHDOG_MIN_S, WATCHDOG_FACTOR x its mean) is retired too. A retired device's units
 *   go back to the head of the queue, in order; its worker is abandoned. */
#include "scheduler.h"

#include "device_select.h"

#include "status.h"
#include "tuning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IN_FLIGHT  2   /* units per device */
#define WATCHDOG_MIN_S 5.0 /* a unit may always take this long */
/* ... and before a device has finished a unit of that size, much longer: a first frame may
 * compile kernels, and nothing is known of the device's speed yet */
#define WATCHDOG_FIRST_S 600.0
#define WATCHDOG_FACTOR  8.0  /* ... or this many times the device's mean */
#define MEAN_WEIGHT      0.25 /* of a new measurement in the running mean */
#define MAX_WARNINGS     16

struct adn_sched {
    adn_replica *r;
    int n;
    adn_queue done; /* finished jobs, from the workers */
    adn_arch arch;
    int n_sizes, widths[ADN_MAX_ANCHORS], heights[ADN_MAX_ANCHORS];
    /* units waiting for a device, in order (requeued ones go back to the front) */
    adn_unit **pending;
    int n_pending, cap_pending;
    /* jobs handed to devices and not yet back */
    adn_job **flying;
    int n_flying, cap_flying;
    /* units finished while an anchor was awaited, not yet handed back */
    adn_unit **ready_units;
    int n_ready_units, cap_ready_units;
    int outstanding;
    /* host anchors of the videos with units left */
    adn_anchor_record *anchors[8];
    int n_anchors;
    /* per replica: which video's anchor it holds per slot once its queue has run */
    int (*holds)[ADN_MAX_ANCHORS];
    int ever_ready;
    char warnings[MAX_WARNINGS][700];
    int n_warnings;
};

/* ---- small growable arrays --------------------------------------------------------------- */

static adnet_status grow(void *ptr, int *cap, int need, size_t size) {
    void **p = ptr;
    if (need <= *cap) return ADNET_OK;
    int c = *cap ? 2 * *cap : 16;
    while (c < need) c *= 2;
    void *g = realloc(*p, (size_t)c * size);
    if (!g) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    *p = g;
    *cap = c;
    return ADNET_OK;
}

static void warn(adn_sched *s, const char *fmt, const char *a, const char *b) {
    if (s->n_warnings == MAX_WARNINGS) return;
    char *dst = s->warnings[s->n_warnings++];
    int n = snprintf(dst, sizeof s->warnings[0], fmt, a, b);
    (void)n; /* a long message is cut, never overrun */
}

int adn_sched_take_warning(adn_sched *s, char *dst, size_t cap) {
    if (s->n_warnings == 0) return 0;
    snprintf(dst, cap, "%s", s->warnings[0]);
    memmove(s->warnings[0], s->warnings[1], (size_t)(s->n_warnings - 1) * sizeof s->warnings[0]);
    s->n_warnings--;
    return 1;
}

/* ---- creation ---------------------------------------------------------------------------- */

static adnet_status alloc_sched(int n, adn_sched **out) {
    adn_sched *s = calloc(1, sizeof *s);
    if (!s) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    s->r = calloc((size_t)n, sizeof *s->r);
    s->holds = calloc((size_t)n, sizeof *s->holds);
    adnet_status st =
        s->r && s->holds ? ADNET_OK : adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK) st = adn_queue_init(&s->done, 8 * n + 32);
    if (st != ADNET_OK) {
        free(s->r);
        free(s->holds);
        free(s);
        return st;
    }
    s->n = n;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ADN_MAX_ANCHORS; k++) s->holds[i][k] = -1;
    *out = s;
    return ADNET_OK;
}

adnet_status adn_sched_create(const adn_device_entry *devs, int n, const adn_weights *weights,
                              const adn_arch *arch, const int *widths, const int *heights,
                              int n_sizes, adn_sched **out) {
    *out = NULL;
    if (n < 1) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "the scheduler needs a device");
    if (n_sizes > ADN_MAX_ANCHORS) n_sizes = ADN_MAX_ANCHORS;
    const char *fault_spec = getenv("ADNET_FAULT");
    adn_fault faults[64] = {{0}};
    for (int i = 0; i < n && i < 64; i++) ADN_TRY(adn_fault_parse(fault_spec, i, &faults[i]));
    /* a setting the profiles refuse is the caller's error, told before anything opens */
    for (int i = 0; i < n; i++) {
        adn_device_profile p;
        ADN_TRY(adn_device_profile_resolve(&devs[i], &p));
    }
    adn_sched *s;
    ADN_TRY(alloc_sched(n, &s));
    s->arch = *arch;
    s->n_sizes = n_sizes;
    char shared[600];
    if (adn_device_list_shared_chip(devs, n, shared, sizeof shared)) warn(s, "%s%s", shared, "");
    for (int k = 0; k < n_sizes; k++) {
        s->widths[k] = widths[k];
        s->heights[k] = heights[k];
    }
    adnet_status st = ADNET_OK;
    for (int i = 0; i < n && st == ADNET_OK; i++) {
        adn_replica *r = &s->r[i];
        r->position = i;
        r->entry = devs[i];
        adn_device_entry_label(&devs[i], r->label, sizeof r->label);
        r->weights = weights;
        r->arch = *arch;
        r->n_sizes = n_sizes;
        memcpy(r->widths, s->widths, sizeof r->widths);
        memcpy(r->heights, s->heights, sizeof r->heights);
        r->fault = i < 64 ? faults[i] : (adn_fault){0};
        r->done = &s->done;
        st = adn_replica_start(r);
    }
    if (st != ADNET_OK) {
        adn_sched_free(s);
        return st;
    }
    *out = s;
    return ADNET_OK;
}

adnet_status adn_sched_create_from_model(adnet_model *model, adn_sched **out) {
    *out = NULL;
    adn_sched *s;
    ADN_TRY(alloc_sched(1, &s));
    adn_replica *r = &s->r[0];
    s->arch = *adn_model_arch(model);
    r->entry = adn_model_device(model)->entry;
    adn_device_entry_label(&r->entry, r->label, sizeof r->label);
    r->arch = s->arch;
    r->model = model;
    r->done = &s->done;
    adnet_status st = adn_replica_start(r);
    if (st != ADNET_OK) {
        adn_sched_free(s);
        return st;
    }
    *out = s;
    return ADNET_OK;
}

static void free_anchor(adn_anchor_record *a) {
    for (int k = 0; k < ADN_MAX_ANCHORS; k++) free(a->embedding[k]);
    free(a);
}

void adn_sched_free(adn_sched *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) adn_replica_stop(&s->r[i]);
    /* jobs that came back (or were orphaned) after the last poll */
    adn_job *j;
    int timed_out;
    while (s->done.items && (j = adn_queue_pop_timed(&s->done, 0, &timed_out)) != NULL) {
        int flying = 0;
        for (int f = 0; f < s->n_flying; f++) flying |= s->flying[f] == j;
        if (!flying) free(j);
    }
    for (int f = 0; f < s->n_flying; f++) free(s->flying[f]);
    for (int a = 0; a < s->n_anchors; a++) free_anchor(s->anchors[a]);
    adn_queue_destroy(&s->done);
    free(s->pending);
    free(s->flying);
    free(s->ready_units);
    free(s->holds);
    free(s->r);
    free(s);
}

int adn_sched_device_count(const adn_sched *s) {
    return s->n;
}

/* ---- bookkeeping ------------------------------------------------------------------------- */

static int size_index(const adn_sched *s, int w, int h) {
    for (int k = 0; k < s->n_sizes; k++)
        if (s->widths[k] == w && s->heights[k] == h) return k;
    return -1;
}

static adn_anchor_record *anchor_of(adn_sched *s, int video) {
    for (int a = 0; a < s->n_anchors; a++)
        if (s->anchors[a]->video == video) return s->anchors[a];
    return NULL;
}

static void release_anchors(adn_sched *s) {
    for (int a = 0; a < s->n_anchors;) {
        adn_anchor_record *r = s->anchors[a];
        if (r->closed && r->outstanding == 0) {
            free_anchor(r);
            s->anchors[a] = s->anchors[--s->n_anchors];
        } else {
            a++;
        }
    }
}

static int live(const adn_sched *s) {
    int n = 0;
    for (int i = 0; i < s->n; i++) n += s->r[i].state != ADN_REPLICA_RETIRED;
    return n;
}

static adnet_status requeue_front(adn_sched *s, adn_unit *u) {
    ADN_TRY(grow(&s->pending, &s->cap_pending, s->n_pending + 1, sizeof *s->pending));
    memmove(s->pending + 1, s->pending, (size_t)s->n_pending * sizeof *s->pending);
    s->pending[0] = u;
    s->n_pending++;
    return ADNET_OK;
}

static void remove_flying(adn_sched *s, adn_job *j) {
    for (int f = 0; f < s->n_flying; f++)
        if (s->flying[f] == j) {
            s->flying[f] = s->flying[--s->n_flying];
            return;
        }
}

/* Retires replica i: its units go back to the queue's head in their order, its worker is
 * abandoned (its jobs are orphaned: they are only freed when they come back). */
static adnet_status retire(adn_sched *s, int i, const char *why, int extra_units) {
    adn_replica *r = &s->r[i];
    if (r->state == ADN_REPLICA_RETIRED) return ADNET_OK;
    int was_ready = r->state == ADN_REPLICA_READY;
    r->state = ADN_REPLICA_RETIRED;
    snprintf(r->error, sizeof r->error, "%s", why);
    r->abandon = 1;
    if (r->inbox.items) adn_queue_close(&r->inbox);
    /* the units, newest first onto the queue's head, so they keep their order */
    adn_job *mine[64];
    int n = 0;
    for (int f = 0; f < s->n_flying && n < 64; f++)
        if (s->flying[f]->replica == i) mine[n++] = s->flying[f];
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (mine[b]->started < mine[a]->started ||
                (mine[b]->started == mine[a]->started && mine[b] < mine[a])) {
                adn_job *t = mine[a];
                mine[a] = mine[b];
                mine[b] = t;
            }
    for (int a = n - 1; a >= 0; a--) {
        adn_job *j = mine[a];
        j->orphaned = 1;
        remove_flying(s, j);
        if (j->kind == ADN_JOB_UNIT) {
            j->unit->device = -1;
            ADN_TRY(requeue_front(s, j->unit));
        }
    }
    r->in_flight = 0;
    char units[64];
    n += extra_units; /* a failed unit its caller put back already */
    snprintf(units, sizeof units, "%d unit%s", n, n == 1 ? "" : "s");
    if (was_ready) {
        char head[400];
        snprintf(head, sizeof head, "device %s retired (%s go%s to the other devices)", r->label,
                 units, n == 1 ? "es" : "");
        warn(s, "%s: %s", head, why);
    } else {
        warn(s, "device %s could not be opened: %s", r->label, why);
    }
    return ADNET_OK;
}

static adnet_status all_lost(adn_sched *s) {
    /* no device ever opened: the reason is not a lost device (a bad setting, no memory) */
    if (!s->ever_ready && s->n > 0)
        return adn_fail(s->r[0].open_status ? s->r[0].open_status : ADNET_ERR_DEVICE, "%s%s",
                        s->n > 1 ? "no device could be opened: " : "", s->r[0].error);
    char msg[2000];
    int len = snprintf(msg, sizeof msg, "every device failed:");
    for (int i = 0; i < s->n && len < (int)sizeof msg - 1; i++)
        len +=
            snprintf(msg + len, sizeof msg - (size_t)len, " %s: %s;", s->r[i].label, s->r[i].error);
    return adn_fail(ADNET_ERR_DEVICE_LOST, "%s", msg);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static double mean_for(const adn_sched *s, int i, int k) {
    double m = k >= 0 ? s->r[i].mean_s[k] : 0;
    if (m > 0) return m;
    /* unmeasured: as fast as the fastest measured device (so that it gets its first unit) */
    double best = 0;
    for (int d = 0; d < s->n; d++)
        if (k >= 0 && s->r[d].mean_s[k] > 0 && (best == 0 || s->r[d].mean_s[k] < best))
            best = s->r[d].mean_s[k];
    return best;
}

/* When replica i would finish unit u, from now. */
static double finish_time(const adn_sched *s, int i, const adn_unit *u, double now) {
    const adn_replica *r = &s->r[i];
    int k = size_index(s, u->width, u->height);
    double m = mean_for(s, i, k);
    double busy = r->in_flight * m - (r->in_flight ? now - r->busy_since : 0);
    if (busy < 0) busy = 0;
    /* an anchor to upload first costs a little: a device holding it is preferred */
    double upload = s->holds[i][u->slot] == u->video ? 0 : 0.02 * m;
    return busy + m + upload;
}

static adnet_status send(adn_sched *s, int i, adn_job *j) {
    ADN_TRY(grow(&s->flying, &s->cap_flying, s->n_flying + 1, sizeof *s->flying));
    s->flying[s->n_flying++] = j;
    j->replica = i;
    j->started = adn_sched_now();
    if (adn_queue_push(&s->r[i].inbox, j) != 0) {
        remove_flying(s, j);
        return adn_fail(ADNET_ERR_INTERNAL, "device %s takes no more work", s->r[i].label);
    }
    return ADNET_OK;
}

static adnet_status dispatch(adn_sched *s) {
    double now = adn_sched_now();
    while (s->n_pending > 0) {
        adn_unit *u = s->pending[0];
        int best = -1;
        double best_t = 0;
        for (int i = 0; i < s->n; i++) {
            if (s->r[i].state != ADN_REPLICA_READY) continue;
            double t = finish_time(s, i, u, now);
            if (best < 0 || t < best_t ||
                (t == best_t && s->r[i].in_flight < s->r[best].in_flight)) {
                best = i;
                best_t = t;
            }
        }
        if (best < 0 || s->r[best].in_flight >= MAX_IN_FLIGHT) return ADNET_OK;
        adn_job *j = calloc(1, sizeof *j);
        if (!j) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        j->kind = ADN_JOB_UNIT;
        j->unit = u;
        j->anchor = anchor_of(s, u->video);
        adnet_status st = send(s, best, j);
        if (st != ADNET_OK) {
            free(j);
            return st;
        }
        adn_replica *r = &s->r[best];
        if (r->in_flight++ == 0) r->busy_since = now;
        s->holds[best][u->slot] = u->video;
        memmove(s->pending, s->pending + 1, (size_t)(s->n_pending - 1) * sizeof *s->pending);
        s->n_pending--;
    }
    return ADNET_OK;
}

int adn_sched_hungry(const adn_sched *s) {
    if (s->n_pending > 0) return 0;
    for (int i = 0; i < s->n; i++)
        if (s->r[i].state != ADN_REPLICA_RETIRED && s->r[i].in_flight < MAX_IN_FLIGHT) return 1;
    return 0;
}

int adn_sched_outstanding(const adn_sched *s) {
    return s->outstanding;
}

/* ---- completions ------------------------------------------------------------------------- */

/* Handles one job that came back; a finished unit goes to *done. */
static adnet_status take(adn_sched *s, adn_job *j, adn_unit **done) {
    *done = NULL;
    if (j->orphaned) { /* its unit went to another device */
        free(j);
        return ADNET_OK;
    }
    adn_replica *r = &s->r[j->replica];
    if (j->kind == ADN_JOB_READY) {
        if (j->status == ADNET_OK) {
            r->state = ADN_REPLICA_READY;
            s->ever_ready = 1;
        } else {
            r->open_status = j->status;
            ADN_TRY(retire(s, j->replica, j->message, 0));
        }
        free(j);
        return ADNET_OK;
    }
    remove_flying(s, j);
    if (j->kind == ADN_JOB_ANCHOR) return ADNET_OK; /* set_anchor reads it */
    double now = adn_sched_now();
    if (j->status != ADNET_OK) {
        adn_unit *u = j->unit;
        char why[700];
        snprintf(why, sizeof why, "%s", j->message);
        free(j);
        ADN_TRY(requeue_front(s, u)); /* before the others it had: it is the oldest */
        return retire(s, r->position, why, 1);
    }
    r->in_flight--;
    r->busy_since = now;
    r->units++;
    r->unit_seconds += j->seconds;
    r->device_bytes = j->device_bytes;
    r->device_peak_bytes = j->device_peak_bytes;
    int k = size_index(s, j->unit->width, j->unit->height);
    if (k >= 0)
        r->mean_s[k] = r->mean_s[k] > 0
                           ? (1 - MEAN_WEIGHT) * r->mean_s[k] + MEAN_WEIGHT * j->seconds
                           : j->seconds;
    adn_unit *u = j->unit;
    u->device = r->position;
    free(j);
    adn_anchor_record *a = anchor_of(s, u->video);
    if (a) a->outstanding--;
    release_anchors(s);
    s->outstanding--;
    *done = u;
    return ADNET_OK;
}

/* Retires replicas whose oldest unit has run past the watchdog. */
static adnet_status watchdog(adn_sched *s) {
    double now = adn_sched_now();
    for (int i = 0; i < s->n; i++) {
        adn_replica *r = &s->r[i];
        if (r->state != ADN_REPLICA_READY || r->in_flight == 0) continue;
        double m = 0;
        int unmeasured = s->n_sizes == 0;
        for (int k = 0; k < s->n_sizes; k++) {
            if (r->mean_s[k] > m) m = r->mean_s[k];
            if (r->mean_s[k] <= 0) unmeasured = 1;
        }
        double limit = WATCHDOG_FACTOR * m > WATCHDOG_MIN_S ? WATCHDOG_FACTOR * m : WATCHDOG_MIN_S;
        if (unmeasured && limit < WATCHDOG_FIRST_S) limit = WATCHDOG_FIRST_S;
        if (now - r->busy_since > limit) {
            char why[160];
            snprintf(why, sizeof why, "no unit finished for %.1f s (watchdog: %.1f s)",
                     now - r->busy_since, limit);
            ADN_TRY(retire(s, i, why, 0));
        }
    }
    return ADNET_OK;
}

static int can_progress(const adn_sched *s) {
    for (int i = 0; i < s->n; i++)
        if (s->r[i].state != ADN_REPLICA_RETIRED) return 1;
    return 0;
}

void adn_sched_drain(adn_sched *s) {
    s->outstanding -= s->n_pending;
    for (int p = 0; p < s->n_pending; p++) {
        adn_anchor_record *a = anchor_of(s, s->pending[p]->video);
        if (a) a->outstanding--;
    }
    s->n_pending = 0;
    s->n_ready_units = 0;
    while (s->n_flying > 0) {
        int timed_out;
        adn_job *j = adn_queue_pop_timed(&s->done, 0.5, &timed_out);
        adn_unit *u = NULL;
        if ((j && take(s, j, &u) != ADNET_OK) || (!j && watchdog(s) != ADNET_OK)) break;
        /* a retired device's units went back to the queue: they are not wanted now */
        s->outstanding -= s->n_pending;
        s->n_pending = 0;
        if (!can_progress(s)) break;
    }
    adn_clear_error();
}

adnet_status adn_sched_poll(adn_sched *s, double seconds, adn_unit **done) {
    *done = NULL;
    if (s->n_ready_units > 0) {
        *done = s->ready_units[0];
        memmove(s->ready_units, s->ready_units + 1,
                (size_t)(s->n_ready_units - 1) * sizeof *s->ready_units);
        s->n_ready_units--;
        return ADNET_OK;
    }
    double until = adn_sched_now() + seconds;
    for (;;) {
        if (s->outstanding > 0 && !can_progress(s)) return all_lost(s);
        ADN_TRY(dispatch(s));
        double left = until - adn_sched_now();
        int timed_out = 0;
        /* wake at least twice a second for the watchdog */
        adn_job *j =
            adn_queue_pop_timed(&s->done, left > 0.5 ? 0.5 : (left > 0 ? left : 0), &timed_out);
        if (j) {
            ADN_TRY(take(s, j, done));
            if (*done) return ADNET_OK;
            continue; /* a device became ready or was retired: dispatch again */
        }
        ADN_TRY(watchdog(s));
        if (adn_sched_now() >= until) return ADNET_OK;
    }
}

static int ready_count(const adn_sched *s) {
    int n = 0;
    for (int i = 0; i < s->n; i++) n += s->r[i].state == ADN_REPLICA_READY;
    return n;
}

/* Keeps a unit that finished while the caller waited for something else. */
static adnet_status keep(adn_sched *s, adn_unit *u) {
    if (!u) return ADNET_OK;
    ADN_TRY(
        grow(&s->ready_units, &s->cap_ready_units, s->n_ready_units + 1, sizeof *s->ready_units));
    s->ready_units[s->n_ready_units++] = u;
    return ADNET_OK;
}

adnet_status adn_sched_wait_ready(adn_sched *s) {
    while (ready_count(s) == 0) {
        if (!can_progress(s)) return all_lost(s);
        int timed_out;
        adn_job *j = adn_queue_pop_timed(&s->done, 1.0, &timed_out);
        adn_unit *u = NULL;
        if (j) ADN_TRY(take(s, j, &u));
        ADN_TRY(keep(s, u));
    }
    return ADNET_OK;
}

adnet_status adn_sched_wait_all_ready(adn_sched *s) {
    for (;;) {
        int opening = 0;
        for (int i = 0; i < s->n; i++) opening += s->r[i].state == ADN_REPLICA_OPENING;
        if (!opening) break;
        int timed_out;
        adn_job *j = adn_queue_pop_timed(&s->done, 1.0, &timed_out);
        adn_unit *u = NULL;
        if (j) ADN_TRY(take(s, j, &u));
        ADN_TRY(keep(s, u));
    }
    return adn_sched_wait_ready(s);
}

void adn_sched_model_info(adn_sched *s, adnet_model_info *info) {
    memset(info, 0, sizeof *info);
    for (int i = 0; i < s->n; i++)
        if (s->r[i].state == ADN_REPLICA_READY && s->r[i].model) {
            adnet_model_get_info(s->r[i].model, info);
            if (s->n > 1) snprintf(info->device, sizeof info->device, "%d devices", live(s));
            return;
        }
}

/* ---- units and anchors ------------------------------------------------------------------- */

adnet_status adn_sched_submit(adn_sched *s, adn_unit *u) {
    adn_anchor_record *a = anchor_of(s, u->video);
    if (!a || a->closed)
        return adn_fail(ADNET_ERR_INTERNAL, "a unit of video %d before its anchor", u->video);
    ADN_TRY(grow(&s->pending, &s->cap_pending, s->n_pending + 1, sizeof *s->pending));
    u->device = -1;
    s->pending[s->n_pending++] = u;
    a->outstanding++;
    s->outstanding++;
    return dispatch(s);
}

adnet_status adn_sched_set_anchor(adn_sched *s, int video, int n_slots, const int *w, const int *h,
                                  const float *const *inputs) {
    if (n_slots < 1 || n_slots > ADN_MAX_ANCHORS)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%d anchor slots", n_slots);
    ADN_TRY(adn_sched_wait_ready(s));
    for (int a = 0; a < s->n_anchors; a++) s->anchors[a]->closed = 1;
    release_anchors(s);
    if (s->n_anchors == (int)(sizeof s->anchors / sizeof s->anchors[0]))
        return adn_fail(ADNET_ERR_INTERNAL, "too many videos in flight");
    adn_anchor_record *a = calloc(1, sizeof *a);
    if (!a) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    a->video = video;
    a->n_slots = n_slots;
    for (int k = 0; k < n_slots; k++) {
        a->width[k] = w[k];
        a->height[k] = h[k];
        int fw, fh;
        adn_feature_size(w[k], h[k], &fw, &fh);
        size_t floats = s->arch.kind == ADNET_MODEL_BASE ? 0 : (size_t)s->arch.embed * fw * fh;
        if (floats && !(a->embedding[k] = malloc(floats * sizeof(float)))) {
            free_anchor(a);
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory (anchor)");
        }
    }
    s->anchors[s->n_anchors++] = a;
    /* on the device expected to be free first; another if it fails */
    for (;;) {
        int best = -1;
        double best_t = 0, now = adn_sched_now();
        for (int i = 0; i < s->n; i++) {
            if (s->r[i].state != ADN_REPLICA_READY) continue;
            adn_unit probe = {video, 0, w[0], h[0], NULL, NULL, NULL, -1};
            double t = finish_time(s, i, &probe, now);
            if (best < 0 || t < best_t) {
                best = i;
                best_t = t;
            }
        }
        if (best < 0) {
            ADN_TRY(adn_sched_wait_ready(s));
            continue;
        }
        adn_job *j = calloc(1, sizeof *j);
        if (!j) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        j->kind = ADN_JOB_ANCHOR;
        j->anchor = a;
        j->anchor_inputs = inputs;
        adnet_status st = send(s, best, j);
        if (st != ADNET_OK) {
            free(j);
            return st;
        }
        /* the anchor counts as work in flight, so that the watchdog covers it too */
        if (s->r[best].in_flight++ == 0) s->r[best].busy_since = adn_sched_now();
        /* wait for it; units finishing meanwhile are kept for adn_sched_poll. If its device
         * is retired meanwhile, the job is orphaned (freed when its worker hands it back, never
         * read) and the anchor goes to another device. */
        adn_job *back = NULL;
        int lost = 0;
        while (!back && !lost) {
            int timed_out;
            adn_job *x = adn_queue_pop_timed(&s->done, 0.5, &timed_out);
            if (x == j) {
                if (j->orphaned) {
                    free(j);
                    lost = 1;
                } else {
                    back = x;
                }
                break;
            }
            adn_unit *u = NULL;
            if (x)
                ADN_TRY(take(s, x, &u));
            else
                ADN_TRY(watchdog(s));
            ADN_TRY(keep(s, u));
            if (j->orphaned) lost = 1;
        }
        if (!back) {
            if (!can_progress(s)) return all_lost(s);
            continue;
        }
        remove_flying(s, j);
        if (s->r[best].state == ADN_REPLICA_READY) {
            s->r[best].in_flight--;
            s->r[best].busy_since = adn_sched_now();
        }
        adnet_status jst = j->status;
        char why[700];
        snprintf(why, sizeof why, "%s", j->message);
        free(j);
        if (jst == ADNET_OK) {
            for (int k = 0; k < n_slots; k++) s->holds[best][k] = video;
            return ADNET_OK;
        }
        ADN_TRY(retire(s, best, why, 0));
        if (!can_progress(s)) return all_lost(s);
    }
}

void adn_sched_stats(const adn_sched *s, int device, adn_sched_device_stats *out) {
    memset(out, 0, sizeof *out);
    if (device < 0 || device >= s->n) return;
    const adn_replica *r = &s->r[device];
    snprintf(out->label, sizeof out->label, "%s", r->label);
    out->units = r->units;
    out->mean_s = r->units ? r->unit_seconds / (double)r->units : 0;
    out->device_bytes = r->device_bytes;
    out->device_peak_bytes = r->device_peak_bytes;
    out->retired = r->state == ADN_REPLICA_RETIRED;
    snprintf(out->state, sizeof out->state, "%s", out->retired ? r->error : "ok");
}
