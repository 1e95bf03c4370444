#include "settings.h"

#include "status.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const profile_words[] = {"cpu", "gpu", NULL};
static const char *const gemm_words[] = {"clblast", "adnet", "onednn", NULL};
static const char *const im2col_words[] = {"generic", "rows", NULL};
static const char *const attention_words[] = {"tiled", "rows", "direct", NULL};
static const char *const on_off_words[] = {"on", "off", NULL};
static const char *const auto_on_off_words[] = {"auto", "on", "off", NULL};

static const struct {
    const char *name, *env;
    const char *const *words;
} table[ADN_SETTING_COUNT] = {
    {"device", "ADNET_DEVICE", NULL},
    {"profile", "ADNET_PROFILE", profile_words},
    {"gemm", "ADNET_GEMM", gemm_words},
    {"im2col", "ADNET_IM2COL", im2col_words},
    {"attention", "ADNET_ATTENTION", attention_words},
    {"winograd", "ADNET_WINOGRAD", on_off_words},
    {"onednn_conv", "ADNET_ONEDNN_CONV", auto_on_off_words},
    {"cache_dir", "ADNET_CACHE_DIR", NULL},
    {"tune", "ADNET_TUNE", on_off_words},
};

/* Values set by call (NULL: not set, the environment applies). */
static char *set_values[ADN_SETTING_COUNT];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

const char *adn_setting_name(adn_setting s) {
    return (unsigned)s < ADN_SETTING_COUNT ? table[s].name : "?";
}

const char *adn_setting_env(adn_setting s) {
    return (unsigned)s < ADN_SETTING_COUNT ? table[s].env : "?";
}

const char *const *adn_setting_words(adn_setting s) {
    return (unsigned)s < ADN_SETTING_COUNT ? table[s].words : NULL;
}

/* Copies the value and says whether it came from a call (1) or the environment (0). */
static int get_value(adn_setting s, char *buf, size_t cap, int *from_call) {
    buf[0] = '\0';
    *from_call = 0;
    if ((unsigned)s >= ADN_SETTING_COUNT) return 0;
    pthread_mutex_lock(&lock);
    if (set_values[s]) {
        snprintf(buf, cap, "%s", set_values[s]);
        *from_call = 1;
    }
    pthread_mutex_unlock(&lock);
    if (!*from_call) {
        const char *env = getenv(table[s].env);
        if (env) snprintf(buf, cap, "%s", env);
    }
    return buf[0] != '\0';
}

int adn_setting_get(adn_setting s, char *buf, size_t cap) {
    int from_call;
    return get_value(s, buf, cap, &from_call);
}

static int word_index(const char *const *words, const char *value) {
    for (int i = 0; words[i]; i++)
        if (!strcmp(words[i], value)) return i;
    return -1;
}

static adnet_status bad_word(adn_setting s, const char *value, const char *origin) {
    char allowed[128] = "";
    size_t len = 0;
    for (int i = 0; table[s].words[i]; i++)
        len += (size_t)snprintf(allowed + len, sizeof allowed - len, "%s'%s'", i ? ", " : "",
                                table[s].words[i]);
    return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s is '%s': expected one of %s (or unset)", origin,
                    value, allowed);
}

adnet_status adn_setting_choice(adn_setting s, int *index) {
    *index = -1;
    char value[256];
    int from_call;
    if ((unsigned)s >= ADN_SETTING_COUNT || !table[s].words)
        return adn_fail(ADNET_ERR_INTERNAL, "setting %d has no fixed words", (int)s);
    if (!get_value(s, value, sizeof value, &from_call)) return ADNET_OK;
    *index = word_index(table[s].words, value);
    if (*index < 0) {
        char origin[64];
        snprintf(origin, sizeof origin, from_call ? "option '%s'" : "%s",
                 from_call ? table[s].name : table[s].env);
        return bad_word(s, value, origin);
    }
    return ADNET_OK;
}

static int find_setting(const char *name) {
    for (int i = 0; name && i < ADN_SETTING_COUNT; i++)
        if (!strcmp(table[i].name, name)) return i;
    return -1;
}

adnet_status adnet_set_option(const char *name, const char *value) {
    int s = find_setting(name);
    if (s < 0) {
        char known[160] = "";
        size_t len = 0;
        for (int i = 0; i < ADN_SETTING_COUNT; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                                    table[i].name);
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unknown option '%s' (options: %s)",
                        name ? name : "(null)", known);
    }
    if (value && value[0] && table[s].words && word_index(table[s].words, value) < 0) {
        char origin[64];
        snprintf(origin, sizeof origin, "option '%s'", table[s].name);
        return bad_word((adn_setting)s, value, origin);
    }
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    pthread_mutex_lock(&lock);
    free(set_values[s]);
    set_values[s] = copy;
    pthread_mutex_unlock(&lock);
    return ADNET_OK;
}

adnet_status adnet_get_option(const char *name, char *value, size_t cap) {
    int s = find_setting(name);
    if (s < 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unknown option '%s'", name ? name : "(null)");
    if (!value || cap == 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "adnet_get_option: no room for the value");
    adn_setting_get((adn_setting)s, value, cap);
    return ADNET_OK;
}
