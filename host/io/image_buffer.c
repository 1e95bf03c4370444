/* 8-bit image buffers: allocation within adnet's size limit, the size check every decoder
 * makes before it allocates, and adnet_image_free. */
#include "image_buffer.h"

#include "resources.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* the decoders hold up to 4 bytes per pixel; a size that could matter to the machine (more
     * than 64 MiB: a 4096 x 4096 frame) is refused before they allocate if the memory is not
     * there, not by the OOM killer while they fill it; video frames skip the check */
    unsigned long long bytes = 4ull * (unsigned long long)width * (unsigned long long)height;
    if (bytes <= (64ull << 20)) return ADNET_OK;
    char what[600];
    snprintf(what, sizeof what, "'%.400s': decoding a %lldx%lld %s image", name, width, height,
             format);
    return adn_host_memory_check(bytes, what);
}

void adnet_image_free(adnet_image *img) {
    if (!img) return;
    free(img->data);
    memset(img, 0, sizeof *img);
}
