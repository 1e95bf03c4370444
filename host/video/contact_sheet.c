#include "contact_sheet.h"

#include "image_buffer.h"
#include "overlay.h"
#include "status.h"

#include <string.h>

/* The sheet's background: a dark grey, so that both a black background and a white object
 * stand out from it. */
#define SHEET_GREY 48
/* The ground truth's background is the frame at this fraction of its brightness. */
#define TRUTH_DIM 0.2f

static void paste(adnet_image *dst, const adnet_image *src, int x0, int y0) {
    for (int y = 0; y < src->height; y++)
        memcpy(dst->data + ((size_t)(y0 + y) * dst->width + x0) * 3,
               src->data + (size_t)y * src->width * 3, (size_t)src->width * 3);
}

/* The ground truth half: the frame where the annotation is the object, dimmed elsewhere. */
static void paste_truth(adnet_image *dst, const adnet_image *frame, const uint8_t *truth, int x0,
                        int y0) {
    for (int y = 0; y < frame->height; y++) {
        const uint8_t *s = frame->data + (size_t)y * frame->width * 3;
        const uint8_t *t = truth + (size_t)y * frame->width;
        uint8_t *d = dst->data + ((size_t)(y0 + y) * dst->width + x0) * 3;
        for (int x = 0; x < frame->width; x++)
            for (int c = 0; c < 3; c++)
                d[3 * x + c] = t[x] ? s[3 * x + c] : (uint8_t)(TRUTH_DIM * s[3 * x + c] + 0.5f);
    }
}

adnet_status adn_contact_sheet_render(const adnet_image *frames, const uint8_t *const *masks,
                                      const uint8_t *const *truths, int n, int columns,
                                      adnet_image *out) {
    memset(out, 0, sizeof *out);
    if (n < 1 || columns < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "contact sheet: %d pictures in %d columns", n,
                        columns);
    int w = frames[0].width, h = frames[0].height;
    for (int i = 0; i < n; i++)
        if (masks[i] && (frames[i].width != w || frames[i].height != h || frames[i].channels != 3))
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "contact sheet: frame %d is %dx%d with %d channels, the first %dx%d "
                            "BGR",
                            i, frames[i].width, frames[i].height, frames[i].channels, w, h);
    if (columns > n) columns = n;
    int rows = (n + columns - 1) / columns;
    int pair_w = 2 * w + ADN_SHEET_GAP;
    long long sw = (long long)columns * pair_w + (long long)(columns + 1) * ADN_SHEET_MARGIN;
    long long sh = (long long)rows * h + (long long)(rows + 1) * ADN_SHEET_MARGIN;
    ADN_TRY(adn_image_check_size("contact sheet", "PNG", sw, sh));
    ADN_TRY(adn_image_alloc(out, (int)sw, (int)sh, 3));
    memset(out->data, SHEET_GREY, (size_t)sw * (size_t)sh * 3);
    for (int i = 0; i < n; i++) {
        if (!masks[i]) continue; /* an empty place */
        int x0 = ADN_SHEET_MARGIN + (i % columns) * (pair_w + ADN_SHEET_MARGIN);
        int y0 = ADN_SHEET_MARGIN + (i / columns) * (h + ADN_SHEET_MARGIN);
        adnet_image ov;
        adnet_status st = adn_overlay_render(&frames[i], masks[i], &ov);
        if (st != ADNET_OK) {
            adnet_image_free(out);
            return st;
        }
        paste(out, &ov, x0, y0);
        adnet_image_free(&ov);
        if (truths && truths[i])
            paste_truth(out, &frames[i], truths[i], x0 + w + ADN_SHEET_GAP, y0);
    }
    return ADNET_OK;
}

int adn_contact_sheet_pick(int n, int k, int *picks) {
    if (k > n) k = n;
    if (k < 1) return 0;
    for (int i = 0; i < k; i++) picks[i] = k == 1 ? 0 : (int)((long long)i * (n - 1) / (k - 1));
    return k;
}
