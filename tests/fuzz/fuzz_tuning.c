/* `adnet tune`'s cache entries (JSON in the cache directory, which anything may have written):
 * resolving a device's profile reads the entry; whatever it holds, the profile that comes out
 * must be one the ops can run, and a rejected entry must leave the defaults exactly. The first
 * "@KEY@" of an input becomes this machine's key for the device, so that the seeds reach the
 * parameters on any machine (a key is specific to a device and driver). */
#include "fuzz_util.h"

#include "device_list.h"
#include "files.h"
#include "status.h"
#include "tuning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const adn_device_entry *e;
    static adn_device_profile defaults;
    static char entry[4200];
    if (!e) {
        const adn_device_entry *list;
        int n;
        char dir[600];
        snprintf(dir, sizeof dir, "%s", fz_path("cache"));
        if (adnet_set_option("cache_dir", dir) != ADNET_OK || adn_devices(&list, &n) != ADNET_OK ||
            n < 1 || adn_device_profile_resolve_untuned(&list[0], &defaults) != ADNET_OK)
            abort();
        e = &list[0];
        adn_tuning_path(e, &defaults, entry, sizeof entry);
        if (adn_mkdir_p(dir) != ADNET_OK) abort();
    }
    char *text = fz_string(data, size), *at = strstr(text, "@KEY@");
    FILE *f = fopen(entry, "wb");
    if (!f) abort();
    if (at) {
        char key[2048];
        adn_tuning_key(e, &defaults, key, sizeof key);
        fwrite(text, 1, (size_t)(at - text), f);
        fputs(key, f);
        fwrite(at + 5, 1, size - (size_t)(at - text) - 5, f);
    } else if (size) {
        fwrite(data, 1, size, f);
    }
    if (ferror(f) || fclose(f) != 0) abort();
    free(text);
    adn_device_profile p;
    if (adn_device_profile_resolve(e, &p) != ADNET_OK) abort(); /* an entry never fails it */
    if (adn_device_profile_check(&p) != ADNET_OK) abort();
    if (!p.tuned) {
        for (int t = 0; t < ADN_TUNABLE_COUNT; t++)
            if (adn_tunable_get(&p, (adn_tunable)t) != adn_tunable_get(&defaults, (adn_tunable)t))
                abort();
    }
    adn_clear_error();
    return 0;
}
