/* The weights layer: the safetensors reader (values of F32, F16, BF16 against hand-computed
 * floats, metadata, names), every kind of bad file, architecture inference from partial
 * checkpoints, the whole-architecture check, and the synthetic weights. Files are written by
 * the test itself (st_writer.c) into a temporary directory. */
#include "safetensors.h"
#include "st_writer.h"
#include "status.h"
#include "test_util.h"
#include "weights.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

static char g_dir[4096];

static const char *tmp_path(const char *name) {
    static char buf[8][4200];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", g_dir, name);
    return p;
}

static int bits_equal(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- values --------------------------------------------------------------------------- */

/* Hand-computed float16 and bfloat16 bit patterns: normals of both signs, the extremes,
 * subnormals, signed zeros, infinities. */
static const uint16_t f16_bits[] = {0x3c00, 0xc000, 0x3555, 0x7bff, 0x0400, 0x0001, 0x03ff,
                                    0x8001, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x5640};
static const float f16_want[] = {1.0f,
                                 -2.0f,
                                 0.333251953125f, /* 0x155 / 1024 + 1, times 2^-2 */
                                 65504.0f,
                                 0x1p-14f,        /* smallest normal */
                                 0x1p-24f,        /* smallest subnormal */
                                 1023 * 0x1p-24f, /* largest subnormal */
                                 -0x1p-24f,
                                 0.0f,
                                 -0.0f,
                                 INFINITY,
                                 -INFINITY,
                                 100.0f};
static const uint16_t bf16_bits[] = {0x3f80, 0xc040, 0x4049, 0x7f80, 0xff80,
                                     0x0001, 0x8000, 0x3dcd, 0xc2c8};
static const float bf16_want[] = {1.0f,      -3.0f, 3.140625f,      INFINITY, -INFINITY,
                                  0x1p-133f, -0.0f, 0.10009765625f, -100.0f};
#define N_F16  (int)(sizeof f16_bits / sizeof f16_bits[0])
#define N_BF16 (int)(sizeof bf16_bits / sizeof bf16_bits[0])

static void test_conversions(void) {
    for (int i = 0; i < N_F16; i++) CHECK(bits_equal(adn_f16_to_f32(f16_bits[i]), f16_want[i]));
    for (int i = 0; i < N_BF16; i++) CHECK(bits_equal(adn_bf16_to_f32(bf16_bits[i]), bf16_want[i]));
    CHECK(isnan(adn_f16_to_f32(0x7e00)) && isnan(adn_f16_to_f32(0xfc01)));
    CHECK(isnan(adn_bf16_to_f32(0x7fc0)) && isnan(adn_bf16_to_f32(0xff81)));
    /* every finite float16 against an independent formula: (-1)^s 2^(e-15) (1 + m/1024) */
    for (uint32_t h = 0; h < 0x10000; h++) {
        uint32_t e = (h >> 10) & 31, m = h & 1023;
        if (e == 31) continue;
        double v = e ? ldexp(1.0 + m / 1024.0, (int)e - 15) : ldexp(m / 1024.0, -14);
        if (h & 0x8000) v = -v;
        if (!bits_equal(adn_f16_to_f32((uint16_t)h), (float)v)) {
            fprintf(stderr, "f16 0x%04x: got %.9g want %.9g\n", h,
                    (double)adn_f16_to_f32((uint16_t)h), v);
            tu_failures++;
            break;
        }
    }
}

static void le16(uint16_t v, unsigned char *p) {
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void test_values(void) {
    const char *path = tmp_path("values.safetensors");
    float a[6] = {1.5f, -2.25f, 0.0f, -0.0f, 1e-40f /* subnormal */, 3.0e38f};
    unsigned char h[2 * N_F16], b[2 * N_BF16];
    for (int i = 0; i < N_F16; i++) le16(f16_bits[i], h + 2 * i);
    for (int i = 0; i < N_BF16; i++) le16(bf16_bits[i], b + 2 * i);
    float m[2] = {7.0f, -8.0f};
    int64_t i64[1] = {42};
    int64_t s23[2] = {2, 3}, sh[1] = {N_F16}, sb[1] = {N_BF16}, s2[1] = {2}, s1[1] = {1};

    tu_st_writer w;
    tu_st_init(&w);
    tu_st_meta(&w, "model", "ad");
    tu_st_meta(&w, "source", "test");
    /* the one-byte tensor first makes every later tensor start at an odd offset */
    unsigned char one = 1;
    tu_st_add(&w, "flag", "U8", 1, s1, &one, 1);
    tu_st_add_f32(&w, "a", 2, s23, a);
    tu_st_add(&w, "half", "F16", 1, sh, h, sizeof h);
    tu_st_add(&w, "brain", "BF16", 1, sb, b, sizeof b);
    tu_st_add_f32(&w, "module.m.weight", 1, s2, m);
    tu_st_add_f32(&w, "dsn.0.weight", 1, s2, m);
    tu_st_add_f32(&w, "module.dsn.1.bias", 1, s2, m);
    tu_st_add_f32(&w, "module.features.dsn.3.weight", 1, s2, m); /* the models' backbone's */
    tu_st_add(&w, "bn1.num_batches_tracked", "I64", 0, NULL, i64, 8);
    tu_st_add(&w, "counts", "I64", 1, s1, i64, 8);
    tu_st_add(&w, "mystery", "Q7", 1, s2, m, 3); /* unknown dtype: size cannot be checked */
    tu_st_write(&w, path, 1);
    tu_st_free(&w);

    adn_weights *wt;
    CHECK_OK(adn_weights_open(path, &wt));
    CHECK(!strcmp(adn_weights_path(wt), path));
    CHECK(adn_weights_metadata(wt, "model") && !strcmp(adn_weights_metadata(wt, "model"), "ad"));
    CHECK(adn_weights_metadata(wt, "source") &&
          !strcmp(adn_weights_metadata(wt, "source"), "test"));
    CHECK(adn_weights_metadata(wt, "depth") == NULL);

    float got[16];
    CHECK_OK(adn_weights_read(wt, "a", 2, s23, got));
    for (int i = 0; i < 6; i++) CHECK(bits_equal(got[i], a[i]));
    CHECK_OK(adn_weights_read(wt, "half", 1, sh, got));
    for (int i = 0; i < N_F16; i++) CHECK(bits_equal(got[i], f16_want[i]));
    CHECK_OK(adn_weights_read(wt, "brain", 1, sb, got));
    for (int i = 0; i < N_BF16; i++) CHECK(bits_equal(got[i], bf16_want[i]));

    /* DataParallel names: readable with and without the prefix */
    memset(got, 0, sizeof got);
    CHECK_OK(adn_weights_read(wt, "m.weight", 1, s2, got));
    CHECK(got[0] == 7.0f && got[1] == -8.0f);
    memset(got, 0, sizeof got);
    CHECK_OK(adn_weights_read(wt, "module.m.weight", 1, s2, got));
    CHECK(got[0] == 7.0f && got[1] == -8.0f);
    int nd = 0;
    int64_t shp[ADN_WEIGHTS_MAX_RANK];
    CHECK(adn_weights_shape(wt, "m.weight", &nd, shp) && nd == 1 && shp[0] == 2);

    /* ignored tensors are not there */
    CHECK(!adn_weights_shape(wt, "dsn.0.weight", &nd, shp));
    CHECK(!adn_weights_shape(wt, "dsn.1.bias", &nd, shp));
    CHECK(!adn_weights_shape(wt, "features.dsn.3.weight", &nd, shp));
    CHECK(!adn_weights_shape(wt, "bn1.num_batches_tracked", &nd, shp));
    CHECK_FAILS(adn_weights_read(wt, "dsn.0.weight", 1, s2, got), ADNET_ERR_WEIGHTS,
                "tensor 'dsn.0.weight' is missing");

    /* unsupported dtypes: an error when read, naming the file, the tensor and the dtype */
    CHECK_FAILS(adn_weights_read(wt, "counts", 1, s1, got), ADNET_ERR_FORMAT,
                "tensor 'counts' has dtype I64");
    CHECK(tu_contains(adnet_last_error(), path));
    CHECK_FAILS(adn_weights_read(wt, "mystery", 1, s2, got), ADNET_ERR_FORMAT,
                "tensor 'mystery' has dtype Q7");
    CHECK_FAILS(adn_weights_read(wt, "flag", 1, s1, got), ADNET_ERR_FORMAT, "dtype U8");

    /* missing tensors and wrong shapes */
    CHECK_FAILS(adn_weights_read(wt, "nope.weight", 1, s2, got), ADNET_ERR_WEIGHTS,
                "tensor 'nope.weight' is missing");
    CHECK(tu_contains(adnet_last_error(), path));
    int64_t s32[2] = {3, 2}, s6[1] = {6};
    CHECK_FAILS(adn_weights_read(wt, "a", 2, s32, got), ADNET_ERR_WEIGHTS,
                "tensor 'a' has shape [2, 3], expected [3, 2]");
    CHECK_FAILS(adn_weights_read(wt, "a", 1, s6, got), ADNET_ERR_WEIGHTS,
                "tensor 'a' has shape [2, 3], expected [6]");
    adn_weights_close(wt);

    /* the lower layer sees every tensor under its own name, the padding is accepted */
    tu_st_writer w2;
    tu_st_init(&w2);
    tu_st_add_f32(&w2, "x", 2, s23, a);
    const char *padded = tmp_path("padded.safetensors");
    tu_st_write(&w2, padded, 8);
    tu_st_free(&w2);
    adn_safetensors *st;
    CHECK_OK(adn_st_open(padded, &st));
    CHECK(adn_st_count(st) == 1);
    const adn_st_tensor *t = adn_st_find(st, "x");
    CHECK(t && t->dtype == ADN_ST_F32 && t->ndim == 2 && t->numel == 6 && t->end - t->begin == 24);
    CHECK(adn_st_find(st, "y") == NULL);
    adn_st_close(st);
    printf("  values: F32, F16, BF16, metadata, module. prefix, ignored tensors\n");
}

/* ---- bad files ------------------------------------------------------------------------ */

static void expect_open_fails(const char *file, adnet_status status, const char *substring) {
    adn_weights *w = (adn_weights *)1;
    CHECK_FAILS(adn_weights_open(file, &w), status, substring);
    CHECK(w == NULL);
    if (status != ADNET_OK && !tu_contains(adnet_last_error(), file)) {
        fprintf(stderr, "message '%s' does not name the file %s\n", adnet_last_error(), file);
        tu_failures++;
    }
}

/* A file with the given header text and n zero bytes of data. */
static const char *header_file(const char *name, const char *header, size_t data_bytes) {
    static unsigned char zeros[256];
    const char *p = tmp_path(name);
    tu_st_write_raw(p, strlen(header), header, zeros, data_bytes);
    return p;
}

static void test_bad_files(void) {
    expect_open_fails(tmp_path("does-not-exist.safetensors"), ADNET_ERR_IO, "cannot open");
    expect_open_fails(g_dir, ADNET_ERR_IO, "not a regular file");

    const char *p = tmp_path("empty.safetensors");
    tu_write_bytes(p, "", 0);
    expect_open_fails(p, ADNET_ERR_FORMAT, "file is 0 bytes");
    p = tmp_path("short.safetensors");
    tu_write_bytes(p, "\x10\x00\x00\x00\x00", 5);
    expect_open_fails(p, ADNET_ERR_FORMAT, "file is 5 bytes");

    p = tmp_path("beyond.safetensors");
    tu_st_write_raw(p, 123456, "{}", NULL, 0);
    expect_open_fails(p, ADNET_ERR_FORMAT, "header length 123456 exceeds file size 10");
    p = tmp_path("huge.safetensors");
    tu_st_write_raw(p, UINT64_MAX, "{}", NULL, 0);
    expect_open_fails(p, ADNET_ERR_FORMAT, "exceeds file size 10");
    /* a length that reaches past the JSON cuts it short */
    p = tmp_path("truncated.safetensors");
    tu_st_write_raw(
        p, 30, "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", NULL, 0);
    expect_open_fails(p, ADNET_ERR_FORMAT, "header is not valid JSON");

    expect_open_fails(header_file("notjson.safetensors", "{not json", 0), ADNET_ERR_FORMAT,
                      "header is not valid JSON");
    expect_open_fails(header_file("array.safetensors", "[1, 2]", 0), ADNET_ERR_FORMAT,
                      "header is not a JSON object");
    expect_open_fails(header_file("trailing.safetensors", "{}  x", 0), ADNET_ERR_FORMAT,
                      "trailing bytes after the JSON header");

    expect_open_fails(
        header_file("outside.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [100], \"data_offsets\": [0, 400]}}",
                    16),
        ADNET_ERR_FORMAT, "tensor 'x' data_offsets [0, 400] outside data (size 16)");
    expect_open_fails(
        header_file("reversed.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 4]}}", 16),
        ADNET_ERR_FORMAT, "tensor 'x' data_offsets [8, 4] outside data (size 16)");
    expect_open_fails(
        header_file("size.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 12]}}",
                    16),
        ADNET_ERR_FORMAT, "tensor 'x' data_offsets [0, 12] hold 12 bytes, but shape [2, 2] of F32");
    expect_open_fails(
        header_file("size16.safetensors",
                    "{\"x\": {\"dtype\": \"BF16\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 16),
        ADNET_ERR_FORMAT, "shape [3] of BF16 needs 3 x 2 bytes");
    expect_open_fails(
        header_file("overflow.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], "
                    "\"data_offsets\": [0, 16]}}",
                    16),
        ADNET_ERR_FORMAT, "tensor 'x' has a shape too large");
    expect_open_fails(header_file("overflow2.safetensors",
                                  "{\"x\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904], "
                                  "\"data_offsets\": [0, 16]}}",
                                  16),
                      ADNET_ERR_FORMAT,
                      "tensor 'x' has a shape entry that is not an integer in [0, 2^53]");
    expect_open_fails(
        header_file("mulwrap.safetensors",
                    "{\"x\": {\"dtype\": \"F64\", \"shape\": [2147483648, 2147483648], "
                    "\"data_offsets\": [0, 0]}}",
                    16),
        ADNET_ERR_FORMAT, "shape [2147483648, 2147483648] of F64 needs 4611686018427387904 x 8");
    expect_open_fails(
        header_file("negative.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 16),
        ADNET_ERR_FORMAT, "tensor 'x' has a shape entry that is not an integer in [0, 2^53]");
    expect_open_fails(
        header_file("fraction.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}",
                    16),
        ADNET_ERR_FORMAT, "not an integer in [0, 2^53]");
    expect_open_fails(header_file("rank.safetensors",
                                  "{\"x\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], "
                                  "\"data_offsets\": [0, 4]}}",
                                  16),
                      ADNET_ERR_FORMAT, "tensor 'x' has rank 9");
    expect_open_fails(header_file("nodtype.safetensors",
                                  "{\"x\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 16),
                      ADNET_ERR_FORMAT, "tensor 'x' has no \"dtype\"");
    expect_open_fails(header_file("noshape.safetensors",
                                  "{\"x\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 16),
                      ADNET_ERR_FORMAT, "tensor 'x' has no \"shape\"");
    expect_open_fails(
        header_file("nooffsets.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 16),
        ADNET_ERR_FORMAT, "tensor 'x' needs \"data_offsets\"");
    expect_open_fails(
        header_file("negoffset.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", 16),
        ADNET_ERR_FORMAT, "tensor 'x' needs \"data_offsets\"");
    expect_open_fails(header_file("entry.safetensors", "{\"x\": 3}", 16), ADNET_ERR_FORMAT,
                      "header entry for tensor 'x' is not an object");
    expect_open_fails(header_file("meta.safetensors", "{\"__metadata__\": {\"model\": 1}}", 0),
                      ADNET_ERR_FORMAT, "metadata value of 'model' is not a string");
    expect_open_fails(
        header_file("dup.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, "
                    "\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}",
                    16),
        ADNET_ERR_FORMAT, "tensor 'x' appears twice");
    expect_open_fails(
        header_file("dupmodule.safetensors",
                    "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, "
                    "\"module.x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}",
                    16),
        ADNET_ERR_FORMAT, "tensor 'x' appears twice (as 'x' and 'module.x')");

    /* the empty header and empty tensors are valid */
    adn_weights *w;
    CHECK_OK(adn_weights_open(header_file("emptyheader.safetensors", "{}", 0), &w));
    adn_weights_close(w);
    CHECK_OK(adn_weights_open(
        header_file("scalar.safetensors",
                    "{\"s\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [0, 4]}, "
                    "\"e\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [4, 4]}}",
                    4),
        &w));
    float v = 1.0f;
    int64_t s03[2] = {0, 3};
    CHECK_OK(adn_weights_read(w, "s", 0, NULL, &v));
    CHECK(v == 0.0f);
    CHECK_OK(adn_weights_read(w, "e", 2, s03, NULL));
    adn_weights_close(w);
    printf("  bad files: every case rejected with its message\n");
}

/* ---- architecture inference ----------------------------------------------------------- */

typedef struct partial {
    const char *prefix;                     /* "features.", "" or "module.features." ... */
    int blocks3;                            /* layer3 blocks */
    int embed;                              /* head.1.weight's first dimension; 0: no head */
    int cls_in;                             /* cls.0.weight's input channels; 0: no classifier */
    const char *model, *depth, *embed_meta; /* metadata or NULL */
    const char *arch_json;                  /* "adnet.arch" metadata or NULL */
} partial;

/* A checkpoint with only the tensors that decide the architecture (zeros, sparse). */
static const char *write_partial(const char *name, partial p) {
    tu_st_writer w;
    tu_st_init(&w);
    if (p.model) tu_st_meta(&w, "model", p.model);
    if (p.depth) tu_st_meta(&w, "depth", p.depth);
    if (p.embed_meta) tu_st_meta(&w, "embed", p.embed_meta);
    if (p.arch_json) tu_st_meta(&w, "adnet.arch", p.arch_json);
    char n[192];
    for (int b = 0; b < p.blocks3; b++) {
        int64_t s[4] = {256, b ? 1024 : 512, 1, 1};
        snprintf(n, sizeof n, "%slayer3.%d.conv1.weight", p.prefix, b);
        tu_st_add_f32(&w, n, 4, s, NULL);
    }
    if (p.embed) {
        int64_t s[4] = {p.embed, 512, 1, 1};
        snprintf(n, sizeof n, "%shead.1.weight", p.prefix);
        tu_st_add_f32(&w, n, 4, s, NULL);
    }
    if (p.cls_in) {
        int64_t s[4] = {128, p.cls_in, 1, 1};
        const char *mod = strncmp(p.prefix, "module.", 7) ? "" : "module.";
        snprintf(n, sizeof n, "%scls.0.weight", mod);
        tu_st_add_f32(&w, n, 4, s, NULL);
    }
    const char *path = tmp_path(name);
    tu_st_write(&w, path, 8);
    tu_st_free(&w);
    return path;
}

/* Infers the architecture of a partial file; returns the status. */
static adnet_status infer(partial p, adnet_model_kind forced, adn_arch *arch) {
    adn_weights *w;
    CHECK_OK(adn_weights_open(write_partial("partial.safetensors", p), &w));
    adnet_status s = adn_weights_arch(w, forced, arch);
    adn_weights_close(w);
    return s;
}

static void expect_arch(partial p, adnet_model_kind forced, adnet_model_kind kind, int depth,
                        int embed, int cls_in) {
    adn_arch a;
    adnet_status s = infer(p, forced, &a);
    if (s != ADNET_OK) {
        fprintf(stderr, "arch inference failed: %s\n", adnet_last_error());
        tu_failures++;
        return;
    }
    if (a.kind != kind || a.depth != depth || a.embed != embed || a.cls_in != cls_in ||
        a.blocks[2] != (depth == 50 ? 6 : 23)) {
        fprintf(stderr, "arch: got %s R%d E=%d cls_in=%d, want %s R%d E=%d cls_in=%d\n",
                adnet_model_kind_name(a.kind), a.depth, a.embed, a.cls_in,
                adnet_model_kind_name(kind), depth, embed, cls_in);
        tu_failures++;
    }
}

#define EXPECT_ARCH_FAILS(p, forced, status, substring)                                            \
    do {                                                                                           \
        adn_arch a_;                                                                               \
        CHECK_FAILS(infer(p, forced, &a_), status, substring);                                     \
    } while (0)

static void test_arch(void) {
    static const struct { int blocks, depth; } depths[2] = {{6, 50}, {23, 101}};
    for (int i = 0; i < 2; i++) {
        int b = depths[i].blocks, d = depths[i].depth;
        partial base = {"", b, 1, 0, NULL, NULL, NULL, NULL};
        partial ad = {"features.", b, 128, 384, NULL, NULL, NULL, NULL};
        partial two = {"features.", b, 128, 256, NULL, NULL, NULL, NULL};

        /* shapes alone */
        expect_arch(base, ADNET_MODEL_UNKNOWN, ADNET_MODEL_BASE, d, 1, 0);
        expect_arch(ad, ADNET_MODEL_UNKNOWN, ADNET_MODEL_AD, d, 128, 384);
        EXPECT_ARCH_FAILS(two, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                          "cannot tell inter, intra and concat apart");
        EXPECT_ARCH_FAILS(two, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS, "--model");

        /* DataParallel names */
        partial ad_dp = {"module.features.", b, 128, 384, NULL, NULL, NULL, NULL};
        expect_arch(ad_dp, ADNET_MODEL_UNKNOWN, ADNET_MODEL_AD, d, 128, 384);
        partial base_dp = {"module.", b, 1, 0, NULL, NULL, NULL, NULL};
        expect_arch(base_dp, ADNET_MODEL_UNKNOWN, ADNET_MODEL_BASE, d, 1, 0);

        /* metadata names the model */
        static const char *two_kinds[3] = {"inter", "intra", "concat"};
        for (int k = 0; k < 3; k++) {
            partial m = two;
            m.model = two_kinds[k];
            expect_arch(m, ADNET_MODEL_UNKNOWN, adnet_model_kind_parse(two_kinds[k]), d, 128, 256);
        }
        partial ad_meta = ad;
        ad_meta.model = "ad";
        ad_meta.depth = d == 50 ? "50" : "101";
        ad_meta.embed_meta = "128";
        expect_arch(ad_meta, ADNET_MODEL_UNKNOWN, ADNET_MODEL_AD, d, 128, 384);
        partial base_meta = base;
        base_meta.model = "base";
        expect_arch(base_meta, ADNET_MODEL_UNKNOWN, ADNET_MODEL_BASE, d, 1, 0);

        /* a forced model that fits; it wins over metadata that also fits */
        expect_arch(two, ADNET_MODEL_INTRA, ADNET_MODEL_INTRA, d, 128, 256);
        partial two_concat = two;
        two_concat.model = "concat";
        expect_arch(two_concat, ADNET_MODEL_INTER, ADNET_MODEL_INTER, d, 128, 256);
        expect_arch(ad, ADNET_MODEL_AD, ADNET_MODEL_AD, d, 128, 384);
        expect_arch(base, ADNET_MODEL_BASE, ADNET_MODEL_BASE, d, 1, 0);

        /* forced or declared models that contradict the shapes */
        EXPECT_ARCH_FAILS(two, ADNET_MODEL_AD, ADNET_ERR_WEIGHTS,
                          "model ad (requested) does not fit: its classifier cls.0.weight takes "
                          "256 input channels, ad's takes 3E = 384");
        EXPECT_ARCH_FAILS(ad, ADNET_MODEL_CONCAT, ADNET_ERR_WEIGHTS,
                          "takes 384 input channels, concat's takes 2E = 256");
        EXPECT_ARCH_FAILS(ad, ADNET_MODEL_BASE, ADNET_ERR_WEIGHTS, "base has none");
        EXPECT_ARCH_FAILS(base, ADNET_MODEL_INTER, ADNET_ERR_WEIGHTS,
                          "it has no classifier (a base checkpoint)");
        partial two_ad = two;
        two_ad.model = "ad";
        EXPECT_ARCH_FAILS(two_ad, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                          "model ad (named in the metadata) does not fit");
        /* a forced model that fits overrides metadata that does not */
        expect_arch(two_ad, ADNET_MODEL_INTER, ADNET_MODEL_INTER, d, 128, 256);
        partial ad_inter = ad;
        ad_inter.model = "inter";
        EXPECT_ARCH_FAILS(ad_inter, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                          "inter's takes 2E = 256");
        partial wrong_depth = ad;
        wrong_depth.depth = d == 50 ? "101" : "50";
        EXPECT_ARCH_FAILS(wrong_depth, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                          "metadata \"depth\" is");
        partial wrong_embed = ad;
        wrong_embed.embed_meta = "64";
        EXPECT_ARCH_FAILS(wrong_embed, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                          "metadata \"embed\" is 64 but the tensors give 128");
    }

    partial bad = {"features.", 6, 128, 384, "foo", NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(bad, ADNET_MODEL_UNKNOWN, ADNET_ERR_FORMAT,
                      "metadata \"model\" is 'foo', not one of");
    bad.model = NULL;
    bad.depth = "fifty";
    EXPECT_ARCH_FAILS(bad, ADNET_MODEL_UNKNOWN, ADNET_ERR_FORMAT,
                      "metadata \"depth\" is 'fifty', not an integer");
    partial odd = {"features.", 10, 128, 384, NULL, NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(odd, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "10 layer3 blocks (features.layer3.0 to features.layer3.9); expected 6");
    partial none = {"features.", 0, 128, 384, NULL, NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(none, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "'features.layer3.0.conv1.weight' (or 'layer3.0.conv1.weight' for base) is "
                      "missing");
    partial nohead = {"features.", 23, 0, 384, NULL, NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(nohead, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "tensor 'features.head.1.weight' is missing");
    partial odd_cls = {"features.", 23, 128, 200, NULL, NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(odd_cls, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "cls.0.weight takes 200 input channels, which fits no model with E = 128");
    partial base_cls = {"", 23, 128, 384, NULL, NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(base_cls, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "lack the 'features.' prefix");
    partial feat_nocls = {"features.", 23, 128, 0, NULL, NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(feat_nocls, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS, "there is no classifier");
    partial base_wide = {"", 6, 128, 0, NULL, NULL, NULL, NULL};
    EXPECT_ARCH_FAILS(base_wide, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "'head.1.weight' has 128 output channels");
    /* another embedding size is followed, as long as the classifier agrees */
    partial e64 = {"features.", 6, 64, 192, NULL, NULL, NULL, NULL};
    expect_arch(e64, ADNET_MODEL_UNKNOWN, ADNET_MODEL_AD, 50, 64, 192);
    printf("  arch inference: R50/R101 x base/ad/256-channel, metadata, forced kinds\n");
}

/* ---- a whole checkpoint --------------------------------------------------------------- */

/* Every tensor of arch as zeros (one with values), with "module." names, dsn.* and I64
 * num_batches_tracked extras; `mutate` changes one tensor: 0 none, 1 wrong shape, 2 drop it,
 * 3 make it I64, 4 also drop a second one. */
static const char *write_full(const adn_arch *arch, int mutate, const char *target,
                              const float *values) {
    adn_tensor_desc *t;
    int n;
    CHECK_OK(adn_arch_tensors(arch, &t, &n));
    tu_st_writer w;
    tu_st_init(&w);
    tu_st_meta(&w, "model", adnet_model_kind_name(arch->kind));
    static const int64_t one[1] = {1};
    static const int64_t counter = 1000;
    static const float dsn[4] = {1, 2, 3, 4};
    char name[192];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "module.%s", t[i].name);
        int is_target = !strcmp(t[i].name, target);
        if (is_target && (mutate == 2 || mutate == 4)) continue;
        if (mutate == 4 && !strcmp(t[i].name, "cls.3.bias")) continue;
        if (is_target && mutate == 1) {
            int64_t s[4] = {t[i].shape[0], t[i].shape[1] / 2, t[i].shape[2], t[i].shape[3]};
            tu_st_add_f32(&w, name, t[i].ndim, s, NULL);
        } else if (is_target && mutate == 3) {
            tu_st_add(&w, name, "I64", t[i].ndim, t[i].shape, NULL, 8 * (size_t)t[i].shape[0]);
        } else {
            tu_st_add_f32(&w, name, t[i].ndim, t[i].shape, is_target ? values : NULL);
        }
        /* BatchNorm buffers carry a step counter */
        const char *suffix = ".running_var";
        size_t ln = strlen(t[i].name), ls = strlen(suffix);
        if (ln > ls && !strcmp(t[i].name + ln - ls, suffix)) {
            snprintf(name, sizeof name, "module.%.*snum_batches_tracked", (int)(ln - ls + 1),
                     t[i].name);
            tu_st_add(&w, name, "I64", 0, one, &counter, 8);
        }
    }
    int64_t s4[1] = {4};
    tu_st_add_f32(&w, "module.dsn.0.weight", 1, s4, dsn);
    const char *path = tmp_path("full.safetensors");
    tu_st_write(&w, path, 8);
    tu_st_free(&w);
    free(t);
    return path;
}

static void test_full_checkpoint(void) {
    adn_arch arch;
    CHECK_OK(adn_arch_make(ADNET_MODEL_AD, 50, 128, &arch));
    const char *target = "features.layer2.0.bn2.running_var";
    float values[128];
    for (int i = 0; i < 128; i++) values[i] = 0.5f + (float)i;

    adn_weights *w;
    CHECK_OK(adn_weights_open(write_full(&arch, 0, target, values), &w));
    adn_arch got;
    CHECK_OK(adn_weights_arch(w, ADNET_MODEL_UNKNOWN, &got));
    CHECK(got.kind == ADNET_MODEL_AD && got.depth == 50 && got.embed == 128);
    CHECK_OK(adn_weights_check(w, &got));
    float v[128];
    int64_t s[1] = {128};
    CHECK_OK(adn_weights_read(w, target, 1, s, v));
    CHECK(!memcmp(v, values, sizeof v));
    /* the R101 architecture does not fit an R50 file: 17 missing layer3 blocks of 3 convs,
     * each with a weight and 4 BN tensors, are 255 missing tensors */
    adn_arch r101;
    CHECK_OK(adn_arch_make(ADNET_MODEL_AD, 101, 128, &r101));
    CHECK_FAILS(adn_weights_check(w, &r101), ADNET_ERR_WEIGHTS,
                "tensor 'features.layer3.6.conv1.weight' is missing (plus 254 more tensors that "
                "do not fit the ad R101 model)");
    adn_weights_close(w);

    const char *conv = "features.layer4.1.conv2.weight";
    CHECK_OK(adn_weights_open(write_full(&arch, 1, conv, NULL), &w));
    CHECK_FAILS(adn_weights_check(w, &arch), ADNET_ERR_WEIGHTS,
                "tensor 'features.layer4.1.conv2.weight' has shape [512, 256, 3, 3], expected "
                "[512, 512, 3, 3]");
    CHECK(!tu_contains(adnet_last_error(), "more"));
    adn_weights_close(w);

    CHECK_OK(adn_weights_open(write_full(&arch, 2, "cls.1.running_mean", NULL), &w));
    CHECK_FAILS(adn_weights_check(w, &arch), ADNET_ERR_WEIGHTS,
                "tensor 'cls.1.running_mean' is missing");
    adn_weights_close(w);

    CHECK_OK(adn_weights_open(write_full(&arch, 4, "features.bn1.bias", NULL), &w));
    CHECK_FAILS(adn_weights_check(w, &arch), ADNET_ERR_WEIGHTS,
                "tensor 'features.bn1.bias' is missing (plus 1 more tensor that does not fit the "
                "ad R50 model)");
    adn_weights_close(w);

    CHECK_OK(adn_weights_open(write_full(&arch, 3, "features.head.1.bias", NULL), &w));
    CHECK_FAILS(adn_weights_check(w, &arch), ADNET_ERR_FORMAT,
                "tensor 'module.features.head.1.bias' has dtype I64");
    adn_weights_close(w);
    printf("  whole R50 ad checkpoint: check, read, and four ways to break it\n");
}

/* ---- synthetic weights ---------------------------------------------------------------- */

static void test_synthetic(void) {
    adn_arch arch;
    CHECK_OK(adn_arch_make(ADNET_MODEL_AD, 101, 128, &arch));
    adn_weights *w, *same, *other;
    CHECK_OK(adn_weights_synthetic(&arch, 7, &w));
    CHECK_OK(adn_weights_synthetic(&arch, 7, &same));
    CHECK_OK(adn_weights_synthetic(&arch, 8, &other));
    CHECK(!strcmp(adn_weights_path(w), "(synthetic)"));
    CHECK(adn_weights_metadata(w, "model") == NULL);
    CHECK_OK(adn_weights_check(w, &arch));

    adn_arch got;
    CHECK_OK(adn_weights_arch(w, ADNET_MODEL_UNKNOWN, &got));
    CHECK(got.kind == ADNET_MODEL_AD && got.depth == 101 && got.embed == 128 && got.cls_in == 384);
    CHECK_FAILS(adn_weights_arch(w, ADNET_MODEL_INTER, &got), ADNET_ERR_WEIGHTS,
                "(synthetic): model inter (requested) does not fit");

    /* every tensor: finite, in its documented range, with the documented spread */
    adn_tensor_desc *t;
    int n;
    CHECK_OK(adn_arch_tensors(&arch, &t, &n));
    size_t cap = 0;
    for (int i = 0; i < n; i++) {
        size_t c = 1;
        for (int d = 0; d < t[i].ndim; d++) c *= (size_t)t[i].shape[d];
        if (c > cap) cap = c;
    }
    float *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    int bad = 0, n_conv = 0, n_small_bn = 0;
    for (int i = 0; i < n && bad < 5; i++) {
        const adn_tensor_desc *d = &t[i];
        size_t c = 1;
        for (int k = 0; k < d->ndim; k++) c *= (size_t)d->shape[k];
        CHECK_OK(adn_weights_read(w, d->name, d->ndim, d->shape, a));
        double sum = 0, sum2 = 0, lo = INFINITY, hi = -INFINITY, alo = INFINITY;
        int negative = 0;
        for (size_t k = 0; k < c; k++) {
            double x = a[k];
            if (!isfinite(x)) {
                fprintf(stderr, "%s[%zu] = %g\n", d->name, k, x);
                bad++;
                break;
            }
            sum += x;
            sum2 += x * x;
            lo = fmin(lo, x);
            hi = fmax(hi, x);
            alo = fmin(alo, fabs(x));
            negative |= x < 0;
        }
        const char *name = d->name;
        size_t len = strlen(name);
#define ENDS(s) (len >= strlen(s) && !strcmp(name + len - strlen(s), s))
        int ok = 1;
        if (ENDS(".running_var")) {
            ok = lo >= 0.5 && hi <= 2.0;
        } else if (ENDS(".running_mean") || ENDS(".bias")) {
            ok = lo >= -0.1 && hi <= 0.1;
        } else if (d->ndim == 4) {
            double fan_in = (double)(d->shape[1] * d->shape[2] * d->shape[3]);
            /* He's std, a hundredth of it on pixel inputs; the bound is rounded to float */
            double want = sqrt(2.0 / fan_in) * (d->shape[1] == 3 ? 0.01 : 1.0);
            double bound = sqrt(3.0) * want * (1 + 1e-6);
            double mean = sum / (double)c, sd = sqrt(sum2 / (double)c - mean * mean);
            ok = lo >= -bound && hi <= bound && fabs(mean) < 5 * want / sqrt((double)c);
            /* the sample std's relative error is about 0.9 / sqrt(c) for a uniform */
            if (c >= 1000) ok = ok && fabs(sd / want - 1) < 0.05;
            if (d->shape[1] == 3) ok = ok && hi > 0.9 * bound && lo < -0.9 * bound;
            n_conv++;
        } else if (strstr(name, "layer") && ENDS(".bn3.weight")) {
            ok = alo >= 0.1 && fabs(lo) <= 0.3 && hi <= 0.3 && negative && hi > 0;
            n_small_bn++;
        } else { /* other BN weights */
            ok = alo >= 0.5 && fabs(lo) <= 1.5 && hi <= 1.5 && negative && hi > 0;
        }
#undef ENDS
        if (!ok) {
            fprintf(stderr, "synthetic %s out of range: [%g, %g], min |x| %g, mean %g, rms %g\n",
                    name, lo, hi, alo, sum / (double)c, sqrt(sum2 / (double)c));
            bad++;
        }
        /* the same seed gives the same values, another seed others */
        CHECK_OK(adn_weights_read(same, d->name, d->ndim, d->shape, b));
        if (memcmp(a, b, c * sizeof *a)) bad++;
        CHECK_OK(adn_weights_read(other, d->name, d->ndim, d->shape, b));
        if (c > 1 && !memcmp(a, b, c * sizeof *a)) bad++;
    }
    CHECK(bad == 0);
    /* stem 3, 33 bottlenecks of 3, 4 downsamples, ASPP 6, head 1, classifier 2 */
    CHECK(n_conv == 3 + 33 * 3 + 4 + 6 + 1 + 2);
    CHECK(n_small_bn == 3 + 4 + 23 + 3);
    /* two tensors of the same shape differ */
    int64_t s1[1] = {64};
    CHECK_OK(adn_weights_read(w, "features.layer1.0.bn1.weight", 1, s1, a));
    CHECK_OK(adn_weights_read(w, "features.layer1.1.bn1.weight", 1, s1, b));
    CHECK(memcmp(a, b, 64 * sizeof *a) != 0);
    /* "module." is accepted here too */
    CHECK_OK(adn_weights_read(w, "module.features.layer1.1.bn1.weight", 1, s1, a));
    CHECK(!memcmp(a, b, 64 * sizeof *a));

    int64_t wrong[4] = {64, 127, 1, 1};
    CHECK_FAILS(adn_weights_read(w, "features.layer1.0.conv1.weight", 4, wrong, a),
                ADNET_ERR_WEIGHTS,
                "(synthetic): tensor 'features.layer1.0.conv1.weight' has shape [64, 128, 1, 1], "
                "expected [64, 127, 1, 1]");
    CHECK_FAILS(adn_weights_read(w, "layer1.0.conv1.weight", 4, wrong, a), ADNET_ERR_WEIGHTS,
                "tensor 'layer1.0.conv1.weight' is missing");
    free(a);
    free(b);
    free(t);
    adn_weights_close(w);
    adn_weights_close(same);
    adn_weights_close(other);

    /* base: no prefix, E = 1, inferred as base */
    CHECK_OK(adn_arch_make(ADNET_MODEL_BASE, 50, 1, &arch));
    CHECK_OK(adn_weights_synthetic(&arch, 1, &w));
    CHECK_OK(adn_weights_arch(w, ADNET_MODEL_UNKNOWN, &got));
    CHECK(got.kind == ADNET_MODEL_BASE && got.depth == 50 && got.embed == 1);
    CHECK_OK(adn_weights_check(w, &arch));
    adn_weights_close(w);
    /* concat: inferred from the synthetic weights' own kind, and inter fits the same tensors */
    CHECK_OK(adn_arch_make(ADNET_MODEL_CONCAT, 50, 128, &arch));
    CHECK_OK(adn_weights_synthetic(&arch, 1, &w));
    CHECK_OK(adn_weights_arch(w, ADNET_MODEL_UNKNOWN, &got));
    CHECK(got.kind == ADNET_MODEL_CONCAT);
    CHECK_OK(adn_weights_arch(w, ADNET_MODEL_INTER, &got));
    CHECK(got.kind == ADNET_MODEL_INTER && got.cls_in == 256);
    adn_weights_close(w);
    printf("  synthetic: R101 ad, every tensor finite and in range, deterministic\n");
}

/* ---- architectures described as data ("adnet.arch") ------------------------------------ */

/* Odd on purpose: every width different, expansion 3, a 4-block last stage (the multi-grid's
 * last factor repeats), dilations and rates no released network has. */
static const char odd_arch[] =
    "{\"stem\":[8,12,24],\"planes\":[8,16,24,40],\"blocks\":[2,1,3,4],\"expansion\":3,"
    "\"dilations\":[1,2,3,5],\"multi_grid\":[1,3,2],\"aspp\":24,\"aspp_rates\":[2,5,7],"
    "\"embed\":20,\"classifier\":24}";

static void expect_layer(const adn_layer_desc *layers, int n, const char *name, int cin, int cout,
                         int k, int stride, int dilation) {
    const adn_layer_desc *d = adn_arch_find(layers, n, name);
    if (!d || d->shape.cin != cin || d->shape.cout != cout || d->shape.kh != k ||
        d->shape.stride != stride || d->shape.dilation != dilation) {
        fprintf(stderr, "layer %s: got %d->%d k%d s%d d%d, want %d->%d k%d s%d d%d\n", name,
                d ? d->shape.cin : -1, d ? d->shape.cout : -1, d ? d->shape.kh : -1,
                d ? d->shape.stride : -1, d ? d->shape.dilation : -1, cin, cout, k, stride,
                dilation);
        tu_failures++;
    }
}

static void test_arch_described(void) {
    adn_arch a;
    CHECK_OK(adn_arch_parse(odd_arch, ADNET_MODEL_CONCAT, &a));
    CHECK(a.stem[1] == 12 && a.planes[3] == 40 && a.blocks[3] == 4 && a.expansion == 3);
    CHECK(a.dilations[2] == 3 && a.multi_grid[1] == 3 && a.aspp == 24 && a.aspp_rates[2] == 7);
    CHECK(a.embed == 20 && a.cls_hidden == 24 && a.cls_in == 40 && !a.released);
    CHECK(a.depth == 3 * (2 + 1 + 3 + 4) + 2);
    /* the description round-trips */
    char text[512];
    CHECK(adn_arch_format(&a, text, sizeof text) < (int)sizeof text);
    adn_arch again;
    CHECK_OK(adn_arch_parse(text, ADNET_MODEL_CONCAT, &again));
    CHECK(!memcmp(&a, &again, sizeof a));

    /* the convolutions follow it: 3 stem, 3 per block and 1 downsample per stage, 6 ASPP,
     * the head, the classifier's 2 */
    adn_layer_desc *layers;
    int n;
    CHECK_OK(adn_arch_layers(&a, &layers, &n));
    CHECK(n == 3 + 3 * 10 + 4 + 6 + 1 + 2);
    expect_layer(layers, n, "conv3", 12, 24, 3, 1, 1);
    expect_layer(layers, n, "layer1.0.conv1", 24, 8, 1, 1, 1);
    expect_layer(layers, n, "layer1.1.conv3", 8, 24, 1, 1, 1);
    expect_layer(layers, n, "layer2.0.conv2", 16, 16, 3, 2, 2);
    expect_layer(layers, n, "layer2.0.downsample", 24, 48, 1, 2, 1);
    expect_layer(layers, n, "layer3.2.conv2", 24, 24, 3, 1, 3);
    expect_layer(layers, n, "layer4.0.conv2", 40, 40, 3, 1, 5);
    expect_layer(layers, n, "layer4.1.conv2", 40, 40, 3, 1, 15);
    expect_layer(layers, n, "layer4.2.conv2", 40, 40, 3, 1, 10);
    expect_layer(layers, n, "layer4.3.conv2", 40, 40, 3, 1, 10);
    expect_layer(layers, n, "head.0.conv1", 120, 24, 1, 1, 1);
    expect_layer(layers, n, "head.0.conv3", 120, 24, 3, 1, 5);
    expect_layer(layers, n, "head.0.conv_bn_dropout", 120, 24, 1, 1, 1);
    expect_layer(layers, n, "head.1", 24, 20, 1, 1, 1);
    expect_layer(layers, n, "cls.0", 40, 24, 1, 1, 1);
    expect_layer(layers, n, "cls.3", 24, 1, 1, 1, 1);
    free(layers);

    /* the released network written out is the released network */
    adn_arch r101, parsed;
    CHECK_OK(adn_arch_make(ADNET_MODEL_AD, 101, 128, &r101));
    CHECK(r101.depth == 101 && r101.released);
    CHECK(adn_arch_format(&r101, text, sizeof text) < (int)sizeof text);
    CHECK_OK(adn_arch_parse(text, ADNET_MODEL_AD, &parsed));
    CHECK(!memcmp(&r101, &parsed, sizeof r101));

    /* bad descriptions name what is wrong */
    static const struct {
        const char *json, *message;
    } bad[] = {
        {"[1, 2]", "not a JSON object"},
        {"{\"stem\":", "not a JSON object"},
        {"{\"stem\":[8,12,24],\"colour\":1}", "unknown key \"colour\""},
        {"{\"stem\":[8,12,24]}", "key \"planes\" is missing"},
        {"{\"stem\":[8,12],\"planes\":[8,16,24,40]}", "\"stem\" must be a list of 3"},
        {"{\"stem\":[8,12,2.5]}", "\"stem\" must hold integers from 1 to 4096"},
        {"{\"stem\":[8,12,0]}", "\"stem\" must hold integers from 1 to 4096"},
        {"{\"stem\":[8,12,\"24\"]}", "\"stem\" must hold integers"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_FAILS(adn_arch_parse(bad[i].json, ADNET_MODEL_AD, &a), ADNET_ERR_FORMAT,
                    bad[i].message);
    char wide[512];
    snprintf(wide, sizeof wide, "%s", odd_arch);
    char *blocks = strstr(wide, "[2,1,3,4]");
    memcpy(blocks, "[2,1,3,0]", 9);
    CHECK_FAILS(adn_arch_parse(wide, ADNET_MODEL_AD, &a), ADNET_ERR_FORMAT,
                "\"blocks\" must hold integers from 1 to 64");

    /* in a weights file: the description decides the architecture; the tensors must agree */
    partial described = {"features.", 3, 20, 60, NULL, NULL, NULL, odd_arch};
    CHECK_OK(infer(described, ADNET_MODEL_UNKNOWN, &a));
    CHECK(a.kind == ADNET_MODEL_AD && a.cls_in == 60 && a.planes[3] == 40 && a.depth == 32);
    partial three_blocks_short = described;
    three_blocks_short.blocks3 = 2;
    EXPECT_ARCH_FAILS(three_blocks_short, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "but metadata \"adnet.arch\" describes 3");
    partial other_embed = described;
    other_embed.embed = 32;
    other_embed.cls_in = 96;
    EXPECT_ARCH_FAILS(other_embed, ADNET_MODEL_UNKNOWN, ADNET_ERR_WEIGHTS,
                      "gives E = 32, but metadata \"adnet.arch\" says E = 20");
    partial broken = described;
    broken.arch_json = "{\"stem\":[8,12,24],\"planes\":[8]}";
    EXPECT_ARCH_FAILS(broken, ADNET_MODEL_UNKNOWN, ADNET_ERR_FORMAT,
                      "metadata \"adnet.arch\": architecture: \"planes\" must be a list of 4");
    printf("  described architectures: parsed, laid out, checked against the tensors\n");
}

int main(void) {
    char *dir = tu_mkdtemp();
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    test_conversions();
    test_values();
    test_bad_files();
    test_arch();
    test_arch_described();
    test_full_checkpoint();
    test_synthetic();
    tu_rm_rf(dir);
    free(dir);
    return tu_finish("test_weights");
}
