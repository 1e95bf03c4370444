/* Segments a folder of frames with adnet's public API only (adnet.h): the first frame (in
 * name order) is the anchor, every frame gets a mask <OUT>/<stem>.png, as `adnet segment
 * --frames` writes them.
 *
 *   segment_folder WEIGHTS FRAMES_DIR OUT_DIR [--size WxH] [--ms-mirror] [--saliency]
 *                  [--devices LIST]
 *
 * --devices runs on several devices at once ("gpu,cpu", "all", "cpu/2"), four frames at a
 * time; without it, one model on the default device, frame by frame.
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
                "[--saliency] [--devices LIST]\n",
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
    const char *devices = NULL;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--devices") && i + 1 < argc) {
            devices = argv[++i];
            continue;
        }
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
    adnet_status st;
    if (devices) {
        st = adnet_session_create_devices(argv[1], ADNET_MODEL_UNKNOWN, devices, &o, &session);
        if (st != ADNET_OK) return fail("creating the session", st);
    } else {
        st = adnet_model_load(argv[1], ADNET_MODEL_UNKNOWN, -1, &model);
        if (st != ADNET_OK) return fail("loading the model", st);
        st = adnet_session_create(model, &o, &session);
        if (st != ADNET_OK) return fail("creating the session", st);
    }
    int rc = 0, batch = devices ? 4 : 1;
    for (int i = 0; i < n && rc == 0; i += batch) {
        char path[4096];
        adnet_image frames[4];
        adnet_frame_result r[4];
        int m = n - i < batch ? n - i : batch, loaded = 0;
        for (st = ADNET_OK; loaded < m; loaded++) {
            snprintf(path, sizeof path, "%s/%s", argv[2], names[i + loaded]);
            if ((st = adnet_image_load_bgr(path, &frames[loaded])) != ADNET_OK) break;
        }
        if (st == ADNET_OK && i == 0) st = adnet_session_begin_video(session, &frames[0]);
        if (st == ADNET_OK) st = adnet_session_segment_frames(session, frames, m, NULL, r);
        for (int k = 0; k < loaded; k++) adnet_image_free(&frames[k]);
        if (st != ADNET_OK) {
            rc = fail(path, st);
            break;
        }
        for (int k = 0; k < m; k++) {
            *strrchr(names[i + k], '.') = '\0';
            snprintf(path, sizeof path, "%s/%s.png", argv[3], names[i + k]);
            st = adnet_image_save(path, &r[k].mask);
            if (st == ADNET_OK && r[k].saliency.data) {
                snprintf(path, sizeof path, "%s/%s.saliency.png", argv[3], names[i + k]);
                st = adnet_image_save(path, &r[k].saliency);
            }
            if (st != ADNET_OK)
                rc = fail(path, st);
            else
                printf("%s: %zu object pixels\n", names[i + k], r[k].foreground);
            adnet_frame_result_free(&r[k]);
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    adnet_session_free(session);
    adnet_model_free(model);
    return rc;
}
