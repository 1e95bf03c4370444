/* The C API's logits for a folder of frames, for the Python package's test to compare with
 * bit for bit: the released loop on the CPU device with the frame-size logits asked for, each
 * frame's written as DIR/<index>.npy (float32, height x width).
 *
 *   c_logits WEIGHTS FRAMES_DIR WxH OUT_DIR */
#include "adnet.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int write_npy(const char *path, const float *v, int h, int w) {
    char header[128];
    int n = snprintf(header, sizeof header,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", h, w);
    int total = 10 + n + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    unsigned short len = (unsigned short)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(len & 0xff, f), fputc(len >> 8, f);
    fwrite(header, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    size_t count = (size_t)h * (size_t)w;
    int ok = fwrite(v, sizeof *v, count, f) == count;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int fail(const char *what, adnet_status st) {
    fprintf(stderr, "c_logits: %s: %s (%s)\n", what, adnet_strerror(st), adnet_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: c_logits WEIGHTS FRAMES_DIR WxH OUT_DIR\n");
        return 2;
    }
    adnet_session_options o;
    adnet_session_options_default(&o);
    if (sscanf(argv[3], "%dx%d", &o.width, &o.height) != 2) return 2;
    o.outputs = ADNET_OUTPUT_LOGITS;
    char *names[1024];
    int n = 0;
    DIR *d = opendir(argv[2]);
    if (!d) return 1;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 1024;) {
        const char *dot = strrchr(e->d_name, '.');
        if (e->d_name[0] != '.' && dot && (!strcmp(dot, ".jpg") || !strcmp(dot, ".png")))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    int device = -1;
    adnet_model *model = NULL;
    adnet_session *session = NULL;
    adnet_status st = adnet_device_select("cpu", &device);
    if (st == ADNET_OK) st = adnet_model_load(argv[1], ADNET_MODEL_UNKNOWN, device, &model);
    if (st == ADNET_OK) st = adnet_session_create(model, &o, &session);
    if (st != ADNET_OK) return fail("loading", st);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[2], names[i]);
        adnet_image img = {0};
        adnet_frame_result r;
        memset(&r, 0, sizeof r);
        st = adnet_image_load_bgr(path, &img);
        if (st == ADNET_OK && i == 0) st = adnet_session_begin_video(session, &img);
        if (st == ADNET_OK) st = adnet_session_segment(session, &img, NULL, &r);
        if (st != ADNET_OK) return fail(path, st);
        snprintf(path, sizeof path, "%s/%05d.npy", argv[4], i);
        if (write_npy(path, r.logits, r.mask.height, r.mask.width) != 0) return fail(path, st);
        adnet_frame_result_free(&r);
        adnet_image_free(&img);
        free(names[i]);
    }
    adnet_session_free(session);
    adnet_model_free(model);
    return 0;
}
