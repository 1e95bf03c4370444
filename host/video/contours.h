/* External contours of a binary mask, as OpenCV 4's cv2.findContours(mask, cv2.RETR_EXTERNAL,
 * cv2.CHAIN_APPROX_NONE) finds them, with the area cv2.contourArea and the box
 * cv2.boundingRect give for each: the instance-pruning step of the released evaluation loop
 * chooses "the largest contour" from these, so the order (which decides ties) matters too.
 *
 * The borders are traced with Suzuki and Abe's border following (1985), outer borders only:
 * foreground is 8-connected, background 4-connected, and the image is surrounded by one pixel
 * of background (OpenCV 4 pads the image so; contours touching the edge are not clipped). A
 * component is external when it does not lie in a hole of another one. */
#ifndef ADN_CONTOURS_H
#define ADN_CONTOURS_H

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

typedef struct adn_contour {
    /* cv2.boundingRect of its points: the smallest box holding them (width = max - min + 1) */
    int x, y, width, height;
    /* 2 x cv2.contourArea: |shoelace sum| over the closed polygon of its points, an integer
     * since the points are pixel centres */
    int64_t twice_area;
    /* its points, as CHAIN_APPROX_NONE lists them (from its first pixel in raster order, down
     * the left side first), at adn_contours.points[2 * first_point ...] when points were kept */
    size_t first_point, n_points;
} adn_contour;

typedef struct adn_contours {
    adn_contour *items; /* in OpenCV's order: the reverse of the raster order of their starts */
    size_t count;
    int *points; /* x, y pairs of all contours' points, when kept; else NULL */
    size_t n_points;
} adn_contours;

/* Finds the external contours of mask (width x height bytes; nonzero = foreground). With
 * keep_points the points are stored too (only tests need them). Fails with
 * ADNET_ERR_INVALID_ARGUMENT on a non-positive size, ADNET_ERR_OUT_OF_MEMORY; on failure *out
 * holds nothing. */
adnet_status adn_find_external_contours(const uint8_t *mask, int width, int height, int keep_points,
                                        adn_contours *out);
void adn_contours_free(adn_contours *c);

/* cv2.contourArea of the contour (exact: half an integer). */
double adn_contour_area(const adn_contour *c);

/* The index of the contour that np.argmax over the contours' areas picks: the first of the
 * largest in OpenCV's order. -1 when there is none. */
ptrdiff_t adn_largest_contour(const adn_contours *c);

#endif
