/* Tuned kernel parameters per device: what `adnet tune` measured fastest on the network's
 * shapes, kept as one JSON entry per device and profile in the cache directory (next to the
 * compiled programs) and applied to the device profile when a device is opened.
 *
 * An entry is keyed by everything that makes a measurement valid: adnet's version, the kernel
 * sources, the platform, device and driver, and the profile's kernel choices. An entry whose key
 * differs (stale), that does not parse, or that holds a value outside the candidates below
 * (corrupt) is ignored, never trusted: the device runs on the defaults and says why. */
#ifndef ADN_TUNING_H
#define ADN_TUNING_H

#include "device_profile.h"

/* The tunable parameters, their candidates and where they live in a profile. */
typedef enum adn_tunable {
    ADN_TUNE_GEMM_MC = 0,       /* adnet's GEMM: rows of A per work-item */
    ADN_TUNE_GEMM_KC,           /* adnet's GEMM: depth per pass (the private B tile) */
    ADN_TUNE_ATTN_THREADS,      /* tiled attention: work-items per group aimed at */
    ADN_TUNE_ATTN_MAX_BK,       /* tiled attention: the largest key tile */
    ADN_TUNE_CLBLAST_XGEMM,     /* CLBlast's indirect Xgemm: parameter set */
    ADN_TUNE_CLBLAST_DIRECT,    /* CLBlast's XgemmDirect: parameter set */
    ADN_TUNE_CLBLAST_THRESHOLD, /* CLBlast's switch to the indirect GEMM: m n k, as a cube side */
    ADN_TUNABLE_COUNT
} adn_tunable;

/* The JSON name of a tunable ("gemm_mc", ...). */
const char *adn_tunable_name(adn_tunable t);
/* Its candidates (values a tuning entry may hold), n of them. For the CLBlast sets, the value is
 * an index into adn_clblast_param_set's table; -1 in a profile means CLBlast's own. */
const int *adn_tunable_candidates(adn_tunable t, int *n);
/* Whether t matters to a device in profile p (adnet's GEMM, the tiled attention, CLBlast). */
int adn_tunable_applies(adn_tunable t, const adn_device_profile *p);
/* The value of t in p, and p with t set to v. */
int adn_tunable_get(const adn_device_profile *p, adn_tunable t);
void adn_tunable_set(adn_device_profile *p, adn_tunable t, int v);

/* A CLBlast parameter set: the kernel name CLBlastOverrideParameters takes and its values. */
typedef struct adn_clblast_params {
    const char *kernel;
    int n;
    const char *const *names;
    const size_t *values;
} adn_clblast_params;
/* Set number `index` of tunable t (ADN_TUNE_CLBLAST_*) into out; 0 when there is none. For the
 * threshold, index is a candidate cube side and the set holds m n k = index^3. */
int adn_clblast_param_set(adn_tunable t, int index, adn_clblast_params *out);

/* The key of device e in profile p (the profile's kernel choices, not its tuned values). */
void adn_tuning_key(const adn_device_entry *e, const adn_device_profile *p, char *buf, size_t cap);
/* The entry's path in the cache directory ("" when there is none). */
void adn_tuning_path(const adn_device_entry *e, const adn_device_profile *p, char *buf, size_t cap);

/* The profile a device opened now gets: adn_device_profile_resolve_untuned, then the device's
 * entry unless the setting "tune" is "off" (p->tuning says which and why). */
adnet_status adn_device_profile_resolve(const adn_device_entry *e, adn_device_profile *p);

/* Applies the entry for (e, p) to p when there is a valid one, and writes what happened into
 * p->tuning ("tuned from PATH", "defaults: no entry", "defaults: entry ignored (why)"). Never
 * fails: a bad entry only costs speed. Returns 1 when the entry was applied. */
int adn_tuning_apply(const adn_device_entry *e, adn_device_profile *p);

/* The time `adnet tune` measured for e in profile p with its tuned values and what it was
 * measured on: a whole frame where the entry has one ("a frame of ad R101 857x481 in the cpu
 * profile"), else the network's GEMM products ("products of ad R101 857x481 in the cpu
 * profile"), in ms; returns 0 (ms -1, network "") when e has no valid entry. device_select.c
 * compares two drivers of one chip with it. */
int adn_tuning_measured(const adn_device_entry *e, const adn_device_profile *p, char *network,
                        size_t cap, double *ms);

/* Writes the entry for e with p's tuned values (the tunables that apply to p) and what the
 * search measured, atomically (a reader sees the old entry or the new one). network names the
 * shapes it was measured on ("ad R101 857x481"); frame_ms, when > 0, is a whole frame's time
 * with the tuned values (anchor cached, the median of a few). */
adnet_status adn_tuning_store(const adn_device_entry *e, const adn_device_profile *p,
                              const char *network, double default_ms, double tuned_ms,
                              double frame_ms, char *path_out, size_t path_cap);

#endif
