#include "fault.h"

#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

adnet_status adn_fault_parse(const char *spec, int dev, adn_fault *out) {
    out->mode = ADN_FAULT_NONE;
    out->after = 0;
    if (!spec || !*spec) return ADNET_OK;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (len == 0 || len >= sizeof item) goto bad;
        memcpy(item, p, len);
        item[len] = '\0';
        int d, after, used = 0;
        char mode[16];
        if (sscanf(item, "%d:%d:%15[a-z]%n", &d, &after, mode, &used) != 3 || used != (int)len ||
            d < 0 || after < 0)
            goto bad;
        adn_fault_mode m = !strcmp(mode, "error")  ? ADN_FAULT_ERROR
                           : !strcmp(mode, "hang") ? ADN_FAULT_HANG
                           : !strcmp(mode, "slow") ? ADN_FAULT_SLOW
                                                   : ADN_FAULT_NONE;
        if (m == ADN_FAULT_NONE) goto bad;
        if (d == dev) {
            out->mode = m;
            out->after = after;
        }
        p += len + (end ? 1 : 0);
    }
    return ADNET_OK;
bad:
    return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                    "ADNET_FAULT is '%s': expected DEV:AFTER:MODE[;...] with MODE error, hang or "
                    "slow (e.g. 1:3:error)",
                    spec);
}
