/* The program cache: a first build compiles and writes an entry, a second loads it, and a
 * corrupt or truncated entry is rebuilt (and the program still computes the right thing). A
 * source that does not compile fails with the compiler's log. */
#include "test_util.h"

#include "files.h"
#include "program.h"

#include <string.h>
#include <sys/stat.h>

static const char *src_text = "__kernel void add_one(__global float *x, uint n) {\n"
                              "    uint i = get_global_id(0);\n"
                              "    if (i < n) x[i] += 1.0f;\n"
                              "}\n";

/* Runs add_one on 0..99 and checks the result. */
static void check_program_works(adn_device *dev, adn_program *p) {
    enum { N = 100 };
    float host[N], back[N];
    for (int i = 0; i < N; i++) host[i] = (float)i;
    cl_mem buf;
    CHECK_OK(adn_buffer_alloc(dev, sizeof host, &buf));
    CHECK_OK(adn_buffer_write(dev, buf, 0, sizeof host, host));
    cl_int err;
    cl_kernel k = clCreateKernel(adn_program_handle(p), "add_one", &err);
    CHECK(err == CL_SUCCESS);
    cl_uint n = N;
    size_t sizes[] = {sizeof buf, sizeof n};
    const void *vals[] = {&buf, &n};
    CHECK_OK(adn_set_args(k, "add_one", 2, sizes, vals));
    size_t global = N;
    CHECK_OK(adn_enqueue(dev, k, 1, &global, NULL, "add_one"));
    CHECK_OK(adn_buffer_read(dev, buf, 0, sizeof back, back));
    for (int i = 0; i < N; i++) CHECK(back[i] == (float)i + 1.0f);
    clReleaseKernel(k);
    adn_buffer_free(dev, buf, sizeof host);
}

static void damage(const char *path, int truncate_it) {
    unsigned char *data;
    size_t size;
    CHECK_OK(adn_read_file(path, &data, &size));
    if (truncate_it)
        size /= 2;
    else
        data[size - 10] ^= 0x5a; /* a flipped byte inside the binary */
    FILE *fp = fopen(path, "wb");
    fwrite(data, 1, size, fp);
    fclose(fp);
    free(data);
}

int main(void) {
    char *dir = tu_mkdtemp();
    setenv("ADNET_CACHE_DIR", dir, 1);
    adn_device *devs[8];
    int n = tu_open_devices(devs, 8);
    adn_source src = {"add_one.cl", src_text, strlen(src_text)};
    for (int d = 0; d < n; d++) {
        adn_device *dev = devs[d];
        adn_program *p;
        /* options make the key unique per device run so earlier runs do not interfere */
        char opts[64];
        snprintf(opts, sizeof opts, "-DTEST_DEVICE=%d", d);

        CHECK_OK(adn_program_build(&dev->entry, dev->context, &src, 1, opts, &p));
        CHECK(adn_program_origin_of(p) == ADN_PROGRAM_FROM_SOURCE);
        char path[4096];
        snprintf(path, sizeof path, "%s", adn_program_cache_path(p));
        struct stat st;
        CHECK(stat(path, &st) == 0 && st.st_size > 0);
        check_program_works(dev, p);
        adn_program_free(p);

        CHECK_OK(adn_program_build(&dev->entry, dev->context, &src, 1, opts, &p));
        CHECK(adn_program_origin_of(p) == ADN_PROGRAM_FROM_CACHE);
        check_program_works(dev, p);
        adn_program_free(p);

        for (int mode = 0; mode < 2; mode++) {
            damage(path, mode);
            CHECK_OK(adn_program_build(&dev->entry, dev->context, &src, 1, opts, &p));
            CHECK(adn_program_origin_of(p) == ADN_PROGRAM_FROM_SOURCE);
            check_program_works(dev, p);
            adn_program_free(p);
            CHECK_OK(adn_program_build(&dev->entry, dev->context, &src, 1, opts, &p));
            CHECK(adn_program_origin_of(p) == ADN_PROGRAM_FROM_CACHE);
            adn_program_free(p);
        }

        /* a different source must not hit the same entry */
        const char *other_text = "__kernel void add_one(__global float *x, uint n) {\n"
                                 "    uint i = get_global_id(0);\n"
                                 "    if (i < n) x[i] += 2.0f;\n"
                                 "}\n";
        adn_source other = {"add_two.cl", other_text, strlen(other_text)};
        CHECK_OK(adn_program_build(&dev->entry, dev->context, &other, 1, opts, &p));
        CHECK(adn_program_origin_of(p) == ADN_PROGRAM_FROM_SOURCE);
        CHECK(strcmp(adn_program_cache_path(p), path) != 0);
        adn_program_free(p);

        /* a broken source fails with the compiler's log */
        const char *bad_text =
            "__kernel void broken(__global float *x) { x[0] = undefined_name; }\n";
        adn_source bad = {"broken.cl", bad_text, strlen(bad_text)};
        CHECK_FAILS(adn_program_build(&dev->entry, dev->context, &bad, 1, opts, &p),
                    ADNET_ERR_BUILD, "undefined_name");
        CHECK(tu_contains(adnet_last_error(), "broken.cl"));
    }
    tu_close_devices(devs, n);
    tu_rm_rf(dir);
    free(dir);
    return tu_finish("test_program_cache");
}
