/* Fault injection for tests (ADNET_FAULT, docs/usage.md): a device of the run fails, hangs or
 * slows down after a number of completed units, so that the scheduler's fault handling can be
 * shown on a machine whose devices never fail. */
#ifndef ADN_FAULT_H
#define ADN_FAULT_H

#include "adnet.h"

typedef enum adn_fault_mode {
    ADN_FAULT_NONE = 0,
    ADN_FAULT_ERROR, /* the next unit fails as a device error would */
    ADN_FAULT_HANG,  /* the next unit never completes */
    ADN_FAULT_SLOW   /* every later unit takes four times as long */
} adn_fault_mode;

typedef struct adn_fault {
    adn_fault_mode mode;
    int after; /* units the device completes before the fault */
} adn_fault;

/* The fault of device position dev (0 = the first of the run's list) from spec, a list
 * "DEV:AFTER:MODE;..." (NULL or "": none). A malformed spec fails naming it. */
adnet_status adn_fault_parse(const char *spec, int dev, adn_fault *out);

#endif
