/* Loading images: the format is recognised by the file's signature, never its name, and
 * each decoder reproduces OpenCV's cv2.imread(path, cv2.IMREAD_COLOR). */
#include "image.h"

#include "files.h"
#include "status.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t jpeg_signature[3] = {0xff, 0xd8, 0xff};
static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static int starts_with(const uint8_t *data, size_t size, const uint8_t *sig, size_t n) {
    return size >= n && memcmp(data, sig, n) == 0;
}

adnet_status adn_image_decode_bgr(const uint8_t *data, size_t size, const char *name,
                                  adnet_image *out) {
    memset(out, 0, sizeof *out);
    if (size == 0) return adn_fail(ADNET_ERR_FORMAT, "'%s': empty file", name);
    if (starts_with(data, size, jpeg_signature, sizeof jpeg_signature))
        return adn_jpeg_decode_bgr(data, size, name, out);
    if (starts_with(data, size, png_signature, sizeof png_signature))
        return adn_png_decode(data, size, name, 0, out);
    return adn_fail(ADNET_ERR_FORMAT, "'%s': not a JPEG or PNG file", name);
}

adnet_status adnet_image_load_bgr(const char *path, adnet_image *out) {
    if (!path || !out) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "image load: no path or output");
    memset(out, 0, sizeof *out);
    unsigned char *data;
    size_t size;
    ADN_TRY(adn_read_file(path, &data, &size));
    adnet_status st = adn_image_decode_bgr(data, size, path, out);
    free(data);
    return st;
}

adnet_status adn_image_load_mask(const char *path, adnet_image *out) {
    if (!path || !out) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "mask load: no path or output");
    memset(out, 0, sizeof *out);
    unsigned char *data;
    size_t size;
    ADN_TRY(adn_read_file(path, &data, &size));
    adnet_status st;
    if (size == 0)
        st = adn_fail(ADNET_ERR_FORMAT, "'%s': empty file", path);
    else if (!starts_with(data, size, png_signature, sizeof png_signature))
        st = adn_fail(ADNET_ERR_FORMAT, "'%s': not a PNG file (masks are read from PNG)", path);
    else
        st = adn_png_decode(data, size, path, 1, out);
    free(data);
    return st;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != suffix[i]) return 0;
    return 1;
}

adnet_status adnet_image_save(const char *path, const adnet_image *img) {
    if (!path || !img || !img->data || img->width < 1 || img->height < 1)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "image save: no path or an empty image");
    if (img->channels != 1 && img->channels != 3)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "image save '%s': %d channels (1 or 3 can be saved)", path, img->channels);
    if (ends_with(path, ".png"))
        return img->channels == 1 ? adn_png_write_gray(path, img->width, img->height, img->data)
                                  : adn_png_write_bgr(path, img);
    if (ends_with(path, ".jpg") || ends_with(path, ".jpeg"))
        return adn_jpeg_write_bgr(path, img, 90);
    return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                    "image save '%s': unknown format (the name must end in .png, .jpg or .jpeg)",
                    path);
}
