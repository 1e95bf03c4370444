/* The frames of a video: the image files of a directory in name order. */
#ifndef ADN_FRAMES_H
#define ADN_FRAMES_H

#include "adnet.h"

typedef struct adn_frame_list {
    char *dir;
    char **names; /* file names, sorted with strcmp */
    int n;
} adn_frame_list;

/* Lists the .jpg/.jpeg/.png files (any case) of dir in name order. An unreadable directory is
 * ADNET_ERR_IO; a directory with no frames is ADNET_ERR_INVALID_ARGUMENT naming it. */
adnet_status adn_frames_list(const char *dir, adn_frame_list *out);
void adn_frames_free(adn_frame_list *l);

/* The frame's name without its extension ("00000" for "00000.jpg"), written to dst. */
void adn_frame_stem(const char *name, char *dst, size_t cap);

#endif
