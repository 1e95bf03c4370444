/* OpenCL programs built per device, with their binaries cached on disk. The cache key is the
 * device, its driver, the platform, the build options and the hash of the source; an entry
 * that fails any check (magic, key, length, checksum, or the driver refusing it) is rebuilt
 * from source and rewritten, never trusted. */
#ifndef ADN_PROGRAM_H
#define ADN_PROGRAM_H

#include "device_list.h"

typedef struct adn_program adn_program;

/* Where the source of a program came from, for build logs. */
typedef struct adn_source {
    const char *name;
    const char *text;
    size_t length;
} adn_source;

typedef enum adn_program_origin {
    ADN_PROGRAM_FROM_SOURCE = 0, /* compiled now (and written to the cache when possible) */
    ADN_PROGRAM_FROM_CACHE = 1   /* a cached binary was loaded */
} adn_program_origin;

/* Builds sources for device dev in context (or loads the cached binary). */
adnet_status adn_program_build(const adn_device_entry *dev, cl_context context,
                               const adn_source *sources, int n_sources, const char *options,
                               adn_program **out);
/* adnet's own kernels: every .cl file of the cl/ folder, embedded at build time, built with
 * options (the device profile's: adn_device_profile_build_options). */
adnet_status adn_program_build_adnet(const adn_device_entry *dev, cl_context context,
                                     const char *options, adn_program **out);
cl_program adn_program_handle(const adn_program *p);
adn_program_origin adn_program_origin_of(const adn_program *p);
/* Seconds spent building or loading the program. */
double adn_program_build_seconds(const adn_program *p);
/* The cache entry path used for the program ("" when caching is off). */
const char *adn_program_cache_path(const adn_program *p);
void adn_program_free(adn_program *p);

/* The cache directory: the "cache_dir" setting (adnet_set_option, else $ADNET_CACHE_DIR), else
 * $XDG_CACHE_HOME/adnet, else ~/.cache/adnet. Returns "" when none can be determined. */
const char *adn_cache_dir(char *buf, size_t cap);

/* The embedded kernel sources (generated at build time from the cl/ folder). */
extern const adn_source adn_embedded_sources[];
extern const int adn_embedded_source_count;

/* The hash of all embedded sources (computed once per process), part of every cache key. */
uint64_t adn_embedded_sources_hash(void);

#endif
