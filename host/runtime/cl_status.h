/* OpenCL status codes as adnet errors: the only place that knows their names. */
#ifndef ADN_CL_STATUS_H
#define ADN_CL_STATUS_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include "adnet.h"

/* The name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *adn_cl_error_name(cl_int err);
/* Fails with ADNET_ERR_RUNTIME (or OUT_OF_MEMORY for allocation failures) naming the call. */
adnet_status adn_cl_fail(cl_int err, const char *what);

#define ADN_CL(call, what)                                                                         \
    do {                                                                                           \
        cl_int adn_cl_err_ = (call);                                                               \
        if (adn_cl_err_ != CL_SUCCESS) return adn_cl_fail(adn_cl_err_, what);                      \
    } while (0)

#endif
