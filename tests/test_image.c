/* Images, preprocessing and .npy files against OpenCV and NumPy.
 *
 * Usage: test_image CASES_DIR WRITTEN_DIR
 * CASES_DIR holds what tests/reference/make_image_cases.py wrote: images of many kinds and
 * OpenCV's answers (manifest.txt lists them). Checked here:
 * - decoding (JPEG of every subsampling, progressive, restart markers, greyscale, CMYK, YCCK,
 *   EXIF orientations; PNG of every colour type and bit depth, interlaced, palettes, eXIf)
 *   is bit-identical to cv2.imread(IMREAD_COLOR); masks give palette indices or grey levels;
 * - resizing is within one grey level of cv2.resize(INTER_LINEAR) (the contract) and the
 *   fraction of identical values is reported (and must stay above 99 %);
 * - adnet_preprocess is within one grey level of NumPy's float result on cv2's resized image
 *   (the contract) and identical on at least 99 % of the values;
 * - .npy files written by NumPy are read, adnet's .npy files have the documented header and
 *   round-trip, malformed ones are refused;
 * - the PNG and JPEG writers round-trip through adnet's readers and are atomic; their output
 *   goes to WRITTEN_DIR for check_written_images.py (OpenCV and NumPy read it back);
 * - bad input (missing, empty, truncated, corrupt, mislabelled files) fails with the right
 *   status and a message naming the file, leaving the output image empty. */
#include "test_util.h"

#include "files.h"
#include "image.h"
#include "npy.h"
#include "image_resize.h"

#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

static const char *cases_dir;
static const char *written_dir;

static char *case_path(const char *name) {
    static char buf[4][4096];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 4096, "%s/%s", cases_dir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp || (n && fwrite(data, 1, n, fp) != n) || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* A reference image stored by NumPy as float32 (h x w x c or h x w) back to bytes. */
static void load_ref_u8(const char *name, adnet_image *img) {
    float *data;
    int ndim;
    size_t shape[ADN_NPY_MAX_DIMS];
    CHECK_OK(adn_npy_read_f32(case_path(name), &data, &ndim, shape));
    if (ndim != 2 && ndim != 3) {
        fprintf(stderr, "%s: unexpected rank %d\n", name, ndim);
        exit(1);
    }
    CHECK_OK(adn_image_alloc(img, (int)shape[1], (int)shape[0], ndim == 3 ? (int)shape[2] : 1));
    size_t n = shape[0] * shape[1] * (size_t)img->channels;
    for (size_t i = 0; i < n; i++) {
        if (data[i] != floorf(data[i]) || data[i] < 0 || data[i] > 255) {
            fprintf(stderr, "%s: value %g is not a byte\n", name, (double)data[i]);
            exit(1);
        }
        img->data[i] = (uint8_t)data[i];
    }
    free(data);
}

/* Counts differing values; returns the largest difference. */
static int compare_u8(const uint8_t *got, const uint8_t *want, size_t n, size_t *n_diff) {
    int worst = 0;
    *n_diff = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)got[i] - (int)want[i]);
        if (d) (*n_diff)++;
        if (d > worst) worst = d;
    }
    return worst;
}

static int same_shape(const adnet_image *a, const adnet_image *b) {
    return a->width == b->width && a->height == b->height && a->channels == b->channels;
}

/* ---- the cases made by make_image_cases.py -------------------------------------------------- */

static int n_decoded, n_masks;
static size_t resize_values, resize_identical;
static int resize_worst, n_resized;

static void check_decode(const char *file, const char *ref_name, int mask) {
    adnet_image got, want;
    if (mask)
        CHECK_OK(adn_image_load_mask(case_path(file), &got));
    else
        CHECK_OK(adnet_image_load_bgr(case_path(file), &got));
    load_ref_u8(ref_name, &want);
    if (!same_shape(&got, &want)) {
        fprintf(stderr, "%s: got %dx%dx%d, OpenCV %dx%dx%d\n", file, got.width, got.height,
                got.channels, want.width, want.height, want.channels);
        tu_failures++;
    } else {
        size_t n_diff;
        int worst =
            compare_u8(got.data, want.data, (size_t)got.width * got.height * got.channels, &n_diff);
        if (n_diff) {
            fprintf(stderr, "%s: %zu values differ from OpenCV (max %d)\n", file, n_diff, worst);
            tu_failures++;
        }
    }
    mask ? n_masks++ : n_decoded++;
    adnet_image_free(&got);
    adnet_image_free(&want);
}

static void check_resize(const char *src_name, int dw, int dh, const char *ref_name) {
    adnet_image src, want, got;
    load_ref_u8(src_name, &src);
    load_ref_u8(ref_name, &want);
    CHECK(want.width == dw && want.height == dh && want.channels == src.channels);
    CHECK_OK(adn_image_alloc(&got, dw, dh, src.channels));
    CHECK_OK(adn_resize_linear_u8(src.data, src.width, src.height, src.channels, got.data, dw, dh));
    size_t n = (size_t)dw * dh * src.channels, n_diff;
    int worst = compare_u8(got.data, want.data, n, &n_diff);
    if (worst > 1) {
        fprintf(stderr, "resize %s -> %dx%d: differs from OpenCV by %d grey levels\n", src_name, dw,
                dh, worst);
        tu_failures++;
    }
    if (n_diff)
        printf("  resize %-18s -> %4dx%-4d %zu of %zu values differ by 1\n", src_name, dw, dh,
               n_diff, n);
    resize_values += n;
    resize_identical += n - n_diff;
    if (worst > resize_worst) resize_worst = worst;
    n_resized++;
    adnet_image_free(&src);
    adnet_image_free(&want);
    adnet_image_free(&got);
}

static void check_preprocess(const char *file, int w, int h, const char *ref_name) {
    adnet_image img;
    CHECK_OK(adnet_image_load_bgr(case_path(file), &img));
    float *want;
    int ndim;
    size_t shape[ADN_NPY_MAX_DIMS];
    CHECK_OK(adn_npy_read_f32(case_path(ref_name), &want, &ndim, shape));
    CHECK(ndim == 3 && shape[0] == 3 && shape[1] == (size_t)h && shape[2] == (size_t)w);
    size_t n = (size_t)3 * w * h, identical = 0;
    float *got = malloc(n * sizeof *got);
    CHECK_OK(adnet_preprocess(&img, w, h, got));
    for (size_t i = 0; i < n; i++) identical += got[i] == want[i];
    char what[512];
    snprintf(what, sizeof what, "preprocess %s -> %dx%d", file, w, h);
    /* one grey level is the contract of the resize; the subtraction itself is exact */
    tu_check_close(what, got, want, n, 1.0 + 1e-4, 0);
    printf("  %s: %zu of %zu values identical to NumPy (%.4f %%)\n", what, identical, n,
           100.0 * identical / n);
    /* as for the resize alone: beyond the contract, a change of arithmetic shows here */
    CHECK(identical >= n / 100 * 99);
    free(got);
    free(want);
    adnet_image_free(&img);
}

static void run_manifest(void) {
    FILE *fp = fopen(case_path("manifest.txt"), "r");
    if (!fp) {
        fprintf(stderr, "no %s (run the image_cases fixture)\n", case_path("manifest.txt"));
        exit(1);
    }
    char line[1024];
    int n_pre = 0;
    while (fgets(line, sizeof line, fp)) {
        char kind[32], a[256], b[256], c[256];
        int w, h;
        if (sscanf(line, "decode %255s %255s", a, b) == 2)
            check_decode(a, b, 0);
        else if (sscanf(line, "mask %255s %255s", a, b) == 2)
            check_decode(a, b, 1);
        else if (sscanf(line, "resize %255s %d %d %255s", a, &w, &h, c) == 4)
            check_resize(a, w, h, c);
        else if (sscanf(line, "preprocess %255s %d %d %255s", a, &w, &h, c) == 4) {
            check_preprocess(a, w, h, c);
            n_pre++;
        } else if (sscanf(line, "%31s", kind) == 1) {
            fprintf(stderr, "manifest: cannot parse '%s'\n", line);
            tu_failures++;
        }
    }
    fclose(fp);
    printf("decode: %d images bit-identical to cv2.imread checked, %d masks\n", n_decoded, n_masks);
    printf("resize: %d cases, %zu of %zu values identical to cv2.resize (%.4f %%), max diff %d\n",
           n_resized, resize_identical, resize_values, 100.0 * resize_identical / resize_values,
           resize_worst);
    CHECK(n_decoded >= 60 && n_masks >= 9 && n_resized >= 30 && n_pre >= 1);
    CHECK(resize_identical >= resize_values / 100 * 99);
}

/* ---- resizing: plain properties that need no reference ------------------------------------- */

static void check_resize_properties(void) {
    /* the same size is a copy; a constant image stays constant at any size */
    enum { W = 23, H = 17 };
    uint8_t src[W * H * 3], dst[64 * 64 * 3];
    tu_rng r = tu_rng_seed(5);
    for (int i = 0; i < W * H * 3; i++) src[i] = (uint8_t)(tu_uniform(&r, 0, 256));
    CHECK_OK(adn_resize_linear_u8(src, W, H, 3, dst, W, H));
    CHECK(memcmp(src, dst, sizeof src) == 0);
    memset(src, 201, sizeof src);
    int sizes[][2] = {{1, 1}, {64, 64}, {5, 40}, {40, 5}, {24, 18}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int dw = sizes[s][0], dh = sizes[s][1];
        CHECK_OK(adn_resize_linear_u8(src, W, H, 3, dst, dw, dh));
        int constant = 1;
        for (int i = 0; i < dw * dh * 3; i++) constant &= dst[i] == 201;
        CHECK(constant);
    }
    CHECK_FAILS(adn_resize_linear_u8(src, 0, H, 3, dst, 4, 4), ADNET_ERR_INVALID_ARGUMENT,
                "bad size");
    CHECK_FAILS(adn_resize_linear_u8(src, W, H, 3, dst, 4, -1), ADNET_ERR_INVALID_ARGUMENT,
                "bad size");
    adnet_image grey = {W, H, 1, src};
    float out[4 * 4 * 3];
    CHECK_FAILS(adnet_preprocess(&grey, 4, 4, out), ADNET_ERR_INVALID_ARGUMENT, "3-channel");
}

/* ---- .npy ---------------------------------------------------------------------------------- */

static void check_npy_round_trip(const char *dir, int ndim, const size_t *shape,
                                 const char *shape_text) {
    size_t count = 1;
    for (int i = 0; i < ndim; i++) count *= shape[i];
    float *x = malloc((count ? count : 1) * sizeof *x);
    for (size_t i = 0; i < count; i++) x[i] = (float)i * 0.25f - 3.0f;
    char path[4200];
    snprintf(path, sizeof path, "%s/rt.npy", dir);
    CHECK_OK(adn_npy_write_f32(path, x, ndim, shape));

    /* the header by hand: magic, version 1.0, length, the dict, data at a multiple of 64 */
    unsigned char *file;
    size_t size;
    CHECK_OK(adn_read_file(path, &file, &size));
    char want[256];
    snprintf(want, sizeof want, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
             shape_text);
    size_t header_len = file[8] | (size_t)file[9] << 8;
    CHECK(memcmp(file, "\x93NUMPY\x01\x00", 8) == 0);
    CHECK((10 + header_len) % 64 == 0);
    CHECK(size == 10 + header_len + count * 4);
    CHECK(memcmp(file + 10, want, strlen(want)) == 0);
    CHECK(file[10 + header_len - 1] == '\n');
    for (size_t i = 10 + strlen(want); i + 1 < 10 + header_len; i++) CHECK(file[i] == ' ');
    /* little-endian IEEE floats */
    if (count > 1) {
        float v;
        uint32_t bits = file[10 + header_len + 4] | (uint32_t)file[10 + header_len + 5] << 8 |
                        (uint32_t)file[10 + header_len + 6] << 16 |
                        (uint32_t)file[10 + header_len + 7] << 24;
        memcpy(&v, &bits, 4);
        CHECK(v == -2.75f);
    }
    free(file);

    float *back;
    int nd;
    size_t sh[ADN_NPY_MAX_DIMS];
    CHECK_OK(adn_npy_read_f32(path, &back, &nd, sh));
    CHECK(nd == ndim);
    for (int i = 0; i < ndim && i < nd; i++) CHECK(sh[i] == shape[i]);
    CHECK(count == 0 || memcmp(back, x, count * sizeof *x) == 0);
    free(back);
    free(x);
}

/* A .npy file with a given header dict and n_bytes of data. */
static void write_npy_raw(const char *path, const char *magic_version, const char *dict,
                          size_t n_bytes) {
    unsigned char buf[512] = {0};
    size_t dict_len = strlen(dict), total = (10 + dict_len + 1 + 63) / 64 * 64;
    memcpy(buf, magic_version, 8);
    buf[8] = (unsigned char)((total - 10) & 0xff), buf[9] = (unsigned char)((total - 10) >> 8);
    memset(buf + 10, ' ', total - 10);
    memcpy(buf + 10, dict, dict_len);
    buf[total - 1] = '\n';
    FILE *fp = fopen(path, "wb");
    fwrite(buf, 1, total, fp);
    for (size_t i = 0; i < n_bytes; i++) fputc(0, fp);
    fclose(fp);
}

static void check_npy(const char *tmp) {
    size_t s1[] = {5}, s2[] = {2, 3, 4}, s3[] = {0, 3}, s4[] = {1, 1, 1, 1, 1, 1, 1, 7};
    check_npy_round_trip(tmp, 0, NULL, "()");
    check_npy_round_trip(tmp, 1, s1, "(5,)");
    check_npy_round_trip(tmp, 3, s2, "(2, 3, 4)");
    check_npy_round_trip(tmp, 2, s3, "(0, 3)");
    check_npy_round_trip(tmp, 8, s4, "(1, 1, 1, 1, 1, 1, 1, 7)");

    /* the files NumPy wrote for the other cases are read (run_manifest); other forms NumPy
     * writes are accepted too: version 2.0 (4-byte header length), double quotes, keys in
     * another order, no trailing comma, big-endian floats */
    char path[4200];
    float *data;
    int nd;
    size_t sh[ADN_NPY_MAX_DIMS];
    snprintf(path, sizeof path, "%s/v2.npy", tmp);
    {
        unsigned char v2[160];
        const char *dict = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \">f4\"}";
        size_t dl = strlen(dict), total = 128;
        memset(v2, ' ', sizeof v2);
        memcpy(v2, "\x93NUMPY\x02\x00", 8);
        v2[8] = (unsigned char)(total - 12), v2[9] = v2[10] = v2[11] = 0;
        memcpy(v2 + 12, dict, dl);
        v2[total - 1] = '\n';
        unsigned char floats[8] = {0x3f, 0x80, 0, 0, 0xc0, 0x40, 0, 0}; /* 1.0, -3.0 big-endian */
        memcpy(v2 + total, floats, 8);
        write_bytes(path, v2, total + 8);
        CHECK_OK(adn_npy_read_f32(path, &data, &nd, sh));
        CHECK(nd == 1 && sh[0] == 2 && data[0] == 1.0f && data[1] == -3.0f);
        free(data);
    }

    struct {
        const char *magic, *dict;
        size_t bytes;
        const char *message;
    } bad[] = {
        {"\x93NUMPY\x01\x00", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16,
         "dtype '<f8'"},
        {"\x93NUMPY\x01\x00", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16,
         "Fortran"},
        {"\x93NUMPY\x01\x00", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20,
         "truncated"},
        {"\x93NUMPY\x01\x00", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12,
         "trailing"},
        {"\x93NUMPY\x01\x00", "{'descr': '<f4', 'shape': (2,), }", 8, "lacks"},
        {"\x93NUMPY\x01\x00", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", 8,
         "malformed"},
        {"\x93NUMPY\x01\x00", "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", 8,
         "malformed"},
        {"\x93NUMPY\x01\x00", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
         "unknown header entry 'x'"},
        {"\x93NUMPY\x01\x00", "['descr', '<f4']", 8, "not a dict"},
        {"\x93NUMPY\x07\x00", "{}", 0, "version 7.0"},
        {"\x93NUMPZ\x01\x00", "{}", 0, "magic"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.npy", tmp, i);
        write_npy_raw(path, bad[i].magic, bad[i].dict, bad[i].bytes);
        data = (float *)&nd; /* must be reset to NULL */
        CHECK_FAILS(adn_npy_read_f32(path, &data, &nd, sh), ADNET_ERR_FORMAT, bad[i].message);
        CHECK(data == NULL);
        CHECK(tu_contains(adnet_last_error(), path));
    }
    /* a header longer than the file */
    snprintf(path, sizeof path, "%s/short.npy", tmp);
    write_bytes(path, "\x93NUMPY\x01\x00\xff\x00{'descr'", 18);
    CHECK_FAILS(adn_npy_read_f32(path, &data, &nd, sh), ADNET_ERR_FORMAT, "truncated header");
    snprintf(path, sizeof path, "%s/missing.npy", tmp);
    CHECK_FAILS(adn_npy_read_f32(path, &data, &nd, sh), ADNET_ERR_IO, "missing.npy");

    /* the file NumPy reads back (check_written_images.py) */
    float x[2 * 3 * 5];
    for (int i = 0; i < 30; i++) x[i] = (float)i * 0.5f - 7.25f;
    size_t shape[] = {2, 3, 5};
    snprintf(path, sizeof path, "%s/array.npy", written_dir);
    CHECK_OK(adn_npy_write_f32(path, x, 3, shape));
}

/* ---- writers ------------------------------------------------------------------------------- */

/* The entries of dir other than . and .. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

/* The patterns check_written_images.py expects: the same formulas on both sides. */
enum { WW = 37, WH = 23 };
static uint8_t grey_pattern(int x, int y) {
    return (uint8_t)((x * 7 + y * 13) % 256);
}
static uint8_t index_pattern(int x, int y) {
    return (uint8_t)((x / 4 + y / 3) % 5);
}
static const uint8_t davis_palette[5 * 3] = {0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128};

static void check_writers(const char *tmp) {
    uint8_t grey[WW * WH], idx[WW * WH];
    for (int y = 0; y < WH; y++)
        for (int x = 0; x < WW; x++)
            grey[y * WW + x] = grey_pattern(x, y), idx[y * WW + x] = index_pattern(x, y);
    char path[4200];
    adnet_image back;

    snprintf(path, sizeof path, "%s/grey.png", written_dir);
    CHECK_OK(adn_png_write_gray(path, WW, WH, grey));
    CHECK_OK(adn_image_load_mask(path, &back));
    CHECK(back.width == WW && back.height == WH && back.channels == 1 &&
          memcmp(back.data, grey, sizeof grey) == 0);
    adnet_image_free(&back);

    snprintf(path, sizeof path, "%s/indexed.png", written_dir);
    CHECK_OK(adn_png_write_indexed(path, WW, WH, idx, davis_palette, 5));
    CHECK_OK(adn_image_load_mask(path, &back));
    CHECK(back.width == WW && back.height == WH && memcmp(back.data, idx, sizeof idx) == 0);
    adnet_image_free(&back);
    /* the colour reading of the same file shows the palette colours, in BGR */
    CHECK_OK(adnet_image_load_bgr(path, &back));
    int colours_ok = 1;
    for (int i = 0; i < WW * WH; i++)
        for (int c = 0; c < 3; c++)
            colours_ok &= back.data[i * 3 + c] == davis_palette[idx[i] * 3 + 2 - c];
    CHECK(colours_ok);
    adnet_image_free(&back);

    /* JPEG: a smooth BGR image comes back close (lossy), at its size */
    adnet_image img;
    CHECK_OK(adn_image_alloc(&img, WW, WH, 3));
    for (int y = 0; y < WH; y++)
        for (int x = 0; x < WW; x++)
            for (int c = 0; c < 3; c++)
                img.data[(y * WW + x) * 3 + c] = (uint8_t)(20 + 3 * x + 2 * y + 30 * c);
    snprintf(path, sizeof path, "%s/bgr.jpg", written_dir);
    CHECK_OK(adn_jpeg_write_bgr(path, &img, 95));
    CHECK_OK(adnet_image_load_bgr(path, &back));
    CHECK(same_shape(&back, &img));
    double se = 0;
    for (int i = 0; i < WW * WH * 3; i++) se += pow((double)back.data[i] - img.data[i], 2);
    double psnr = 10 * log10(255.0 * 255.0 / (se / (WW * WH * 3) + 1e-12));
    printf("  JPEG written at quality 95 reads back at %.1f dB PSNR\n", psnr);
    CHECK(psnr > 38);
    adnet_image_free(&back);

    /* bad arguments write nothing */
    int before = count_entries(tmp);
    snprintf(path, sizeof path, "%s/w.png", tmp);
    idx[7] = 5;
    CHECK_FAILS(adn_png_write_indexed(path, WW, WH, idx, davis_palette, 5),
                ADNET_ERR_INVALID_ARGUMENT, "index 5 at pixel 7");
    CHECK_FAILS(adn_png_write_indexed(path, WW, WH, idx, davis_palette, 0),
                ADNET_ERR_INVALID_ARGUMENT, "palette");
    CHECK_FAILS(adn_png_write_gray(path, 0, WH, grey), ADNET_ERR_INVALID_ARGUMENT, "w.png");
    CHECK_FAILS(adn_jpeg_write_bgr(path, &img, 0), ADNET_ERR_INVALID_ARGUMENT, "quality");
    CHECK(count_entries(tmp) == before);
    /* a directory that does not exist */
    snprintf(path, sizeof path, "%s/no/such/dir/w.png", tmp);
    CHECK_FAILS(adn_png_write_gray(path, WW, WH, grey), ADNET_ERR_IO, "w.png");
    CHECK_FAILS(adn_jpeg_write_bgr(path, &img, 90), ADNET_ERR_IO, "w.png");
    /* a full disk (simulated): the write fails and leaves neither file nor temporary */
    setenv("ADNET_FAIL_WRITES_AFTER", "0", 1);
    const char *names[] = {"g.png", "i.png", "j.jpg", "a.npy"};
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s/%s", tmp, names[k]);
        size_t shape[] = {WH, WW};
        float zeros[WW * WH] = {0};
        uint8_t background[WW * WH] = {0};
        adnet_status st = k == 0 ? adn_png_write_gray(path, WW, WH, grey)
                          : k == 1
                              ? adn_png_write_indexed(path, WW, WH, background, davis_palette, 1)
                          : k == 2 ? adn_jpeg_write_bgr(path, &img, 90)
                                   : adn_npy_write_f32(path, zeros, 2, shape);
        CHECK_FAILS(st, ADNET_ERR_IO, names[k]);
    }
    unsetenv("ADNET_FAIL_WRITES_AFTER");
    CHECK(count_entries(tmp) == before);
    /* an existing file is replaced only by a complete new one */
    snprintf(path, sizeof path, "%s/keep.png", tmp);
    CHECK_OK(adn_png_write_gray(path, WW, WH, grey));
    setenv("ADNET_FAIL_WRITES_AFTER", "0", 1);
    uint8_t zeros[WW * WH] = {0};
    CHECK_FAILS(adn_png_write_gray(path, WW, WH, zeros), ADNET_ERR_IO, "keep.png");
    unsetenv("ADNET_FAIL_WRITES_AFTER");
    CHECK_OK(adn_image_load_mask(path, &back));
    CHECK(memcmp(back.data, grey, sizeof grey) == 0);
    adnet_image_free(&back);
    adnet_image_free(&img);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void expect_load_fails(const char *path, adnet_status status, const char *text) {
    adnet_image img = {1, 1, 1, (uint8_t *)&img}; /* must be reset */
    adnet_status st = adnet_image_load_bgr(path, &img);
    CHECK_FAILS(st, status, text);
    if (st != ADNET_OK) {
        CHECK(tu_contains(adnet_last_error(), path));
        CHECK(img.data == NULL && img.width == 0);
    } else {
        adnet_image_free(&img);
    }
    printf("  %-20s -> %s\n", strrchr(path, '/') + 1, adnet_last_error());
}

static void check_bad_input(const char *tmp) {
    unsigned char *jpeg, *png;
    size_t jpeg_size, png_size;
    CHECK_OK(adn_read_file(case_path("cv_davis.jpg"), &jpeg, &jpeg_size));
    CHECK_OK(adn_read_file(case_path("cv_bgr.png"), &png, &png_size));
    char path[4200];
#define TMP(name) (snprintf(path, sizeof path, "%s/%s", tmp, name), path)

    expect_load_fails(TMP("missing.jpg"), ADNET_ERR_IO, "No such file");
    expect_load_fails(tmp, ADNET_ERR_IO, "not a regular file");
    write_bytes(TMP("empty.jpg"), "", 0);
    expect_load_fails(path, ADNET_ERR_FORMAT, "empty file");
    write_bytes(TMP("text.jpg"), "this is not an image\n", 21);
    expect_load_fails(path, ADNET_ERR_FORMAT, "not a JPEG or PNG");
    write_bytes(TMP("truncated.jpg"), jpeg, jpeg_size / 2);
    expect_load_fails(path, ADNET_ERR_FORMAT, "Premature end of JPEG file");
    write_bytes(TMP("no_end.jpg"), jpeg, jpeg_size - 2);
    expect_load_fails(path, ADNET_ERR_FORMAT, "JPEG");
    write_bytes(TMP("header_only.jpg"), jpeg, 300);
    expect_load_fails(path, ADNET_ERR_FORMAT, "JPEG");
    write_bytes(TMP("signature_only.jpg"), jpeg, 3);
    expect_load_fails(path, ADNET_ERR_FORMAT, "JPEG");
    /* garbage in the middle of the entropy-coded data: bytes that include markers */
    unsigned char *bad = malloc(jpeg_size);
    memcpy(bad, jpeg, jpeg_size);
    for (size_t i = 0; i < 64; i++) bad[jpeg_size / 2 + i] = (unsigned char)(i % 2 ? 0x5a : 0xff);
    write_bytes(TMP("garbage.jpg"), bad, jpeg_size);
    expect_load_fails(path, ADNET_ERR_FORMAT, "corrupt JPEG");
    /* a corrupt frame header: zero width */
    memcpy(bad, jpeg, jpeg_size);
    for (size_t i = 2; i + 8 < jpeg_size; i++)
        if (bad[i] == 0xff && bad[i + 1] == 0xc0) {
            bad[i + 7] = bad[i + 8] = 0;
            break;
        }
    write_bytes(TMP("zero_width.jpg"), bad, jpeg_size);
    expect_load_fails(path, ADNET_ERR_FORMAT, "JPEG");
    /* a decompression bomb: a small JPEG's frame header changed to declare 65281 x 2808 (550 MB
     * of BGR in a few KB, as the input the image fuzz target found, which decoded in 4.8 s into
     * 1 GB) is refused before the decoder allocates */
    {
        adnet_image small;
        CHECK_OK(adn_image_alloc(&small, 64, 48, 3));
        for (size_t i = 0; i < (size_t)64 * 48 * 3; i++) small.data[i] = (uint8_t)(i * 7);
        CHECK_OK(adn_jpeg_write_bgr(TMP("small.jpg"), &small, 90));
        adnet_image_free(&small);
        unsigned char *b;
        size_t n;
        CHECK_OK(adn_read_file(path, &b, &n));
        int patched = 0;
        for (size_t i = 2; i + 8 < n && !patched; i++)
            if (b[i] == 0xff && b[i + 1] == 0xc0) {
                b[i + 5] = 0x0a, b[i + 6] = 0xf8, b[i + 7] = 0xff, b[i + 8] = 0x01;
                patched = 1;
            }
        CHECK(patched);
        write_bytes(TMP("bomb.jpg"), b, n);
        free(b);
        expect_load_fails(path, ADNET_ERR_FORMAT, "decompression bomb");
    }
    free(bad);

    write_bytes(TMP("truncated.png"), png, png_size / 2);
    expect_load_fails(path, ADNET_ERR_FORMAT, "truncated");
    write_bytes(TMP("no_iend.png"), png, png_size - 12);
    expect_load_fails(path, ADNET_ERR_FORMAT, "truncated");
    bad = malloc(png_size);
    memcpy(bad, png, png_size);
    bad[png_size / 2] ^= 0x55; /* inside the compressed image data */
    write_bytes(TMP("corrupt_idat.png"), bad, png_size);
    expect_load_fails(path, ADNET_ERR_FORMAT, "corrupt PNG");
    memcpy(bad, png, png_size);
    bad[8 + 8 + 13] ^= 0x01; /* the header chunk's CRC */
    write_bytes(TMP("bad_crc.png"), bad, png_size);
    expect_load_fails(path, ADNET_ERR_FORMAT, "CRC error");
    write_bytes(TMP("signature_only.png"), png, 8);
    expect_load_fails(path, ADNET_ERR_FORMAT, "corrupt PNG");
    free(bad);

    expect_load_fails(case_path("huge.jpg"), ADNET_ERR_FORMAT, "too large");
    expect_load_fails(case_path("huge.png"), ADNET_ERR_FORMAT, "too large");

    /* the signature decides, not the name */
    adnet_image a, b;
    write_bytes(TMP("jpeg_named.png"), jpeg, jpeg_size);
    CHECK_OK(adnet_image_load_bgr(path, &a));
    CHECK_OK(adnet_image_load_bgr(case_path("cv_davis.jpg"), &b));
    CHECK(same_shape(&a, &b) && memcmp(a.data, b.data, (size_t)a.width * a.height * 3) == 0);
    adnet_image_free(&a);
    adnet_image_free(&b);
    write_bytes(TMP("png_named.jpg"), png, png_size);
    CHECK_OK(adnet_image_load_bgr(path, &a));
    CHECK(a.width == 50 && a.height == 40);
    adnet_image_free(&a);

    /* masks: only greyscale and palette PNGs */
    CHECK_FAILS(adn_image_load_mask(case_path("cv_bgr.png"), &a), ADNET_ERR_FORMAT, "colour PNG");
    CHECK_FAILS(adn_image_load_mask(case_path("png_t0_d16.png"), &a), ADNET_ERR_FORMAT, "16-bit");
    CHECK_FAILS(adn_image_load_mask(case_path("cv_davis.jpg"), &a), ADNET_ERR_FORMAT, "not a PNG");
    CHECK_FAILS(adn_image_load_mask(TMP("missing.png"), &a), ADNET_ERR_IO, "missing.png");
    CHECK_FAILS(adn_image_load_mask(TMP("truncated.png"), &a), ADNET_ERR_FORMAT, "truncated");
    CHECK(a.data == NULL);
#undef TMP
    free(jpeg);
    free(png);
}

/* The decompression-bomb bound refuses no real photograph: a flat grey 4800 x 4800 frame (69 MB
 * of BGR, over the 64 MiB below which sizes are not checked), the most compressible picture a
 * Huffman JPEG holds (every coefficient but DC zero, so the quality does not matter), decodes
 * whole; the ratio it reached is printed against the bound (4096:1). */
static void check_large_jpeg(const char *tmp) {
    enum { SIDE = 4800 };
    adnet_image img, back;
    CHECK_OK(adn_image_alloc(&img, SIDE, SIDE, 3));
    memset(img.data, 128, (size_t)SIDE * SIDE * 3);
    char path[4200];
    snprintf(path, sizeof path, "%s/flat.jpg", tmp);
    CHECK_OK(adn_jpeg_write_bgr(path, &img, 90));
    unsigned char *bytes;
    size_t size;
    CHECK_OK(adn_read_file(path, &bytes, &size));
    free(bytes);
    CHECK_OK(adnet_image_load_bgr(path, &back));
    CHECK(same_shape(&back, &img) && back.data[0] == 128 &&
          back.data[(size_t)SIDE * SIDE * 3 - 1] == 128);
    adnet_image_free(&back);
    printf("  flat %dx%d JPEG: %zu bytes, %.0f:1, decodes\n", SIDE, SIDE, size,
           (double)SIDE * SIDE * 3 / (double)size);
    adnet_image_free(&img);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s CASES_DIR WRITTEN_DIR\n", argv[0]);
        return 2;
    }
    cases_dir = argv[1];
    written_dir = argv[2];
    CHECK_OK(adn_mkdir_p(written_dir));
    char *tmp = tu_mkdtemp();
    run_manifest();
    check_resize_properties();
    check_npy(tmp);
    check_writers(tmp);
    check_bad_input(tmp);
    check_large_jpeg(tmp);
    tu_rm_rf(tmp);
    free(tmp);
    return tu_finish("test_image");
}
