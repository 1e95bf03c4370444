/* Which videos a run segments, and where their inputs are: one folder of frames (--frames),
 * or videos of a DAVIS tree (--davis ROOT --videos val|train|all|a,b,c), optionally one
 * stable share of them (--shard i/n). */
#ifndef ADN_DATASET_H
#define ADN_DATASET_H

#include "frames.h"

#include <stdint.h>

/* One video to segment. Paths are owned by the video. */
typedef struct adn_video {
    char *name;            /* the DAVIS name, or the frame folder's base name */
    adn_frame_list frames; /* its frames in name order */
    char *annotations;     /* folder of <frame>.png annotations to score against, or NULL */
    char *prune_masks;     /* folder of <frame>.png pruning masks, or NULL */
    char *out_sub;         /* results go to <out>/<kind>/<out_sub>/...: "" for --frames,
                              the video's name for --davis */
} adn_video;

typedef struct adn_video_set {
    adn_video *videos;
    int n;
    long long total_frames;
} adn_video_set;

/* One video from a folder of frames. annotations and prune_masks (may be NULL) are folders
 * holding <frame>.png directly. */
adnet_status adn_videos_from_frames(const char *frames_dir, const char *annotations,
                                    const char *prune_masks, adn_video_set *out);

/* Videos of a DAVIS tree: ROOT/JPEGImages/480p/<video>/. which is "val" or "train"
 * (ROOT/ImageSets/2016/<which>.txt, one name per line), "all" (every folder of
 * JPEGImages/480p, in name order) or a comma-separated list of names (duplicates dropped).
 * Annotations come from annotations/<video>/ when annotations is given, else from
 * ROOT/Annotations/480p/<video>/ when that folder exists (else the video is not scored).
 * Pruning masks come from prune_masks/<video>/ when prune_masks is given. */
adnet_status adn_videos_from_davis(const char *root, const char *which, const char *annotations,
                                   const char *prune_masks, adn_video_set *out);

void adn_video_set_free(adn_video_set *s);

/* The share a video belongs to among n: the 64-bit FNV-1a hash of its name's bytes, modulo n. It
 * depends on the name alone, so adding or removing other videos never moves a video to another
 * share. */
int adn_video_share(const char *name, int n);
/* Keeps only the videos of share i of n (0 <= i < n). */
/* Keeps the videos for which keep(video, user) is true, in order (the others are freed);
 * returns how many were dropped. */
int adn_videos_keep(adn_video_set *s, int (*keep)(const adn_video *v, void *user), void *user);
void adn_videos_keep_share(adn_video_set *s, int i, int n);

#endif
