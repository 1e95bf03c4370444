/* Per-step device time of a planned graph, from the profiling events of an in-order queue.
 *
 * Why this way: a CLBlast GEMM is several kernels (padding/transposing copies, the main
 * kernel, sometimes a copy back) but hands back one event, that of its last kernel, so summing
 * event durations would miss most of a convolution. On an in-order queue every command starts
 * after the previous one has ended, so each traced event is credited with the time from the
 * end of the previous traced event to its own end: everything the device did (or waited for)
 * in between belongs to the step that enqueued it. These times add up exactly to the device
 * span of the run (first event's start to last event's end), and nothing is timed twice.
 * The cost: a device that waits for the host (a slow enqueue) charges the wait to the next
 * step, which is also what the frame costs. */
#ifndef ADN_PROFILE_H
#define ADN_PROFILE_H

#include "model.h"

/* What an event's time was spent on. GEMM is everything CLBlast enqueued; im2col and
 * epilogue are adnet's kernels around it in a convolution step. */
typedef enum adn_kernel_role {
    ADN_ROLE_GEMM = 0,
    ADN_ROLE_IM2COL,
    ADN_ROLE_EPILOGUE,
    ADN_ROLE_ATTENTION,
    ADN_ROLE_POOL,
    ADN_ROLE_RESIZE,
    ADN_ROLE_COPY,
    ADN_ROLE_UPLOAD,
    ADN_ROLE_DOWNLOAD,
    ADN_ROLE_COUNT
} adn_kernel_role;

/* "gemm", "im2col", "epilogue", "attention", "pool", "resize", "copy", "upload", "download". */
const char *adn_kernel_role_name(adn_kernel_role r);

/* The profile of one graph over several runs. A step's op says how its events are classified. */
typedef struct adn_profile {
    int n_steps;
    const adn_step_op *step_ops; /* n_steps ops (the caller's array, kept while in use) */
    int runs;
    double *step_s;                /* per step: seconds summed over runs */
    double role_s[ADN_ROLE_COUNT]; /* per role: seconds summed over runs */
    double before_s, after_s;      /* transfers before the first step and after the last */
    double device_s;               /* device spans summed over runs */
    double wall_s;                 /* host wall-clock times summed over runs */
    int events;                    /* events read */
    int reordered; /* events that ended before the previous one (credited 0 s): a driver whose
                      queue does not run in order, or with unreliable timestamps */
} adn_profile;

adnet_status adn_profile_init(adn_profile *p, const adn_step_op *step_ops, int n_steps);
void adn_profile_free(adn_profile *p);

/* Adds one run: dev's trace in enqueue order (events with step -1 before the first step are
 * the input's upload), then `last` when not NULL (an event enqueued after the graph and kept
 * out of the trace: the read of the logits; it is read, not released). Clears dev's trace.
 * wall_s is the host's time for the same run. */
adnet_status adn_profile_add(adn_profile *p, adn_device *dev, adn_event last, double wall_s);

#endif
