/* adnet demo: the main job end to end on what ships with adnet. The released AD-Net weights
 * cannot be redistributed, so the demo runs adnet's own demo model (weights/demo.safetensors:
 * a small AD-Net trained by weights/train_demo.py on synthetic clips from real photographs) on
 * a held-out clip it never saw in training, with the released evaluation loop, and shows how
 * well it did: J and F against the clip's ground truth, masks, overlays and a contact sheet.
 * The files are found next to the binary (the build copies them there) or where `make install`
 * put them; --weights and --frames take any other model or clip. */
#include "args.h"
#include "commands.h"
#include "progress.h"

#include "contact_sheet.h"
#include "dataset.h"
#include "files.h"
#include "frames.h"
#include "image.h"
#include "outputs.h"
#include "pipeline.h"
#include "scheduler.h"
#include "status.h"
#include "weights.h"
#include "device_select.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEMO_WEIGHTS "demo.safetensors"
#define DEMO_CLIPS                                                                                 \
    "demo-clips" /* a DAVIS tree: JPEGImages/480p/<clip>, Annotations/480p/<clip>                  \
                  */
/* The demo model's input size: the size it was trained at (weights/train_demo.py NET_SIZE). */
#define DEMO_SIZE "257x145"
/* Pairs on the contact sheet: 8 of one video, else 4 of each of the first 4 videos; 2 a row. */
#define SHEET_MAX     16
#define SHEET_ONE     8
#define SHEET_EACH    4
#define SHEET_VIDEOS  4
#define SHEET_COLUMNS 2

/* Finds a file that ships with adnet: $ADNET_DEMO_DIR/name, then next to the binary (the build
 * tree), then <prefix>/share/adnet/name beside <prefix>/bin (an installed adnet). */
static int find_shipped(const char *name, char *dst, size_t cap) {
    struct stat sb;
    const char *env = getenv("ADNET_DEMO_DIR");
    if (env && env[0]) {
        snprintf(dst, cap, "%s/%s", env, name);
        return stat(dst, &sb) == 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return 0;
    *slash = 0;
    static const char *const places[] = {"%s/%s", "%s/../share/adnet/%s"};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        snprintf(dst, cap, places[i], exe, name);
        if (stat(dst, &sb) == 0) return 1;
    }
    return 0;
}

/* What the model is, in words: the demo model says what it is in its metadata. */
static void describe_model(const adn_weights *w, const adn_arch *a, const char *path, int demo) {
    const char *desc = adn_weights_metadata(w, "adnet.description");
    printf("model: %s\n", path);
    if (demo)
        printf(
            "  the demo model: a small AD-Net (same structure as the released one, narrower and\n"
            "  shallower) trained by weights/train_demo.py on synthetic clips made from\n"
            "  scikit-image's photographs. It is NOT the released AD-Net; for that, convert\n"
            "  the released weights (docs/weights.md) and pass --weights.\n");
    else if (desc)
        printf("  %s\n", desc);
    printf("  %s, ResNet-%d layout (%s), E = %d, %.2f M parameters\n",
           adnet_model_kind_name(a->kind), a->depth,
           a->released ? "released" : "described in its metadata", a->embed,
           (double)adn_arch_param_count(a) / 1e6);
}

/* One pair of the contact sheet: a frame, its predicted mask and its ground truth (or none). */
static adnet_status load_pair(const char *out, const adn_video *v, int frame, adnet_image *img,
                              adnet_image *mask, adnet_image *truth) {
    char masks_dir[4200], file[4700], stem[256];
    adn_video_output_dir(out, v, "masks", masks_dir, sizeof masks_dir);
    const char *name = v->frames.names[frame];
    adn_frame_stem(name, stem, sizeof stem);
    snprintf(file, sizeof file, "%s/%s", v->frames.dir, name);
    ADN_TRY(adnet_image_load_bgr(file, img));
    snprintf(file, sizeof file, "%s/%s.png", masks_dir, stem);
    ADN_TRY(adn_image_load_mask(file, mask));
    if (v->annotations) {
        snprintf(file, sizeof file, "%s/%s.png", v->annotations, stem);
        ADN_TRY(adn_image_load_mask(file, truth));
    }
    if (mask->width != img->width || mask->height != img->height ||
        (truth->data && (truth->width != img->width || truth->height != img->height)))
        return adn_fail(ADNET_ERR_FORMAT, "%s: not the size of its frame %s/%s", file,
                        v->frames.dir, name);
    return ADNET_OK;
}

/* The contact sheet of a run: frames spread over each video (SHEET_ONE of a single video, else
 * SHEET_EACH of each of the first SHEET_VIDEOS), each with its predicted mask outlined and,
 * when annotated, its ground truth beside it; one video's pairs fill whole rows. Videos of
 * another size than the first are left out. */
static adnet_status write_contact_sheet(const char *out, const adn_video_set *set,
                                        const char *path) {
    adnet_image frames[SHEET_MAX] = {{0}}, masks[SHEET_MAX] = {{0}}, truths[SHEET_MAX] = {{0}};
    const uint8_t *mask_px[SHEET_MAX] = {0}, *truth_px[SHEET_MAX] = {0};
    int n = 0, per = set->n == 1 ? SHEET_ONE : SHEET_EACH;
    adnet_status st = ADNET_OK;
    for (int v = 0; v < set->n && v < SHEET_VIDEOS && st == ADNET_OK; v++) {
        int picks[SHEET_ONE];
        int k = adn_contact_sheet_pick(set->videos[v].frames.n, per, picks);
        int first = n;
        for (int i = 0; i < k && st == ADNET_OK; i++, n++) {
            st = load_pair(out, &set->videos[v], picks[i], &frames[n], &masks[n], &truths[n]);
            mask_px[n] = masks[n].data;
            truth_px[n] = truths[n].data;
            if (st == ADNET_OK && n > 0 &&
                (frames[n].width != frames[0].width || frames[n].height != frames[0].height))
                k = 0; /* another size: this video is left out (below) */
        }
        if (k == 0) {
            for (int i = first; i < n; i++) {
                adnet_image_free(&frames[i]);
                adnet_image_free(&masks[i]);
                adnet_image_free(&truths[i]);
                mask_px[i] = truth_px[i] = NULL;
            }
            n = first;
        }
        /* an odd count leaves the row's other place empty, so the next video starts a row */
        while (n % SHEET_COLUMNS) n++; /* frames[n] stays empty, mask_px[n] NULL */
    }
    adnet_image sheet = {0};
    if (st == ADNET_OK && n > 0)
        st = adn_contact_sheet_render(frames, mask_px, truth_px, n, SHEET_COLUMNS, &sheet);
    if (st == ADNET_OK && n > 0) st = adnet_image_save(path, &sheet);
    adnet_image_free(&sheet);
    /* every place, a pair that failed half-way and the empty ones included */
    for (int i = 0; i < SHEET_MAX; i++) {
        adnet_image_free(&frames[i]);
        adnet_image_free(&masks[i]);
        adnet_image_free(&truths[i]);
    }
    return st;
}

int cmd_demo(int argc, char **argv) {
    const char *out = "demo-output", *device = NULL, *size = NULL, *weights_arg = NULL;
    const char *frames_arg = NULL, *annotations = NULL, *model_name = NULL;
    int ms_mirror = 0;
    cli_option opts[] = {
        {"out", "DIR",
         "where the masks, overlays, summary and contact sheet go (default "
         "demo-output)",
         &out, NULL},
        {"weights", "FILE", "any AD-Net weights file instead of the demo model", &weights_arg,
         NULL},
        {"model", "NAME",
         "with --weights: ad, inter, intra, concat or base (when the file does "
         "not say)",
         &model_name, NULL},
        {"frames", "DIR", "a folder of frames instead of the held-out demo clip", &frames_arg,
         NULL},
        {"annotations", "DIR", "with --frames: ground-truth masks (<frame>.png) to score against",
         &annotations, NULL},
        {"size", "WxH",
         "network input size (default " DEMO_SIZE " for the demo model, 857x481 "
         "with --weights)",
         &size, NULL},
        {"ms-mirror", NULL, "multi-scale + mirror: six passes per frame", NULL, &ms_mirror},
        {"device", "SPEC",
         "OpenCL device (index, gpu, cpu, accelerator or a name substring), or several: a "
         "comma-separated list, all, SPEC/N to split one",
         &device, NULL},
    };
    cli_command cmd = {"adnet demo",
                       "[--out DIR] [options]",
                       "Segments a held-out synthetic clip with adnet's demo model (a small AD-Net "
                       "trained on synthetic\nclips from real photographs, shipped as "
                       "demo.safetensors), with the released evaluation loop,\nand prints J and F "
                       "against the clip's ground truth. Writes masks, overlays and\n"
                       "DIR/contact_sheet.png (frames with the predicted mask outlined, the ground "
                       "truth beside them).",
                       NULL,
                       opts,
                       (int)(sizeof opts / sizeof opts[0]),
                       0,
                       0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;
    if (annotations && !frames_arg)
        return cli_usage_error(&cmd, "--annotations goes with --frames");
    if (model_name && !weights_arg) return cli_usage_error(&cmd, "--model goes with --weights");
    adn_segment_options o;
    adn_segment_options_default(&o);
    if (!size) size = weights_arg ? "857x481" : DEMO_SIZE;
    if (cli_parse_size(size, &o.width, &o.height) != 0)
        return cli_usage_error(&cmd, "--size must be WxH, got '%s'", size);
    adnet_model_kind kind = ADNET_MODEL_UNKNOWN;
    if (model_name && (kind = adnet_model_kind_parse(model_name)) == ADNET_MODEL_UNKNOWN)
        return cli_usage_error(&cmd, "unknown --model '%s'", model_name);
    o.overlay = 1;
    o.ms_mirror = ms_mirror;

    char weights[4200], clip[4200];
    if (weights_arg) {
        snprintf(weights, sizeof weights, "%s", weights_arg);
    } else if (!find_shipped(DEMO_WEIGHTS, weights, sizeof weights)) {
        fprintf(stderr,
                "adnet demo: the demo model (%s) is neither next to the adnet binary nor in "
                "../share/adnet (nor in $ADNET_DEMO_DIR): build with `make` or install with "
                "`make install`, or pass --weights FILE\n",
                DEMO_WEIGHTS);
        return CLI_EXIT_FAILURE;
    }
    if (!frames_arg && !find_shipped(DEMO_CLIPS, clip, sizeof clip)) {
        fprintf(stderr,
                "adnet demo: the held-out demo clips (%s) are neither next to the adnet binary nor "
                "in ../share/adnet (nor in $ADNET_DEMO_DIR): pass --frames DIR\n",
                DEMO_CLIPS);
        return CLI_EXIT_FAILURE;
    }
    o.weights_path = weights;

    adn_arch arch;
    adn_weights *w = NULL;
    adn_device_entry *devs = NULL;
    int n_devs = 0;
    adn_sched *sched = NULL;
    adn_video_set set = {0};
    adnet_status st = adn_weights_open_checked(weights, kind, &w, &arch);
    if (st != ADNET_OK) return cli_fail(st);
    describe_model(w, &arch, weights, !weights_arg);
    st = adn_device_list_resolve(device, &devs, &n_devs);
    if (st != ADNET_OK) {
        fprintf(stderr, "adnet demo: %s\n", adnet_last_error());
        adn_weights_close(w);
        return st == ADNET_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    st = frames_arg ? adn_videos_from_frames(frames_arg, annotations, NULL, &set)
                    : adn_videos_from_davis(clip, "all", NULL, NULL, &set);
    if (st == ADNET_OK && frames_arg)
        printf("clip: %s, %lld frames%s\n", frames_arg, set.total_frames,
               set.videos[0].annotations ? ", with ground truth"
                                         : " (no ground truth: nothing to score)");
    else if (st == ADNET_OK)
        printf("clips: %d held-out synthetic clips (%lld frames) with ground truth: photographs "
               "and seeds\n  that training never saw (weights/synth_clips.py --split demo)\n",
               set.n, set.total_frames);
    for (int i = 0; st == ADNET_OK && i < n_devs; i++) {
        char label[200];
        adn_device_entry_label(&devs[i], label, sizeof label);
        printf("device: %s (%s)\n", label, devs[i].info.platform);
    }
    /* a replica of the model on each device, as adnet segment runs them */
    if (st == ADNET_OK)
        st = adn_sched_create(devs, n_devs, w, &arch, &o.width, &o.height, 1, &sched);
    if (st == ADNET_OK) st = adn_sched_wait_ready(sched);
    adn_segment_result res = {0};
    if (st == ADNET_OK) {
        printf("segmenting at %dx%d with the released loop%s...\n", o.width, o.height,
               o.ms_mirror ? " (multi-scale + mirror)" : "");
        cli_display d;
        cli_display_init(&d, 0);
        st = adn_segment_videos_on(sched, &set, out, &o, cli_display_progress, &d, &res);
        cli_display_clear(&d);
    }
    char sheet[4300];
    snprintf(sheet, sizeof sheet, "%s/contact_sheet.png", out);
    if (st == ADNET_OK) st = write_contact_sheet(out, &set, sheet);
    if (st == ADNET_OK) {
        printf("done: %lld frames in %.1f s; masks in %s/masks, overlays in %s/overlays\n",
               res.frames_done, res.seconds, out, out);
        printf("contact sheet: %s (left: the frame with the predicted mask; right: the ground "
               "truth)\n",
               sheet);
        if (res.videos_scored > 0) printf("J mean %.2f, F mean %.2f\n", res.j_mean, res.f_mean);
        if (res.videos_scored > 1) printf("(the DAVIS means over %d clips)\n", res.videos_scored);
    }
    adn_video_set_free(&set);
    adn_sched_free(sched);
    adn_weights_close(w);
    adn_device_list_free(devs, n_devs);
    if (st == ADNET_ERR_DEVICE_LOST) {
        fprintf(stderr, "adnet demo: %s\n", adnet_last_error());
        return CLI_EXIT_DEVICE;
    }
    return st == ADNET_OK ? CLI_EXIT_OK : cli_fail(st);
}
