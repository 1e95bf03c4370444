/* The network's input: the frame resized as the released evaluation resized it (OpenCV's
 * INTER_LINEAR on 8-bit BGR), converted to float, minus the per-channel mean, channels
 * first (spec: "Input preprocessing"). */
#include "adnet.h"

#include "image_resize.h"
#include "status.h"

#include <stdlib.h>

/* B, G, R: the mean the released model was trained with. */
static const double bgr_mean[3] = {104.00698793, 116.66876762, 122.67891434};

adnet_status adnet_preprocess(const adnet_image *bgr, int width, int height, float *out) {
    if (!bgr || !bgr->data || !out)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "preprocess: missing image or output");
    if (bgr->channels != 3)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "preprocess: expected a 3-channel BGR image, got %d channel(s)",
                        bgr->channels);
    if (width <= 0 || height <= 0 || bgr->width <= 0 || bgr->height <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "preprocess: bad size %dx%d -> %dx%d",
                        bgr->width, bgr->height, width, height);
    size_t plane = (size_t)width * height;
    uint8_t *resized = malloc(plane * 3);
    if (!resized)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "preprocess: out of memory for %dx%d", width,
                        height);
    adnet_status st =
        adn_resize_linear_u8(bgr->data, bgr->width, bgr->height, 3, resized, width, height);
    if (st == ADNET_OK) {
        /* the subtraction is done in double and rounded once, so the value is the float
         * nearest to pixel - mean whatever the float rounding of the mean */
        for (size_t i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                out[c * plane + i] = (float)((double)resized[i * 3 + c] - bgr_mean[c]);
    }
    free(resized);
    return st;
}
