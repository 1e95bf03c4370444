/* Inputs that would need more memory than the machine or the device has are refused before
 * anything is allocated, with an error that says how much is needed and how much there is:
 * a frame whose header declares a huge size (ADNET_TEST_MEMORY_AVAILABLE pretends the machine
 * is small), weights larger than the device's memory (the device's reported size lowered), and
 * weights whose largest layer cannot be folded in the host memory left. */
#include "test_util.h"

#include "arch.h"
#include "image.h"
#include "model.h"

#include <string.h>

/* CRC-32 of PNG chunks (ISO 3309), written here for the test's own PNG. */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* A PNG signature, an IHDR declaring width x height RGB pixels, an IDAT of a few bytes of
 * compressed data (far fewer than the size needs) and IEND. */
static size_t add_chunk(uint8_t *c, const char *type, const uint8_t *data, uint32_t n) {
    put32(c, n);
    memcpy(c + 4, type, 4);
    if (n) memcpy(c + 8, data, n);
    put32(c + 8 + n, crc32_of(c + 4, 4 + n));
    return 12 + n;
}

static size_t png_header(uint8_t *out, uint32_t width, uint32_t height) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(out, sig, 8);
    uint8_t ihdr[13] = {0};
    put32(ihdr, width);
    put32(ihdr + 4, height);
    ihdr[8] = 8, ihdr[9] = 2; /* 8-bit RGB */
    static const uint8_t idat[] = {0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};
    size_t n = 8;
    n += add_chunk(out + n, "IHDR", ihdr, 13);
    n += add_chunk(out + n, "IDAT", idat, sizeof idat);
    n += add_chunk(out + n, "IEND", NULL, 0);
    return n;
}

static void test_frame_too_large(void) {
    uint8_t png[128];
    size_t n = png_header(png, 12000, 12000); /* 144 M pixels: within adnet's size limit */
    setenv("ADNET_TEST_MEMORY_AVAILABLE", "104857600", 1); /* 100 MiB */
    adnet_image img;
    CHECK_FAILS(adn_image_decode_bgr(png, n, "huge.png", &img), ADNET_ERR_OUT_OF_MEMORY,
                "more than the 100 MiB");
    printf("frame: %s\n", adnet_last_error());
    CHECK(tu_contains(adnet_last_error(), "huge.png") &&
          tu_contains(adnet_last_error(), "12000x12000"));
    unsetenv("ADNET_TEST_MEMORY_AVAILABLE");
}

static void test_weights_too_large(void) {
    const adn_device_entry *list;
    int n;
    CHECK_OK(adn_devices(&list, &n));
    adn_arch arch;
    CHECK_OK(adn_arch_make(ADNET_MODEL_AD, 101, 128, &arch));
    adn_weights *w;
    CHECK_OK(adn_weights_synthetic(&arch, 1, &w));

    /* a device of 256 MiB: R101's 284 MiB (546 with Winograd's forms) do not fit */
    adn_device_entry small = list[0];
    small.info.global_mem_bytes = (uint64_t)256 << 20;
    adn_device *dev;
    CHECK_OK(adn_device_open_entry(&small, 0, &dev));
    adnet_model *m = NULL;
    CHECK_FAILS(adn_model_create(dev, w, &arch, &m), ADNET_ERR_OUT_OF_MEMORY, "which has 256 MiB");
    printf("device: %s\n", adnet_last_error());
    CHECK(m == NULL && dev->mem_peak == 0); /* refused before any device memory was taken */
    adn_device_close(dev);

    /* a host with 8 MiB available: the largest layer (ASPP, 2048 x 512 x 3 x 3) cannot be
     * folded */
    setenv("ADNET_TEST_MEMORY_AVAILABLE", "8388608", 1);
    CHECK_OK(adn_device_open_entry(&list[0], 0, &dev));
    CHECK_FAILS(adn_model_create(dev, w, &arch, &m), ADNET_ERR_OUT_OF_MEMORY,
                "folding the weights");
    printf("host: %s\n", adnet_last_error());
    CHECK(m == NULL && dev->mem_peak == 0);
    adn_device_close(dev);
    unsetenv("ADNET_TEST_MEMORY_AVAILABLE");
    adn_weights_close(w);
}

int main(void) {
    test_frame_too_large();
    test_weights_too_large();
    return tu_finish("test_limits");
}
