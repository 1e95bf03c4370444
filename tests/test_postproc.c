/* The released loop's post-processing (host/video/postproc.c) and its parts (video/morphology.c,
 * video/contours.c) against OpenCV, through the cases gen_postproc_cases.py writes:
 * - morphology: erosion, dilation and opening with squares of 15, 31 and 101 (and 1 to 4) on
 *   random binary images down to 1 x 1, equal to cv2's on every pixel, also in place;
 * - contours: every external contour's points (so their order and the tracing), box and area
 *   equal to cv2.findContours / cv2.boundingRect / cv2.contourArea, and the largest contour
 *   chosen as np.argmax chooses it;
 * - sequences: instance pruning, the temporal step and the threshold on logit sequences built
 *   to take every branch, against postproc_ref.py (cv2): every final mask pixel equal, and
 *   each frame's branch, box and counts equal;
 * plus hand-computed border cases, bad input, and the times of a 101 x 101 dilation and of one
 * whole post-processing step at 480 x 854 (printed, not asserted).
 *
 * Usage: test_postproc DATA_DIR */
#include "test_util.h"

#include "contours.h"
#include "files.h"
#include "morphology.h"
#include "npy.h"
#include "postproc.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

/* Formats a path into buf (4096 bytes); a path that does not fit ends the test. */
static void path_of(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, 4096, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= 4096) {
        fprintf(stderr, "path too long\n");
        exit(1);
    }
}

/* ---- uint8 .npy arrays (adn_npy_read_f32 reads float32 only) ------------------------------ */

typedef struct npy_u8 {
    unsigned char *file; /* the whole file; data points into it */
    const uint8_t *data;
    int ndim;
    size_t shape[3];
} npy_u8;

/* Reads a C-order uint8 array of rank 2 or 3; prints why not and returns -1 otherwise. */
static int load_u8(const char *path, npy_u8 *out) {
    memset(out, 0, sizeof *out);
    size_t size;
    if (adn_read_file(path, &out->file, &size) != ADNET_OK) {
        fprintf(stderr, "%s\n", adnet_last_error());
        return -1;
    }
    const unsigned char *b = out->file;
    size_t header_len = 0, offset = 10;
    char header[1024];
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0 || b[6] != 1) goto bad;
    header_len = (size_t)b[8] | (size_t)b[9] << 8;
    if (offset + header_len > size || header_len >= sizeof header) goto bad;
    memcpy(header, b + offset, header_len);
    header[header_len] = '\0';
    if (!strstr(header, "'descr': '|u1'") || !strstr(header, "'fortran_order': False")) goto bad;
    const char *s = strstr(header, "'shape': (");
    if (!s) goto bad;
    s += strlen("'shape': (");
    size_t n = 1;
    while (out->ndim < 3) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s) break;
        out->shape[out->ndim++] = (size_t)v;
        n *= (size_t)v;
        s = end;
        while (*s == ',' || *s == ' ') s++;
    }
    if (out->ndim < 2 || *s != ')' || offset + header_len + n != size) goto bad;
    out->data = b + offset + header_len;
    return 0;
bad:
    fprintf(stderr, "%s: not a C-order uint8 .npy array of rank 2 or 3\n", path);
    free(out->file);
    out->file = NULL;
    return -1;
}

static float *load_f32(const char *path, int want_ndim, size_t shape[ADN_NPY_MAX_DIMS]) {
    float *data;
    int ndim;
    if (adn_npy_read_f32(path, &data, &ndim, shape) != ADNET_OK) {
        fprintf(stderr, "%s\n", adnet_last_error());
        return NULL;
    }
    if (ndim != want_ndim) {
        fprintf(stderr, "%s: rank %d, expected %d\n", path, ndim, want_ndim);
        free(data);
        return NULL;
    }
    return data;
}

static size_t count_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += (a[i] != 0) != (b[i] != 0);
    return d;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- hand-computed cases ------------------------------------------------------------------ */

static void check_by_hand(void) {
    /* a 1 x 1 foreground image survives any erosion: the outside never wins */
    uint8_t one = 1, zero = 0, out = 7;
    CHECK_OK(adn_erode_square(&one, &out, 1, 1, 101));
    CHECK(out == 1);
    CHECK_OK(adn_dilate_square(&zero, &out, 1, 1, 101));
    CHECK(out == 0);
    /* a 2-row strip along the top edge of a 5 x 6 image: erosion with 3 x 3 keeps row 0 (rows
     * -1 and 0..1 are all foreground), loses row 1; the opening gives the strip back */
    uint8_t img[30] = {0}, er[30], op[30];
    for (int x = 0; x < 6; x++) img[x] = img[6 + x] = 1;
    CHECK_OK(adn_erode_square(img, er, 6, 5, 3));
    for (int i = 0; i < 30; i++) CHECK(er[i] == (i < 6));
    CHECK_OK(adn_open_square(img, op, 6, 5, 3));
    for (int i = 0; i < 30; i++) CHECK(op[i] == (i < 12));
    /* even kernel: anchor 2 of 4, so pixel x covers x - 2 .. x + 1 */
    uint8_t row[8] = {0, 0, 0, 0, 0, 1, 0, 0}, dil[8];
    CHECK_OK(adn_dilate_square(row, dil, 8, 1, 4));
    const uint8_t want[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    CHECK(memcmp(dil, want, 8) == 0);

    /* contours: a 3 x 3 square and a pixel; OpenCV lists the later start first */
    uint8_t m[5 * 6] = {0};
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) m[y * 6 + x] = 1;
    m[4 * 6 + 5] = 1;
    adn_contours cs;
    CHECK_OK(adn_find_external_contours(m, 6, 5, 1, &cs));
    CHECK(cs.count == 2);
    if (cs.count == 2) {
        CHECK(cs.items[0].x == 5 && cs.items[0].y == 4 && cs.items[0].twice_area == 0);
        CHECK(cs.items[0].n_points == 1);
        const adn_contour *c = &cs.items[1];
        CHECK(c->x == 0 && c->y == 0 && c->width == 3 && c->height == 3);
        CHECK(c->twice_area == 8 && adn_contour_area(c) == 4.0 && c->n_points == 8);
        /* from the top-left pixel down the left side */
        CHECK(cs.points[2 * c->first_point] == 0 && cs.points[2 * c->first_point + 1] == 0);
        CHECK(cs.points[2 * c->first_point + 2] == 0 && cs.points[2 * c->first_point + 3] == 1);
        CHECK(adn_largest_contour(&cs) == 1);
    }
    adn_contours_free(&cs);
}

/* ---- morphology ----------------------------------------------------------------------------- */

static void check_morphology(const char *dir) {
    char path[4096], line[512];
    path_of(path, "%s/cases.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        tu_failures++;
        return;
    }
    size_t n_cases = 0, n_results = 0, n_pixels = 0, n_diff = 0;
    while (fgets(line, sizeof line, f)) {
        char name[256];
        int h, w, used, ks[16], nk = 0;
        if (sscanf(line, "%255s %d %d%n", name, &h, &w, &used) != 3) continue;
        const char *p = line + used;
        int k, more;
        while (nk < 16 && sscanf(p, "%d%n", &k, &more) == 1) {
            ks[nk++] = k;
            p += more;
        }
        path_of(path, "%s/%s.npy", dir, name);
        npy_u8 a;
        if (load_u8(path, &a) != 0) {
            tu_failures++;
            continue;
        }
        size_t n = (size_t)h * w;
        CHECK(a.ndim == 3 && a.shape[0] == (size_t)(1 + 3 * nk) && a.shape[1] == (size_t)h &&
              a.shape[2] == (size_t)w);
        uint8_t *got = malloc(n);
        for (int j = 0; j < nk; j++) {
            for (int op = 0; op < 3; op++) {
                const uint8_t *want = a.data + (size_t)(1 + 3 * j + op) * n;
                /* odd kernels in place (dst == src), the others into another buffer */
                if (ks[j] % 2) memcpy(got, a.data, n);
                const uint8_t *src = ks[j] % 2 ? got : a.data;
                adnet_status st = op == 0   ? adn_erode_square(src, got, w, h, ks[j])
                                  : op == 1 ? adn_dilate_square(src, got, w, h, ks[j])
                                            : adn_open_square(src, got, w, h, ks[j]);
                CHECK(st == ADNET_OK);
                size_t d = count_diff(got, want, n);
                int values_ok = 1;
                for (size_t i = 0; i < n; i++) values_ok &= got[i] <= 1;
                CHECK(values_ok);
                if (d) {
                    fprintf(stderr, "morphology %s %s %d: %zu of %zu pixels differ\n", name,
                            op == 0   ? "erode"
                            : op == 1 ? "dilate"
                                      : "open",
                            ks[j], d, n);
                    tu_failures++;
                }
                n_results++;
                n_pixels += n;
                n_diff += d;
            }
        }
        free(got);
        free(a.file);
        n_cases++;
    }
    fclose(f);
    CHECK(n_cases >= 20);
    printf("morphology: %zu images, %zu results, %zu pixels compared with cv2, %zu differ\n",
           n_cases, n_results, n_pixels, n_diff);
}

/* ---- contours ------------------------------------------------------------------------------- */

static void check_contours(const char *dir) {
    char path[4096], line[512];
    path_of(path, "%s/cases.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        tu_failures++;
        return;
    }
    size_t n_cases = 0, n_contours = 0, n_points = 0, n_bad = 0, n_ties = 0;
    while (fgets(line, sizeof line, f)) {
        char name[256];
        int h, w;
        if (sscanf(line, "%255s %d %d", name, &h, &w) != 3) continue;
        npy_u8 img;
        size_t tshape[ADN_NPY_MAX_DIMS], pshape[ADN_NPY_MAX_DIMS];
        path_of(path, "%s/%s.img.npy", dir, name);
        if (load_u8(path, &img) != 0) {
            tu_failures++;
            continue;
        }
        path_of(path, "%s/%s.table.npy", dir, name);
        float *table = load_f32(path, 2, tshape);
        path_of(path, "%s/%s.points.npy", dir, name);
        float *pts = load_f32(path, 2, pshape);
        adn_contours cs;
        if (!table || !pts || adn_find_external_contours(img.data, w, h, 1, &cs) != ADNET_OK) {
            fprintf(stderr, "contours %s: could not run\n", name);
            tu_failures++;
            free(table);
            free(pts);
            free(img.file);
            continue;
        }
        size_t want_count = (size_t)table[0], want_points = (size_t)table[1];
        int ok =
            cs.count == want_count && cs.n_points == want_points && tshape[0] == want_count + 1;
        ptrdiff_t want_best = -1;
        for (size_t i = 0; ok && i < cs.count; i++) {
            const float *r = table + 7 * (i + 1);
            const adn_contour *c = &cs.items[i];
            ok = c->x == (int)r[0] && c->y == (int)r[1] && c->width == (int)r[2] &&
                 c->height == (int)r[3] && (float)c->twice_area == r[4] &&
                 c->n_points == (size_t)r[5];
            for (size_t k = 0; ok && k < c->n_points; k++) {
                size_t at = c->first_point + k, want_at = (size_t)r[6] + k;
                ok = cs.points[2 * at] == (int)pts[2 * want_at] &&
                     cs.points[2 * at + 1] == (int)pts[2 * want_at + 1];
            }
            /* np.argmax: the first of the largest */
            if (want_best < 0 || r[4] > table[7 * (want_best + 1) + 4]) want_best = (ptrdiff_t)i;
        }
        for (size_t i = 0; ok && i < cs.count; i++)
            n_ties += (ptrdiff_t)i != want_best && want_best >= 0 &&
                      table[7 * (i + 1) + 4] == table[7 * (want_best + 1) + 4];
        if (ok) ok = adn_largest_contour(&cs) == want_best;
        if (!ok) {
            fprintf(stderr,
                    "contours %s: differ from cv2 (%zu contours, %zu points; cv2 %zu, %zu)\n", name,
                    cs.count, cs.n_points, want_count, want_points);
            tu_failures++;
            n_bad++;
        }
        n_cases++;
        n_contours += want_count;
        n_points += want_points;
        adn_contours_free(&cs);
        free(table);
        free(pts);
        free(img.file);
    }
    fclose(f);
    CHECK(n_cases >= 30);
    printf("contours: %zu images, %zu contours, %zu points compared with cv2 (order, points, "
           "boxes, areas, argmax; %zu contours tie with the largest), %zu images differ\n",
           n_cases, n_contours, n_points, n_ties, n_bad);
}

/* ---- sequences ------------------------------------------------------------------------------ */

static const char *OUTCOME_NAMES[] = {"not run",       "count outside", "one contour",
                                      "small contour", "low IoU",       "box applied"};

typedef struct seq_stats {
    size_t cases, frames, pixels, diff, frames_bad;
    int outcomes[6], temporal[2];
} seq_stats;

static void check_sequence(const char *dir, const char *name, int n, int h, int w, int prune,
                           seq_stats *st) {
    char path[4096];
    size_t ls[ADN_NPY_MAX_DIMS], hs[ADN_NPY_MAX_DIMS], ts[ADN_NPY_MAX_DIMS];
    npy_u8 pm, ex;
    path_of(path, "%s/%s.logits.npy", dir, name);
    float *logits = load_f32(path, 3, ls);
    path_of(path, "%s/%s.has_prune.npy", dir, name);
    float *has = load_f32(path, 1, hs);
    path_of(path, "%s/%s.trace.npy", dir, name);
    float *trace = load_f32(path, 2, ts);
    path_of(path, "%s/%s.prune.npy", dir, name);
    int pm_ok = load_u8(path, &pm) == 0;
    path_of(path, "%s/%s.expected.npy", dir, name);
    int ex_ok = load_u8(path, &ex) == 0;
    size_t fn = (size_t)h * w;
    if (!logits || !has || !trace || !pm_ok || !ex_ok || ls[0] != (size_t)n || ls[1] != (size_t)h ||
        ls[2] != (size_t)w || ts[1] != 8 || ex.shape[0] != (size_t)n || pm.shape[0] != (size_t)n) {
        fprintf(stderr, "sequence %s: missing or malformed files\n", name);
        tu_failures++;
        goto done;
    }
    adn_pruning p;
    adn_temporal t;
    adn_pruning_init(&p);
    adn_temporal_init(&t);
    float *frame = malloc(fn * sizeof *frame);
    uint8_t *mask = malloc(fn);
    size_t case_diff = 0;
    for (int k = 0; k < n; k++) {
        const float *tr = trace + 8 * k;
        memcpy(frame, logits + k * fn, fn * sizeof *frame);
        int frame_ok = 1;
        if (prune) {
            const uint8_t *cut = has[k] != 0.0f ? pm.data + k * fn : NULL;
            CHECK_OK(adn_pruning_apply(&p, frame, cut, w, h));
            frame_ok &= (int)p.outcome == (int)tr[0];
            if (tr[0] >= ADN_PRUNE_SMALL_CONTOUR)
                frame_ok &= p.box_x == (int)tr[1] && p.box_y == (int)tr[2] &&
                            p.box_w == (int)tr[3] && p.box_h == (int)tr[4];
        }
        frame_ok &= t.n_last == (size_t)tr[7];
        CHECK_OK(adn_temporal_apply(&t, frame, w, h));
        frame_ok &= t.applied == (int)tr[5];
        adn_threshold(frame, fn, 0.5f, mask);
        size_t d = count_diff(mask, ex.data + k * fn, fn);
        if (d || !frame_ok) {
            fprintf(stderr,
                    "sequence %s frame %d: %zu pixels differ; pruning %s box %d %d %d %d "
                    "(cv2: %s box %d %d %d %d), temporal %d n_last %zu (cv2: %d, %d)\n",
                    name, k, d, OUTCOME_NAMES[p.outcome], p.box_x, p.box_y, p.box_w, p.box_h,
                    OUTCOME_NAMES[(int)tr[0]], (int)tr[1], (int)tr[2], (int)tr[3], (int)tr[4],
                    t.applied, t.n_last, (int)tr[5], (int)tr[7]);
            tu_failures++;
            st->frames_bad++;
        }
        st->outcomes[(int)tr[0]]++;
        st->temporal[(int)tr[5]]++;
        case_diff += d;
        st->pixels += fn;
        st->frames++;
    }
    printf("  %-16s %2d frames %4d x %-4d: %zu pixels differ\n", name, n, w, h, case_diff);
    st->diff += case_diff;
    st->cases++;
    free(frame);
    free(mask);
    adn_pruning_free(&p);
    adn_temporal_free(&t);
done:
    free(logits);
    free(has);
    free(trace);
    if (pm_ok) free(pm.file);
    if (ex_ok) free(ex.file);
}

static void check_sequences(const char *dir) {
    char path[4096], line[512];
    path_of(path, "%s/cases.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        tu_failures++;
        return;
    }
    seq_stats st;
    memset(&st, 0, sizeof st);
    printf("sequences (pruning when on, temporal step, threshold) against postproc_ref.py:\n");
    while (fgets(line, sizeof line, f)) {
        char name[256];
        int n, h, w, prune;
        if (sscanf(line, "%255s %d %d %d %d", name, &n, &h, &w, &prune) != 5) continue;
        check_sequence(dir, name, n, h, w, prune, &st);
    }
    fclose(f);
    CHECK(st.cases >= 10);
    for (int o = 1; o < 6; o++) CHECK(st.outcomes[o] > 0);
    CHECK(st.temporal[0] > 0 && st.temporal[1] > 0);
    printf("sequences: %zu cases, %zu frames, %zu mask pixels, %zu differ; %zu frames with a "
           "different branch or mask\n",
           st.cases, st.frames, st.pixels, st.diff, st.frames_bad);
    printf("  pruning branches:");
    for (int o = 0; o < 6; o++)
        printf(" %s %d%s", OUTCOME_NAMES[o], st.outcomes[o], o < 5 ? "," : "");
    printf("; temporal applied on %d frames, not on %d\n", st.temporal[1], st.temporal[0]);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void check_errors(void) {
    uint8_t m[4] = {1, 0, 1, 1}, out[4];
    CHECK_FAILS(adn_dilate_square(m, out, 0, 2, 3), ADNET_ERR_INVALID_ARGUMENT, "size");
    CHECK_FAILS(adn_erode_square(m, out, 2, 2, 0), ADNET_ERR_INVALID_ARGUMENT, "kernel");
    adn_contours cs;
    CHECK_FAILS(adn_find_external_contours(m, 2, -1, 0, &cs), ADNET_ERR_INVALID_ARGUMENT, "size");
    CHECK(cs.count == 0 && cs.items == NULL);

    /* a frame of another size within a video: an error, and nothing changes */
    adn_temporal t;
    adn_temporal_init(&t);
    float a[6] = {1, 2, 0, 0, 3, -1}, b[6];
    CHECK_OK(adn_temporal_apply(&t, a, 3, 2));
    CHECK(t.n_last == 3 && !t.applied);
    memcpy(b, a, sizeof b);
    CHECK_FAILS(adn_temporal_apply(&t, b, 2, 3), ADNET_ERR_INVALID_ARGUMENT, "3 x 2 to 2 x 3");
    CHECK(memcmp(a, b, sizeof a) == 0 && t.n_last == 3 && t.width == 3);
    CHECK_FAILS(adn_temporal_apply(&t, b, 0, 3), ADNET_ERR_INVALID_ARGUMENT, "frame size");
    adn_temporal_free(&t);
    CHECK(t.last == NULL && t.n_last == 0 && t.threshold == 0.5f);

    adn_pruning p;
    adn_pruning_init(&p);
    uint8_t cut[6] = {0, 1, 1, 1, 0, 1};
    CHECK_OK(adn_pruning_apply(&p, a, cut, 3, 2));
    /* the pruning mask multiplies; a count this small leaves the box logic out */
    CHECK(a[0] == 0.0f && a[1] == 2.0f && a[4] == 0.0f && p.outcome == ADN_PRUNE_COUNT_OUTSIDE);
    CHECK(p.has_prev && p.prev[0] == 0 && p.prev[1] == 1 && p.prev[4] == 0);
    memcpy(b, a, sizeof b);
    CHECK_FAILS(adn_pruning_apply(&p, b, NULL, 6, 1), ADNET_ERR_INVALID_ARGUMENT, "changed");
    CHECK(memcmp(a, b, sizeof a) == 0);
    adn_pruning_free(&p);

    /* another threshold counts and masks with it */
    adn_temporal_init(&t);
    t.threshold = 1.5f;
    float c[6] = {1, 2, 0, 0, 3, -1};
    CHECK_OK(adn_temporal_apply(&t, c, 3, 2));
    CHECK(t.n_last == 2);
    adn_temporal_free(&t);
}

/* ---- speed ---------------------------------------------------------------------------------- */

static void print_speed(const char *seq_dir) {
    const int w = 854, h = 480;
    size_t n = (size_t)w * h;
    uint8_t *img = malloc(n), *out = malloc(n);
    tu_rng r = tu_rng_seed(5);
    for (size_t i = 0; i < n; i++) img[i] = tu_uniform(&r, 0, 1) < 0.001f;
    int reps = 20;
    double t0 = now_s();
    for (int i = 0; i < reps; i++) CHECK_OK(adn_dilate_square(img, out, w, h, 101));
    double t_dil = (now_s() - t0) / reps;
    printf("speed: 101 x 101 dilation at %d x %d: %.2f ms\n", w, h, t_dil * 1e3);
    free(img);
    free(out);

    /* one step on the drifting sequence's frames, with pruning's box logic and the temporal
     * multiplication both taken */
    char path[4096];
    size_t ls[ADN_NPY_MAX_DIMS];
    path_of(path, "%s/natural.logits.npy", seq_dir);
    float *logits = load_f32(path, 3, ls);
    if (!logits || ls[1] != (size_t)h || ls[2] != (size_t)w) {
        free(logits);
        return;
    }
    float *frame = malloc(n * sizeof *frame);
    adn_pruning p;
    adn_temporal t;
    adn_pruning_init(&p);
    adn_temporal_init(&t);
    double total = 0;
    int steps = 0, both = 0;
    for (size_t k = 0; k < ls[0]; k++) {
        memcpy(frame, logits + k * n, n * sizeof *frame);
        uint8_t *mask = malloc(n);
        t0 = now_s();
        CHECK_OK(adn_pruning_apply(&p, frame, NULL, w, h));
        CHECK_OK(adn_temporal_apply(&t, frame, w, h));
        adn_threshold(frame, n, 0.5f, mask);
        double dt = now_s() - t0;
        if (k > 0) {
            total += dt;
            steps++;
            both += p.outcome > ADN_PRUNE_COUNT_OUTSIDE && t.applied;
        }
        free(mask);
    }
    printf("speed: one post-processing step (pruning, temporal, threshold) at %d x %d: %.2f ms "
           "(mean of %d frames, %d with the box logic and the temporal mask)\n",
           w, h, total / steps * 1e3, steps, both);
    adn_pruning_free(&p);
    adn_temporal_free(&t);
    free(frame);
    free(logits);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_postproc DATA_DIR\n");
        return 2;
    }
    char path[4096];
    check_by_hand();
    check_errors();
    path_of(path, "%s/morph", argv[1]);
    check_morphology(path);
    path_of(path, "%s/contours", argv[1]);
    check_contours(path);
    path_of(path, "%s/seq", argv[1]);
    check_sequences(path);
    print_speed(path);
    return tu_finish("test_postproc");
}
