#include "replica.h"

#include "events.h"
#include "resources.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double adn_sched_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void report(adn_replica *r, adn_job *j, adnet_status st) {
    j->status = st;
    if (st != ADNET_OK) snprintf(j->message, sizeof j->message, "%s", adnet_last_error());
    adn_queue_push(r->done, j);
}

/* Opens the device and the model, and plans every size the run uses. */
static adnet_status open_replica(adn_replica *r) {
    adn_device *dev = NULL;
    ADN_TRY(adn_device_open_entry(&r->entry, 0, &dev));
    adnet_status st = adn_model_create(dev, r->weights, &r->arch, &r->model);
    if (st != ADNET_OK) {
        adn_device_close(dev);
        return st;
    }
    adn_model_adopt_device(r->model);
    r->owns_model = 1;
    for (int i = 0; i < r->n_sizes; i++)
        ADN_TRY(adn_model_prepare(r->model, r->widths[i], r->heights[i]));
    return ADNET_OK;
}

/* The host copy of the unit's anchor, uploaded unless this device holds it already. */
static adnet_status ensure_anchor(adn_replica *r, const adn_job *j) {
    const adn_unit *u = j->unit;
    int k = u->slot;
    if (r->anchor_video[k] == u->video) return ADNET_OK;
    const adn_anchor_record *a = j->anchor;
    if (!a || k >= a->n_slots)
        return adn_fail(ADNET_ERR_INTERNAL, "no anchor for video %d, slot %d", u->video, k);
    ADN_TRY(adn_model_anchor_write(r->model, k, a->embedding[k], a->width[k], a->height[k]));
    r->anchor_video[k] = u->video;
    return ADNET_OK;
}

/* Every slot's anchor computed here and read back to the record. */
static adnet_status run_anchor(adn_replica *r, adn_job *j) {
    adn_anchor_record *a = j->anchor;
    for (int k = 0; k < a->n_slots; k++) {
        r->anchor_video[k] = -1;
        ADN_TRY(adn_model_anchor(r->model, k, j->anchor_inputs[k], a->width[k], a->height[k]));
        if (a->embedding[k]) ADN_TRY(adn_model_anchor_read(r->model, k, a->embedding[k]));
        r->anchor_video[k] = a->video;
    }
    return ADNET_OK;
}

typedef struct flight {
    adn_job *job;
    adn_event done;
    int hang; /* an injected hang: nothing was submitted, the unit never completes */
} flight;

/* Waits for the oldest unit in flight and reports it. */
static void finish_oldest(adn_replica *r, flight *f, int *nf, double *last_done, int *failed) {
    flight cur = f[0];
    memmove(f, f + 1, (size_t)(*nf - 1) * sizeof *f);
    (*nf)--;
    adn_job *j = cur.job;
    if (cur.hang) {
        while (!r->abandon) sleep_s(0.01);
        adn_queue_push(r->done, j); /* orphaned by now: the scheduler only frees it */
        return;
    }
    adnet_status st = adn_events_wait(1, &cur.done, "running the model");
    adn_event_release(cur.done);
    double now = adn_sched_now();
    double began = j->started > *last_done ? j->started : *last_done;
    j->seconds = now - began;
    *last_done = now;
    if (st != ADNET_OK) {
        *failed = 1;
        report(r, j, st);
        return;
    }
    if (r->fault.mode == ADN_FAULT_SLOW && r->completed >= r->fault.after) {
        sleep_s(3.0 * j->seconds); /* four times as long in all */
        j->seconds *= 4.0;
        *last_done = adn_sched_now();
    }
    r->completed++;
    const adn_device *dev = adn_model_device(r->model);
    j->device_bytes = dev->mem_current;
    j->device_peak_bytes = dev->mem_peak;
    report(r, j, ADNET_OK);
}

static void *worker(void *arg) {
    adn_replica *r = arg;
    adn_job *ready = calloc(1, sizeof *ready);
    adnet_status st = r->model ? ADNET_OK : open_replica(r);
    if (ready) {
        ready->kind = ADN_JOB_READY;
        ready->replica = r->position;
        report(r, ready, st);
    }
    if (st != ADNET_OK || !ready) {
        r->exited = 1;
        return NULL;
    }
    flight f[2];
    int nf = 0, failed = 0;
    double last_done = 0;
    for (;;) {
        if (r->abandon) break;
        adn_job *j = NULL;
        int timed_out = 0;
        if (nf == 0)
            j = adn_queue_pop(&r->inbox);
        else if (nf < 2)
            j = adn_queue_pop_timed(&r->inbox, 0, &timed_out);
        if (!j && nf == 0) break; /* closed: the run is over */
        if (!j) {
            finish_oldest(r, f, &nf, &last_done, &failed);
            continue;
        }
        if (j->kind == ADN_JOB_ANCHOR) {
            while (nf > 0 && !r->abandon) finish_oldest(r, f, &nf, &last_done, &failed);
            report(r, j,
                   failed ? adn_fail(ADNET_ERR_RUNTIME, "the device failed earlier")
                          : run_anchor(r, j));
            continue;
        }
        if (failed) { /* a device that failed takes nothing more */
            report(r, j, adn_fail(ADNET_ERR_RUNTIME, "the device failed earlier"));
            continue;
        }
        int faulty = r->fault.mode != ADN_FAULT_NONE && r->completed >= r->fault.after;
        if (faulty && r->fault.mode == ADN_FAULT_ERROR) {
            failed = 1;
            report(r, j,
                   adn_fail(ADNET_ERR_RUNTIME,
                            "injected fault (ADNET_FAULT): clEnqueueNDRangeKernel failed: "
                            "CL_OUT_OF_RESOURCES (-5)"));
            continue;
        }
        j->started = adn_sched_now();
        f[nf].job = j;
        f[nf].done = NULL;
        f[nf].hang = faulty && r->fault.mode == ADN_FAULT_HANG;
        if (!f[nf].hang) {
            adn_unit *u = j->unit;
            st = ensure_anchor(r, j);
            if (st == ADNET_OK)
                st = adn_model_submit(r->model, u->slot, u->input, u->width, u->height, u->logits,
                                      &f[nf].done);
            if (st != ADNET_OK) {
                failed = 1;
                report(r, j, st);
                continue;
            }
        }
        nf++;
    }
    /* abandoned: what is still held goes back, untouched */
    for (int i = 0; i < nf; i++) adn_queue_push(r->done, f[i].job);
    adn_job *j;
    int timed_out;
    while ((j = adn_queue_pop_timed(&r->inbox, 0, &timed_out)) != NULL) adn_queue_push(r->done, j);
    r->exited = 1;
    return NULL;
}

adnet_status adn_replica_start(adn_replica *r) {
    for (int k = 0; k < ADN_MAX_ANCHORS; k++) r->anchor_video[k] = -1;
    ADN_TRY(adn_queue_init(&r->inbox, 16));
    ADN_TRY(adn_thread_start(&r->thread, worker, r, "a device thread"));
    r->has_thread = 1;
    return ADNET_OK;
}

void adn_replica_stop(adn_replica *r) {
    if (r->inbox.items) adn_queue_close(&r->inbox);
    /* an abandoned worker ends soon after an injected hang: give it a second */
    for (int i = 0; i < 100 && r->has_thread && r->abandon && !r->exited; i++) sleep_s(0.01);
    if (r->has_thread && r->abandon && !r->exited) {
        /* a device that hangs for real keeps its thread in a wait that never returns: the
         * thread and the device are left to the end of the process */
        pthread_detach(r->thread);
        r->has_thread = 0;
        r->owns_model = 0;
        return;
    }
    if (r->has_thread) {
        pthread_join(r->thread, NULL);
        r->has_thread = 0;
    }
    if (r->owns_model) adnet_model_free(r->model);
    r->model = NULL;
    adn_queue_destroy(&r->inbox);
}
