#include "metrics.h"

#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Sums in NumPy's order --------------------------------------------------------------- */

/* NumPy sums float64 arrays pairwise: below 8 values one after the other; up to 128 values in
 * 8 interleaved partial sums combined as ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)), the leftover
 * tail added after; above that, the array is split at half its length rounded down to a
 * multiple of 8 and the halves are summed the same way. The benchmark's np.mean and
 * np.nanmean are that sum divided by the count; summing in the same order gives the same
 * bits. */
static double numpy_sum(const double *a, size_t n) {
    if (n < 8) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) s += a[i];
        return s;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++) r[j] = a[j];
        size_t i;
        for (i = 8; i < n - n % 8; i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) s += a[i];
        return s;
    }
    size_t half = n / 2;
    half -= half % 8;
    return numpy_sum(a, half) + numpy_sum(a + half, n - half);
}

static double numpy_mean(const double *a, size_t n) {
    return n ? numpy_sum(a, n) / (double)n : NAN;
}

/* ---- One frame --------------------------------------------------------------------------- */

/* Masks are compared 8 bytes at a time and, for contour accuracy, packed one bit per pixel
 * (64 pixels per word, bit i of word j is column 64 j + i): a 480 x 854 frame is then 480 x 14
 * words, and the boundary maps, the disk dilations and the counts are a few word operations
 * per 64 pixels. */

#define ONES8 0x0101010101010101ull

static inline uint64_t load8(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* 0x01 in every byte of v that is non-zero, 0x00 in the others. */
static inline uint64_t nonzero_bytes(uint64_t v) {
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    return ((((v & low7) + low7) | v) >> 7) & ONES8;
}

/* The sum of the bytes of a word whose bytes are 0 or 1. */
static inline unsigned byte_sum01(uint64_t v) {
    return (unsigned)((v * ONES8) >> 56);
}

static inline unsigned popcount64(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * ONES8) >> 56);
}

int adn_boundary_tolerance(int h, int w) {
    /* As the benchmark computes it: ceil(0.008 * np.linalg.norm((h, w))), where the norm is
     * the square root of the exact sum of squares. */
    return (int)ceil(0.008 * sqrt((double)h * h + (double)w * w));
}

/* The definition, one byte at a time (contour accuracy computes the same map on bits). */
size_t adn_boundary_map(const uint8_t *mask, int h, int w, uint8_t *bmap) {
    size_t count = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = mask + (size_t)y * w;
        uint8_t *out = bmap + (size_t)y * w;
        if (y + 1 < h) {
            const uint8_t *below = row + w;
            for (int x = 0; x + 1 < w; x++) {
                int a = row[x] != 0;
                uint8_t b = (uint8_t)((a != (row[x + 1] != 0)) | (a != (below[x] != 0)) |
                                      (a != (below[x + 1] != 0)));
                out[x] = b;
                count += b;
            }
            out[w - 1] = (uint8_t)((row[w - 1] != 0) != (below[w - 1] != 0));
            count += out[w - 1];
        } else {
            for (int x = 0; x + 1 < w; x++) {
                out[x] = (uint8_t)((row[x] != 0) != (row[x + 1] != 0));
                count += out[x];
            }
            out[w - 1] = 0;
        }
    }
    return count;
}

double adn_region_similarity(const uint8_t *pred, const uint8_t *gt, size_t n) {
    size_t inter = 0, uni = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t p = nonzero_bytes(load8(pred + i)), g = nonzero_bytes(load8(gt + i));
        inter += byte_sum01(p & g);
        uni += byte_sum01(p | g);
    }
    for (; i < n; i++) {
        int p = pred[i] != 0, g = gt[i] != 0;
        inter += (size_t)(p & g);
        uni += (size_t)(p | g);
    }
    if (uni == 0) return 1.0;
    /* The benchmark sums the union as float32 (exact below 2^24 pixels) and divides in
     * float64; rounding the union the same way keeps larger images identical too. */
    return (double)inter / (double)(float)uni;
}

void adn_contour_scratch_release(adn_contour_scratch *s) {
    free(s->words);
    memset(s, 0, sizeof *s);
}

/* Packs a row of w mask bytes into bits (non-zero -> 1); bits past w stay 0. */
static void pack_row(const uint8_t *m, int w, int words, uint64_t *out) {
    for (int j = 0; j < words; j++) {
        int x0 = 64 * j, x = x0, end = w < x0 + 64 ? w : x0 + 64;
        uint64_t word = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* byte k of a little-endian load is bit 8k of nonzero_bytes(); the multiplication
         * gathers those 8 bits, in order, into the top byte */
        for (; x + 8 <= end; x += 8)
            word |= ((nonzero_bytes(load8(m + x)) * 0x0102040810204080ull) >> 56) << (x - x0);
#endif
        for (; x < end; x++) word |= (uint64_t)(m[x] != 0) << (x - x0);
        out[j] = word;
    }
}

/* The benchmark's boundary map on bits (see adn_boundary_map), row by row from the packed
 * mask; returns the number of boundary pixels. */
static size_t boundary_bits(const uint64_t *mask, int h, int w, int words, uint64_t *bmap) {
    size_t count = 0;
    const int last_word = (w - 1) / 64;
    const uint64_t last_bit = 1ull << ((w - 1) % 64);
    for (int y = 0; y < h; y++) {
        const uint64_t *a = mask + (size_t)y * words;
        const uint64_t *l = y + 1 < h ? a + words : NULL; /* the row below */
        uint64_t *b = bmap + (size_t)y * words;
        for (int j = 0; j < words; j++) {
            uint64_t a_next = j + 1 < words ? a[j + 1] : 0;
            uint64_t v = a[j] ^ ((a[j] >> 1) | (a_next << 63)); /* right neighbour */
            if (l) {
                uint64_t l_next = j + 1 < words ? l[j + 1] : 0;
                v |= (a[j] ^ l[j]) | (a[j] ^ ((l[j] >> 1) | (l_next << 63)));
            }
            b[j] = v;
        }
        /* the last column looks only down, and in the last row not at all */
        b[last_word] &= ~last_bit;
        if (l) b[last_word] |= (a[last_word] ^ l[last_word]) & last_bit;
        for (int j = 0; j < words; j++) count += popcount64(b[j]);
    }
    return count;
}

/* Dilates every row by one pixel to the left and to the right. Bits that move past the last
 * column land in the row's padding, where no query bit is ever set. */
static void dilate_rows_by_one(uint64_t *plane, int h, int words) {
    for (int y = 0; y < h; y++) {
        uint64_t *row = plane + (size_t)y * words, prev = 0;
        for (int j = 0; j < words; j++) {
            uint64_t cur = row[j], next = j + 1 < words ? row[j + 1] : 0;
            row[j] = cur | (cur << 1) | (prev >> 63) | (cur >> 1) | (next << 63);
            prev = cur;
        }
    }
}

/* out = bmap dilated with skimage's disk(r): the offsets with dx^2 + dy^2 <= r^2. The disk is
 * the union over dy of the row segments |dx| <= k(dy), k(dy) = the largest k with
 * k^2 + dy^2 <= r^2, so the dilation is the union over dy of the rows dilated horizontally by
 * k(dy) and moved by dy. Going from dy = r (k = 0) to dy = 0 (k = r), k only grows: one
 * working plane is widened step by step and OR-ed in at +dy and -dy. Exact, and
 * O(h * w * r / 64) word operations. */
static void dilate_disk(const uint64_t *bmap, int h, int words, int r, uint64_t *work,
                        uint64_t *out) {
    size_t plane = (size_t)h * words;
    memcpy(work, bmap, plane * sizeof *work);
    memset(out, 0, plane * sizeof *out);
    int k = 0;
    for (int dy = r; dy >= 0; dy--) {
        while ((int64_t)(k + 1) * (k + 1) + (int64_t)dy * dy <= (int64_t)r * r) {
            dilate_rows_by_one(work, h, words);
            k++;
        }
        for (int y = 0; y < h; y++) {
            uint64_t *o = out + (size_t)y * words;
            if (y + dy < h) {
                const uint64_t *src = work + (size_t)(y + dy) * words;
                for (int j = 0; j < words; j++) o[j] |= src[j];
            }
            if (dy > 0 && y - dy >= 0) {
                const uint64_t *src = work + (size_t)(y - dy) * words;
                for (int j = 0; j < words; j++) o[j] |= src[j];
            }
        }
    }
}

/* Number of set bits of a that are also set in b. */
static size_t count_and(const uint64_t *a, const uint64_t *b, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += popcount64(a[i] & b[i]);
    return count;
}

static adnet_status check_frame(const char *what, const void *pred, const void *gt, int h, int w) {
    if (!pred || !gt) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: NULL mask", what);
    if (h <= 0 || w <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: bad frame size %d x %d (h x w)", what, h,
                        w);
    if ((uint64_t)h * (uint64_t)w > SIZE_MAX / 8)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "%s: frame %d x %d (h x w) is too large", what,
                        h, w);
    return ADNET_OK;
}

adnet_status adn_contour_accuracy(adn_contour_scratch *s, const uint8_t *pred, const uint8_t *gt,
                                  int h, int w, double *f, double *precision, double *recall) {
    ADN_TRY(check_frame("contour accuracy", pred, gt, h, w));
    int words = (w + 63) / 64;
    size_t plane = (size_t)h * words;
    /* five bit planes: a packed mask, the two boundary maps, a working plane, a dilation */
    if (s->capacity < 5 * plane) {
        adn_contour_scratch_release(s);
        s->words = malloc(5 * plane * sizeof *s->words);
        if (!s->words)
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY,
                            "contour accuracy: out of memory for a %d x %d frame", h, w);
        s->capacity = 5 * plane;
    }
    uint64_t *packed = s->words, *bmap_pred = packed + plane, *bmap_gt = bmap_pred + plane;
    uint64_t *work = bmap_gt + plane, *near = work + plane;
    for (int y = 0; y < h; y++)
        pack_row(pred + (size_t)y * w, w, words, packed + (size_t)y * words);
    size_t n_pred = boundary_bits(packed, h, w, words, bmap_pred);
    for (int y = 0; y < h; y++) pack_row(gt + (size_t)y * w, w, words, packed + (size_t)y * words);
    size_t n_gt = boundary_bits(packed, h, w, words, bmap_gt);
    double p, q; /* precision, recall */
    if (n_pred == 0 && n_gt > 0) {
        p = 1.0, q = 0.0;
    } else if (n_pred > 0 && n_gt == 0) {
        p = 0.0, q = 1.0;
    } else if (n_pred == 0 && n_gt == 0) {
        p = 1.0, q = 1.0;
    } else {
        int r = adn_boundary_tolerance(h, w);
        dilate_disk(bmap_gt, h, words, r, work, near);
        p = (double)count_and(bmap_pred, near, plane) / (double)n_pred;
        dilate_disk(bmap_pred, h, words, r, work, near);
        q = (double)count_and(bmap_gt, near, plane) / (double)n_gt;
    }
    /* same operations in the same order as the benchmark: 2 * P * R / (P + R) */
    double fm = p + q == 0.0 ? 0.0 : 2.0 * p * q / (p + q);
    if (f) *f = fm;
    if (precision) *precision = p;
    if (recall) *recall = q;
    return ADNET_OK;
}

adnet_status adn_frame_metrics_compute(adn_contour_scratch *s, const uint8_t *pred,
                                       const uint8_t *gt, int h, int w, adn_frame_metrics *out) {
    ADN_TRY(check_frame("frame metrics", pred, gt, h, w));
    adn_frame_metrics fm;
    fm.j = adn_region_similarity(pred, gt, (size_t)h * w);
    ADN_TRY(adn_contour_accuracy(s, pred, gt, h, w, &fm.f, &fm.precision, &fm.recall));
    *out = fm;
    return ADNET_OK;
}

/* ---- Statistics -------------------------------------------------------------------------- */

void adn_measure_statistics(const double *x, size_t n, adn_measure_stats *out) {
    if (n == 0) {
        out->mean = out->recall = out->decay = NAN;
        return;
    }
    out->mean = numpy_mean(x, n);
    size_t above = 0;
    for (size_t i = 0; i < n; i++) above += x[i] > 0.5;
    out->recall = (double)above / (double)n;
    /* The benchmark: ids = round(linspace(1, n, 5) + 1e-10) - 1. The linspace points
     * 1 + i (n - 1) / 4 are exact quarters and the 1e-10 turns NumPy's round-half-to-even
     * into round-half-up, so ids[i] = floor(i (n - 1) / 4 + 1/2) exactly. (The benchmark then
     * casts ids to uint8, which wraps beyond 256 kept frames; every DAVIS sequence is far
     * shorter, and here the indices do not wrap.) */
    size_t ids[5];
    for (size_t i = 0; i < 5; i++) ids[i] = (i * (n - 1) + 2) / 4;
    double first = numpy_mean(x + ids[0], ids[1] + 1 - ids[0]);
    double last = numpy_mean(x + ids[3], ids[4] + 1 - ids[3]);
    out->decay = first - last;
}

/* ---- Saliency ---------------------------------------------------------------------------- */

void adn_saliency_accumulate(adn_saliency_histogram *hist, const uint8_t *heat, const uint8_t *gt,
                             size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (gt[i])
            hist->fg[heat[i]]++;
        else
            hist->bg[heat[i]]++;
    }
}

void adn_saliency_measures(const adn_saliency_histogram *hist, double *mae, double *fmax) {
    /* |h / 255 - g| summed exactly in integers: h over background pixels, 255 - h over
     * foreground ones. */
    uint64_t n = 0, n_fg = 0, abs_sum = 0;
    for (int t = 0; t < 256; t++) {
        n += hist->fg[t] + hist->bg[t];
        n_fg += hist->fg[t];
        abs_sum += hist->bg[t] * (uint64_t)t + hist->fg[t] * (uint64_t)(255 - t);
    }
    if (mae) *mae = n ? (double)abs_sum / 255.0 / (double)n : NAN;
    if (!fmax) return;
    if (n_fg == 0) {
        *fmax = NAN;
        return;
    }
    double best = 0.0;
    uint64_t tp = 0, predicted = 0;
    for (int t = 255; t >= 0; t--) {
        tp += hist->fg[t];
        predicted += hist->fg[t] + hist->bg[t];
        if (predicted == 0) continue;
        double p = (double)tp / (double)predicted, r = (double)tp / (double)n_fg;
        double fm = p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
        if (fm > best) best = fm;
    }
    *fmax = best;
}

/* ---- Accumulating an evaluation ---------------------------------------------------------- */

struct adn_metrics {
    adn_contour_scratch scratch;
    adn_sequence_metrics **seqs; /* ended sequences */
    int n_seqs, cap_seqs;
    adn_sequence_metrics *open; /* the sequence being filled, or NULL */
    int cap_frames;
    /* The open sequence's last frame's heat-map counts: added to the sequence's counts only
     * once a later frame shows it was not the last one. */
    adn_saliency_histogram pending;
    int heat_mode; /* -1 before the first frame, then 1 with heat maps, 0 without */
};

static void sequence_free(adn_sequence_metrics *s) {
    if (!s) return;
    free(s->name);
    free(s->frames);
    free(s->counts);
    free(s);
}

adnet_status adn_metrics_create(adn_metrics **out) {
    *out = NULL;
    adn_metrics *m = calloc(1, sizeof *m);
    if (!m) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "metrics: out of memory");
    m->heat_mode = -1;
    *out = m;
    return ADNET_OK;
}

void adn_metrics_free(adn_metrics *m) {
    if (!m) return;
    for (int i = 0; i < m->n_seqs; i++) sequence_free(m->seqs[i]);
    free(m->seqs);
    sequence_free(m->open);
    adn_contour_scratch_release(&m->scratch);
    free(m);
}

adnet_status adn_metrics_begin_sequence(adn_metrics *m, const char *name) {
    if (!name) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "metrics: NULL sequence name");
    if (m->open)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "metrics: sequence '%s' begun while '%s' is still open", name,
                        m->open->name);
    adn_sequence_metrics *s = calloc(1, sizeof *s);
    if (s) s->name = strdup(name);
    if (!s || !s->name) {
        sequence_free(s);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "metrics: out of memory for sequence '%s'", name);
    }
    m->open = s;
    m->cap_frames = 0;
    memset(&m->pending, 0, sizeof m->pending);
    return ADNET_OK;
}

adnet_status adn_metrics_add_frame(adn_metrics *m, const uint8_t *pred, const uint8_t *gt,
                                   const uint8_t *heat, int h, int w, adn_frame_metrics *out) {
    adn_sequence_metrics *s = m->open;
    if (!s) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "metrics: frame added outside a sequence");
    int with_heat = heat != NULL;
    if (m->heat_mode >= 0 && m->heat_mode != with_heat)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                        "metrics: frame %d of '%s' %s a heat map, earlier frames %s", s->n_frames,
                        s->name, with_heat ? "has" : "lacks", with_heat ? "had none" : "had one");
    if (s->n_frames == m->cap_frames) {
        int cap = m->cap_frames ? 2 * m->cap_frames : 64;
        adn_frame_metrics *grown = realloc(s->frames, (size_t)cap * sizeof *grown);
        if (!grown)
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "metrics: out of memory for '%s'", s->name);
        s->frames = grown;
        m->cap_frames = cap;
    }
    if (with_heat && !s->counts) {
        s->counts = calloc(1, sizeof *s->counts);
        if (!s->counts)
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "metrics: out of memory for '%s'", s->name);
    }
    adn_frame_metrics fm;
    adnet_status st = adn_frame_metrics_compute(&m->scratch, pred, gt, h, w, &fm);
    if (st != ADNET_OK)
        return adn_fail_context(st, "sequence '%s', frame %d: ", s->name, s->n_frames);
    if (with_heat) {
        /* the previous frame was not the last: its pixels count unless it was the first */
        if (s->n_frames >= 2)
            for (int t = 0; t < 256; t++) {
                s->counts->fg[t] += m->pending.fg[t];
                s->counts->bg[t] += m->pending.bg[t];
            }
        memset(&m->pending, 0, sizeof m->pending);
        adn_saliency_accumulate(&m->pending, heat, gt, (size_t)h * w);
    }
    m->heat_mode = with_heat;
    s->frames[s->n_frames++] = fm;
    if (out) *out = fm;
    return ADNET_OK;
}

adnet_status adn_metrics_end_sequence(adn_metrics *m) {
    adn_sequence_metrics *s = m->open;
    if (!s) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "metrics: no sequence to end");
    if (s->n_frames < 3) {
        adnet_status st =
            adn_fail(ADNET_ERR_INVALID_ARGUMENT,
                     "metrics: sequence '%s' has %d frame(s); the first and the last are left "
                     "out, so at least 3 are needed",
                     s->name, s->n_frames);
        sequence_free(s);
        m->open = NULL;
        return st;
    }
    if (m->n_seqs == m->cap_seqs) {
        int cap = m->cap_seqs ? 2 * m->cap_seqs : 32;
        adn_sequence_metrics **grown = realloc(m->seqs, (size_t)cap * sizeof *grown);
        if (!grown)
            return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "metrics: out of memory for '%s'", s->name);
        m->seqs = grown;
        m->cap_seqs = cap;
    }
    size_t kept = (size_t)s->n_frames - 2;
    double *js = malloc(kept * sizeof *js), *fs = malloc(kept * sizeof *fs);
    if (!js || !fs) {
        free(js);
        free(fs);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "metrics: out of memory for '%s'", s->name);
    }
    /* the released script: sum(ious) / len(ious), summed one frame after the other */
    double iou_sum = 0.0;
    for (size_t i = 0; i < kept; i++) {
        js[i] = s->frames[i + 1].j;
        fs[i] = s->frames[i + 1].f;
        iou_sum += js[i];
    }
    adn_measure_statistics(js, kept, &s->j);
    adn_measure_statistics(fs, kept, &s->f);
    s->released_iou = iou_sum / (double)kept;
    free(js);
    free(fs);
    s->has_saliency = s->counts != NULL;
    if (s->has_saliency)
        adn_saliency_measures(s->counts, &s->mae, &s->fmax);
    else
        s->mae = s->fmax = NAN;
    m->seqs[m->n_seqs++] = s;
    m->open = NULL;
    return ADNET_OK;
}

int adn_metrics_sequence_count(const adn_metrics *m) {
    return m->n_seqs;
}

const adn_sequence_metrics *adn_metrics_sequence(const adn_metrics *m, int i) {
    return i >= 0 && i < m->n_seqs ? m->seqs[i] : NULL;
}

adnet_status adn_metrics_dataset(const adn_metrics *m, adn_dataset_metrics *out) {
    int n = m->n_seqs;
    if (n == 0) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "metrics: no sequence was scored");
    double *v = malloc(6 * (size_t)n * sizeof *v);
    adn_saliency_histogram *all = calloc(1, sizeof *all);
    if (!v || !all) {
        free(v);
        free(all);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "metrics: out of memory");
    }
    /* the benchmark: np.mean over sequences of each sequence's statistic */
    double released = 0.0;
    int with_saliency = 0;
    for (int i = 0; i < n; i++) {
        const adn_sequence_metrics *s = m->seqs[i];
        v[0 * n + i] = s->j.mean, v[1 * n + i] = s->j.recall, v[2 * n + i] = s->j.decay;
        v[3 * n + i] = s->f.mean, v[4 * n + i] = s->f.recall, v[5 * n + i] = s->f.decay;
        released += s->released_iou;
        if (s->has_saliency) {
            with_saliency++;
            for (int t = 0; t < 256; t++) {
                all->fg[t] += s->counts->fg[t];
                all->bg[t] += s->counts->bg[t];
            }
        }
    }
    out->n_sequences = n;
    out->j.mean = numpy_mean(v + 0 * n, n);
    out->j.recall = numpy_mean(v + 1 * n, n);
    out->j.decay = numpy_mean(v + 2 * n, n);
    out->f.mean = numpy_mean(v + 3 * n, n);
    out->f.recall = numpy_mean(v + 4 * n, n);
    out->f.decay = numpy_mean(v + 5 * n, n);
    out->jf_mean = (out->j.mean + out->f.mean) / 2.0;
    out->released_iou = released / (double)n;
    /* heat maps come with every frame or with none, so with_saliency is 0 or n */
    out->has_saliency = with_saliency > 0;
    if (out->has_saliency)
        adn_saliency_measures(all, &out->mae, &out->fmax);
    else
        out->mae = out->fmax = NAN;
    free(v);
    free(all);
    return ADNET_OK;
}
