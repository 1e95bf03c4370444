/* A program written against adnet's first public API, using only the calls it had (devices,
 * model load/info/anchor/run, image load, preprocess, feature size, errors): it must keep
 * compiling and giving the same logits as the library grows. Writes each frame's raw logits
 * (feat_h x feat_w float32, native order) to OUT_DIR/<stem>.f32; the first frame by name is
 * the anchor.
 *
 *   api_v0 WEIGHTS FRAMES_DIR WxH OUT_DIR */
#define _POSIX_C_SOURCE 200809L
#include <adnet.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, adnet_status st) {
    fprintf(stderr, "api_v0: %s: %s (%s)\n", what, adnet_last_error(), adnet_strerror(st));
    return 1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    int w, h;
    if (argc != 5 || sscanf(argv[3], "%dx%d", &w, &h) != 2) {
        fprintf(stderr, "usage: api_v0 WEIGHTS FRAMES_DIR WxH OUT_DIR\n");
        return 2;
    }
    int count = 0, index = -1;
    adnet_status st = adnet_device_count(&count);
    if (st != ADNET_OK || count < 1) return fail("counting devices", st);
    st = adnet_device_select(NULL, &index);
    if (st != ADNET_OK) return fail("choosing a device", st);
    adnet_device_info dev;
    st = adnet_device_get_info(index, &dev);
    if (st != ADNET_OK) return fail("device info", st);
    adnet_model *m;
    st = adnet_model_load(argv[1], ADNET_MODEL_UNKNOWN, index, &m);
    if (st != ADNET_OK) return fail(argv[1], st);
    adnet_model_info info;
    adnet_model_get_info(m, &info);
    printf("%s R%d on %s\n", adnet_model_kind_name(info.kind), info.depth, dev.name);

    DIR *d = opendir(argv[2]);
    if (!d) return fail(argv[2], ADNET_ERR_IO);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256)
        if (strstr(e->d_name, ".jpg") || strstr(e->d_name, ".png")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);

    int fw, fh;
    adnet_feature_size(w, h, &fw, &fh);
    float *input = malloc((size_t)3 * w * h * sizeof *input);
    float *logits = malloc((size_t)fw * fh * sizeof *logits);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char path[4096];
        adnet_image img;
        snprintf(path, sizeof path, "%s/%s", argv[2], names[i]);
        st = adnet_image_load_bgr(path, &img);
        if (st == ADNET_OK) st = adnet_preprocess(&img, w, h, input);
        adnet_image_free(&img);
        if (st == ADNET_OK && i == 0) st = adnet_model_set_anchor(m, input, w, h);
        if (st == ADNET_OK) st = adnet_model_run(m, input, w, h, logits);
        if (st != ADNET_OK) {
            rc = fail(path, st);
            break;
        }
        *strrchr(names[i], '.') = '\0';
        snprintf(path, sizeof path, "%s/%s.f32", argv[4], names[i]);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(logits, sizeof *logits, (size_t)fw * fh, f) != (size_t)fw * fh) {
            fprintf(stderr, "api_v0: cannot write %s\n", path);
            rc = 1;
        }
        if (f) fclose(f);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(input);
    free(logits);
    adnet_model_free(m);
    return rc;
}
