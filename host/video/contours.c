#include "contours.h"

#include "status.h"

#include <stdlib.h>
#include <string.h>

/* Pixel states in the padded working image. Suzuki and Abe number each border (NBD) and mark
 * its pixels +NBD or -NBD; for outer borders only, what later decisions read is the sign: a
 * pixel is marked negative when the pixel to its right is background seen while following the
 * border, positive otherwise. */
enum { BG = 0, FG = 1, MARK_POS = 2, MARK_NEG = -2 };

/* Neighbour directions, counter-clockwise on screen (y grows downwards), from east. */
static const int DX[8] = {1, 1, 0, -1, -1, -1, 0, 1};
static const int DY[8] = {0, -1, -1, -1, 0, 1, 1, 1};

typedef struct tracer {
    int8_t *img; /* (width + 2) x (height + 2), one pixel of background around the mask */
    ptrdiff_t stride;
    ptrdiff_t off[8];
    int keep_points;
    int *points;
    size_t n_points, cap_points;
    adn_contour *items;
    size_t count, cap_items;
} tracer;

static int grow(void **buf, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 1;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *p = realloc(*buf, n * elem);
    if (!p) return 0;
    *buf = p;
    *cap = n;
    return 1;
}

/* Appends one point (padded index i) to contour c: box, shoelace sum, point list. */
static int add_point(tracer *t, adn_contour *c, ptrdiff_t i, int64_t *shoelace, int *px, int *py) {
    int x = (int)(i % t->stride) - 1, y = (int)(i / t->stride) - 1;
    if (c->n_points == 0) {
        c->x = c->width = x; /* width holds the maximum until the contour is closed */
        c->y = c->height = y;
    } else {
        *shoelace += (int64_t)*px * y - (int64_t)*py * x;
        if (x < c->x) c->x = x;
        if (x > c->width) c->width = x;
        if (y < c->y) c->y = y;
        if (y > c->height) c->height = y;
    }
    *px = x;
    *py = y;
    c->n_points++;
    if (t->keep_points) {
        if (!grow((void **)&t->points, &t->cap_points, 2 * (t->n_points + 1), sizeof(int)))
            return 0;
        t->points[2 * t->n_points] = x;
        t->points[2 * t->n_points + 1] = y;
        t->n_points++;
    }
    return 1;
}

/* Follows the outer border that starts at padded index s (a foreground pixel whose left
 * neighbour is background), marking its pixels, and appends it to t->items. */
static int follow_outer_border(tracer *t, ptrdiff_t s) {
    if (!grow((void **)&t->items, &t->cap_items, t->count + 1, sizeof *t->items)) return 0;
    adn_contour *c = &t->items[t->count++];
    memset(c, 0, sizeof *c);
    c->first_point = t->n_points;
    int8_t *img = t->img;
    int64_t shoelace = 0;
    int px = 0, py = 0, fx = 0, fy = 0;

    /* Step 3.1: clockwise from the left neighbour, the first foreground neighbour. */
    int d = 4, k;
    for (k = 0; k < 8; k++) {
        d = (4 - k) & 7;
        if (img[s + t->off[d]] != BG) break;
    }
    if (k == 8) { /* an isolated pixel: a contour of one point */
        img[s] = MARK_NEG;
        if (!add_point(t, c, s, &shoelace, &px, &py)) return 0;
    } else {
        ptrdiff_t i1 = s + t->off[d], i3 = s;
        int to_prev = d; /* direction from i3 to the previous border pixel i2 */
        for (;;) {
            /* Step 3.3: counter-clockwise around i3 from the neighbour after i2, the next
             * foreground pixel. i2 itself is foreground, so the search ends. */
            int east_seen = 0, dd = to_prev;
            for (k = 1; k <= 8; k++) {
                dd = (to_prev + k) & 7;
                if (img[i3 + t->off[dd]] != BG) break;
                if (dd == 0) east_seen = 1;
            }
            ptrdiff_t i4 = i3 + t->off[dd];
            /* Step 3.4: the mark whose sign later scans read. */
            if (east_seen)
                img[i3] = MARK_NEG;
            else if (img[i3] == FG)
                img[i3] = MARK_POS;
            if (!add_point(t, c, i3, &shoelace, &px, &py)) return 0;
            if (c->n_points == 1) {
                fx = px;
                fy = py;
            }
            /* Step 3.5: back at the start, about to repeat the first move. */
            if (i4 == s && i3 == i1) break;
            to_prev = (dd + 4) & 7;
            i3 = i4;
        }
        shoelace += (int64_t)px * fy - (int64_t)py * fx; /* closes the polygon */
    }
    c->twice_area = shoelace < 0 ? -shoelace : shoelace;
    c->width = c->width - c->x + 1;
    c->height = c->height - c->y + 1;
    return 1;
}

adnet_status adn_find_external_contours(const uint8_t *mask, int width, int height, int keep_points,
                                        adn_contours *out) {
    memset(out, 0, sizeof *out);
    if (width <= 0 || height <= 0)
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "contours: bad mask size %d x %d", width,
                        height);
    tracer t;
    memset(&t, 0, sizeof t);
    t.stride = (ptrdiff_t)width + 2;
    t.keep_points = keep_points;
    for (int d = 0; d < 8; d++) t.off[d] = DY[d] * t.stride + DX[d];
    t.img = calloc((size_t)t.stride * ((size_t)height + 2), 1);
    if (!t.img) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "contours: out of host memory");
    for (int y = 0; y < height; y++) {
        const uint8_t *m = mask + (size_t)y * width;
        int8_t *r = t.img + (y + 1) * t.stride + 1;
        for (int x = 0; x < width; x++) r[x] = m[x] != 0;
    }

    int ok = 1;
    for (int y = 1; y <= height && ok; y++) {
        /* the sign of the last border pixel passed on this row; the padding counts as
         * background outside every component */
        int last_mark = BG;
        int8_t *r = t.img + y * t.stride;
        for (int x = 1; x <= width; x++) {
            if (r[x] == FG && r[x - 1] == BG) {
                /* An outer border starts here. Its component is external unless the last
                 * border passed was a positive mark: then the run since it went through that
                 * component's inside into one of its holes (a negative mark means its right
                 * neighbour is the background outside it). */
                if (last_mark != MARK_POS && !follow_outer_border(&t, y * t.stride + x)) {
                    ok = 0;
                    break;
                }
            }
            if (r[x] == MARK_POS || r[x] == MARK_NEG) last_mark = r[x];
        }
    }
    free(t.img);
    if (!ok) {
        free(t.items);
        free(t.points);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "contours: out of host memory");
    }
    /* OpenCV links each new contour in front of the previous ones */
    for (size_t i = 0; i < t.count / 2; i++) {
        adn_contour tmp = t.items[i];
        t.items[i] = t.items[t.count - 1 - i];
        t.items[t.count - 1 - i] = tmp;
    }
    out->items = t.items;
    out->count = t.count;
    out->points = t.points;
    out->n_points = t.n_points;
    return ADNET_OK;
}

void adn_contours_free(adn_contours *c) {
    if (!c) return;
    free(c->items);
    free(c->points);
    memset(c, 0, sizeof *c);
}

double adn_contour_area(const adn_contour *c) {
    return (double)c->twice_area / 2.0;
}

ptrdiff_t adn_largest_contour(const adn_contours *c) {
    ptrdiff_t best = -1;
    for (size_t i = 0; i < c->count; i++)
        if (best < 0 || c->items[i].twice_area > c->items[best].twice_area) best = (ptrdiff_t)i;
    return best;
}
