#include "passes.h"

#include "postproc.h"
#include "status.h"

#include <math.h>

void adn_msm_sizes(int width, int height, int w[3], int h[3]) {
    static const double scales[3] = {0.75, 1.0, 1.5};
    for (int i = 0; i < 3; i++) {
        /* Python's (s - 1) // 8 on a float is floor((s - 1) / 8) */
        w[i] = (int)(floor(((double)width * scales[i] - 1.0) / 8.0) * 8.0 + 1.0);
        h[i] = (int)(floor(((double)height * scales[i] - 1.0) / 8.0) * 8.0 + 1.0);
    }
}

adnet_status adn_passes_make(int width, int height, int ms_mirror, adn_passes *out) {
    adn_passes ps = {0};
    if (!ms_mirror) {
        ps.n = 1;
        ps.p[0] = (adn_pass){width, height, 0, 0, 0, 0};
    } else {
        int w[3], h[3];
        adn_msm_sizes(width, height, w, h);
        ps.n = ADN_MSM_PASSES;
        for (int k = 0; k < 3; k++) {
            if (w[k] < 1 || h[k] < 1)
                return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                                "--size %dx%d is too small for multi-scale (0.75 x gives %dx%d)",
                                width, height, w[k], h[k]);
            ps.p[k] = (adn_pass){w[k], h[k], 0, 0, 0, k};
            ps.p[k + 3] = (adn_pass){w[k], h[k], 0, 0, 1, k};
        }
    }
    for (int k = 0; k < ps.n; k++) adn_feature_size(ps.p[k].w, ps.p[k].h, &ps.p[k].fw, &ps.p[k].fh);
    *out = ps;
    return ADNET_OK;
}

int adn_passes_sizes(const adn_passes *ps, int w[3], int h[3]) {
    int order[3] = {0, 1, 2}, n_sizes = ps->n == 1 ? 1 : 3;
    for (int a = 0; a < n_sizes; a++)
        for (int b = a + 1; b < n_sizes; b++)
            if ((long)ps->p[order[b]].w * ps->p[order[b]].h >
                (long)ps->p[order[a]].w * ps->p[order[a]].h) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    for (int a = 0; a < n_sizes; a++) {
        w[a] = ps->p[order[a]].w;
        h[a] = ps->p[order[a]].h;
    }
    return n_sizes;
}

adnet_status adn_passes_sched_create(const adn_device_entry *devs, int n, const adn_weights *w,
                                     const adn_arch *arch, const adn_passes *ps, adn_sched **out) {
    int widths[3], heights[3], n_sizes = adn_passes_sizes(ps, widths, heights);
    return adn_sched_create(devs, n, w, arch, widths, heights, n_sizes, out);
}

adnet_status adn_passes_prepare(adnet_model *m, const adn_passes *ps) {
    int w[3], h[3], n = adn_passes_sizes(ps, w, h);
    for (int a = 0; a < n; a++) ADN_TRY(adn_model_prepare(m, w[a], h[a]));
    return ADNET_OK;
}

static void mirror_input(const float *src, float *dst, int w, int h) {
    for (size_t row = 0; row < (size_t)3 * h; row++) {
        const float *s = src + row * w;
        float *d = dst + row * w;
        for (int x = 0; x < w; x++) d[x] = s[w - 1 - x];
    }
}

adnet_status adn_passes_preprocess(const adn_passes *ps, const adnet_image *bgr,
                                   float *const inputs[]) {
    for (int k = 0; k < ps->n; k++) {
        const adn_pass *p = &ps->p[k];
        if (p->mirror)
            mirror_input(inputs[p->source], inputs[k], p->w, p->h);
        else
            ADN_TRY(adnet_preprocess(bgr, p->w, p->h, inputs[k]));
    }
    return ADNET_OK;
}

adnet_status adn_passes_set_anchors(adnet_model *m, const adn_passes *ps, float *const inputs[]) {
    for (int k = 0; k < ps->n; k++)
        ADN_TRY(adn_model_anchor(m, k, inputs[k], ps->p[k].w, ps->p[k].h));
    return ADNET_OK;
}

adnet_status adn_passes_submit(adnet_model *m, const adn_passes *ps, float *const inputs[],
                               float *const logits[], adn_event done[], int *n_done) {
    for (int k = 0; k < ps->n; k++) {
        ADN_TRY(adn_model_submit(m, k, inputs[k], ps->p[k].w, ps->p[k].h, logits[k], &done[k]));
        (*n_done)++;
    }
    return ADNET_OK;
}

void adn_passes_combine(const adn_passes *ps, const float *const logits[], float *acc, float *tmp,
                        int w, int h) {
    size_t n = (size_t)w * h;
    if (ps->n == 1) {
        adn_upsample_bilinear_ac(logits[0], ps->p[0].fw, ps->p[0].fh, acc, w, h);
        return;
    }
    for (int k = 0; k < ps->n; k++) {
        const adn_pass *p = &ps->p[k];
        float *dst = k == 0 ? acc : tmp;
        adn_upsample_bilinear_ac(logits[k], p->fw, p->fh, dst, w, h);
        if (k == 0) continue;
        for (int y = 0; y < h; y++) {
            float *a = acc + (size_t)y * w;
            const float *t = tmp + (size_t)y * w;
            if (p->mirror)
                for (int x = 0; x < w; x++) a[x] += t[w - 1 - x];
            else
                for (int x = 0; x < w; x++) a[x] += t[x];
        }
    }
    for (size_t i = 0; i < n; i++) acc[i] /= (float)ps->n;
}
