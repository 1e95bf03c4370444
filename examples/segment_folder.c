/* Segments a folder of frames with adnet's public API only (adnet.h): the first frame (in
 * name order) is the anchor, every frame gets a mask <OUT>/<stem>.png, as `adnet segment
 * --frames` writes them.
 *
 *   segment_folder WEIGHTS FRAMES_DIR OUT_DIR [--size WxH] [--ms-mirror] [--saliency]
 *
 * Build against an installed adnet:
 *   cc -std=c11 segment_folder.c $(pkg-config --cflags --libs adnet) -o segment_folder */
#define _POSIX_C_SOURCE 200809L
#include <adnet.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int fail(const char *what, adnet_status st) {
    fprintf(stderr, "segment_folder: %s: %s (%s)\n", what, adnet_last_error(), adnet_strerror(st));
    return 1;
}

static int is_frame(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg") || !strcmp(dot, ".png"));
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The frame files of dir, sorted by name. */
static char **list_frames(const char *dir, int *n) {
    DIR *d = opendir(dir);
    char **names = NULL;
    *n = 0;
    if (!d) return NULL;
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d)) != NULL) {
        if (!is_frame(e->d_name)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, (size_t)cap * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names) qsort(names, (size_t)*n, sizeof *names, by_name);
    return names;
}

int main(int argc, char **argv) {
    int major;
    const char *version = adnet_version(&major, NULL, NULL);
    if (argc < 4) {
        fprintf(stderr,
                "adnet %s\nusage: %s WEIGHTS FRAMES_DIR OUT_DIR [--size WxH] [--ms-mirror] "
                "[--saliency]\n",
                version, argv[0]);
        return 2;
    }
    if (major != ADNET_VERSION_MAJOR) {
        fprintf(stderr, "segment_folder: built for adnet %s, running with %s\n",
                ADNET_VERSION_STRING, version);
        return 1;
    }
    adnet_session_options o;
    adnet_session_options_default(&o);
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc &&
            sscanf(argv[++i], "%dx%d", &o.width, &o.height) == 2)
            continue;
        if (!strcmp(argv[i], "--ms-mirror"))
            o.ms_mirror = 1;
        else if (!strcmp(argv[i], "--saliency"))
            o.outputs |= ADNET_OUTPUT_SALIENCY;
        else {
            fprintf(stderr, "segment_folder: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    int n;
    char **names = list_frames(argv[2], &n);
    if (n == 0) {
        fprintf(stderr, "segment_folder: no .jpg or .png frames in '%s'\n", argv[2]);
        return 1;
    }
    mkdir(argv[3], 0777);

    adnet_model *model = NULL;
    adnet_session *session = NULL;
    adnet_status st = adnet_model_load(argv[1], ADNET_MODEL_UNKNOWN, -1, &model);
    if (st != ADNET_OK) return fail("loading the model", st);
    st = adnet_session_create(model, &o, &session);
    if (st != ADNET_OK) return fail("creating the session", st);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char path[4096];
        adnet_image frame;
        adnet_frame_result r;
        snprintf(path, sizeof path, "%s/%s", argv[2], names[i]);
        st = adnet_image_load_bgr(path, &frame);
        if (st == ADNET_OK && i == 0) st = adnet_session_begin_video(session, &frame);
        if (st == ADNET_OK) st = adnet_session_segment(session, &frame, NULL, &r);
        adnet_image_free(&frame);
        if (st != ADNET_OK) {
            rc = fail(path, st);
            break;
        }
        char *dot = strrchr(names[i], '.');
        *dot = '\0';
        snprintf(path, sizeof path, "%s/%s.png", argv[3], names[i]);
        st = adnet_image_save(path, &r.mask);
        if (st == ADNET_OK && r.saliency.data) {
            snprintf(path, sizeof path, "%s/%s.saliency.png", argv[3], names[i]);
            st = adnet_image_save(path, &r.saliency);
        }
        if (st != ADNET_OK)
            rc = fail(path, st);
        else
            printf("%s: %zu object pixels\n", names[i], r.foreground);
        adnet_frame_result_free(&r);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    adnet_session_free(session);
    adnet_model_free(model);
    return rc;
}
