#include "video.h"

#include "fsutil.h"
#include "image.h"
#include "npy.h"
#include "postproc.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void adn_segment_options_default(adn_segment_options *o) {
    memset(o, 0, sizeof *o);
    o->width = 857;
    o->height = 481;
    o->threshold = 0.5f;
}

/* Decodes and preprocesses one frame; the image is kept for its size. */
static adnet_status load_frame(const adn_frame_list *frames, int i, int w, int h, float *input,
                               adnet_image *img) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", frames->dir, frames->names[i]);
    ADN_TRY(adnet_image_load_bgr(path, img));
    adnet_status st = adnet_preprocess(img, w, h, input);
    if (st != ADNET_OK) adnet_image_free(img);
    return st;
}

/* Writes one frame's outputs: the mask at the frame's size and, optionally, the raw logits. */
static adnet_status write_outputs(const char *out_dir, const char *name, const float *logits,
                                  int fw, int fh, const adnet_image *frame,
                                  const adn_segment_options *o) {
    char stem[1024], path[4096];
    adn_frame_stem(name, stem, sizeof stem);
    size_t n = (size_t)frame->width * frame->height;
    float *up = malloc(n * sizeof *up);
    uint8_t *mask = malloc(n);
    if (!up || !mask) {
        free(up);
        free(mask);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    adn_upsample_bilinear_ac(logits, fw, fh, up, frame->width, frame->height);
    adn_threshold(up, n, o->threshold, mask);
    snprintf(path, sizeof path, "%s/masks/%s.png", out_dir, stem);
    adnet_status st = adn_png_write_gray(path, frame->width, frame->height, mask);
    if (st == ADNET_OK && o->save_logits) {
        size_t shape[3] = {1, (size_t)fh, (size_t)fw};
        snprintf(path, sizeof path, "%s/logits/%s.npy", out_dir, stem);
        st = adn_npy_write_f32(path, logits, 3, shape);
    }
    free(up);
    free(mask);
    return st;
}

adnet_status adn_segment_video(adnet_model *m, const adn_frame_list *frames, const char *out_dir,
                               const adn_segment_options *o, adn_progress_fn progress, void *user) {
    if (o->anchor_index < 0 || o->anchor_index >= frames->n)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "anchor frame %d does not exist (%d frames)",
                        o->anchor_index, frames->n);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/masks", out_dir);
    ADN_TRY(adn_mkdir_p(dir));
    if (o->save_logits) {
        snprintf(dir, sizeof dir, "%s/logits", out_dir);
        ADN_TRY(adn_mkdir_p(dir));
    }
    int w = o->width, h = o->height, fw, fh;
    adnet_feature_size(w, h, &fw, &fh);
    ADN_TRY(adn_model_prepare(m, w, h));
    float *input = malloc((size_t)3 * w * h * sizeof *input);
    float *logits = malloc((size_t)fw * fh * sizeof *logits);
    if (!input || !logits) {
        free(input);
        free(logits);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    adnet_image img = {0};
    adnet_status st = load_frame(frames, o->anchor_index, w, h, input, &img);
    adnet_image_free(&img);
    if (st == ADNET_OK) st = adn_model_anchor(m, 0, input, w, h);
    for (int i = 0; i < frames->n && st == ADNET_OK; i++) {
        st = load_frame(frames, i, w, h, input, &img);
        if (st != ADNET_OK) break;
        cl_event done;
        st = adn_model_submit(m, 0, input, w, h, logits, &done);
        if (st == ADNET_OK) {
            cl_int err = clWaitForEvents(1, &done);
            clReleaseEvent(done);
            if (err != CL_SUCCESS) st = adn_cl_fail(err, "running the model");
        }
        if (st == ADNET_OK) st = write_outputs(out_dir, frames->names[i], logits, fw, fh, &img, o);
        adnet_image_free(&img);
        if (st == ADNET_OK && progress) progress(user, i, frames->n, frames->names[i]);
    }
    free(input);
    free(logits);
    return st;
}
