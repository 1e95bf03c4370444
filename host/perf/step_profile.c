#include "step_profile.h"

#include "status.h"

#include <stdlib.h>
#include <string.h>

const char *adn_kernel_role_name(adn_kernel_role r) {
    static const char *const names[ADN_ROLE_COUNT] = {
        "gemm", "im2col", "epilogue", "attention", "pool", "resize", "copy", "upload", "download"};
    return (unsigned)r < ADN_ROLE_COUNT ? names[r] : "?";
}

adnet_status adn_profile_init(adn_profile *p, const adn_step_op *step_ops, int n_steps) {
    memset(p, 0, sizeof *p);
    p->n_steps = n_steps;
    p->step_ops = step_ops;
    p->step_s = calloc(n_steps > 0 ? (size_t)n_steps : 1, sizeof *p->step_s);
    if (!p->step_s) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    return ADNET_OK;
}

void adn_profile_free(adn_profile *p) {
    free(p->step_s);
    memset(p, 0, sizeof *p);
}

/* The role of an event of step `step` (op `op`), from its label (adnet's kernels) and its
 * command type (copies, transfers). */
static adn_kernel_role role_of(int step, adn_step_op op, const char *label, adn_event_kind kind) {
    if (kind == ADN_EVENT_UPLOAD) return ADN_ROLE_UPLOAD;
    if (kind == ADN_EVENT_DOWNLOAD) return ADN_ROLE_DOWNLOAD;
    if (step < 0) return ADN_ROLE_COPY;
    switch (op) {
        case ADN_STEP_CONV:
            /* Winograd's input transform is its im2col (it gathers the GEMMs' B), its output
             * transform its epilogue (bias, residual and activation are fused into it) */
            if (label && (!strncmp(label, "im2col_", 7) || !strncmp(label, "winograd_in_", 12)))
                return ADN_ROLE_IM2COL;
            if (label && (!strcmp(label, "bias_act_f32") || !strncmp(label, "winograd_out_", 13)))
                return ADN_ROLE_EPILOGUE;
            return ADN_ROLE_GEMM;
        case ADN_STEP_MAXPOOL:
        case ADN_STEP_GAP:
            return ADN_ROLE_POOL;
        case ADN_STEP_RESIZE:
            return ADN_ROLE_RESIZE;
        case ADN_STEP_COPY:
            return ADN_ROLE_COPY;
        case ADN_STEP_ATTENTION:
            return ADN_ROLE_ATTENTION;
    }
    return ADN_ROLE_COPY;
}

adnet_status adn_profile_add(adn_profile *p, adn_device *dev, adn_event last, double wall_s) {
    int n = dev->n_trace + (last ? 1 : 0);
    adnet_status st = ADNET_OK;
    uint64_t first_start = 0, prev_end = 0;
    int seen_step = 0;
    for (int i = 0; i < n && st == ADNET_OK; i++) {
        int is_last = i == dev->n_trace;
        adn_event ev = is_last ? last : dev->trace[i].event;
        int step = is_last ? -1 : dev->trace[i].step;
        const char *label = is_last ? NULL : dev->trace[i].label;
        uint64_t start, end;
        adn_event_kind type;
        st = adn_event_times(ev, &start, &end, &type);
        if (st != ADNET_OK) break;
        if (i == 0) first_start = prev_end = start;
        double s = 0;
        if (end >= prev_end) {
            s = (double)(end - prev_end) * 1e-9;
            prev_end = end;
        } else {
            p->reordered++;
        }
        if (step >= p->n_steps) step = -1;
        if (step >= 0) {
            seen_step = 1;
            p->step_s[step] += s;
            p->role_s[role_of(step, p->step_ops[step], label, type)] += s;
        } else {
            /* outside the graph: the upload before it, the read after it */
            if (seen_step)
                p->after_s += s;
            else
                p->before_s += s;
            p->role_s[role_of(-1, ADN_STEP_COPY, label, type)] += s;
        }
        p->events++;
    }
    adn_device_trace_clear(dev);
    if (st != ADNET_OK) return st;
    if (n > 0) p->device_s += (double)(prev_end - first_start) * 1e-9;
    p->wall_s += wall_s;
    p->runs++;
    return ADNET_OK;
}
