/* A device replica of the scheduler: one opened device with its own context, queue, weights,
 * planned arena and anchor slots, driven by a worker thread of its own. The worker opens the
 * device (so replicas open in parallel), then runs the jobs the scheduler hands it, keeping
 * about two frames in flight on the device's in-order queue, and reports each finished job. */
#ifndef ADN_REPLICA_H
#define ADN_REPLICA_H

#include "fault.h"
#include "model.h"
#include "work_queue.h"

/* One unit of work: one network pass of one frame. */
typedef struct adn_unit {
    int video;          /* the video (its anchor) */
    int slot;           /* the anchor slot: the pass */
    int width, height;  /* network input size */
    const float *input; /* 3 x height x width, kept by the caller until the unit is done */
    float *logits;      /* out: feat_h x feat_w */
    void *tag;          /* the caller's */
    int device;         /* out: the position of the device that computed it */
} adn_unit;

/* A video's anchor embeddings on the host, one per slot (computed once, on one device). */
typedef struct adn_anchor_record {
    int video;
    int n_slots;
    int width[ADN_MAX_ANCHORS], height[ADN_MAX_ANCHORS];
    float *embedding[ADN_MAX_ANCHORS];
    int outstanding; /* units of the video not yet done */
    int closed;      /* a later video has its anchor: free when outstanding reaches 0 */
} adn_anchor_record;

typedef enum adn_job_kind { ADN_JOB_UNIT, ADN_JOB_ANCHOR, ADN_JOB_READY } adn_job_kind;

/* A job handed to a worker, and its report back. */
typedef struct adn_job {
    adn_job_kind kind;
    int replica;
    adn_unit *unit;            /* UNIT */
    adn_anchor_record *anchor; /* UNIT: the video's host anchors; ANCHOR: filled by the job */
    const float *const *anchor_inputs; /* ANCHOR: a preprocessed anchor frame per slot */
    int orphaned;                      /* the scheduler gave the unit to another device */
    double started, seconds;           /* device service time of a unit */
    /* the device memory adnet held on the replica's device when the unit was done */
    unsigned long long device_bytes, device_peak_bytes;
    adnet_status status;
    char message[600];
} adn_job;

typedef enum adn_replica_state {
    ADN_REPLICA_OPENING = 0,
    ADN_REPLICA_READY,
    ADN_REPLICA_RETIRED
} adn_replica_state;

typedef struct adn_replica {
    int position; /* in the run's device list */
    adn_device_entry entry;
    char label[200];
    const adn_weights *weights; /* shared, read-only */
    adn_arch arch;
    int n_sizes, widths[ADN_MAX_ANCHORS], heights[ADN_MAX_ANCHORS]; /* planned at open */
    adnet_model *model;
    int owns_model;
    adn_fault fault;
    adn_queue inbox; /* jobs from the scheduler */
    adn_queue *done; /* the scheduler's: finished jobs */
    pthread_t thread;
    int has_thread;
    volatile int abandon; /* set by the scheduler: stop without touching units */
    volatile int exited;  /* set by the worker as it ends */
    int anchor_video[ADN_MAX_ANCHORS];
    int completed; /* units finished (for the fault's count) */
    /* the scheduler's bookkeeping (its thread only) */
    adn_replica_state state;
    int in_flight;
    double busy_since;              /* when the oldest unit in flight began to run */
    double mean_s[ADN_MAX_ANCHORS]; /* running mean per planned size (0: not measured) */
    long long units;
    double unit_seconds;
    unsigned long long device_bytes, device_peak_bytes; /* after its last unit (adn_job) */
    char error[600];
    adnet_status open_status; /* why it could not be opened */
} adn_replica;

/* Starts the worker of r: it opens r->entry (unless r->model is set) with r->weights, plans
 * the sizes, pushes an ADN_JOB_READY job (status: the open's) to r->done, then runs jobs. */
adnet_status adn_replica_start(adn_replica *r);
/* Stops the worker (after its jobs) and frees the replica's device; an abandoned worker is
 * left to end on its own. */
void adn_replica_stop(adn_replica *r);

/* Monotonic seconds. */
double adn_sched_now(void);

#endif
