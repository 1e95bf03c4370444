/* The DAVIS-2016 metrics (host/eval/metrics.c) against davis_metrics_ref.py, the benchmark's
 * definitions restated with NumPy and scikit-image (boundary tolerance by binary dilation with
 * a disk): per-frame J and F (with F's precision and recall) agree to 1e-9, the sequence and
 * dataset statistics (mean, recall, decay, J&F, the released script's IoU) agree exactly,
 * MAE and F-max to 1e-12. Plus hand-computed cases, bad input, and the time one 480 x 854
 * frame's F takes (printed, not asserted).
 *
 * Usage: test_metrics DATA_DIR (written by gen_metrics_cases.py). */
#include "test_util.h"

#include "files.h"
#include "metrics.h"
#include "npy.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>
#include <time.h>

/* ---- The cases' arrays: 8-bit values stored as float32 .npy (frames x h x w) ------------- */

typedef struct npy_u8 {
    uint8_t *data;
    int shape[3];
} npy_u8;

/* Reads an array of shape (n, h, w) and converts it to 8 bits; returns 0 on success, prints
 * why not otherwise. */
static int npy_load_u8(const char *path, npy_u8 *out) {
    memset(out, 0, sizeof *out);
    float *v;
    int ndim;
    size_t shape[ADN_NPY_MAX_DIMS];
    if (adn_npy_read_f32(path, &v, &ndim, shape) != ADNET_OK) {
        fprintf(stderr, "%s\n", adnet_last_error());
        return -1;
    }
    if (ndim != 3 || shape[0] > 100000 || shape[1] > 100000 || shape[2] > 100000) {
        fprintf(stderr, "%s: expected an array of rank 3 (frames x h x w)\n", path);
        free(v);
        return -1;
    }
    size_t n = shape[0] * shape[1] * shape[2];
    out->data = malloc(n ? n : 1);
    if (!out->data) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] >= 0.0f && v[i] <= 255.0f && v[i] == (float)(int)v[i])) {
            fprintf(stderr, "%s: value %g at %zu is not an 8-bit integer\n", path, v[i], i);
            free(v);
            free(out->data);
            out->data = NULL;
            return -1;
        }
        out->data[i] = (uint8_t)v[i];
    }
    free(v);
    for (int d = 0; d < 3; d++) out->shape[d] = (int)shape[d];
    return 0;
}

/* ---- comparisons ------------------------------------------------------------------------- */

static double worst_frame_diff; /* largest per-frame difference seen */

/* A JSON number, or NaN for null (the reference writes undefined values as null). */
static double json_num(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        fprintf(stderr, "reference lacks '%s'\n", key);
        tu_failures++;
        return NAN;
    }
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void expect_close(const char *seq, const char *what, int frame, double got, double want,
                         double tol) {
    double d = fabs(got - want);
    int same_nan = isnan(got) && isnan(want);
    if (!same_nan && frame >= 0 && d > worst_frame_diff) worst_frame_diff = d;
    if (!same_nan && !(d <= tol)) {
        fprintf(stderr, "%s %s frame %d: got %.17g, reference %.17g\n", seq, what, frame, got,
                want);
        tu_failures++;
    }
}

static void expect_exact(const char *seq, const char *what, double got, double want) {
    if (!(got == want || (isnan(got) && isnan(want)))) {
        fprintf(stderr, "%s %s: got %.17g, reference %.17g (diff %.3g)\n", seq, what, got, want,
                got - want);
        tu_failures++;
    }
}

static void expect_stats(const char *seq, const char *measure, const adn_measure_stats *got,
                         const cJSON *want) {
    char what[64];
    snprintf(what, sizeof what, "%s mean", measure);
    expect_exact(seq, what, got->mean, json_num(want, "mean"));
    snprintf(what, sizeof what, "%s recall", measure);
    expect_exact(seq, what, got->recall, json_num(want, "recall"));
    snprintf(what, sizeof what, "%s decay", measure);
    expect_exact(seq, what, got->decay, json_num(want, "decay"));
}

/* ---- the reference comparison ------------------------------------------------------------ */

typedef struct sequence_data {
    npy_u8 pred, gt, heat;
} sequence_data;

static int load_sequence(const char *dir, const char *name, sequence_data *s) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.pred.npy", dir, name);
    if (npy_load_u8(path, &s->pred)) return -1;
    snprintf(path, sizeof path, "%s/%s.gt.npy", dir, name);
    if (npy_load_u8(path, &s->gt)) return -1;
    snprintf(path, sizeof path, "%s/%s.heat.npy", dir, name);
    if (npy_load_u8(path, &s->heat)) return -1;
    if (memcmp(s->pred.shape, s->gt.shape, sizeof s->pred.shape) ||
        memcmp(s->pred.shape, s->heat.shape, sizeof s->pred.shape)) {
        fprintf(stderr, "%s: prediction, annotation and heat maps differ in shape\n", name);
        return -1;
    }
    return 0;
}

static void free_sequence(sequence_data *s) {
    free(s->pred.data);
    free(s->gt.data);
    free(s->heat.data);
}

/* Scores every sequence of the reference (with heat maps or without) and compares. */
static void check_against_reference(const char *dir, const cJSON *ref, int with_heat) {
    const cJSON *seqs = cJSON_GetObjectItemCaseSensitive(ref, "sequences");
    const cJSON *dataset = cJSON_GetObjectItemCaseSensitive(ref, "dataset");
    CHECK(cJSON_IsArray(seqs) && cJSON_IsObject(dataset));
    if (!cJSON_IsArray(seqs) || !cJSON_IsObject(dataset)) return;
    adn_metrics *m;
    CHECK_OK(adn_metrics_create(&m));
    int n_seq = 0, n_frames = 0;
    const cJSON *sj;
    cJSON_ArrayForEach(sj, seqs) {
        const char *name = cJSON_GetObjectItemCaseSensitive(sj, "name")->valuestring;
        sequence_data d;
        memset(&d, 0, sizeof d);
        if (load_sequence(dir, name, &d)) {
            tu_failures++;
            free_sequence(&d);
            continue;
        }
        int n = d.pred.shape[0], h = d.pred.shape[1], w = d.pred.shape[2];
        size_t plane = (size_t)h * w;
        const cJSON *frames = cJSON_GetObjectItemCaseSensitive(sj, "frames");
        CHECK(cJSON_GetArraySize(frames) == n);
        CHECK(json_num(sj, "n_frames") == n);
        CHECK_OK(adn_metrics_begin_sequence(m, name));
        uint8_t *bmap = malloc(plane);
        CHECK(bmap != NULL);
        for (int k = 0; k < n; k++) {
            adn_frame_metrics fm;
            CHECK_OK(adn_metrics_add_frame(m, d.pred.data + k * plane, d.gt.data + k * plane,
                                           with_heat ? d.heat.data + k * plane : NULL, h, w, &fm));
            const cJSON *fj = cJSON_GetArrayItem(frames, k);
            if (!fj) continue;
            expect_close(name, "J", k, fm.j, json_num(fj, "J"), 1e-9);
            expect_close(name, "F", k, fm.f, json_num(fj, "F"), 1e-9);
            expect_close(name, "F precision", k, fm.precision, json_num(fj, "precision"), 1e-9);
            expect_close(name, "F recall", k, fm.recall, json_num(fj, "recall"), 1e-9);
            CHECK(adn_boundary_tolerance(h, w) == (int)json_num(fj, "tolerance"));
            if (bmap) {
                CHECK(adn_boundary_map(d.pred.data + k * plane, h, w, bmap) ==
                      (size_t)json_num(fj, "boundary_pred"));
                CHECK(adn_boundary_map(d.gt.data + k * plane, h, w, bmap) ==
                      (size_t)json_num(fj, "boundary_gt"));
            }
            n_frames++;
        }
        free(bmap);
        CHECK_OK(adn_metrics_end_sequence(m));
        const adn_sequence_metrics *s = adn_metrics_sequence(m, n_seq);
        CHECK(s && strcmp(s->name, name) == 0 && s->n_frames == n);
        if (s) {
            expect_stats(name, "J", &s->j, cJSON_GetObjectItemCaseSensitive(sj, "J"));
            expect_stats(name, "F", &s->f, cJSON_GetObjectItemCaseSensitive(sj, "F"));
            expect_exact(name, "released IoU", s->released_iou, json_num(sj, "released_iou"));
            CHECK(s->has_saliency == with_heat);
            if (with_heat) {
                const cJSON *sal = cJSON_GetObjectItemCaseSensitive(sj, "saliency");
                expect_close(name, "MAE", -1, s->mae, json_num(sal, "mae"), 1e-12);
                expect_close(name, "F-max", -1, s->fmax, json_num(sal, "fmax"), 1e-12);
            }
        }
        n_seq++;
        free_sequence(&d);
    }
    CHECK(adn_metrics_sequence_count(m) == n_seq);
    adn_dataset_metrics dm;
    CHECK_OK(adn_metrics_dataset(m, &dm));
    CHECK(dm.n_sequences == n_seq);
    expect_stats("dataset", "J", &dm.j, cJSON_GetObjectItemCaseSensitive(dataset, "J"));
    expect_stats("dataset", "F", &dm.f, cJSON_GetObjectItemCaseSensitive(dataset, "F"));
    expect_exact("dataset", "J&F mean", dm.jf_mean, json_num(dataset, "JF_mean"));
    expect_exact("dataset", "released IoU", dm.released_iou, json_num(dataset, "released_iou"));
    CHECK(dm.has_saliency == with_heat);
    if (with_heat) {
        const cJSON *sal = cJSON_GetObjectItemCaseSensitive(dataset, "saliency");
        expect_close("dataset", "MAE", -1, dm.mae, json_num(sal, "mae"), 1e-12);
        expect_close("dataset", "F-max", -1, dm.fmax, json_num(sal, "fmax"), 1e-12);
    } else {
        CHECK(isnan(dm.mae) && isnan(dm.fmax));
    }
    printf("reference, %s heat maps: %d sequences, %d frames; J mean %.6f, F mean %.6f, "
           "J&F %.6f, released IoU %.6f",
           with_heat ? "with" : "without", n_seq, n_frames, dm.j.mean, dm.f.mean, dm.jf_mean,
           dm.released_iou);
    if (with_heat) printf(", MAE %.6f, F-max %.6f", dm.mae, dm.fmax);
    printf("\n");
    adn_metrics_free(m);
}

/* ---- hand-computed cases ----------------------------------------------------------------- */

static void check_by_hand(void) {
    CHECK(adn_boundary_tolerance(480, 854) == 8);
    CHECK(adn_boundary_tolerance(1, 1) == 1);
    CHECK(adn_boundary_tolerance(1080, 1920) == 18); /* 0.008 x 2202.9 = 17.6 */

    /* a 2 x 2 square at rows 1-2, columns 1-2 of a 4 x 5 mask */
    static const uint8_t sq[20] = {0, 0, 0, 0, 0, /**/ 0, 1, 1, 0, 0,
                                   0, 1, 1, 0, 0, /**/ 0, 0, 0, 0, 0};
    /* row 0: (0,0) sees (1,1) diagonally, (0,1) and (0,2) see it below; row 1: (1,0) sees it
     * to its right, (1,1) is inside (no neighbour differs), (1,2) has background to its right;
     * row 2: all of (2,0)-(2,2); the last row compares only sideways (nothing differs) */
    static const uint8_t want[20] = {1, 1, 1, 0, 0, /**/ 1, 0, 1, 0, 0,
                                     1, 1, 1, 0, 0, /**/ 0, 0, 0, 0, 0};
    uint8_t b[20];
    size_t nb = adn_boundary_map(sq, 4, 5, b);
    CHECK(memcmp(b, want, sizeof b) == 0);
    CHECK(nb == 8);

    /* J: 4 pixels against 2 of them plus 1 outside: |and| = 2, |or| = 5 */
    static const uint8_t pr[20] = {0, 0, 0,   0, 0, /**/ 0, 9, 0, 0, 0,
                                   0, 0, 255, 0, 1, /**/ 0, 0, 0, 0, 0};
    CHECK(adn_region_similarity(pr, sq, 20) == 2.0 / 5.0);
    static const uint8_t zero[20];
    CHECK(adn_region_similarity(zero, zero, 20) == 1.0);

    /* F: a full mask has no boundary; against an empty one (no boundary either) F is 1;
     * against the square: P = 1, R = 0, F = 0; the square against itself: 1 */
    static const uint8_t full[6] = {1, 1, 1, 1, 1, 1};
    adn_contour_scratch cs = {0};
    double f, p, r;
    CHECK_OK(adn_contour_accuracy(&cs, full, zero, 2, 3, &f, &p, &r));
    CHECK(f == 1.0 && p == 1.0 && r == 1.0);
    CHECK_OK(adn_contour_accuracy(&cs, zero, sq, 4, 5, &f, &p, &r));
    CHECK(f == 0.0 && p == 1.0 && r == 0.0);
    CHECK_OK(adn_contour_accuracy(&cs, sq, zero, 4, 5, &f, &p, &r));
    CHECK(f == 0.0 && p == 0.0 && r == 1.0);
    CHECK_OK(adn_contour_accuracy(&cs, sq, sq, 4, 5, &f, &p, &r));
    CHECK(f == 1.0);
    /* 20 x 20 (tolerance 1): one pixel at (10,5), one at (10,7). A lone pixel's boundary is
     * itself and its left, upper and upper-left neighbours: {(9,4),(9,5),(10,4),(10,5)}
     * against {(9,6),(9,7),(10,6),(10,7)}; only (9,5)-(9,6) and (10,5)-(10,6) are within 1:
     * P = R = F = 1/2 */
    {
        uint8_t a[400] = {0}, c[400] = {0};
        a[10 * 20 + 5] = 1;
        c[10 * 20 + 7] = 1;
        CHECK_OK(adn_contour_accuracy(&cs, a, c, 20, 20, &f, &p, &r));
        CHECK(p == 0.5 && r == 0.5 && f == 0.5);
    }
    adn_contour_scratch_release(&cs);

    /* statistics: one value; two values (bins {x0}, {x0,x1}, {x1}, {x1}); five values
     * (ids 0,1,2,3,4: bins {x0,x1} ... {x3,x4}) */
    adn_measure_stats st;
    double one[1] = {0.7};
    adn_measure_statistics(one, 1, &st);
    CHECK(st.mean == 0.7 && st.recall == 1.0 && st.decay == 0.0);
    double two[2] = {0.875, 0.25};
    adn_measure_statistics(two, 2, &st);
    CHECK(st.mean == 0.5625 && st.recall == 0.5 && st.decay == 0.625);
    double five[5] = {1.0, 0.5, 0.75, 0.25, 0.0};
    adn_measure_statistics(five, 5, &st);
    CHECK(st.mean == 0.5 && st.recall == 0.4 && st.decay == 0.75 - 0.125);
    adn_measure_statistics(five, 0, &st);
    CHECK(isnan(st.mean) && isnan(st.recall) && isnan(st.decay));

    /* saliency: heat 255, 128, 0, 64 over annotation 1, 0, 1, 0: MAE = (0 + 128 + 255 + 64) /
     * 255 / 4; levels 255: P 1, R 1/2 (F 2/3); 128: 1/2, 1/2; 64: 1/3, 1/2; 0: 1/2, 1 (2/3) */
    adn_saliency_histogram hist;
    memset(&hist, 0, sizeof hist);
    static const uint8_t heat[4] = {255, 128, 0, 64}, ann[4] = {1, 0, 1, 0};
    adn_saliency_accumulate(&hist, heat, ann, 4);
    double mae, fmax;
    adn_saliency_measures(&hist, &mae, &fmax);
    CHECK(fabs(mae - 447.0 / 255.0 / 4.0) < 1e-15);
    CHECK(fabs(fmax - 2.0 / 3.0) < 1e-15);
    memset(&hist, 0, sizeof hist);
    adn_saliency_accumulate(&hist, heat, zero, 4);
    adn_saliency_measures(&hist, &mae, &fmax);
    CHECK(isnan(fmax) && fabs(mae - 447.0 / 255.0 / 4.0) < 1e-15);

    /* the accumulator leaves out the first and last frame, heat maps included: frames 0 and
     * 2 are perfect, frame 1 is all wrong */
    adn_metrics *m;
    CHECK_OK(adn_metrics_create(&m));
    CHECK_OK(adn_metrics_begin_sequence(m, "hand"));
    static const uint8_t g1[2] = {1, 0}, h_ok[2] = {255, 0}, h_bad[2] = {0, 255};
    static const uint8_t p_bad[2] = {0, 1};
    CHECK_OK(adn_metrics_add_frame(m, g1, g1, h_ok, 1, 2, NULL));
    CHECK_OK(adn_metrics_add_frame(m, p_bad, g1, h_bad, 1, 2, NULL));
    CHECK_OK(adn_metrics_add_frame(m, g1, g1, h_ok, 1, 2, NULL));
    CHECK_OK(adn_metrics_end_sequence(m));
    const adn_sequence_metrics *s = adn_metrics_sequence(m, 0);
    CHECK(s->j.mean == 0.0 && s->released_iou == 0.0 && s->mae == 1.0);
    CHECK(s->frames[0].j == 1.0 && s->frames[1].j == 0.0 && s->frames[2].j == 1.0);
    adn_metrics_free(m);
}

/* ---- bad input --------------------------------------------------------------------------- */

static void check_errors(void) {
    static const uint8_t a[4];
    adn_metrics *m;
    CHECK_OK(adn_metrics_create(&m));
    CHECK_FAILS(adn_metrics_add_frame(m, a, a, NULL, 2, 2, NULL), ADNET_ERR_INVALID_ARGUMENT,
                "outside a sequence");
    CHECK_FAILS(adn_metrics_end_sequence(m), ADNET_ERR_INVALID_ARGUMENT, "no sequence");
    adn_dataset_metrics dm;
    CHECK_FAILS(adn_metrics_dataset(m, &dm), ADNET_ERR_INVALID_ARGUMENT, "no sequence");
    CHECK_OK(adn_metrics_begin_sequence(m, "cows"));
    CHECK_FAILS(adn_metrics_begin_sequence(m, "dog"), ADNET_ERR_INVALID_ARGUMENT, "'cows'");
    CHECK_FAILS(adn_metrics_add_frame(m, a, a, NULL, 0, 2, NULL), ADNET_ERR_INVALID_ARGUMENT,
                "bad frame size 0 x 2");
    CHECK_FAILS(adn_metrics_add_frame(m, NULL, a, NULL, 2, 2, NULL), ADNET_ERR_INVALID_ARGUMENT,
                "frame 0");
    CHECK_OK(adn_metrics_add_frame(m, a, a, NULL, 2, 2, NULL));
    CHECK_FAILS(adn_metrics_add_frame(m, a, a, a, 2, 2, NULL), ADNET_ERR_INVALID_ARGUMENT,
                "frame 1 of 'cows' has a heat map");
    CHECK_OK(adn_metrics_add_frame(m, a, a, NULL, 2, 2, NULL));
    CHECK_FAILS(adn_metrics_end_sequence(m), ADNET_ERR_INVALID_ARGUMENT, "'cows' has 2 frame(s)");
    CHECK(adn_metrics_sequence_count(m) == 0);
    /* the failed sequence was dropped: a new one can begin */
    CHECK_OK(adn_metrics_begin_sequence(m, "dog"));
    for (int k = 0; k < 3; k++) CHECK_OK(adn_metrics_add_frame(m, a, a, NULL, 2, 2, NULL));
    CHECK_OK(adn_metrics_end_sequence(m));
    CHECK(adn_metrics_sequence_count(m) == 1);
    CHECK(adn_metrics_sequence(m, 1) == NULL);
    adn_metrics_free(m);
}

/* ---- speed ------------------------------------------------------------------------------- */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void print_speed(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/blobs_480x854.pred.npy", dir);
    npy_u8 pred, gt;
    if (npy_load_u8(path, &pred)) {
        tu_failures++;
        return;
    }
    snprintf(path, sizeof path, "%s/blobs_480x854.gt.npy", dir);
    if (npy_load_u8(path, &gt)) {
        tu_failures++;
        free(pred.data);
        return;
    }
    int h = pred.shape[1], w = pred.shape[2];
    adn_contour_scratch cs = {0};
    double f, j = 0;
    const int reps = 40;
    CHECK_OK(adn_contour_accuracy(&cs, pred.data, gt.data, h, w, &f, NULL, NULL)); /* warm */
    double t0 = now_ms();
    for (int i = 0; i < reps; i++)
        CHECK_OK(adn_contour_accuracy(&cs, pred.data, gt.data, h, w, &f, NULL, NULL));
    double t1 = now_ms();
    for (int i = 0; i < reps; i++) j = adn_region_similarity(pred.data, gt.data, (size_t)h * w);
    double t2 = now_ms();
    printf("speed: F of one %d x %d frame pair %.2f ms (F = %.4f), J %.3f ms (J = %.4f)\n", h, w,
           (t1 - t0) / reps, f, (t2 - t1) / reps, j);
    adn_contour_scratch_release(&cs);
    free(pred.data);
    free(gt.data);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_metrics DATA_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    check_by_hand();
    check_errors();

    char path[4096];
    snprintf(path, sizeof path, "%s/reference.json", dir);
    unsigned char *text;
    size_t size;
    if (adn_read_file(path, &text, &size) != ADNET_OK) {
        fprintf(stderr, "%s\n", adnet_last_error());
        return 1;
    }
    cJSON *ref = cJSON_Parse((const char *)text);
    free(text);
    if (!ref) {
        fprintf(stderr, "%s: not valid JSON\n", path);
        return 1;
    }
    check_against_reference(dir, ref, 1);
    check_against_reference(dir, ref, 0);
    printf("largest per-frame difference from the reference: %.3g\n", worst_frame_diff);
    cJSON_Delete(ref);
    print_speed(dir);
    return tu_finish("test_metrics");
}
