/* The heterogeneous scheduler: one run over several devices at once. Each device gets a full
 * replica of the model (replica.h); whole units (one network pass of one frame) go to whole
 * devices, each to the device expected to finish it first; a video's anchor embedding is
 * computed once and shared through the host; a device that fails or stops answering is
 * retired and its units go to the others. Units come back in any order: the caller keeps its
 * frames in order (the video pipeline does).
 *
 * One thread (the caller's) uses a scheduler; the replicas' worker threads are its own. */
#ifndef ADN_SCHEDULER_H
#define ADN_SCHEDULER_H

#include "replica.h"

typedef struct adn_sched adn_sched;

/* A scheduler over devices devs[0..n-1] (adn_device_list_resolve), each opened in parallel
 * with the weights (checked against arch beforehand; read-only, shared) and planned for the
 * given input sizes. Returns at once: devices join as they become ready. ADNET_FAULT is read
 * here (a malformed value fails). */
adnet_status adn_sched_create(const adn_device_entry *devs, int n, const adn_weights *weights,
                              const adn_arch *arch, const int *widths, const int *heights,
                              int n_sizes, adn_sched **out);
/* A scheduler over one model the caller opened (and keeps: it outlives the scheduler). */
adnet_status adn_sched_create_from_model(adnet_model *model, adn_sched **out);
void adn_sched_free(adn_sched *s);

/* Waits until a device is ready; fails with the devices' errors when none could be opened. */
adnet_status adn_sched_wait_ready(adn_sched *s);
/* Waits until every device is ready or retired (a measurement of the whole pool); fails
 * when none is ready. */
adnet_status adn_sched_wait_all_ready(adn_sched *s);
/* The model's description (from a ready device). */
void adn_sched_model_info(adn_sched *s, adnet_model_info *info);

/* Starts video `video`: its anchor's embeddings for n_slots slots (input sizes w[k] x h[k],
 * preprocessed inputs[k]) are computed on one device and kept on the host; the units of the
 * video run on any device. Blocks until the anchor is computed (units of earlier videos keep
 * running on the other devices). */
adnet_status adn_sched_set_anchor(adn_sched *s, int video, int n_slots, const int *w, const int *h,
                                  const float *const *inputs);

/* Queues a unit of a video whose anchor is set; the unit and its buffers stay the caller's
 * until it comes back from adn_sched_poll. */
adnet_status adn_sched_submit(adn_sched *s, adn_unit *u);

/* Dispatches what it can, then waits up to `seconds` for a unit to finish: *done is the
 * finished unit, or NULL when none finished in time. Retires devices that fail or exceed the
 * watchdog (their units go back to the queue). Fails with ADNET_ERR_DEVICE_LOST when no
 * device is left for the units that remain. */
adnet_status adn_sched_poll(adn_sched *s, double seconds, adn_unit **done);

/* Drops the units not yet given to a device and waits until the devices are done with the
 * others (or lost): afterwards no device touches a unit's buffers. For a run that stops. */
void adn_sched_drain(adn_sched *s);

/* Units submitted and not yet handed back. */
int adn_sched_outstanding(const adn_sched *s);
/* Whether a ready device could take another unit now (the caller may feed more). */
int adn_sched_hungry(const adn_sched *s);

/* The run's devices. */
int adn_sched_device_count(const adn_sched *s);
typedef struct adn_sched_device_stats {
    char label[200];
    long long units; /* units it computed */
    double mean_s;   /* its mean device time per unit */
    /* the device memory adnet held there after its last unit, and the most it held */
    unsigned long long device_bytes, device_peak_bytes;
    int retired;     /* 1 when it was retired (or never opened) */
    char state[640]; /* "ok", or why it was retired */
} adn_sched_device_stats;
void adn_sched_stats(const adn_sched *s, int device, adn_sched_device_stats *out);

/* The next warning (a device retired, with why) into dst; 0 when there is none. */
int adn_sched_take_warning(adn_sched *s, char *dst, size_t cap);

#endif
