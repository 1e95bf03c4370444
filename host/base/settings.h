/* Process-wide settings: what adnet_set_option sets, else the environment variable of the same
 * name (ADNET_<NAME>), else unset. Every per-device choice a user may force (the GEMM backend,
 * the im2col and attention kernels, a whole device profile) and the default device and kernel
 * cache are read through here, so a program can set them with a call and a shell with the
 * environment, with one meaning. */
#ifndef ADN_SETTINGS_H
#define ADN_SETTINGS_H

#include "adnet.h"

#include <stddef.h>

typedef enum adn_setting {
    ADN_SETTING_DEVICE = 0,  /* the default device spec (ADNET_DEVICE) */
    ADN_SETTING_PROFILE,     /* a named device profile: cpu | gpu (ADNET_PROFILE) */
    ADN_SETTING_GEMM,        /* clblast | adnet | onednn (ADNET_GEMM) */
    ADN_SETTING_IM2COL,      /* generic | rows (ADNET_IM2COL) */
    ADN_SETTING_ATTENTION,   /* tiled | rows | direct (ADNET_ATTENTION) */
    ADN_SETTING_WINOGRAD,    /* on | off: Winograd's 3x3 convolutions (ADNET_WINOGRAD) */
    ADN_SETTING_ONEDNN_CONV, /* auto | on | off: oneDNN's convolutions (ADNET_ONEDNN_CONV) */
    ADN_SETTING_CACHE_DIR,   /* the kernel cache directory (ADNET_CACHE_DIR) */
    ADN_SETTING_TUNE,        /* on | off: apply `adnet tune`'s cached entry (ADNET_TUNE) */
    ADN_SETTING_COUNT
} adn_setting;

/* The name adnet_set_option takes ("gemm") and the environment variable ("ADNET_GEMM"). */
const char *adn_setting_name(adn_setting s);
const char *adn_setting_env(adn_setting s);

/* The setting's value into buf (cap bytes): the value set by call, else the environment's;
 * returns 1 when set (and not empty), 0 otherwise (buf is then ""). Safe from any thread. */
int adn_setting_get(adn_setting s, char *buf, size_t cap);

/* For settings with a fixed set of words (profile, gemm, im2col, attention,
 * winograd, onednn_conv): the index of the
 * current value in the list adn_setting_words gives, -1 when unset. A value outside the list
 * fails with ADNET_ERR_INVALID_ARGUMENT naming where it came from (the call or the variable)
 * and the words allowed. */
adnet_status adn_setting_choice(adn_setting s, int *index);
/* The words a setting accepts, NULL-terminated (NULL for free-form settings). */
const char *const *adn_setting_words(adn_setting s);

#endif
