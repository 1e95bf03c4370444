#include "device_select.h"

#include "device_chip.h"
#include "settings.h"
#include "resources.h"
#include "status.h"
#include "tuning.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one device per chip ------------------------------------------------------------ */

#define CHIP_NOTE_CAP 320
static int *g_stands_for;  /* per device: -1, or the device that stands for its chip */
static char *g_chip_notes; /* per device: CHIP_NOTE_CAP bytes, adn_chip_choose's */
static int g_chip_n = -1;
static pthread_mutex_t chip_lock = PTHREAD_MUTEX_INITIALIZER;

/* Decides, once per process, which device stands for each chip. The measured rule reads
 * `adnet tune`'s entries of each device in the profile it gets by default; a device whose
 * profile settings are wrong simply counts as not tuned (the error comes when it is opened). */
static adnet_status choose_chips(const adn_device_entry **list, int *n) {
    ADN_TRY(adn_devices(list, n));
    pthread_mutex_lock(&chip_lock);
    if (g_chip_n < 0) {
        int m = *n;
        adn_chip_candidate *c = calloc((size_t)(m ? m : 1), sizeof *c);
        char *nets = calloc((size_t)(m ? m : 1), 200);
        int *stands = calloc((size_t)(m ? m : 1), sizeof *stands);
        char *notes = calloc((size_t)(m ? m : 1), CHIP_NOTE_CAP);
        if (!c || !nets || !stands || !notes) {
            free(c);
            free(nets);
            free(stands);
            free(notes);
            pthread_mutex_unlock(&chip_lock);
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        }
        for (int i = 0; i < m; i++) {
            const adn_device_entry *e = &(*list)[i];
            c[i].pci = e->chip_pci;
            c[i].desc = e->chip_desc;
            c[i].type = e->info.type;
            c[i].platform = e->info.platform;
            c[i].vendor = e->info.vendor;
            c[i].estimated_gflops = e->info.estimated_gflops;
            c[i].measured_ms = -1;
            c[i].measured_on = nets + (size_t)i * 200;
            adn_device_profile p;
            if (adn_device_profile_resolve_untuned(e, &p) == ADNET_OK)
                adn_tuning_measured(e, &p, nets + (size_t)i * 200, 200, &c[i].measured_ms);
            else
                adn_clear_error();
        }
        adn_chip_choose(c, m, stands, notes, CHIP_NOTE_CAP);
        free(c);
        free(nets);
        g_stands_for = stands;
        g_chip_notes = notes;
        g_chip_n = m;
    }
    pthread_mutex_unlock(&chip_lock);
    return ADNET_OK;
}

static int stands_for_chip(int i) {
    return i < 0 || i >= g_chip_n || g_stands_for[i] < 0;
}

const char *adn_device_chip_note(int index) {
    const adn_device_entry *list;
    int n;
    if (choose_chips(&list, &n) != ADNET_OK || index < 0 || index >= g_chip_n) return "";
    return g_chip_notes + (size_t)index * CHIP_NOTE_CAP;
}

int adn_device_list_shared_chip(const adn_device_entry *list, int n, char *dst, size_t cap) {
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            const adn_device_entry *a = &list[i], *b = &list[j];
            /* parts of one split device share it by request */
            if (a->parts > 0 && b->parts > 0 && a->info.index == b->info.index) continue;
            if (!adn_chip_same(a->chip_pci, a->chip_desc, b->chip_pci, b->chip_desc)) continue;
            char la[200], lb[200];
            adn_device_entry_label(a, la, sizeof la);
            adn_device_entry_label(b, lb, sizeof lb);
            snprintf(dst, cap,
                     "devices %s (%s) and %s (%s) are the same chip (%s) through two drivers or "
                     "device entries: their replicas share its cores and each runs slower; "
                     "--device all uses one device per chip",
                     la, a->info.platform, lb, b->info.platform, a->info.chip);
            return 1;
        }
    return 0;
}

adnet_status adnet_device_get_info(int index, adnet_device_info *info) {
    const adn_device_entry *list;
    int n;
    ADN_TRY(choose_chips(&list, &n));
    if (index < 0 || index >= n)
        return adn_fail(ADNET_ERR_DEVICE, "device %d does not exist (%d devices)", index, n);
    *info = list[index].info;
    info->same_chip_as = index < g_chip_n ? g_stands_for[index] : -1;
    return ADNET_OK;
}

static adnet_status no_match(const char *spec, const adn_device_entry *list, int n) {
    char msg[900];
    int len = snprintf(msg, sizeof msg, "no OpenCL device matches '%s'; devices:", spec);
    if (n == 0) len += snprintf(msg + len, sizeof msg - (size_t)len, " none");
    for (int i = 0; i < n && len < (int)sizeof msg - 1; i++)
        len += snprintf(msg + len, sizeof msg - (size_t)len, " [%d] %s (%s, %s)%s", i,
                        list[i].info.name, list[i].info.platform,
                        adnet_device_type_name(list[i].info.type), i + 1 < n ? ";" : "");
    return adn_fail(ADNET_ERR_DEVICE, "%s", msg);
}

/* The best device of a type mask by estimated throughput, among the devices that stand for
 * their chips; -1 when none. */
static int best_of(const adn_device_entry *list, int n, unsigned type_mask) {
    int best = -1;
    for (int i = 0; i < n; i++)
        if (((unsigned)list[i].info.type & type_mask) && stands_for_chip(i))
            if (best < 0 || list[i].info.estimated_gflops > list[best].info.estimated_gflops)
                best = i;
    return best;
}

adnet_status adn_device_select_many(const char *spec, int *indices, int max, int *count) {
    const adn_device_entry *list;
    int n;
    ADN_TRY(choose_chips(&list, &n));
    *count = 0;
    char from_settings[256];
    if ((!spec || !*spec) &&
        adn_setting_get(ADN_SETTING_DEVICE, from_settings, sizeof from_settings))
        spec = from_settings;
    if (n == 0) {
        char note[96];
        return adn_fail(ADNET_ERR_DEVICE,
                        "no OpenCL device found: install an OpenCL driver (for the CPU, "
                        "Debian's pocl-opencl-icd)%s",
                        adn_address_space_note(note, sizeof note));
    }
    if (!spec || !*spec) {
        int i = best_of(list, n, ADNET_DEVICE_GPU);
        if (i < 0) i = best_of(list, n, ADNET_DEVICE_CPU);
        if (i < 0) i = 0;
        indices[0] = i;
        *count = 1;
        return ADNET_OK;
    }
    if (!strcmp(spec, "all") || !strcmp(spec, "every")) {
        int every = spec[0] == 'e';
        for (int i = 0; i < n && *count < max; i++)
            if (every || stands_for_chip(i)) indices[(*count)++] = i;
        return ADNET_OK;
    }
    char *end;
    long idx = strtol(spec, &end, 10);
    if (end != spec && *end == '\0') {
        if (idx < 0 || idx >= n) return no_match(spec, list, n);
        indices[0] = (int)idx;
        *count = 1;
        return ADNET_OK;
    }
    unsigned type = 0;
    if (!strcmp(spec, "gpu"))
        type = ADNET_DEVICE_GPU;
    else if (!strcmp(spec, "cpu"))
        type = ADNET_DEVICE_CPU;
    else if (!strcmp(spec, "accelerator"))
        type = ADNET_DEVICE_ACCELERATOR;
    if (type) {
        int i = best_of(list, n, type);
        if (i < 0) return no_match(spec, list, n);
        indices[0] = i;
        *count = 1;
        return ADNET_OK;
    }
    /* a name: the first match that stands for its chip, else the first match ("amd" names both
     * drivers of an AMD CPU; "intel" only Intel's runtime) */
    int first = -1;
    for (int i = 0; i < n; i++) {
        if (adn_contains_ci(list[i].info.name, spec) ||
            adn_contains_ci(list[i].info.vendor, spec) ||
            adn_contains_ci(list[i].info.platform, spec)) {
            if (first < 0) first = i;
            if (stands_for_chip(i)) {
                first = i;
                break;
            }
        }
    }
    if (first < 0) return no_match(spec, list, n);
    indices[0] = first;
    *count = 1;
    return ADNET_OK;
}

adnet_status adnet_device_select(const char *spec, int *index) {
    int count = 0;
    if (spec && (!strcmp(spec, "all") || !strcmp(spec, "every")))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "device spec '%s' names several devices; this command uses one", spec);
    ADN_TRY(adn_device_select_many(spec, index, 1, &count));
    return ADNET_OK;
}

adnet_status adn_device_list_resolve(const char *spec, adn_device_entry **list, int *n) {
    const adn_device_entry *all;
    int n_all;
    *list = NULL;
    *n = 0;
    ADN_TRY(adn_devices(&all, &n_all));
    int cap = n_all + 64;
    adn_device_entry *out = calloc((size_t)cap, sizeof *out);
    char *copy = strdup(spec ? spec : "");
    if (!out || !copy) {
        free(out);
        free(copy);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    adnet_status st = ADNET_OK;
    int used[256] = {0};
    char *save = NULL;
    int empty = copy[0] == '\0';
    for (char *item = empty ? copy : strtok_r(copy, ",", &save); item && st == ADNET_OK;
         item = empty ? NULL : strtok_r(NULL, ",", &save)) {
        while (*item == ' ') item++;
        int parts = 0;
        char *slash = strrchr(item, '/');
        if (slash) {
            char *end;
            long p = strtol(slash + 1, &end, 10);
            if (end == slash + 1 || *end || p < 1 || p > 64) {
                st = adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                              "device spec '%s': the part after '/' must be a count of 1 to 64",
                              item);
                break;
            }
            *slash = '\0';
            parts = p > 1 ? (int)p : 0;
        }
        int idx[256], count = 0;
        st = adn_device_select_many(item, idx, 256, &count);
        if (st == ADNET_ERR_DEVICE && n_all > 0) st = ADNET_ERR_INVALID_ARGUMENT; /* usage */
        for (int k = 0; k < count && st == ADNET_OK; k++) {
            int i = idx[k];
            if (i >= 256 || used[i]) {
                st = adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                              "device spec '%s' names device [%d] %s twice; give each device "
                              "once (see adnet devices)",
                              spec, i, all[i].info.name);
                break;
            }
            if (*n + (parts ? parts : 1) > cap) {
                st = adn_fail(ADNET_ERR_INVALID_ARGUMENT, "device spec '%s': too many devices",
                              spec);
                break;
            }
            if (parts) {
                st = adn_device_split(&all[i], parts, item, out, n);
            } else {
                out[(*n)++] = all[i];
            }
            used[i] = 1;
        }
    }
    free(copy);
    if (st != ADNET_OK) {
        adn_device_list_free(out, *n);
        *n = 0;
        /* every such error lists what there is */
        if (!strstr(adnet_last_error(), "; devices:")) {
            char msg[2048];
            int len = snprintf(msg, sizeof msg, "%s; devices:", adnet_last_error());
            for (int i = 0; i < n_all && len < (int)sizeof msg - 1; i++)
                len += snprintf(msg + len, sizeof msg - (size_t)len,
                                " [%d] %s (%s, %s, %u compute units)%s", i, all[i].info.name,
                                all[i].info.platform, adnet_device_type_name(all[i].info.type),
                                all[i].info.compute_units, i + 1 < n_all ? ";" : "");
            adn_fail(st, "%s", msg);
        }
        return st;
    }
    *list = out;
    return ADNET_OK;
}
