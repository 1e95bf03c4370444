#include "frames.h"

#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int is_frame_name(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.') return 0;
    return !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png");
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

adnet_status adn_frames_list(const char *dir, adn_frame_list *out) {
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return adn_fail(ADNET_ERR_IO, "cannot read frame directory '%s': %s", dir, strerror(errno));
    int cap = 0;
    struct dirent *e;
    adnet_status st = ADNET_OK;
    while ((e = readdir(d)) != NULL) {
        if (!is_frame_name(e->d_name)) continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(out->names, (size_t)cap * sizeof *grown);
            if (!grown) {
                st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
                break;
            }
            out->names = grown;
        }
        out->names[out->n] = strdup(e->d_name);
        if (!out->names[out->n]) {
            st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
            break;
        }
        out->n++;
    }
    closedir(d);
    out->dir = strdup(dir);
    if (st == ADNET_OK && !out->dir) st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK && out->n == 0)
        st = adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                      "no frames in '%s' (expected .jpg, .jpeg or .png files)", dir);
    if (st != ADNET_OK) {
        adn_frames_free(out);
        return st;
    }
    qsort(out->names, (size_t)out->n, sizeof *out->names, by_name);
    return ADNET_OK;
}

void adn_frames_free(adn_frame_list *l) {
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    free(l->dir);
    memset(l, 0, sizeof *l);
}

void adn_frame_stem(const char *name, char *dst, size_t cap) {
    const char *dot = strrchr(name, '.');
    size_t n = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    if (n >= cap) n = cap - 1;
    memcpy(dst, name, n);
    dst[n] = '\0';
}
