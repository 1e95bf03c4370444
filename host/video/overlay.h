/* Pictures of a result for people: DAVIS's indexed palette for masks, and overlays (the frame
 * with the mask tinted and its outline drawn). */
#ifndef ADN_OVERLAY_H
#define ADN_OVERLAY_H

#include "adnet.h"

#include <stdint.h>

/* The palette of DAVIS's annotation and result PNGs (PASCAL VOC's colour map): 256 RGB
 * triples; index 0 is black (background), index 1 is (128, 0, 0) (the object). */
void adn_davis_palette(uint8_t rgb[256 * 3]);

/* Tint and outline colours of overlays (BGR) and the tint's weight. */
#define ADN_OVERLAY_TINT_B 60
#define ADN_OVERLAY_TINT_G 20
#define ADN_OVERLAY_TINT_R 220
#define ADN_OVERLAY_ALPHA  0.5f
#define ADN_OVERLAY_LINE_B 0
#define ADN_OVERLAY_LINE_G 255
#define ADN_OVERLAY_LINE_R 255

/* The outline's thickness for a frame: 1 pixel up to 480 pixels on the short side, 2 above
 * (a one-pixel line is hard to see on a full-HD frame). */
int adn_overlay_line_width(int width, int height);

/* Renders the overlay of a mask (mask != 0 is the object; the frame's size) on a BGR frame into
 * out (allocated here): every object pixel becomes round((1 - alpha) x frame + alpha x tint),
 * then the outline is painted in the line colour. The outline is the object pixels that have
 * a background pixel within adn_overlay_line_width pixels (in both directions: a square
 * neighbourhood); the image's own border does not count as background. */
adnet_status adn_overlay_render(const adnet_image *frame, const uint8_t *mask, adnet_image *out);

#endif
