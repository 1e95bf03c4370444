/* Files: directories made on demand, whole-file reads, and writes that never leave a
 * half-written file behind (write to a temporary name in the same directory, then rename). */
#ifndef ADN_FSUTIL_H
#define ADN_FSUTIL_H

#include "adnet.h"

#include <stddef.h>
#include <stdio.h>

/* Creates path and its missing parents (like mkdir -p). */
adnet_status adn_mkdir_p(const char *path);

/* Reads a whole file into a malloc'd buffer (NUL-terminated beyond size). */
adnet_status adn_read_file(const char *path, unsigned char **data, size_t *size);

/* An output file being written: data goes to a temporary name beside the target and only
 * adn_atomic_commit makes it appear under its real name. */
typedef struct adn_atomic_file {
    FILE *fp;
    char path[4096];
    char tmp[4120];
} adn_atomic_file;

adnet_status adn_atomic_open(adn_atomic_file *f, const char *path);
/* Flushes, checks for write errors (a full disk), fsyncs nothing, renames. On failure the
 * temporary file is removed and the target is left as it was. */
adnet_status adn_atomic_commit(adn_atomic_file *f);
/* Abandons the write: removes the temporary file. */
void adn_atomic_abort(adn_atomic_file *f);

/* Removes the temporaries that adn_atomic_open's writers left in dir and its subfolders (four
 * levels: an output tree) when their process was killed before it could commit or abort: only
 * names of its pattern whose process no longer runs. Returns how many it removed. */
int adn_remove_stale_temporaries(const char *dir);

/* Writes a whole buffer atomically. */
adnet_status adn_write_file_atomic(const char *path, const void *data, size_t size);

/* A test hook that simulates a full disk: when the environment variable
 * ADNET_FAIL_WRITES_AFTER=N is set, every write after the first N bytes written through
 * adn_atomic_* in this process fails with ENOSPC. */
int adn_write_hook_fails(size_t bytes);

#endif
