#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread: the video pipeline decodes, computes and writes on different
 * threads, and each must report its own failure. */
static _Thread_local char last_error[4096];

const char *adnet_strerror(adnet_status status) {
    switch (status) {
        case ADNET_OK:
            return "success";
        case ADNET_ERR_INVALID_ARGUMENT:
            return "invalid argument";
        case ADNET_ERR_IO:
            return "input/output error";
        case ADNET_ERR_FORMAT:
            return "corrupt or unsupported file";
        case ADNET_ERR_WEIGHTS:
            return "weights do not fit the model";
        case ADNET_ERR_DEVICE:
            return "no suitable compute device";
        case ADNET_ERR_RUNTIME:
            return "device runtime error";
        case ADNET_ERR_BUILD:
            return "device program build failed";
        case ADNET_ERR_MATMUL:
            return "matrix-multiply backend error";
        case ADNET_ERR_OUT_OF_MEMORY:
            return "out of memory";
        case ADNET_ERR_INTERNAL:
            return "internal error";
        case ADNET_ERR_DEVICE_LOST:
            return "every device failed";
    }
    return "unknown status";
}

const char *adnet_last_error(void) {
    return last_error;
}

void adn_clear_error(void) {
    last_error[0] = '\0';
}

adnet_status adn_fail(adnet_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

adnet_status adn_fail_context(adnet_status st, const char *fmt, ...) {
    char prefix[1024], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* the message is truncated, never overrun, when prefix and message do not both fit */
    memcpy(old, last_error, sizeof old);
    size_t np = strlen(prefix), no = strlen(old);
    if (np > sizeof last_error - 1) np = sizeof last_error - 1;
    if (no > sizeof last_error - 1 - np) no = sizeof last_error - 1 - np;
    memcpy(last_error, prefix, np);
    memcpy(last_error + np, old, no);
    last_error[np + no] = '\0';
    return st;
}
