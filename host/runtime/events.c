#include "events.h"

#include "status.h"

#include <stdio.h>

adnet_status adn_events_wait(int n, const adn_event *events, const char *what) {
    for (int i = 0; i < n; i++) {
        if (!events[i]) continue;
        cl_int err = clWaitForEvents(1, &events[i]);
        if (err != CL_SUCCESS) return adn_cl_fail(err, what);
    }
    return ADNET_OK;
}

void adn_event_release(adn_event ev) {
    if (ev) clReleaseEvent(ev);
}

adnet_status adn_event_times(adn_event ev, uint64_t *start_ns, uint64_t *end_ns,
                             adn_event_kind *kind) {
    cl_ulong start = 0, end = 0;
    ADN_CL(clWaitForEvents(1, &ev), "clWaitForEvents (profile)");
    ADN_CL(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL),
           "clGetEventProfilingInfo(START): is the queue profiling?");
    ADN_CL(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL),
           "clGetEventProfilingInfo(END)");
    cl_command_type type = 0;
    clGetEventInfo(ev, CL_EVENT_COMMAND_TYPE, sizeof type, &type, NULL);
    *start_ns = start;
    *end_ns = end;
    *kind = type == CL_COMMAND_WRITE_BUFFER  ? ADN_EVENT_UPLOAD
            : type == CL_COMMAND_READ_BUFFER ? ADN_EVENT_DOWNLOAD
                                             : ADN_EVENT_KERNEL;
    return ADNET_OK;
}
