/* The oclgrind tier can fail: the tiled attention kernel built with one barrier removed (the
 * one between copying a key tile to local memory and reading it for the scores; the define
 * ADN_TEST_BREAK_ATTENTION_BARRIER exists only for this test, and the program cache keys on
 * build options, so the broken program never stands in for adnet's) is run on a small case.
 * On a real device the race may or may not show in the numbers; under Oclgrind's data-race
 * checker it must be reported (tests/oclgrind/expect_report.sh runs this and requires the
 * report). Without Oclgrind it only runs. */
#include "test_util.h"

#include "attention.h"
#include "program.h"

int main(void) {
    adn_device *dev;
    CHECK_OK(adn_device_open(0, 0, &dev));
    adn_program *broken;
    CHECK_OK(adn_program_build(&dev->entry, dev->context, adn_embedded_sources,
                               adn_embedded_source_count, "-DADN_TEST_BREAK_ATTENTION_BARRIER",
                               &broken));
    /* the device's kernels come from the broken program from here on (none was created yet) */
    CHECK(dev->n_kernels == 0);
    adn_program *own = dev->program;
    dev->program = broken;

    enum { E = 8, M = 40 };
    tu_rng rng = tu_rng_seed(7);
    float x[2 * E * M];
    tu_fill_uniform(&rng, x, 2 * E * M, -1, 1);
    cl_mem in, out;
    CHECK_OK(adn_buffer_alloc(dev, sizeof x, &in));
    CHECK_OK(adn_buffer_write(dev, in, 0, sizeof x, x));
    CHECK_OK(adn_buffer_alloc(dev, sizeof x, &out));
    CHECK_OK(adn_buffer_write(dev, out, 0, sizeof x, x));
    adn_tensor x0 = {in, 0, E, 5, 8}, xt = {in, E * M, E, 5, 8};
    adn_tensor oa = {out, 0, E, 5, 8}, os = {out, E * M, E, 5, 8};
    /* a tiled plan with several key tiles and work-items that copy what others read */
    adn_attention_plan plan = {0};
    plan.kernel = ADN_ATTN_TILED;
    plan.nrb = 2;
    plan.ng = 2;
    plan.bk = 8;
    plan.bq = ADN_ATTN_VEC * plan.nrb / 2;
    CHECK_OK(adn_attention_with_plan(dev, &plan, &x0, &xt, &oa, &os));
    CHECK_OK(adn_finish(dev));

    dev->program = own;
    dev->n_kernels = 0; /* the broken program's kernels go with it */
    adn_program_free(broken);
    adn_buffer_free(dev, in, sizeof x);
    adn_buffer_free(dev, out, sizeof x);
    adn_device_close(dev);
    return tu_finish("test_attention_broken");
}
