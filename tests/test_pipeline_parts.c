/* The video pipeline's host-side parts, against hand-computed values and plain loops:
 * multi-scale sizes (the spec's DAVIS example), the DAVIS palette (PASCAL VOC's colours),
 * overlays on a small hand-drawn mask, the queue between threads (order, back-pressure,
 * closing), video selection from a DAVIS tree and the shard of a video (FNV-1a, restated), and
 * the removal of the temporaries a killed run leaves in an output tree. */
#include "test_util.h"

#include "dataset.h"
#include "files.h"
#include "contact_sheet.h"
#include "overlay.h"
#include "work_queue.h"
#include "passes.h"
#include "pipeline.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_msm_sizes(void) {
    int w[3], h[3];
    adn_msm_sizes(857, 481, w, h); /* the spec: 641x353, 857x481, 1281x721 */
    CHECK(w[0] == 641 && h[0] == 353);
    CHECK(w[1] == 857 && h[1] == 481);
    CHECK(w[2] == 1281 && h[2] == 721);
    adn_msm_sizes(100, 75, w, h); /* (100*0.75-1)//8*8+1 = 73, (56.25-1)//8*8+1 = 49, ... */
    CHECK(w[0] == 73 && h[0] == 49);
    CHECK(w[1] == 97 && h[1] == 73);
    CHECK(w[2] == 145 && h[2] == 105);
}

static void test_palette(void) {
    uint8_t p[256 * 3];
    adn_davis_palette(p);
    static const uint8_t want[][4] = {/* index, R, G, B (PASCAL VOC) */
                                      {0, 0, 0, 0},     {1, 128, 0, 0},      {2, 0, 128, 0},
                                      {3, 128, 128, 0}, {4, 0, 0, 128},      {5, 128, 0, 128},
                                      {8, 64, 0, 0},    {15, 192, 128, 128}, {255, 224, 224, 192}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const uint8_t *c = p + 3 * want[i][0];
        if (c[0] != want[i][1] || c[1] != want[i][2] || c[2] != want[i][3]) {
            fprintf(stderr, "palette %d: (%d, %d, %d), expected (%d, %d, %d)\n", want[i][0], c[0],
                    c[1], c[2], want[i][1], want[i][2], want[i][3]);
            tu_failures++;
        }
    }
}

static void test_overlay(void) {
    /* a 4 x 4 object in an 8 x 7 frame (short side <= 480: the outline is 1 pixel wide) */
    enum { W = 8, H = 7 };
    adnet_image frame = {W, H, 3, malloc(W * H * 3)};
    uint8_t mask[W * H] = {0};
    for (int i = 0; i < W * H * 3; i++) frame.data[i] = (uint8_t)(i * 7 % 251);
    for (int y = 2; y < 6; y++)
        for (int x = 1; x < 5; x++) mask[y * W + x] = 1;
    mask[0] = 1; /* a lone object pixel in the corner: all outline, the image border is not */
    adnet_image out = {0};
    CHECK_OK(adn_overlay_render(&frame, mask, &out));
    CHECK(out.width == W && out.height == H && out.channels == 3);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t *f = frame.data + 3 * (y * W + x), *o = out.data + 3 * (y * W + x);
            uint8_t want[3];
            int in = mask[y * W + x];
            /* outline: an object pixel with background among its 8 neighbours */
            int edge = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy, xx = x + dx;
                    if (yy >= 0 && yy < H && xx >= 0 && xx < W && !mask[yy * W + xx]) edge = 1;
                }
            const int tint[3] = {ADN_OVERLAY_TINT_B, ADN_OVERLAY_TINT_G, ADN_OVERLAY_TINT_R};
            const int line[3] = {ADN_OVERLAY_LINE_B, ADN_OVERLAY_LINE_G, ADN_OVERLAY_LINE_R};
            /* inside: (frame + tint) / 2 rounded half to even, as lrintf does */
            for (int c = 0; c < 3; c++)
                want[c] = !in ? f[c]
                          : edge
                              ? (uint8_t)line[c]
                              : (uint8_t)((f[c] + tint[c] + 1) / 2 - ((f[c] + tint[c]) % 4 == 1));
            for (int c = 0; c < 3; c++)
                if (abs((int)o[c] - (int)want[c]) > 0) {
                    fprintf(stderr, "overlay (%d, %d) channel %d: %d, expected %d\n", x, y, c, o[c],
                            want[c]);
                    tu_failures++;
                }
        }
    adnet_image_free(&out);
    adnet_image_free(&frame);
}

/* ---- the queue --------------------------------------------------------------------------- */

enum { N_ITEMS = 20000 };

static void *producer(void *arg) {
    adn_queue *q = arg;
    for (intptr_t i = 1; i <= N_ITEMS; i++)
        if (adn_queue_push(q, (void *)i) != 0) return (void *)1;
    adn_queue_close(q);
    return NULL;
}

static void test_queue(void) {
    adn_queue q;
    CHECK_OK(adn_queue_init(&q, 3)); /* small: the producer waits on a full queue often */
    pthread_t t;
    pthread_create(&t, NULL, producer, &q);
    intptr_t expect = 1;
    void *item;
    while ((item = adn_queue_pop(&q)) != NULL) {
        if ((intptr_t)item != expect) {
            fprintf(stderr, "queue: got %ld, expected %ld\n", (long)(intptr_t)item, (long)expect);
            tu_failures++;
            break;
        }
        expect++;
    }
    void *rc;
    pthread_join(t, &rc);
    CHECK(rc == NULL);
    CHECK(expect == N_ITEMS + 1);
    /* closed: pushes fail, pops return what is left, then NULL */
    adn_queue_destroy(&q);
    CHECK_OK(adn_queue_init(&q, 2));
    CHECK(adn_queue_push(&q, (void *)7) == 0);
    adn_queue_close(&q);
    CHECK(adn_queue_push(&q, (void *)8) == -1);
    CHECK(adn_queue_pop(&q) == (void *)7);
    CHECK(adn_queue_pop(&q) == NULL);
    adn_queue_destroy(&q);
}

/* ---- videos and shards ------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s) { /* restated from its definition */
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static void touch(const char *path) {
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
}

static void test_videos(void) {
    char *root = tu_mkdtemp(), path[4096];
    const char *dirs[] = {"JPEGImages",        "JPEGImages/480p",    "JPEGImages/480p/b",
                          "JPEGImages/480p/a", "JPEGImages/480p/c",  "Annotations",
                          "Annotations/480p",  "Annotations/480p/a", "ImageSets",
                          "ImageSets/2016"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        mkdir(path, 0777);
    }
    const char *files[] = {"JPEGImages/480p/a/00000.jpg", "JPEGImages/480p/a/00001.jpg",
                           "JPEGImages/480p/b/00000.png", "JPEGImages/480p/c/00000.jpg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        touch(path);
    }
    snprintf(path, sizeof path, "%s/ImageSets/2016/val.txt", root);
    FILE *f = fopen(path, "w");
    fputs("  b \r\n\na\n", f); /* blanks, CRLF and an empty line */
    fclose(f);

    adn_video_set s;
    CHECK_OK(adn_videos_from_davis(root, "val", NULL, NULL, &s));
    CHECK(s.n == 2 && s.total_frames == 3);
    if (s.n == 2) {
        CHECK(!strcmp(s.videos[0].name, "b") && !strcmp(s.videos[1].name, "a"));
        CHECK(s.videos[0].annotations == NULL); /* no Annotations/480p/b: not scored */
        CHECK(s.videos[1].annotations &&
              tu_contains(s.videos[1].annotations, "Annotations/480p/a"));
        CHECK(!strcmp(s.videos[1].out_sub, "a"));
    }
    adn_video_set_free(&s);
    CHECK_OK(adn_videos_from_davis(root, "all", NULL, NULL, &s));
    CHECK(s.n == 3 && !strcmp(s.videos[0].name, "a") && !strcmp(s.videos[2].name, "c"));
    /* shares: each video where FNV-1a says, together all of them */
    for (int n = 1; n <= 4; n++) {
        int seen = 0;
        for (int i = 0; i < n; i++) {
            adn_video_set part;
            CHECK_OK(adn_videos_from_davis(root, "all", NULL, NULL, &part));
            adn_videos_keep_share(&part, i, n);
            for (int k = 0; k < part.n; k++) {
                CHECK(fnv1a(part.videos[k].name) % (uint64_t)n == (uint64_t)i);
                CHECK(adn_video_share(part.videos[k].name, n) == i);
            }
            seen += part.n;
            adn_video_set_free(&part);
        }
        CHECK(seen == 3);
    }
    adn_video_set_free(&s);
    CHECK_FAILS(adn_videos_from_davis(root, "a,../b", NULL, NULL, &s), ADNET_ERR_INVALID_ARGUMENT,
                "../b");
    CHECK_FAILS(adn_videos_from_davis(root, "train", NULL, NULL, &s), ADNET_ERR_IO, "train.txt");
    CHECK_FAILS(adn_videos_from_davis(root, "a,zz", NULL, NULL, &s), ADNET_ERR_IO, "zz");
    snprintf(path, sizeof path, "%s/JPEGImages/480p/a/", root);
    CHECK_OK(adn_videos_from_frames(path, NULL, NULL, &s));
    CHECK(s.n == 1 && !strcmp(s.videos[0].name, "a") && !strcmp(s.videos[0].out_sub, ""));
    adn_video_set_free(&s);
    tu_rm_rf(root);
    free(root);
}

static void test_contact_sheet(void) {
    /* picks: evenly spread, first and last included */
    int picks[8];
    CHECK(adn_contact_sheet_pick(32, 8, picks) == 8);
    CHECK(picks[0] == 0 && picks[1] == 4 && picks[3] == 13 && picks[7] == 31);
    CHECK(adn_contact_sheet_pick(3, 8, picks) == 3 && picks[2] == 2);
    CHECK(adn_contact_sheet_pick(5, 1, picks) == 1 && picks[0] == 0);

    /* three 6 x 5 frames in two columns: two rows, the last pair alone; the second without a
     * ground truth */
    enum { W = 6, H = 5, N = 3 };
    adnet_image frames[N];
    uint8_t masks[N][W * H] = {{0}}, truths[N][W * H] = {{0}};
    for (int i = 0; i < N; i++) {
        frames[i] = (adnet_image){W, H, 3, malloc(W * H * 3)};
        for (int k = 0; k < W * H * 3; k++) frames[i].data[k] = (uint8_t)(50 + 13 * i + k % 200);
        for (int y = 1; y < 4; y++)
            for (int x = 1 + i; x < 4 + i && x < W; x++) masks[i][y * W + x] = 1;
        for (int x = 0; x < W; x++) truths[i][2 * W + x] = 255; /* the middle row */
    }
    const uint8_t *mp[N] = {masks[0], masks[1], masks[2]};
    const uint8_t *tp[N] = {truths[0], NULL, truths[2]};
    adnet_image sheet = {0};
    CHECK_OK(adn_contact_sheet_render(frames, mp, tp, N, 2, &sheet));
    const int pair_w = 2 * W + ADN_SHEET_GAP;
    CHECK(sheet.width == 2 * pair_w + 3 * ADN_SHEET_MARGIN);
    CHECK(sheet.height == 2 * H + 3 * ADN_SHEET_MARGIN);
    for (int i = 0; i < N; i++) {
        int x0 = ADN_SHEET_MARGIN + (i % 2) * (pair_w + ADN_SHEET_MARGIN);
        int y0 = ADN_SHEET_MARGIN + (i / 2) * (H + ADN_SHEET_MARGIN);
        adnet_image ov = {0};
        CHECK_OK(adn_overlay_render(&frames[i], masks[i], &ov));
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < 3; c++) {
                    const uint8_t *left =
                        sheet.data + ((size_t)(y0 + y) * sheet.width + x0 + x) * 3;
                    const uint8_t *right = left + (W + ADN_SHEET_GAP) * 3;
                    int f = frames[i].data[(y * W + x) * 3 + c];
                    /* the truth: the frame on the object, a fifth of it elsewhere; none: grey */
                    int want = !tp[i] ? 48 : truths[i][y * W + x] ? f : (int)(0.2f * f + 0.5f);
                    if (left[c] != ov.data[(y * W + x) * 3 + c] || right[c] != want) {
                        fprintf(stderr, "sheet pair %d (%d, %d) c%d: %d %d, want %d %d\n", i, x, y,
                                c, left[c], right[c], ov.data[(y * W + x) * 3 + c], want);
                        tu_failures++;
                    }
                }
        adnet_image_free(&ov);
    }
    /* the margins and the empty fourth place stay grey */
    CHECK(sheet.data[0] == 48 && sheet.data[sheet.width * 3 * (sheet.height - 1)] == 48);
    size_t empty =
        ((size_t)(2 * ADN_SHEET_MARGIN + H) * sheet.width + ADN_SHEET_MARGIN * 2 + pair_w + 1) * 3;
    CHECK(sheet.data[empty] == 48);
    adnet_image_free(&sheet);
    /* frames of different sizes are refused */
    frames[1].width = W - 1;
    CHECK_FAILS(adn_contact_sheet_render(frames, mp, tp, N, 2, &sheet), ADNET_ERR_INVALID_ARGUMENT,
                "frame 1 is 5x5");
    frames[1].width = W;
    for (int i = 0; i < N; i++) adnet_image_free(&frames[i]);
    printf("  contact sheet: picks, layout, overlay and ground-truth halves\n");
}

static int exists_in(const char *dir, const char *name);

static void touch_in(const char *dir, const char *name) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    touch(p);
    CHECK(exists_in(dir, name));
}

static int exists_in(const char *dir, const char *name) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat s;
    return stat(p, &s) == 0;
}

/* Only adnet's temporary names (".<base>.tmp<pid>.<n>") of processes that have ended go. */
static void test_stale_temporaries(void) {
    char *dir = tu_mkdtemp();
    char sub[600];
    snprintf(sub, sizeof sub, "%s/masks", dir);
    CHECK(mkdir(sub, 0700) == 0);
    pid_t child = fork(); /* a process id that has certainly ended: a reaped child's */
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    char dead[64], alive[64], dead_top[64];
    snprintf(dead, sizeof dead, ".00001.png.tmp%ld.3", (long)child);
    snprintf(alive, sizeof alive, ".00002.png.tmp%ld.0", (long)getpid());
    snprintf(dead_top, sizeof dead_top, ".summary.json.tmp%ld.12", (long)child);
    touch_in(sub, dead);
    touch_in(sub, alive);
    touch_in(dir, dead_top);
    touch_in(sub, "00001.png");
    char not_ours[64];
    snprintf(not_ours, sizeof not_ours, "notes.tmp%ld.1", (long)child); /* not hidden */
    touch_in(sub, not_ours);
    touch_in(sub, ".x.tmp12ab.1"); /* not a process id */
    CHECK(adn_remove_stale_temporaries(dir) == 2);
    CHECK(!exists_in(sub, dead) && !exists_in(dir, dead_top));
    CHECK(exists_in(sub, alive) && exists_in(sub, "00001.png") && exists_in(sub, not_ours) &&
          exists_in(sub, ".x.tmp12ab.1"));
    CHECK(adn_remove_stale_temporaries(dir) == 0);
    tu_rm_rf(dir);
    free(dir);
}

int main(void) {
    test_stale_temporaries();
    test_msm_sizes();
    test_palette();
    test_overlay();
    test_contact_sheet();
    test_queue();
    test_videos();
    return tu_finish("test_pipeline_parts");
}
