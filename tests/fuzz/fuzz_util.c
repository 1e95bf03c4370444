#include "fuzz_util.h"

#include "adnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void remove_dir(void) {
    /* only the files the targets write: one level, known names */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

static void make_dir(void) {
    if (dir[0]) return;
    struct stat s;
    const char *base = stat("/dev/shm", &s) == 0 && S_ISDIR(s.st_mode) ? "/dev/shm" : "/tmp";
    const char *env = getenv("TMPDIR");
    if (!strcmp(base, "/tmp") && env && *env) base = env;
    snprintf(dir, sizeof dir, "%s/adnet-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(remove_dir);
}

const char *fz_path(const char *name) {
    static char path[512];
    make_dir();
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

const char *fz_write(const char *name, const uint8_t *data, size_t size) {
    const char *path = fz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz: writing the input");
        abort();
    }
    return path;
}

char *fz_string(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
