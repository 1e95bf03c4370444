/* What every fuzz target shares. adnet's parsers read files, so a target writes its input to
 * a file first and calls the same function adnet runs on a path: the file lives in a private
 * directory (under /dev/shm where there is one, so no disk is touched), made once per process
 * and removed at exit. */
#ifndef ADN_FUZZ_UTIL_H
#define ADN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The path of file `name` in the target's directory (the directory is created on first use;
 * a failure aborts: it is the harness's, not the input's). */
const char *fz_path(const char *name);
/* Writes data to fz_path(name) (replacing it) and returns that path. */
const char *fz_write(const char *name, const uint8_t *data, size_t size);
/* A NUL-terminated copy of the input (malloc'd; free it). */
char *fz_string(const uint8_t *data, size_t size);

#endif
