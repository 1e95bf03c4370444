/* Fidelity against the released architecture: runs `adnet segment --save-logits` on a case
 * written by tests/reference/adnet_reference.py and requires, for every frame,
 *     max |ours - ref| <= 1e-3 x (max(ref) - min(ref))
 * on the raw logits, and masks (with --no-temporal: the reference's masks are the released
 * loop's before its temporal step) that differ only where the reference logit is within that
 * tolerance of the threshold.
 *
 * Usage: test_fidelity ADNET CASE_DIR WxH OUT_DIR [extra adnet segment arguments...] */
#include "test_util.h"

#include "frames.h"
#include "image.h"
#include "npy.h"
#include "postproc.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char **argv) {
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s ADNET CASE_DIR WxH OUT_DIR [args...]\n", argv[0]);
        return 2;
    }
    const char *adnet = argv[1], *case_dir = argv[2], *size = argv[3], *out = argv[4];
    char weights[4096], frames_dir[4096], path[4200], ref_path[4200];
    snprintf(weights, sizeof weights, "%s/weights.safetensors", case_dir);
    snprintf(frames_dir, sizeof frames_dir, "%s/frames", case_dir);
    tu_rm_rf(out);

    char *args[64];
    int n = 0;
    args[n++] = (char *)adnet;
    args[n++] = "segment";
    args[n++] = "--weights";
    args[n++] = weights;
    args[n++] = "--frames";
    args[n++] = frames_dir;
    args[n++] = "--out";
    args[n++] = (char *)out;
    args[n++] = "--size";
    args[n++] = (char *)size;
    args[n++] = "--save-logits";
    /* the expected masks are the released loop's before its temporal step */
    args[n++] = "--no-temporal";
    args[n++] = "--quiet";
    for (int i = 5; i < argc && n < 62; i++) args[n++] = argv[i];
    args[n] = NULL;
    int rc = run(args);
    if (rc != 0) {
        fprintf(stderr, "adnet segment exited with %d\n", rc);
        return 1;
    }

    adn_frame_list frames;
    CHECK_OK(adn_frames_list(frames_dir, &frames));
    for (int f = 0; f < frames.n; f++) {
        char stem[256];
        adn_frame_stem(frames.names[f], stem, sizeof stem);
        float *ours, *ref;
        int nd_ours, nd_ref;
        size_t sh_ours[ADN_NPY_MAX_DIMS], sh_ref[ADN_NPY_MAX_DIMS];
        snprintf(path, sizeof path, "%s/logits/%s.npy", out, stem);
        snprintf(ref_path, sizeof ref_path, "%s/expected/%s.npy", case_dir, stem);
        CHECK_OK(adn_npy_read_f32(path, &ours, &nd_ours, sh_ours));
        CHECK_OK(adn_npy_read_f32(ref_path, &ref, &nd_ref, sh_ref));
        CHECK(nd_ours == 3 && nd_ref == 3);
        CHECK(sh_ours[0] == 1 && sh_ours[1] == sh_ref[1] && sh_ours[2] == sh_ref[2]);
        if (tu_failures) return tu_finish("test_fidelity");
        size_t count = sh_ref[1] * sh_ref[2];
        float lo = ref[0], hi = ref[0];
        for (size_t i = 0; i < count; i++) {
            lo = fminf(lo, ref[i]);
            hi = fmaxf(hi, ref[i]);
        }
        double tol = 1e-3 * ((double)hi - lo);
        char what[300];
        snprintf(what, sizeof what, "%s logits (%zux%zu, range %.3g..%.3g)", stem, sh_ref[1],
                 sh_ref[2], (double)lo, (double)hi);
        tu_check_close(what, ours, ref, count, tol, 0.0);

        /* masks: a pixel may differ only where the reference's upsampled logit is within the
         * tolerance of the threshold */
        adnet_image mine = {0}, want = {0};
        snprintf(path, sizeof path, "%s/masks/%s.png", out, stem);
        snprintf(ref_path, sizeof ref_path, "%s/expected_masks/%s.png", case_dir, stem);
        CHECK_OK(adn_image_load_mask(path, &mine));
        CHECK_OK(adn_image_load_mask(ref_path, &want));
        CHECK(mine.width == want.width && mine.height == want.height);
        if (mine.width == want.width && mine.height == want.height) {
            size_t np = (size_t)want.width * want.height, differ = 0, unexplained = 0;
            float *up = malloc(np * sizeof *up);
            adn_upsample_bilinear_ac(ref, (int)sh_ref[2], (int)sh_ref[1], up, want.width,
                                     want.height);
            for (size_t i = 0; i < np; i++) {
                if ((mine.data[i] > 127) == (want.data[i] > 127)) continue;
                differ++;
                if (fabs((double)up[i] - 0.5) > tol) unexplained++;
            }
            printf("  %-48s %zu of %zu pixels differ, %zu away from the threshold\n", "mask",
                   differ, np, unexplained);
            CHECK(unexplained == 0);
            free(up);
        }
        adnet_image_free(&mine);
        adnet_image_free(&want);
        free(ours);
        free(ref);
    }
    adn_frames_free(&frames);
    return tu_finish("test_fidelity");
}
