/* Video lists: a DAVIS ImageSets file (ROOT/ImageSets/2016/val.txt) as `adnet segment --davis`
 * and `adnet eval` read it, and the same bytes as a --videos list of names, in a small DAVIS
 * tree made once (two videos with frames and annotations). */
#include "fuzz_util.h"

#include "dataset.h"
#include "evaluate.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char root[512];

static void make_tree(void) {
    if (root[0]) return;
    snprintf(root, sizeof root, "%s", fz_path("davis"));
    static const char *const dirs[] = {"",
                                       "/ImageSets",
                                       "/ImageSets/2016",
                                       "/JPEGImages",
                                       "/JPEGImages/480p",
                                       "/Annotations",
                                       "/Annotations/480p"};
    static const char *const videos[] = {"bear", "blackswan"};
    char p[700];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s%s", root, dirs[i]);
        if (mkdir(p, 0700) != 0) abort();
    }
    for (int v = 0; v < 2; v++) {
        snprintf(p, sizeof p, "%s/JPEGImages/480p/%s", root, videos[v]);
        if (mkdir(p, 0700) != 0) abort();
        snprintf(p, sizeof p, "%s/JPEGImages/480p/%s/00000.jpg", root, videos[v]);
        FILE *f = fopen(p, "wb"); /* listed, never decoded here */
        if (!f || fclose(f) != 0) abort();
        snprintf(p, sizeof p, "%s/Annotations/480p/%s", root, videos[v]);
        if (mkdir(p, 0700) != 0) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    make_tree();
    char list[700];
    snprintf(list, sizeof list, "%s/ImageSets/2016/val.txt", root);
    FILE *f = fopen(list, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
    char *names_arg = fz_string(data, size);
    const char *sets[] = {"val", names_arg};
    for (int i = 0; i < 2; i++) {
        adn_video_set s;
        if (adn_videos_from_davis(root, sets[i], NULL, NULL, &s) == ADNET_OK) {
            if (s.n < 1) abort();
            adn_video_set_free(&s);
        }
        char **names;
        int n;
        if (adn_eval_resolve_set(root, sets[i], &names, &n) == ADNET_OK) {
            if (n < 1) abort();
            adn_eval_free_names(names, n);
        }
    }
    free(names_arg);
    adn_clear_error();
    return 0;
}
