#include "dataset.h"

#include "files.h"
#include "hash.h"
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", a, b);
    return s;
}

static void video_free(adn_video *v) {
    free(v->name);
    adn_frames_free(&v->frames);
    free(v->annotations);
    free(v->prune_masks);
    free(v->out_sub);
    memset(v, 0, sizeof *v);
}

void adn_video_set_free(adn_video_set *s) {
    for (int i = 0; i < s->n; i++) video_free(&s->videos[i]);
    free(s->videos);
    memset(s, 0, sizeof *s);
}

static adnet_status oom(void) {
    return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
}

static adnet_status check_dir(const char *what, const char *path) {
    if (!is_dir(path))
        return adn_fail(ADNET_ERR_IO, "%s folder '%s' does not exist or is not a folder", what,
                        path);
    return ADNET_OK;
}

adnet_status adn_videos_from_frames(const char *frames_dir, const char *annotations,
                                    const char *prune_masks, adn_video_set *out) {
    memset(out, 0, sizeof *out);
    if (annotations) ADN_TRY(check_dir("annotation", annotations));
    if (prune_masks) ADN_TRY(check_dir("pruning mask", prune_masks));
    adn_video *v = calloc(1, sizeof *v);
    if (!v) return oom();
    out->videos = v;
    out->n = 1;
    adnet_status st = adn_frames_list(frames_dir, &v->frames);
    if (st != ADNET_OK) {
        adn_video_set_free(out);
        return st;
    }
    /* the video's name is the folder's last component ("frames/" -> "frames") */
    size_t len = strlen(frames_dir);
    while (len > 1 && frames_dir[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && frames_dir[start - 1] != '/') start--;
    v->name = strndup(frames_dir + start, len - start);
    v->out_sub = strdup("");
    v->annotations = annotations ? strdup(annotations) : NULL;
    v->prune_masks = prune_masks ? strdup(prune_masks) : NULL;
    if (!v->name || !v->out_sub || (annotations && !v->annotations) ||
        (prune_masks && !v->prune_masks)) {
        adn_video_set_free(out);
        return oom();
    }
    out->total_frames = v->frames.n;
    return ADNET_OK;
}

/* ---- DAVIS ------------------------------------------------------------------------------ */

typedef struct name_list {
    char **names;
    int n, cap;
} name_list;

static void names_free(name_list *l) {
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

/* Adds a name unless it is already listed. */
static adnet_status names_add(name_list *l, const char *name, size_t len) {
    for (int i = 0; i < l->n; i++)
        if (strlen(l->names[i]) == len && !strncmp(l->names[i], name, len)) return ADNET_OK;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 32;
        char **grown = realloc(l->names, (size_t)cap * sizeof *grown);
        if (!grown) return oom();
        l->names = grown;
        l->cap = cap;
    }
    if (!(l->names[l->n] = strndup(name, len))) return oom();
    l->n++;
    return ADNET_OK;
}

/* A video name must be one path component: a list file cannot point outside the tree. */
static adnet_status check_name(const char *name, const char *source) {
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "bad video name '%s' in %s", name, source);
    return ADNET_OK;
}

/* Names from a list file: one per line, surrounding blanks ignored, empty lines skipped. */
static adnet_status names_from_file(const char *path, name_list *l) {
    unsigned char *data;
    size_t size;
    ADN_TRY(adn_read_file(path, &data, &size));
    adnet_status st = ADNET_OK;
    char *s = (char *)data;
    while (*s && st == ADNET_OK) {
        char *eol = strchr(s, '\n');
        char *end = eol ? eol : s + strlen(s);
        char *a = s, *b = end;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r')) b--;
        if (b > a) {
            char saved = *b;
            *b = '\0';
            st = check_name(a, path);
            if (st == ADNET_OK) st = names_add(l, a, (size_t)(b - a));
            *b = saved;
        }
        s = eol ? eol + 1 : end;
    }
    free(data);
    if (st == ADNET_OK && l->n == 0) st = adn_fail(ADNET_ERR_FORMAT, "'%s' lists no videos", path);
    return st;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static adnet_status names_from_folders(const char *dir, name_list *l) {
    DIR *d = opendir(dir);
    if (!d) return adn_fail(ADNET_ERR_IO, "cannot read '%s': %s", dir, strerror(errno));
    adnet_status st = ADNET_OK;
    struct dirent *e;
    while (st == ADNET_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *p = join(dir, e->d_name);
        if (!p)
            st = oom();
        else if (is_dir(p))
            st = names_add(l, e->d_name, strlen(e->d_name));
        free(p);
    }
    closedir(d);
    if (st != ADNET_OK) return st;
    if (l->n == 0) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "no video folders in '%s'", dir);
    qsort(l->names, (size_t)l->n, sizeof *l->names, by_name);
    return ADNET_OK;
}

static adnet_status names_from_list(const char *list, name_list *l) {
    const char *s = list;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len) {
            char *name = strndup(s, len);
            if (!name) return oom();
            adnet_status st = check_name(name, "--videos");
            if (st == ADNET_OK) st = names_add(l, name, len);
            free(name);
            ADN_TRY(st);
        }
        s += len + (comma != NULL);
    }
    if (l->n == 0) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "--videos names no video");
    return ADNET_OK;
}

adnet_status adn_videos_from_davis(const char *root, const char *which, const char *annotations,
                                   const char *prune_masks, adn_video_set *out) {
    memset(out, 0, sizeof *out);
    char images[4096], list_path[4096], default_ann[4096];
    snprintf(images, sizeof images, "%s/JPEGImages/480p", root);
    snprintf(default_ann, sizeof default_ann, "%s/Annotations/480p", root);
    if (!is_dir(images))
        return adn_fail(ADNET_ERR_IO, "'%s' is not a DAVIS folder: '%s' is missing", root, images);
    if (annotations) ADN_TRY(check_dir("annotation", annotations));
    if (prune_masks) ADN_TRY(check_dir("pruning mask", prune_masks));

    name_list names = {0};
    adnet_status st;
    if (!strcmp(which, "val") || !strcmp(which, "train")) {
        snprintf(list_path, sizeof list_path, "%s/ImageSets/2016/%s.txt", root, which);
        st = names_from_file(list_path, &names);
    } else if (!strcmp(which, "all")) {
        st = names_from_folders(images, &names);
    } else {
        st = names_from_list(which, &names);
    }
    if (st == ADNET_OK && !(out->videos = calloc((size_t)names.n, sizeof *out->videos))) st = oom();
    for (int i = 0; i < names.n && st == ADNET_OK; i++) {
        adn_video *v = &out->videos[out->n++];
        const char *name = names.names[i];
        char *frames = join(images, name);
        if (!frames) {
            st = oom();
            break;
        }
        if (!is_dir(frames))
            st = adn_fail(ADNET_ERR_IO, "video '%s' not found: no folder '%s'", name, frames);
        else
            st = adn_frames_list(frames, &v->frames);
        free(frames);
        if (st != ADNET_OK) break;
        v->name = strdup(name);
        v->out_sub = strdup(name);
        if (!v->name || !v->out_sub) {
            st = oom();
            break;
        }
        if (annotations) {
            v->annotations = join(annotations, name);
            if (v->annotations && !is_dir(v->annotations))
                st = adn_fail(ADNET_ERR_IO, "no annotations for video '%s': no folder '%s'", name,
                              v->annotations);
        } else {
            char *a = join(default_ann, name);
            if (a && !is_dir(a)) {
                free(a);
                a = NULL;
            } else if (!a) {
                st = oom();
            }
            v->annotations = a;
        }
        if (st == ADNET_OK && prune_masks) {
            v->prune_masks = join(prune_masks, name);
            if (v->prune_masks && !is_dir(v->prune_masks))
                st = adn_fail(ADNET_ERR_IO, "no pruning masks for video '%s': no folder '%s'", name,
                              v->prune_masks);
            else if (!v->prune_masks)
                st = oom();
        }
        if (st == ADNET_OK && annotations && !v->annotations) st = oom();
        out->total_frames += v->frames.n;
    }
    names_free(&names);
    if (st != ADNET_OK) adn_video_set_free(out);
    return st;
}

int adn_video_share(const char *name, int n) {
    return (int)(adn_hash_bytes(ADN_HASH_INIT, name, strlen(name)) % (uint64_t)n);
}

static int in_share(const adn_video *v, void *user) {
    const int *in = user;
    return adn_video_share(v->name, in[1]) == in[0];
}

void adn_videos_keep_share(adn_video_set *s, int i, int n) {
    int share[2] = {i, n};
    adn_videos_keep(s, in_share, share);
}

int adn_videos_keep(adn_video_set *s, int (*keep)(const adn_video *v, void *user), void *user) {
    int kept = 0;
    s->total_frames = 0;
    for (int k = 0; k < s->n; k++) {
        if (keep(&s->videos[k], user)) {
            s->videos[kept++] = s->videos[k];
            s->total_frames += s->videos[kept - 1].frames.n;
        } else {
            video_free(&s->videos[k]);
        }
    }
    int dropped = s->n - kept;
    s->n = kept;
    return dropped;
}
