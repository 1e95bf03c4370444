/* The memory planner (host/model/planner.h) on synthetic graphs: blocks alive at the same step
 * never share memory (a step's outputs never overlap its inputs, even those it reads for the
 * last time), dead blocks' memory is reused, offsets are aligned, and the arena is never
 * smaller than the most memory alive at once nor larger than all blocks together. Checked
 * against a plain interval-overlap loop. */
#include "planner.h"

#include "test_util.h"

typedef struct block {
    size_t size;
    int first, last;
} block;

/* Places blocks; checks every pair against its lifetimes; returns the arena size. */
static size_t place_and_check(const char *what, const block *b, int n, size_t align,
                              size_t *offsets) {
    adn_planner *p;
    CHECK_OK(adn_planner_create(align, &p));
    for (int i = 0; i < n; i++) {
        int id;
        CHECK_OK(adn_planner_reserve(p, b[i].size, b[i].first, b[i].last, &id));
        CHECK(id == i);
    }
    CHECK_OK(adn_planner_place(p));
    size_t arena = adn_planner_size(p), total = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        offsets[i] = adn_planner_offset(p, i);
        size_t rounded = (b[i].size + align - 1) / align * align;
        total += rounded;
        if (offsets[i] % align != 0 || offsets[i] + rounded > arena) bad++;
        for (int j = 0; j < i; j++) {
            int live_together = b[i].first <= b[j].last && b[j].first <= b[i].last;
            int overlap =
                offsets[i] < offsets[j] + b[j].size && offsets[j] < offsets[i] + b[i].size;
            if (live_together && overlap) {
                fprintf(stderr, "%s: blocks %d [%d, %d] and %d [%d, %d] share memory\n", what, i,
                        b[i].first, b[i].last, j, b[j].first, b[j].last);
                bad++;
            }
        }
    }
    /* the most memory alive at one step: a lower bound of any plan */
    int lo = 0, hi = 0;
    for (int i = 0; i < n; i++) {
        if (b[i].first < lo) lo = b[i].first;
        if (b[i].last > hi) hi = b[i].last;
    }
    size_t peak = 0;
    for (int s = lo; s <= hi; s++) {
        size_t live = 0;
        for (int i = 0; i < n; i++)
            if (b[i].first <= s && s <= b[i].last) live += (b[i].size + align - 1) / align * align;
        if (live > peak) peak = live;
    }
    CHECK(bad == 0);
    CHECK(arena >= peak);
    CHECK(arena <= total);
    printf("  %-40s %d blocks: arena %zu (live peak %zu, all blocks %zu)\n", what, n, arena, peak,
           total);
    adn_planner_free(p);
    return arena;
}

int main(void) {
    size_t off[512];
    /* a chain x0 -> x1 -> x2 -> x3: each step reads the last value and writes the next */
    block chain[] = {{100, -1, 0}, {100, 0, 1}, {100, 1, 2}, {100, 2, 3}};
    size_t arena = place_and_check("chain", chain, 4, 1, off);
    CHECK(arena == 200); /* two buffers, used in turn */
    CHECK(off[0] == off[2] && off[1] == off[3]);
    CHECK(off[0] != off[1]); /* step 0 reads x0 and writes x1 */

    /* a residual block: x (read at 0 and at 2), t1 = f(x), t2 = g(t1), y = t2 + x */
    block residual[] = {{64, -1, 2}, {64, 0, 1}, {64, 1, 2}, {64, 2, 3}};
    arena = place_and_check("residual", residual, 4, 1, off);
    CHECK(arena == 192);
    CHECK(off[3] == off[1]); /* y takes t1's memory: the only one free at step 2 */

    /* best fit: a small block goes into the smaller of two holes */
    block holes[] = {{10, 0, 1}, {1, 0, 5}, {30, 0, 1}, {1, 0, 5}, {8, 2, 5}};
    place_and_check("best fit", holes, 5, 1, off);
    CHECK(off[4] == off[0]);

    /* alignment: sizes rounded up to 64 elements, offsets multiples of 64 */
    block odd[] = {{3, 0, 1}, {65, 0, 2}, {1, 1, 3}, {130, 2, 3}};
    arena = place_and_check("alignment 64", odd, 4, 64, off);
    CHECK(arena % 64 == 0);

    /* a block never read after its step, and an untouched one (first == last) */
    block short_lived[] = {{5, 3, 3}, {5, 3, 4}, {5, 4, 4}};
    place_and_check("one-step blocks", short_lived, 3, 1, off);

    /* random graphs of many shapes */
    tu_rng rng = tu_rng_seed(9);
    for (int g = 0; g < 40; g++) {
        block b[200];
        int n = 20 + (int)tu_uniform(&rng, 0, 180);
        for (int i = 0; i < n; i++) {
            b[i].first = (int)tu_uniform(&rng, -1, 60);
            b[i].last = b[i].first + (int)tu_uniform(&rng, 0, g % 2 ? 4 : 30);
            b[i].size = 1 + (size_t)tu_uniform(&rng, 0, g % 3 ? 1000 : 100000);
        }
        char what[64];
        snprintf(what, sizeof what, "random graph %d", g);
        place_and_check(what, b, n, g % 4 ? 1 : 64, off);
    }

    /* placing again after more reservations places everything anew */
    adn_planner *p;
    CHECK_OK(adn_planner_create(1, &p));
    int id;
    CHECK_OK(adn_planner_reserve(p, 10, 0, 1, &id));
    CHECK_OK(adn_planner_place(p));
    CHECK(adn_planner_size(p) == 10);
    CHECK_OK(adn_planner_reserve(p, 10, 1, 2, &id));
    CHECK_OK(adn_planner_place(p));
    CHECK(adn_planner_size(p) == 20 && adn_planner_offset(p, 0) != adn_planner_offset(p, 1));
    /* a block read before it is written is a bug in the caller */
    CHECK_FAILS(adn_planner_reserve(p, 10, 3, 2, &id), ADNET_ERR_INTERNAL, "last read at 2");
    adn_planner_free(p);
    CHECK_FAILS(adn_planner_create(0, &p), ADNET_ERR_INVALID_ARGUMENT, "alignment");
    return tu_finish("test_planner");
}
