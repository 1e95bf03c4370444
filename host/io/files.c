#include "files.h"

#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

adnet_status adn_mkdir_p(const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return adn_fail(ADNET_ERR_IO, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                return adn_fail(ADNET_ERR_IO, "cannot create directory '%s': %s", buf,
                                strerror(errno));
            }
            buf[i] = saved;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return adn_fail(ADNET_ERR_IO, "'%s' exists and is not a directory", path);
    return ADNET_OK;
}

adnet_status adn_read_file(const char *path, unsigned char **data, size_t *size) {
    *data = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return adn_fail(ADNET_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return adn_fail(ADNET_ERR_IO, "'%s' is not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n + 1);
    if (!buf) {
        fclose(fp);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory reading '%s'", path);
    }
    if (n && fread(buf, 1, n, fp) != n) {
        int e = errno;
        free(buf);
        fclose(fp);
        return adn_fail(ADNET_ERR_IO, "cannot read '%s': %s", path, e ? strerror(e) : "short read");
    }
    fclose(fp);
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return ADNET_OK;
}

static atomic_size_t g_bytes_written;

int adn_write_hook_fails(size_t bytes) {
    const char *limit = getenv("ADNET_FAIL_WRITES_AFTER");
    if (!limit || !*limit) return 0;
    size_t before = atomic_fetch_add(&g_bytes_written, bytes);
    return before + bytes > (size_t)strtoull(limit, NULL, 10);
}

adnet_status adn_atomic_open(adn_atomic_file *f, const char *path) {
    static atomic_uint counter;
    memset(f, 0, sizeof *f);
    if (strlen(path) >= sizeof f->path)
        return adn_fail(ADNET_ERR_IO, "output path too long: '%s'", path);
    snprintf(f->path, sizeof f->path, "%s", path);
    /* the temporary name is unique per process and call, hidden, and in the target's
     * directory so that rename() is atomic */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(f->tmp, sizeof f->tmp, "%.*s.%s.tmp%ld.%u", (int)dir_len, path,
             slash ? slash + 1 : path, (long)getpid(), atomic_fetch_add(&counter, 1));
    f->fp = fopen(f->tmp, "wb");
    if (!f->fp) return adn_fail(ADNET_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return ADNET_OK;
}

adnet_status adn_atomic_commit(adn_atomic_file *f) {
    int failed = ferror(f->fp);
    int err = failed ? EIO : 0;
    long size = ftell(f->fp);
    if (!failed && size > 0 && adn_write_hook_fails((size_t)size)) failed = 1, err = ENOSPC;
    if (fclose(f->fp) != 0 && !failed) failed = 1, err = errno;
    f->fp = NULL;
    if (!failed && rename(f->tmp, f->path) != 0) failed = 1, err = errno;
    if (failed) {
        unlink(f->tmp);
        return adn_fail(ADNET_ERR_IO, "cannot write '%s': %s", f->path, strerror(err));
    }
    return ADNET_OK;
}

void adn_atomic_abort(adn_atomic_file *f) {
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
    if (f->tmp[0]) unlink(f->tmp);
}

/* Whether name is a temporary of adn_atomic_open (".<base>.tmp<pid>.<n>") whose process has
 * ended; *pid gets the process. */
static int stale_temporary(const char *name, long *pid) {
    const char *t = name[0] == '.' ? strstr(name, ".tmp") : NULL;
    if (!t) return 0;
    char *end;
    *pid = strtol(t + 4, &end, 10);
    if (end == t + 4 || *end != '.' || *pid <= 0) return 0;
    const char *n = end + 1;
    strtoul(n, &end, 10);
    if (end == n || *end) return 0;
    return kill((pid_t)*pid, 0) != 0 && errno == ESRCH;
}

static void sweep(const char *dir, int depth, int *removed) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        struct stat s;
        if (lstat(path, &s) != 0) continue;
        long pid;
        if (S_ISDIR(s.st_mode) && depth < 4)
            sweep(path, depth + 1, removed);
        else if (S_ISREG(s.st_mode) && stale_temporary(e->d_name, &pid) && unlink(path) == 0)
            (*removed)++;
    }
    closedir(d);
}

int adn_remove_stale_temporaries(const char *dir) {
    int removed = 0;
    sweep(dir, 0, &removed);
    return removed;
}

adnet_status adn_write_file_atomic(const char *path, const void *data, size_t size) {
    adn_atomic_file f;
    ADN_TRY(adn_atomic_open(&f, path));
    if (size && fwrite(data, 1, size, f.fp) != size) {
        int e = errno;
        adn_atomic_abort(&f);
        return adn_fail(ADNET_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    return adn_atomic_commit(&f);
}
