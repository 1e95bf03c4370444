/* Images in and out: JPEG and PNG decoding to 8-bit BGR exactly as OpenCV's
 * cv2.imread(path, cv2.IMREAD_COLOR) does it (the released evaluation read frames that way),
 * masks as 1-channel 8-bit images, and atomic PNG and JPEG writers for results.
 * The public calls adnet_image_load_bgr and adnet_image_free are declared in adnet.h. */
#ifndef ADN_IMAGE_H
#define ADN_IMAGE_H

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

/* ---- Images --------------------------------------------------------------------------- */

/* The largest image adnet decodes (a 16384 x 16384 frame): a corrupt header can claim any
 * size, and the allocation would come before the decoder notices the missing data. */
#define ADN_IMAGE_MAX_PIXELS ((size_t)1 << 28)

/* Allocates width x height x channels bytes (uninitialised) into img; at most
 * ADN_IMAGE_MAX_PIXELS pixels. */
adnet_status adn_image_alloc(adnet_image *img, int width, int height, int channels);
/* Fails with ADNET_ERR_FORMAT naming file `name` and its format ("JPEG") when the size its
 * header declares is empty or too large. */
adnet_status adn_image_check_size(const char *name, const char *format, long long width,
                                  long long height);

/* Decodes a JPEG or PNG held in memory (the format comes from its signature) to BGR, as
 * adnet_image_load_bgr does; name is the file name used in error messages. */
adnet_status adn_image_decode_bgr(const uint8_t *data, size_t size, const char *name,
                                  adnet_image *out);

/* Reads a PNG mask as 1 channel of 8 bits: a palette PNG gives the palette index of each
 * pixel (as DAVIS annotations and results store objects), a greyscale PNG its grey level
 * (1-, 2- and 4-bit levels scaled to 0..255 as libpng, OpenCV and PIL do; alpha dropped).
 * Colour and 16-bit PNGs fail with ADNET_ERR_FORMAT. EXIF orientation is ignored, as the
 * DAVIS tools (PIL) ignore it. */
adnet_status adn_image_load_mask(const char *path, adnet_image *out);

/* ---- Writers (atomic: written to a temporary name and renamed; a failure leaves nothing) -- */

/* An 8-bit greyscale PNG of width x height bytes. */
adnet_status adn_png_write_gray(const char *path, int width, int height, const uint8_t *data);
/* An 8-bit palette PNG: indices are width x height palette indices (each < n_colors), palette
 * holds n_colors RGB triples (1 <= n_colors <= 256). */
adnet_status adn_png_write_indexed(const char *path, int width, int height, const uint8_t *indices,
                                   const uint8_t *palette_rgb, int n_colors);
/* A baseline JPEG of a BGR (3-channel) or greyscale (1-channel) image, 4:2:0 chroma
 * subsampling as OpenCV writes it; quality 1..100. */
adnet_status adn_jpeg_write_bgr(const char *path, const adnet_image *img, int quality);

/* ---- Codec internals (image_jpeg.c, image_png.c, image_exif.c) ------------------------ */

adnet_status adn_jpeg_decode_bgr(const uint8_t *data, size_t size, const char *name,
                                 adnet_image *out);
/* mask = 0: BGR as OpenCV's IMREAD_COLOR; mask = 1: as adn_image_load_mask. */
adnet_status adn_png_decode(const uint8_t *data, size_t size, const char *name, int mask,
                            adnet_image *out);

/* The EXIF orientation (1..8) of a TIFF-structured EXIF block (starting at its byte-order
 * mark), or 0 when it has none or the block is malformed. */
int adn_exif_orientation(const uint8_t *tiff, size_t size);
/* The EXIF orientation of a JPEG: from its first APP1 "Exif" segment, 0 when none. */
int adn_jpeg_exif_orientation(const uint8_t *data, size_t size);
/* Turns img upright according to an EXIF orientation (2..8 transform; others leave it). */
adnet_status adn_image_apply_orientation(adnet_image *img, int orientation);

#endif
