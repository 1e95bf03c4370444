/* Events of enqueued work: waiting for them, releasing them, and reading their profiling
 * timestamps. The layers above hold an adn_event and never call OpenCL themselves. */
#ifndef ADN_EVENTS_H
#define ADN_EVENTS_H

#include "cl_status.h"

#include <stdint.h>

typedef cl_event adn_event;

/* Waits for n events (NULL entries are skipped); fails naming what when one of them failed
 * (a negative execution status: the device ran into an error). */
adnet_status adn_events_wait(int n, const adn_event *events, const char *what);
/* Releases an event; NULL is ignored. */
void adn_event_release(adn_event ev);

/* What an event's command was. */
typedef enum adn_event_kind {
    ADN_EVENT_KERNEL = 0, /* a kernel, a copy or anything else on the device */
    ADN_EVENT_UPLOAD,     /* a write from the host */
    ADN_EVENT_DOWNLOAD    /* a read to the host */
} adn_event_kind;

/* Waits for ev and reads its start and end in nanoseconds (the queue must profile). */
adnet_status adn_event_times(adn_event ev, uint64_t *start_ns, uint64_t *end_ns,
                             adn_event_kind *kind);

#endif
