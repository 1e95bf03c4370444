/* adnet_version: the library's own version, which a program compares with the header's. */
#include "adnet.h"

#include <stddef.h>

const char *adnet_version(int *major, int *minor, int *patch) {
    if (major) *major = ADNET_VERSION_MAJOR;
    if (minor) *minor = ADNET_VERSION_MINOR;
    if (patch) *patch = ADNET_VERSION_PATCH;
    return ADNET_VERSION_STRING;
}
