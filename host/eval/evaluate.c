#include "evaluate.h"

#include "image.h"
#include "resources.h"
#include "status.h"

#include <errno.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_CAP 4096

/* ---- directories ------------------------------------------------------------------------ */

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void adn_eval_free_names(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static adnet_status push_name(char ***names, int *n, int *cap, const char *name) {
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 64;
        char **grown = realloc(*names, (size_t)c * sizeof *grown);
        if (!grown) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        *names = grown;
        *cap = c;
    }
    if (!((*names)[*n] = strdup(name)))
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    (*n)++;
    return ADNET_OK;
}

/* The entries of dir that are folders (dirs = 1) or anything else (dirs = 0), hidden ones
 * left out, sorted with strcmp. A missing dir is reported through *exists (when not NULL)
 * instead of failing. */
static adnet_status list_dir(const char *dir, int dirs, char ***names, int *n, int *exists) {
    *names = NULL;
    *n = 0;
    if (exists) *exists = 1;
    DIR *d = opendir(dir);
    if (!d) {
        if (exists && errno == ENOENT) {
            *exists = 0;
            return ADNET_OK;
        }
        return adn_fail(ADNET_ERR_IO, "cannot read folder '%s': %s", dir, strerror(errno));
    }
    int cap = 0;
    adnet_status st = ADNET_OK;
    struct dirent *e;
    char path[PATH_CAP];
    while (st == ADNET_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        int is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
        if (is_dir == dirs) st = push_name(names, n, &cap, e->d_name);
    }
    closedir(d);
    if (st != ADNET_OK) {
        adn_eval_free_names(*names, *n);
        *names = NULL;
        *n = 0;
        return st;
    }
    if (*n) qsort(*names, (size_t)*n, sizeof **names, by_name);
    return ADNET_OK;
}

static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* ---- sets ------------------------------------------------------------------------------ */

static adnet_status check_video(const char *root, const char *name, adnet_status missing_status,
                                const char *where) {
    char path[PATH_CAP];
    if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return adn_fail(missing_status, "'%s' (%s) is not a video name", name, where);
    snprintf(path, sizeof path, "%s/Annotations/480p/%s", root, name);
    if (!is_dir(path))
        return adn_fail(missing_status, "video '%s' (%s) has no annotations: '%s' is not a folder",
                        name, where, path);
    return ADNET_OK;
}

/* Reads ROOT/ImageSets/2016/<set>.txt: one name per line, blank lines skipped. */
static adnet_status read_image_set(const char *root, const char *set, char ***names, int *n) {
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/ImageSets/2016/%s.txt", root, set);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return adn_fail(ADNET_ERR_IO, "cannot open the '%s' set '%s': %s", set, path,
                        strerror(errno));
    int cap = 0;
    char line[1024];
    adnet_status st = ADNET_OK;
    while (st == ADNET_OK && fgets(line, sizeof line, fp)) {
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                       s[len - 1] == '\t'))
            s[--len] = '\0';
        if (!len) continue;
        st = push_name(names, n, &cap, s);
    }
    fclose(fp);
    if (st == ADNET_OK && *n == 0) st = adn_fail(ADNET_ERR_FORMAT, "'%s' lists no video", path);
    return st;
}

static adnet_status split_names(const char *list, char ***names, int *n) {
    int cap = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[1024];
        if (len == 0 || len >= sizeof name)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "set '%s': expected val, train, all or video names separated by "
                            "commas",
                            list);
        memcpy(name, p, len);
        name[len] = '\0';
        ADN_TRY(push_name(names, n, &cap, name));
        if (!comma) break;
        p = comma + 1;
    }
    return ADNET_OK;
}

adnet_status adn_eval_resolve_set(const char *root, const char *set, char ***names, int *n) {
    *names = NULL;
    *n = 0;
    char ann[PATH_CAP];
    snprintf(ann, sizeof ann, "%s/Annotations/480p", root);
    if (!is_dir(ann))
        return adn_fail(ADNET_ERR_IO, "'%s' is not a DAVIS folder: '%s' does not exist", root, ann);
    adnet_status st;
    adnet_status missing_status = ADNET_ERR_IO;
    char where[PATH_CAP + 32];
    if (!strcmp(set, "all")) {
        st = list_dir(ann, 1, names, n, NULL);
        if (st == ADNET_OK && *n == 0)
            st = adn_fail(ADNET_ERR_IO, "'%s' holds no video folder", ann);
        snprintf(where, sizeof where, "in '%s'", ann);
    } else if (!strcmp(set, "val") || !strcmp(set, "train")) {
        st = read_image_set(root, set, names, n);
        snprintf(where, sizeof where, "listed in %s/ImageSets/2016/%s.txt", root, set);
    } else {
        st = split_names(set, names, n);
        missing_status = ADNET_ERR_INVALID_ARGUMENT;
        snprintf(where, sizeof where, "named in the set");
    }
    for (int i = 0; st == ADNET_OK && i < *n; i++) {
        st = check_video(root, (*names)[i], missing_status, where);
        for (int k = 0; st == ADNET_OK && k < i; k++)
            if (!strcmp((*names)[k], (*names)[i]))
                st = adn_fail(missing_status, "video '%s' (%s) appears twice", (*names)[i], where);
    }
    if (st != ADNET_OK) {
        adn_eval_free_names(*names, *n);
        *names = NULL;
        *n = 0;
    }
    return st;
}

/* ---- one video's files ------------------------------------------------------------------ */

static int find_frame(const adn_eval_video *v, const char *stem) {
    const char *key = stem;
    char **hit = bsearch(&key, v->frames, (size_t)v->n_frames, sizeof *v->frames, by_name);
    return hit ? (int)(hit - v->frames) : -1;
}

/* Lists dir (RESULTS/<video> or HEATMAPS/<video>): present[k] = 1 when "<frame k>.png" is
 * there. A file with an annotated frame's name and another extension, while the .png is
 * missing, is an error: the frame would otherwise be scored as empty without a word. Other
 * files are returned in ignored (when not NULL). */
static adnet_status match_files(const adn_eval_video *v, const char *dir, const char *what,
                                uint8_t *present, int *dir_exists, char ***ignored,
                                int *n_ignored) {
    char **names;
    int n;
    ADN_TRY(list_dir(dir, 0, &names, &n, dir_exists));
    /* first the PNGs, so that "00003.png" beside "00003.jpg" is found whatever the order */
    for (int i = 0; i < n; i++) {
        if (!ends_with(names[i], ".png")) continue;
        size_t dot = strlen(names[i]) - 4;
        names[i][dot] = '\0';
        int k = find_frame(v, names[i]);
        names[i][dot] = '.';
        if (k >= 0) present[k] = 1;
    }
    int cap = 0;
    adnet_status st = ADNET_OK;
    for (int i = 0; i < n && st == ADNET_OK; i++) {
        char stem[1024];
        snprintf(stem, sizeof stem, "%s", names[i]);
        int png = ends_with(stem, ".png");
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem) *dot = '\0';
        int k = find_frame(v, stem);
        if (k >= 0 && png) continue;
        if (k >= 0 && !present[k])
            st = adn_fail(ADNET_ERR_FORMAT,
                          "'%s/%s': %s must be PNG files named like the annotations ('%s.png')",
                          dir, names[i], what, v->frames[k]);
        else if (ignored)
            st = push_name(ignored, n_ignored, &cap, names[i]);
    }
    adn_eval_free_names(names, n);
    return st;
}

static void video_free(adn_eval_video *v) {
    free(v->name);
    adn_eval_free_names(v->frames, v->n_frames);
    free(v->missing);
    free(v->missing_heat);
    adn_eval_free_names(v->ignored, v->n_ignored);
}

/* Finds the video's annotated frames, its results and heat maps. present_* get one flag per
 * frame (malloc'd). */
static adnet_status prepare_video(const adn_eval_options *o, const char *name, adn_eval_video *v,
                                  uint8_t **present_mask, uint8_t **present_heat) {
    memset(v, 0, sizeof *v);
    *present_mask = *present_heat = NULL;
    if (!(v->name = strdup(name))) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/Annotations/480p/%s", o->davis, name);
    char **files;
    int n;
    ADN_TRY(list_dir(dir, 0, &files, &n, NULL));
    int cap = 0;
    adnet_status st = ADNET_OK;
    for (int i = 0; i < n && st == ADNET_OK; i++) {
        if (!ends_with(files[i], ".png") || strlen(files[i]) == 4) continue;
        files[i][strlen(files[i]) - 4] = '\0';
        st = push_name(&v->frames, &v->n_frames, &cap, files[i]);
    }
    adn_eval_free_names(files, n);
    ADN_TRY(st);
    /* frame order (and find_frame's search) is by name without ".png" */
    if (v->n_frames) qsort(v->frames, (size_t)v->n_frames, sizeof *v->frames, by_name);
    /* the benchmark leaves out the first and the last frame: fewer than 3 leaves nothing */
    if (v->n_frames < 3)
        return adn_fail(ADNET_ERR_FORMAT,
                        "'%s' holds %d annotation(s) (.png); the first and the last frame are "
                        "left out, so a video needs at least 3",
                        dir, v->n_frames);
    size_t nf = (size_t)v->n_frames;
    *present_mask = calloc(nf, 1);
    *present_heat = calloc(nf, 1);
    v->missing = malloc(nf * sizeof *v->missing);
    v->missing_heat = malloc(nf * sizeof *v->missing_heat);
    if (!*present_mask || !*present_heat || !v->missing || !v->missing_heat)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");

    snprintf(dir, sizeof dir, "%s/%s", o->results, name);
    int exists;
    ADN_TRY(match_files(v, dir, "results", *present_mask, &exists, &v->ignored, &v->n_ignored));
    v->results_dir_missing = !exists;
    for (int k = 0; k < v->n_frames; k++)
        if (!(*present_mask)[k]) v->missing[v->n_missing++] = k;
    if (o->heatmaps) {
        snprintf(dir, sizeof dir, "%s/%s", o->heatmaps, name);
        ADN_TRY(match_files(v, dir, "heat maps", *present_heat, &exists, NULL, NULL));
        v->heatmaps_dir_missing = !exists;
        for (int k = 0; k < v->n_frames; k++)
            if (!(*present_heat)[k]) v->missing_heat[v->n_missing_heat++] = k;
    }
    return ADNET_OK;
}

/* ---- decoding pipeline ------------------------------------------------------------------ */

/* One frame to score: decoded by a worker thread into a slot, scored by the caller's thread in
 * frame order (the accumulator's sums depend on the order). */
typedef struct eval_job {
    int video, frame;
} eval_job;

typedef struct eval_slot {
    int job;   /* the job held, valid when ready */
    int ready; /* decoded (or failed) */
    adnet_status status;
    char message[1536];
    adnet_image gt, pred, heat; /* pred and heat are always filled (zeros when missing) */
} eval_slot;

typedef struct eval_pipeline {
    const adn_eval_options *o;
    const adn_eval_video *videos;
    uint8_t *const *present_mask;
    uint8_t *const *present_heat;
    const eval_job *jobs;
    int n_jobs;
    eval_slot *slots;
    int n_slots;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int next;     /* the next job a worker takes */
    int consumed; /* jobs scored and their slots released */
    int stop;
} eval_pipeline;

static adnet_status zeros_like(const adnet_image *gt, adnet_image *out) {
    ADN_TRY(adn_image_alloc(out, gt->width, gt->height, 1));
    memset(out->data, 0, (size_t)gt->width * gt->height);
    return ADNET_OK;
}

/* Loads a result or heat map and checks that it has its annotation's size. */
static adnet_status load_checked(const char *path, const adnet_image *gt, const char *gt_path,
                                 adnet_image *out) {
    ADN_TRY(adn_image_load_mask(path, out));
    if (out->width != gt->width || out->height != gt->height) {
        adnet_status st =
            adn_fail(ADNET_ERR_FORMAT, "'%s' is %dx%d but its annotation '%s' is %dx%d", path,
                     out->width, out->height, gt_path, gt->width, gt->height);
        adnet_image_free(out);
        return st;
    }
    return ADNET_OK;
}

static adnet_status decode_job(const eval_pipeline *p, const eval_job *j, eval_slot *s) {
    const adn_eval_video *v = &p->videos[j->video];
    const char *frame = v->frames[j->frame];
    char gt_path[PATH_CAP], path[PATH_CAP];
    snprintf(gt_path, sizeof gt_path, "%s/Annotations/480p/%s/%s.png", p->o->davis, v->name, frame);
    ADN_TRY(adn_image_load_mask(gt_path, &s->gt));
    if (p->present_mask[j->video][j->frame]) {
        snprintf(path, sizeof path, "%s/%s/%s.png", p->o->results, v->name, frame);
        ADN_TRY(load_checked(path, &s->gt, gt_path, &s->pred));
        int t = p->o->threshold;
        if (t > 0) {
            size_t n = (size_t)s->pred.width * s->pred.height;
            for (size_t i = 0; i < n; i++) s->pred.data[i] = s->pred.data[i] > t;
        }
    } else {
        ADN_TRY(zeros_like(&s->gt, &s->pred));
    }
    if (p->o->heatmaps) {
        if (p->present_heat[j->video][j->frame]) {
            snprintf(path, sizeof path, "%s/%s/%s.png", p->o->heatmaps, v->name, frame);
            ADN_TRY(load_checked(path, &s->gt, gt_path, &s->heat));
        } else {
            ADN_TRY(zeros_like(&s->gt, &s->heat));
        }
    }
    return ADNET_OK;
}

static void slot_clear(eval_slot *s) {
    adnet_image_free(&s->gt);
    adnet_image_free(&s->pred);
    adnet_image_free(&s->heat);
    s->ready = 0;
}

static void *worker(void *arg) {
    eval_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        /* job j reuses the slot of job j - n_slots: wait until that one has been scored */
        while (!p->stop && p->next < p->n_jobs && p->next >= p->consumed + p->n_slots)
            pthread_cond_wait(&p->changed, &p->lock);
        if (p->stop || p->next >= p->n_jobs) break;
        int j = p->next++;
        eval_slot *s = &p->slots[j % p->n_slots];
        pthread_mutex_unlock(&p->lock);

        adnet_status st = decode_job(p, &p->jobs[j], s);
        if (st != ADNET_OK) {
            /* the message is thread-local: carry it to the scoring thread */
            snprintf(s->message, sizeof s->message, "%s", adnet_last_error());
            slot_clear(s);
        }
        pthread_mutex_lock(&p->lock);
        s->status = st;
        s->job = j;
        s->ready = 1;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

/* Scores every job in order while the workers decode ahead. */
static adnet_status score_jobs(eval_pipeline *p, adn_eval *e) {
    adnet_status st = ADNET_OK;
    for (int j = 0; j < p->n_jobs && st == ADNET_OK; j++) {
        eval_slot *s = &p->slots[j % p->n_slots];
        pthread_mutex_lock(&p->lock);
        while (!(s->ready && s->job == j)) pthread_cond_wait(&p->changed, &p->lock);
        pthread_mutex_unlock(&p->lock);

        const eval_job *job = &p->jobs[j];
        const adn_eval_video *v = &e->videos[job->video];
        st = s->status;
        if (st != ADNET_OK) st = adn_fail(st, "%s", s->message);
        if (st == ADNET_OK && job->frame == 0) st = adn_metrics_begin_sequence(e->metrics, v->name);
        if (st == ADNET_OK)
            st = adn_metrics_add_frame(e->metrics, s->pred.data, s->gt.data,
                                       p->o->heatmaps ? s->heat.data : NULL, s->gt.height,
                                       s->gt.width, NULL);
        if (st == ADNET_OK && job->frame == v->n_frames - 1)
            st = adn_metrics_end_sequence(e->metrics);

        pthread_mutex_lock(&p->lock);
        slot_clear(s);
        p->consumed = j + 1;
        if (st != ADNET_OK) p->stop = 1;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
    return st;
}

static adnet_status run_pipeline(const adn_eval_options *o, adn_eval *e,
                                 uint8_t *const *present_mask, uint8_t *const *present_heat) {
    int n_jobs = 0;
    for (int i = 0; i < e->n_videos; i++) n_jobs += e->videos[i].n_frames;
    int threads = o->threads > 0 ? o->threads : default_threads();
    if (threads > n_jobs) threads = n_jobs;
    eval_pipeline p = {0};
    p.o = o;
    p.videos = e->videos;
    p.present_mask = present_mask;
    p.present_heat = present_heat;
    p.n_jobs = n_jobs;
    p.n_slots = 2 * threads + 2;
    eval_job *jobs = malloc((size_t)n_jobs * sizeof *jobs);
    p.slots = calloc((size_t)p.n_slots, sizeof *p.slots);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!jobs || !p.slots || !tids) {
        free(jobs);
        free(p.slots);
        free(tids);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    int k = 0;
    for (int i = 0; i < e->n_videos; i++)
        for (int f = 0; f < e->videos[i].n_frames; f++) jobs[k++] = (eval_job){i, f};
    p.jobs = jobs;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.changed, NULL);

    adnet_status st = ADNET_OK;
    int started = 0;
    for (; started < threads; started++) {
        st = adn_thread_start(&tids[started], worker, &p, "a decoding thread");
        if (st != ADNET_OK) break;
    }
    if (st == ADNET_OK) st = score_jobs(&p, e);
    pthread_mutex_lock(&p.lock);
    p.stop = 1;
    pthread_cond_broadcast(&p.changed);
    pthread_mutex_unlock(&p.lock);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < p.n_slots; i++) slot_clear(&p.slots[i]);
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.lock);
    free(jobs);
    free(p.slots);
    free(tids);
    return st;
}

/* ---- the evaluation --------------------------------------------------------------------- */

void adn_eval_free(adn_eval *e) {
    if (!e) return;
    for (int i = 0; i < e->n_videos; i++) video_free(&e->videos[i]);
    free(e->videos);
    adn_metrics_free(e->metrics);
    free(e);
}

adnet_status adn_eval_run(const adn_eval_options *o, const char *const *videos, int n_videos,
                          adn_eval **out) {
    *out = NULL;
    if (!o->results || !o->davis || n_videos < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "evaluation: no results, dataset or video");
    if (o->threshold < 0 || o->threshold > 254)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "evaluation: threshold %d is outside 0..254 (8-bit masks)", o->threshold);
    if (!is_dir(o->results))
        return adn_fail(ADNET_ERR_IO, "results folder '%s' does not exist", o->results);
    if (o->heatmaps && !is_dir(o->heatmaps))
        return adn_fail(ADNET_ERR_IO, "heat-map folder '%s' does not exist", o->heatmaps);
    adn_eval *e = calloc(1, sizeof *e);
    uint8_t **present_mask = calloc((size_t)n_videos, sizeof *present_mask);
    uint8_t **present_heat = calloc((size_t)n_videos, sizeof *present_heat);
    adnet_status st = ADNET_OK;
    if (!e || !present_mask || !present_heat ||
        !(e->videos = calloc((size_t)n_videos, sizeof *e->videos)))
        st = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == ADNET_OK) st = adn_metrics_create(&e->metrics);
    for (int i = 0; i < n_videos && st == ADNET_OK; i++) {
        st = prepare_video(o, videos[i], &e->videos[i], &present_mask[i], &present_heat[i]);
        e->n_videos = i + 1;
    }
    if (st == ADNET_OK) st = run_pipeline(o, e, present_mask, present_heat);
    if (st == ADNET_OK) st = adn_metrics_dataset(e->metrics, &e->dataset);
    if (e) e->has_heatmaps = o->heatmaps != NULL;
    for (int i = 0; i < n_videos && present_mask && present_heat; i++) {
        free(present_mask[i]);
        free(present_heat[i]);
    }
    free(present_mask);
    free(present_heat);
    if (st != ADNET_OK) {
        adn_eval_free(e);
        return st;
    }
    *out = e;
    return ADNET_OK;
}
