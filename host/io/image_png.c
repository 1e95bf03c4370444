/* PNG through libpng. Colour images are read as OpenCV's imread(IMREAD_COLOR) reads them:
 * 16-bit samples keep their high byte (png_set_strip_16; measured against cv2: identical,
 * where rounding v * 255 / 65535 differs in a quarter of the values), alpha is dropped
 * without compositing, palettes are expanded, grey is replicated into B, G, R, sub-byte grey
 * levels are scaled to 0..255, no gamma correction, and the EXIF orientation (eXIf chunk,
 * before or after the image data) is applied. Masks keep palette indices (see image.h).
 * libpng's warnings (a bad CRC on an ancillary chunk, say) are ignored as OpenCV ignores them;
 * its errors, including a file that ends early, fail with ADNET_ERR_FORMAT. */
#include "image_png.h"

#include "image_exif.h"

#include "files.h"
#include "status.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a libpng error handler records before it jumps back. */
typedef struct png_io {
    const uint8_t *data;
    size_t size, pos;
    char error[256];
} png_io;

static void on_png_error(png_structp png, png_const_charp msg) {
    png_io *io = png_get_error_ptr(png);
    snprintf(io->error, sizeof io->error, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) {
    /* the library never prints; warnings do not change the pixels OpenCV would return */
    (void)png;
    (void)msg;
}

static void read_from_memory(png_structp png, png_bytep out, size_t n) {
    png_io *io = png_get_io_ptr(png);
    if (n > io->size - io->pos) png_error(png, "file is truncated");
    memcpy(out, io->data + io->pos, n);
    io->pos += n;
}

/* Everything the decoder allocates, owned outside the function that calls setjmp so that it
 * is still valid after a longjmp. */
typedef struct png_decode_state {
    png_structp png;
    png_infop info;
    png_bytep *rows;
    adnet_image img;
    int orientation;
    adnet_status status; /* a failure found by adnet rather than libpng (message set) */
} png_decode_state;

static int decode(png_decode_state *s, png_io *io, const char *name, int mask) {
    if (setjmp(png_jmpbuf(s->png))) return 0;
    png_set_read_fn(s->png, io, read_from_memory);
    png_read_info(s->png, s->info);
    png_uint_32 w, h;
    int depth, color_type, interlace;
    png_get_IHDR(s->png, s->info, &w, &h, &depth, &color_type, &interlace, NULL, NULL);
    int grey = (color_type & PNG_COLOR_MASK_COLOR) == 0;
    if (mask) {
        if (color_type == PNG_COLOR_TYPE_PALETTE) {
            png_set_packing(s->png); /* sub-byte indices to one byte each, unscaled */
        } else if (!grey) {
            s->status = adn_fail(ADNET_ERR_FORMAT,
                                 "'%s': a colour PNG (a mask must be greyscale or palette)", name);
            return 0;
        } else if (depth == 16) {
            s->status = adn_fail(ADNET_ERR_FORMAT,
                                 "'%s': a 16-bit PNG (a mask must have 8 bits or fewer)", name);
            return 0;
        } else if (depth < 8) {
            png_set_expand_gray_1_2_4_to_8(s->png);
        }
        png_set_strip_alpha(s->png);
    } else {
        if (depth == 16) png_set_strip_16(s->png);
        png_set_strip_alpha(s->png);
        if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s->png);
        if (grey && depth < 8) png_set_expand_gray_1_2_4_to_8(s->png);
        if (grey)
            png_set_gray_to_rgb(s->png);
        else
            png_set_bgr(s->png);
    }
    s->status = adn_image_check_size(name, "PNG", w, h);
    if (s->status != ADNET_OK) return 0;
    png_set_interlace_handling(s->png);
    png_read_update_info(s->png, s->info);
    int channels = mask ? 1 : 3;
    if (png_get_rowbytes(s->png, s->info) != (size_t)w * channels)
        png_error(s->png, "unexpected row size after conversion");
    s->status = adn_image_alloc(&s->img, (int)w, (int)h, channels);
    if (s->status != ADNET_OK) {
        adn_fail_context(s->status, "'%s': ", name);
        return 0;
    }
    s->rows = malloc(sizeof *s->rows * h);
    if (!s->rows) {
        s->status = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "'%s': out of memory decoding PNG", name);
        return 0;
    }
    for (png_uint_32 y = 0; y < h; y++) s->rows[y] = s->img.data + (size_t)y * w * channels;
    png_read_image(s->png, s->rows);
    /* chunks after the image data (an eXIf chunk may be there) and the end of the file */
    png_read_end(s->png, s->info);
#ifdef PNG_eXIf_SUPPORTED
    png_bytep exif;
    png_uint_32 exif_len;
    if (!mask && png_get_eXIf_1(s->png, s->info, &exif_len, &exif))
        s->orientation = adn_exif_orientation(exif, exif_len);
#endif
    return 1;
}

adnet_status adn_png_decode(const uint8_t *data, size_t size, const char *name, int mask,
                            adnet_image *out) {
    memset(out, 0, sizeof *out);
    png_io io = {data, size, 0, ""};
    png_decode_state s = {0};
    s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, on_png_error, on_png_warning);
    if (s.png) s.info = png_create_info_struct(s.png);
    if (!s.png || !s.info) {
        png_destroy_read_struct(s.png ? &s.png : NULL, NULL, NULL);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "'%s': cannot start a PNG decoder", name);
    }
    int ok = decode(&s, &io, name, mask);
    png_destroy_read_struct(&s.png, &s.info, NULL);
    free(s.rows);
    adnet_status st = ADNET_OK;
    if (!ok) {
        if (s.status != ADNET_OK)
            st = s.status;
        else
            st = adn_fail(ADNET_ERR_FORMAT, "'%s': corrupt PNG: %s", name, io.error);
    } else {
        st = adn_image_apply_orientation(&s.img, s.orientation);
    }
    if (st != ADNET_OK) {
        adnet_image_free(&s.img);
        return st;
    }
    *out = s.img;
    return ADNET_OK;
}

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct png_write_job {
    int width, height;
    int color_type;
    const uint8_t *pixels; /* width x channels bytes per row */
    const uint8_t *palette_rgb;
    int n_colors;
    int channels; /* 1, or 3 for BGR */
} png_write_job;

static int encode(png_structp png, png_infop info, FILE *fp, const png_write_job *job) {
    if (setjmp(png_jmpbuf(png))) return 0;
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)job->width, (png_uint_32)job->height, 8, job->color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (job->color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color palette[256];
        for (int i = 0; i < job->n_colors; i++) {
            palette[i].red = job->palette_rgb[i * 3];
            palette[i].green = job->palette_rgb[i * 3 + 1];
            palette[i].blue = job->palette_rgb[i * 3 + 2];
        }
        png_set_PLTE(png, info, palette, job->n_colors);
    }
    png_write_info(png, info);
    if (job->channels == 3) png_set_bgr(png); /* the rows are BGR, the file RGB */
    size_t stride = (size_t)job->width * (size_t)job->channels;
    for (int y = 0; y < job->height; y++) png_write_row(png, job->pixels + (size_t)y * stride);
    png_write_end(png, info);
    return 1;
}

static adnet_status write_png(const char *path, const png_write_job *job) {
    png_io io = {NULL, 0, 0, ""};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "writing '%s': cannot start a PNG encoder", path);
    }
    adn_atomic_file f;
    adnet_status st = adn_atomic_open(&f, path);
    if (st == ADNET_OK) {
        if (encode(png, info, f.fp, job)) {
            st = adn_atomic_commit(&f);
        } else {
            adn_atomic_abort(&f);
            st = adn_fail(ADNET_ERR_IO, "writing '%s': %s", path, io.error);
        }
    }
    png_destroy_write_struct(&png, &info);
    return st;
}

static adnet_status check_size(const char *path, int width, int height, const void *data) {
    if (width <= 0 || height <= 0 || !data)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "writing '%s': bad image %dx%d", path, width,
                        height);
    return ADNET_OK;
}

adnet_status adn_png_write_gray(const char *path, int width, int height, const uint8_t *data) {
    ADN_TRY(check_size(path, width, height, data));
    png_write_job job = {width, height, PNG_COLOR_TYPE_GRAY, data, NULL, 0, 1};
    return write_png(path, &job);
}

adnet_status adn_png_write_indexed(const char *path, int width, int height, const uint8_t *indices,
                                   const uint8_t *palette_rgb, int n_colors) {
    ADN_TRY(check_size(path, width, height, indices));
    if (n_colors < 1 || n_colors > 256 || !palette_rgb)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "writing '%s': %d palette colours (1..256)",
                        path, n_colors);
    size_t n = (size_t)width * height;
    for (size_t i = 0; i < n; i++)
        if (indices[i] >= n_colors)
            return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                            "writing '%s': index %d at pixel %zu is outside the %d-colour "
                            "palette",
                            path, indices[i], i, n_colors);
    png_write_job job = {width, height, PNG_COLOR_TYPE_PALETTE, indices, palette_rgb, n_colors, 1};
    return write_png(path, &job);
}

adnet_status adn_png_write_bgr(const char *path, const adnet_image *img) {
    ADN_TRY(check_size(path, img->width, img->height, img->data));
    if (img->channels != 3)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "writing '%s': %d channels, BGR has 3", path,
                        img->channels);
    png_write_job job = {img->width, img->height, PNG_COLOR_TYPE_RGB, img->data, NULL, 0, 3};
    return write_png(path, &job);
}
