/* The memory planner: places blocks with known lifetimes in one arena so that blocks alive at
 * the same time never share memory, reusing the memory of blocks that are dead. It knows
 * nothing of graphs or devices: a block is a size and the steps that write it first and read
 * it last, and the plan is offsets and a total size.
 *
 * Placement walks the steps in order. At each step, first the blocks first written there take
 * the best-fitting free range (smallest that fits; in reservation order), then the blocks last
 * read there give theirs back (merged with free neighbours). So a step's outputs never overlap
 * its inputs, even those it reads for the last time: an op never reads and writes the same
 * memory. When nothing free fits, the arena grows (into a free range at its end if there is
 * one). */
#ifndef ADN_PLANNER_H
#define ADN_PLANNER_H

#include "adnet.h"

#include <stddef.h>

typedef struct adn_planner adn_planner;

/* A planner whose block sizes are rounded up to a multiple of align elements (align >= 1). */
adnet_status adn_planner_create(size_t align, adn_planner **out);
void adn_planner_free(adn_planner *p);

/* Reserves a block of size elements alive from step first to step last (first <= last; any
 * integers). *id numbers the blocks 0, 1, ... in reservation order. */
adnet_status adn_planner_reserve(adn_planner *p, size_t size, int first, int last, int *id);

/* Places every block reserved so far; again after more reservations places all of them anew. */
adnet_status adn_planner_place(adn_planner *p);

/* After adn_planner_place: a block's offset, in elements, and the arena's size. */
size_t adn_planner_offset(const adn_planner *p, int id);
size_t adn_planner_size(const adn_planner *p);

#endif
