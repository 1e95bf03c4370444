#include "device_profile.h"

#include "settings.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

const char *adn_gemm_backend_name(adn_gemm_backend b) {
    return b == ADN_GEMM_ADNET ? "adnet" : b == ADN_GEMM_ONEDNN ? "onednn" : "clblast";
}

const char *adn_onednn_unavailable(const adn_device_entry *e) {
#ifndef ADNET_HAVE_ONEDNN
    (void)e;
    return "oneDNN is not built in (configure with libdnnl-dev installed and GCC)";
#else
    if (!adn_device_runs_native(e))
        return e->native_kernels ? "the device does not share host memory"
                                 : "the device runs no native kernels";
    return NULL;
#endif
}

/* The GEMM for a profile that asks for oneDNN's (forced: the user's setting): oneDNN's where it
 * can run, else adnet's with a note saying why. */
static void choose_onednn(const adn_device_entry *e, int forced, adn_device_profile *p) {
    const char *why = adn_onednn_unavailable(e);
    p->gemm = why ? ADN_GEMM_ADNET : ADN_GEMM_ONEDNN;
    p->gemm_note[0] = 0;
    if (why)
        snprintf(p->gemm_note, sizeof p->gemm_note, "%s: %s", forced ? "onednn asked" : "no onednn",
                 why);
}

const char *adn_im2col_name(adn_im2col_variant v) {
    return v == ADN_IM2COL_ROWS ? "rows" : "generic";
}

const char *adn_attention_name(adn_attention_kernel k) {
    return k == ADN_ATTN_TILED ? "tiled" : k == ADN_ATTN_ROWS ? "rows" : "direct";
}

/* The setting words, in adn_setting_words's order, as enums. */
static const adn_gemm_backend gemm_of_word[] = {ADN_GEMM_CLBLAST, ADN_GEMM_ADNET, ADN_GEMM_ONEDNN};
static const adn_im2col_variant im2col_of_word[] = {ADN_IM2COL_GENERIC, ADN_IM2COL_ROWS};
static const adn_attention_kernel attention_of_word[] = {ADN_ATTN_TILED, ADN_ATTN_ROWS,
                                                         ADN_ATTN_DIRECT};

adnet_status adn_device_profile_named(const char *name, const adn_device_entry *e,
                                      adn_device_profile *p) {
    memset(p, 0, sizeof *p);
    if (!strcmp(name, "cpu")) {
        /* A CPU runtime runs a work-group as loops over its work-items, so kernels that share
         * tiles through local memory across work-items (CLBlast's, attention_tiled) cannot keep
         * them in registers there: CPU devices get kernels of one work-item per group that
         * loop over register tiles (docs/architecture.md). The products go to oneDNN where the
         * device runs native kernels: a library that picks its blocking per CPU model beats
         * one hand-blocked OpenCL kernel (docs/architecture.md, "The CPU engine"). */
        choose_onednn(e, 0, p);
        p->im2col = ADN_IM2COL_ROWS;
        p->gemm_b_panels = p->gemm == ADN_GEMM_ADNET;
        p->attention = ADN_ATTN_ROWS;
    } else if (!strcmp(name, "gpu")) {
        p->gemm = ADN_GEMM_CLBLAST;
        p->im2col = ADN_IM2COL_GENERIC;
        p->gemm_b_panels = 0;
        p->attention = ADN_ATTN_TILED;
    } else {
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unknown device profile '%s' (cpu or gpu)",
                        name);
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    /* enough work-items to hide latency on a GPU, and on a CPU enough rows per key tile to
     * amortise the tile's load and barriers; small key tiles only add barriers */
    p->winograd = 1;
    p->onednn_conv = ADN_ONEDNN_CONV_AUTO;
    p->attn_target_threads = 256;
    p->attn_max_bk = 128;
    p->attn_min_preferred_bk = 32;
    p->attn_max_nrb = 16;
    p->group_width = 64; /* a multiple of every GPU's SIMD width */
    size_t cap = (size_t)64 << 20;
    uint64_t dev_cap = e->info.max_alloc_bytes / 8;
    if (dev_cap && dev_cap < cap) cap = (size_t)dev_cap;
    p->scratch_cap_bytes = cap;
    p->gemm_mc = 256;
    p->gemm_kc = 256;
    p->clblast_xgemm = p->clblast_direct = p->clblast_threshold = -1;
    snprintf(p->tuning, sizeof p->tuning, "defaults");
    return ADNET_OK;
}

adnet_status adn_device_profile_check(const adn_device_profile *p) {
    if (p->gemm != ADN_GEMM_CLBLAST && p->gemm != ADN_GEMM_ADNET && p->gemm != ADN_GEMM_ONEDNN)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "device profile: unknown GEMM backend %d",
                        (int)p->gemm);
    if (p->im2col != ADN_IM2COL_GENERIC && p->im2col != ADN_IM2COL_ROWS)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "device profile: unknown im2col variant %d",
                        (int)p->im2col);
    if (p->attention != ADN_ATTN_DIRECT && p->attention != ADN_ATTN_TILED &&
        p->attention != ADN_ATTN_ROWS)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "device profile: unknown attention kernel %d",
                        (int)p->attention);
    if (p->gemm_b_panels && (p->gemm != ADN_GEMM_ADNET || p->im2col != ADN_IM2COL_ROWS))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device profile: B in panels needs adnet's GEMM and the rows im2col "
                        "(gemm %s, im2col %s)",
                        adn_gemm_backend_name(p->gemm), adn_im2col_name(p->im2col));
    if (p->attn_target_threads < 1 || p->attn_max_bk < 1 || p->attn_min_preferred_bk < 1 ||
        p->attn_max_nrb < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device profile: attention tile limits must be positive");
    if (p->group_width < 1 || (p->group_width & (p->group_width - 1)))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device profile: group width %zu is not a power of two", p->group_width);
    if (p->scratch_cap_bytes < sizeof(float))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "device profile: no im2col scratch");
    /* the GEMM's work-item loops step by 8 rows and hold GEMM_KC x 32 floats privately */
    if (p->gemm_mc < 8 || p->gemm_mc % 8 || p->gemm_mc > 1024 || p->gemm_kc < 1 || p->gemm_kc > 256)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device profile: GEMM tile of %d rows (a multiple of 8 up to 1024) and "
                        "depth %d (1 to 256)",
                        p->gemm_mc, p->gemm_kc);
    return ADNET_OK;
}

adnet_status adn_device_profile_resolve_untuned(const adn_device_entry *e, adn_device_profile *p) {
    int named, gemm, im2col, attention, winograd, onednn_conv;
    ADN_TRY(adn_setting_choice(ADN_SETTING_PROFILE, &named));
    ADN_TRY(adn_setting_choice(ADN_SETTING_GEMM, &gemm));
    ADN_TRY(adn_setting_choice(ADN_SETTING_IM2COL, &im2col));
    ADN_TRY(adn_setting_choice(ADN_SETTING_ATTENTION, &attention));
    ADN_TRY(adn_setting_choice(ADN_SETTING_WINOGRAD, &winograd));
    ADN_TRY(adn_setting_choice(ADN_SETTING_ONEDNN_CONV, &onednn_conv));
    const char *base = named >= 0 ? adn_setting_words(ADN_SETTING_PROFILE)[named]
                       : e->info.type == ADNET_DEVICE_CPU ? "cpu"
                                                          : "gpu";
    ADN_TRY(adn_device_profile_named(base, e, p));
    if (gemm >= 0) {
        p->gemm = gemm_of_word[gemm];
        p->gemm_note[0] = 0;
        if (p->gemm == ADN_GEMM_ONEDNN) choose_onednn(e, 1, p);
        /* the im2col that feeds a backend comes with it: rows for the CPU's engines */
        p->im2col = p->gemm == ADN_GEMM_CLBLAST ? ADN_IM2COL_GENERIC : ADN_IM2COL_ROWS;
    }
    if (im2col >= 0) p->im2col = im2col_of_word[im2col];
    p->gemm_b_panels = p->gemm == ADN_GEMM_ADNET && p->im2col == ADN_IM2COL_ROWS;
    if (attention >= 0) p->attention = attention_of_word[attention];
    if (winograd >= 0) p->winograd = winograd == 0; /* "on", "off" */
    static const adn_onednn_conv onednn_conv_of_word[] = {ADN_ONEDNN_CONV_AUTO, ADN_ONEDNN_CONV_ON,
                                                          ADN_ONEDNN_CONV_OFF};
    if (onednn_conv >= 0) p->onednn_conv = onednn_conv_of_word[onednn_conv];
    return adn_device_profile_check(p);
}

void adn_device_profile_build_options(const adn_device_profile *p, char *dst, size_t cap) {
    snprintf(dst, cap, "-DGEMM_MC=%d -DGEMM_KC=%d", p->gemm_mc, p->gemm_kc);
}

void adn_device_profile_describe(const adn_device_profile *p, char *dst, size_t cap) {
    const int conv = p->gemm == ADN_GEMM_ONEDNN ? (int)p->onednn_conv : ADN_ONEDNN_CONV_OFF;
    snprintf(dst, cap, "%s (gemm %s%s%s%s, im2col %s%s, attention %s%s%s%s)", p->name,
             adn_gemm_backend_name(p->gemm), *p->gemm_note ? " [" : "", p->gemm_note,
             *p->gemm_note ? "]" : "", adn_im2col_name(p->im2col),
             p->gemm_b_panels ? " in panels" : "", adn_attention_name(p->attention),
             p->winograd ? ", winograd" : "",
             conv == ADN_ONEDNN_CONV_AUTO ? ", onednn conv"
             : conv == ADN_ONEDNN_CONV_ON ? ", onednn conv on every 3x3"
                                          : "",
             p->tuned ? ", tuned" : "");
}
