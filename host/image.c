/* Loading images: the format is recognised by the file's signature, never its name, and
 * each decoder reproduces OpenCV's cv2.imread(path, cv2.IMREAD_COLOR). */
#include "image.h"

#include "fsutil.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t jpeg_signature[3] = {0xff, 0xd8, 0xff};
static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static int starts_with(const uint8_t *data, size_t size, const uint8_t *sig, size_t n) {
    return size >= n && memcmp(data, sig, n) == 0;
}

adnet_status adn_image_alloc(adnet_image *img, int width, int height, int channels) {
    memset(img, 0, sizeof *img);
    if (width <= 0 || height <= 0 || channels <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "bad image size %dx%d with %d channel(s)",
                        width, height, channels);
    if ((size_t)width * (size_t)height > ADN_IMAGE_MAX_PIXELS)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "image size %dx%d is too large", width, height);
    size_t bytes = (size_t)width * (size_t)height * (size_t)channels;
    img->data = malloc(bytes);
    if (!img->data)
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d image", width, height);
    img->width = width, img->height = height, img->channels = channels;
    return ADNET_OK;
}

adnet_status adn_image_check_size(const char *name, const char *format, long long width,
                                  long long height) {
    if (width <= 0 || height <= 0)
        return adn_fail(ADNET_ERR_FORMAT, "'%s': corrupt %s: image size %lldx%lld", name, format,
                        width, height);
    if ((unsigned long long)width * (unsigned long long)height > ADN_IMAGE_MAX_PIXELS)
        return adn_fail(ADNET_ERR_FORMAT,
                        "'%s': %s image size %lldx%lld is too large (at most %zu pixels)", name,
                        format, width, height, ADN_IMAGE_MAX_PIXELS);
    return ADNET_OK;
}

void adnet_image_free(adnet_image *img) {
    if (!img) return;
    free(img->data);
    memset(img, 0, sizeof *img);
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
