/* One picture of a segmented clip for people to look at: for a few frames, the frame with the
 * predicted mask tinted and outlined (as the overlays are) beside the ground truth (the frame
 * where the annotation is the object, near-black elsewhere), the pairs tiled in rows. */
#ifndef ADN_CONTACT_SHEET_H
#define ADN_CONTACT_SHEET_H

#include "adnet.h"

#include <stdint.h>

/* Space between the two pictures of a pair, and around the pairs, in pixels. */
#define ADN_SHEET_GAP    4
#define ADN_SHEET_MARGIN 12

/* Renders n pairs (frames[i] BGR, masks[i] and truths[i] frame-sized, non-zero = object;
 * truths[i] may be NULL: that half stays blank; masks[i] NULL leaves the whole place empty),
 * columns pairs per row, into out (allocated here). Every frame of a place that is not empty
 * must have the first frame's size (the first place must not be empty). */
adnet_status adn_contact_sheet_render(const adnet_image *frames, const uint8_t *const *masks,
                                      const uint8_t *const *truths, int n, int columns,
                                      adnet_image *out);

/* The indices of k frames spread evenly over n (the first and the last included when k > 1),
 * into picks[0 .. k - 1]; k is clamped to n; returns the number picked. */
int adn_contact_sheet_pick(int n, int k, int *picks);

#endif
