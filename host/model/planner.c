#include "planner.h"

#include "status.h"

#include <stdlib.h>
#include <string.h>

typedef struct reservation {
    size_t size, off;
    int first, last;
} reservation;

typedef struct range {
    size_t off, size;
} range;

/* The free ranges of the arena, sorted by offset and never adjacent (merged on release). */
typedef struct free_list {
    range *r;
    int n, cap;
    size_t end; /* the arena's size so far */
} free_list;

struct adn_planner {
    size_t align;
    reservation *res;
    int n, cap;
    size_t size;
};

adnet_status adn_planner_create(size_t align, adn_planner **out) {
    *out = NULL;
    if (align < 1) return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "planner: alignment must be >= 1");
    adn_planner *p = calloc(1, sizeof *p);
    if (!p) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
    p->align = align;
    *out = p;
    return ADNET_OK;
}

void adn_planner_free(adn_planner *p) {
    if (!p) return;
    free(p->res);
    free(p);
}

adnet_status adn_planner_reserve(adn_planner *p, size_t size, int first, int last, int *id) {
    if (first > last)
        return adn_fail(ADNET_ERR_INTERNAL,
                        "planner: a block written at step %d is last read at %d", first, last);
    size_t rounded = (size + p->align - 1) / p->align * p->align;
    if (rounded < size) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "planner: block too large");
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        reservation *grown = realloc(p->res, (size_t)cap * sizeof *grown);
        if (!grown) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
        p->res = grown;
        p->cap = cap;
    }
    p->res[p->n] = (reservation){rounded, 0, first, last};
    *id = p->n++;
    return ADNET_OK;
}

static size_t take(free_list *f, size_t need) {
    int best = -1;
    for (int k = 0; k < f->n; k++)
        if (f->r[k].size >= need && (best < 0 || f->r[k].size < f->r[best].size)) best = k;
    if (best >= 0) {
        size_t off = f->r[best].off;
        f->r[best].off += need;
        f->r[best].size -= need;
        if (f->r[best].size == 0) {
            memmove(&f->r[best], &f->r[best + 1], (size_t)(f->n - best - 1) * sizeof *f->r);
            f->n--;
        }
        return off;
    }
    /* nothing fits: grow the arena, starting inside a free range that ends at its end */
    if (f->n > 0 && f->r[f->n - 1].off + f->r[f->n - 1].size == f->end) {
        size_t off = f->r[f->n - 1].off;
        f->n--;
        f->end = off + need;
        return off;
    }
    size_t off = f->end;
    f->end += need;
    return off;
}

static int give_back(free_list *f, size_t off, size_t size) {
    if (size == 0) return 0;
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 64;
        range *grown = realloc(f->r, (size_t)cap * sizeof *grown);
        if (!grown) return -1;
        f->r = grown;
        f->cap = cap;
    }
    int k = 0;
    while (k < f->n && f->r[k].off < off) k++;
    memmove(&f->r[k + 1], &f->r[k], (size_t)(f->n - k) * sizeof *f->r);
    f->r[k] = (range){off, size};
    f->n++;
    if (k + 1 < f->n && f->r[k].off + f->r[k].size == f->r[k + 1].off) {
        f->r[k].size += f->r[k + 1].size;
        memmove(&f->r[k + 1], &f->r[k + 2], (size_t)(f->n - k - 2) * sizeof *f->r);
        f->n--;
    }
    if (k > 0 && f->r[k - 1].off + f->r[k - 1].size == f->r[k].off) {
        f->r[k - 1].size += f->r[k].size;
        memmove(&f->r[k], &f->r[k + 1], (size_t)(f->n - k - 1) * sizeof *f->r);
        f->n--;
    }
    return 0;
}

adnet_status adn_planner_place(adn_planner *p) {
    p->size = 0;
    if (p->n == 0) return ADNET_OK;
    int lo = p->res[0].first, hi = p->res[0].last;
    for (int i = 1; i < p->n; i++) {
        if (p->res[i].first < lo) lo = p->res[i].first;
        if (p->res[i].last > hi) hi = p->res[i].last;
    }
    free_list f = {0};
    for (long step = lo; step <= hi; step++) {
        for (int i = 0; i < p->n; i++)
            if (p->res[i].first == step) p->res[i].off = take(&f, p->res[i].size);
        for (int i = 0; i < p->n; i++) {
            if (p->res[i].last != step) continue;
            if (give_back(&f, p->res[i].off, p->res[i].size) != 0) {
                free(f.r);
                return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory");
            }
        }
    }
    free(f.r);
    p->size = f.end;
    return ADNET_OK;
}

size_t adn_planner_offset(const adn_planner *p, int id) {
    return id >= 0 && id < p->n ? p->res[id].off : 0;
}

size_t adn_planner_size(const adn_planner *p) {
    return p->size;
}
