/* adnet segment: the released evaluation loop over a folder of frames or a DAVIS tree, with a
 * progress display, scores on the fly and shards for batch engines. */
#include "args.h"
#include "commands.h"
#include "progress.h"

#include "adnet.h"
#include "dataset.h"
#include "files.h"
#include "model.h"
#include "outputs.h"
#include "passes.h"
#include "pipeline.h"
#include "scheduler.h"
#include "status.h"
#include "weights.h"
#include "device_select.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- signals ---------------------------------------------------------------------------- */

static volatile sig_atomic_t g_interrupted;

static void on_interrupt(int sig) {
    (void)sig;
    g_interrupted = 1;
}

static void catch_interrupts(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = (int)SA_RESETHAND; /* a second Ctrl-C ends the program at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- the command ------------------------------------------------------------------------ */

enum { EXIT_INTERRUPTED = 130 };

static const char epilog[] =
    "Outputs (DAVIS results layout; with --frames there is no <video>/ level):\n"
    "  OUT/masks/<video>/<frame>.png      0/255 masks, or palette index 1 with --palette\n"
    "  OUT/heatmaps/<video>/<frame>.png   sigmoid of the final logits x 255 (--save-heatmaps)\n"
    "  OUT/logits/<video>/<frame>.npy     float32 1 x h x w raw network output; with\n"
    "                                     --ms-mirror the averaged logits at frame size\n"
    "  OUT/overlays/<video>/<frame>.jpg   frame, tinted mask and outline (--overlay)\n"
    "  OUT/summary/<video>.json           per video (OUT/summary.json with --frames)\n"
    "Every file is written under a temporary name and renamed: none is ever half-written.\n"
    "Scores (--annotations, or Annotations/480p/<video> with --davis) go to standard output,\n"
    "one line per video and the mean at the end; progress goes to standard error.\n"
    "\n"
    "Examples:\n"
    "  adnet segment --weights ad.safetensors --frames clip/ --out result/\n"
    "  adnet segment --weights ad.safetensors --davis DAVIS --videos val --ms-mirror --out r/\n"
    "  adnet segment --weights ad.safetensors --davis DAVIS --videos all --shard 3/8 --out r/\n"
    "\n"
    "Several devices (--device gpu,cpu or all; cpu/2 splits a device in two) share the\n"
    "frames: each goes to the device expected to finish it first; a device that fails is\n"
    "retired and its frames go to the others. ADNET_FAULT injects faults (docs/usage.md).\n"
    "\n"
    "Exit status: 0 success, 1 the run failed (the message names the file), 2 bad command\n"
    "line (also a device list that names nothing or a device twice), 3 every device failed\n"
    "(retryable: the input is fine), 130 interrupted (every file written so far is complete).\n";

/* The weights, checked once, and a replica of the model on every device of the list (opened
 * in parallel by the scheduler; the weights stay open while it runs). */
static adnet_status open_models(const char *path, adnet_model_kind kind,
                                const adn_device_entry *devs, int n, const adn_segment_options *o,
                                adn_weights **w, adn_sched **sched) {
    adn_arch arch;
    adn_passes ps;
    ADN_TRY(adn_passes_make(o->width, o->height, o->ms_mirror, &ps));
    ADN_TRY(adn_weights_open_checked(path, kind, w, &arch));
    return adn_passes_sched_create(devs, n, *w, &arch, &ps, sched);
}

typedef struct resume_check {
    const char *out;
    const adn_segment_options *o;
} resume_check;

static int not_complete(const adn_video *v, void *user) {
    const resume_check *r = user;
    return !adn_video_outputs_complete(r->out, v, r->o);
}

int cmd_segment(int argc, char **argv) {
    const char *weights = NULL, *frames_dir = NULL, *davis = NULL, *videos = NULL;
    const char *out_dir = NULL, *model_name = NULL, *size = "857x481", *device = NULL;
    const char *threshold = "0.5", *anchor = "0", *prune = NULL, *annotations = NULL;
    const char *shard = NULL;
    int save_logits = 0, save_heatmaps = 0, overlay = 0, palette = 0, no_temporal = 0;
    int ms_mirror = 0, quiet = 0, list = 0, resume = 0;
    cli_option opts[] = {
        {"weights", "W", "AD-Net weights (safetensors; see weights/convert.py)", &weights, NULL},
        {"frames", "DIR", "one video: the .jpg/.png frames of DIR in name order", &frames_dir,
         NULL},
        {"davis", "ROOT", "a DAVIS tree: ROOT/JPEGImages/480p/<video>/", &davis, NULL},
        {"videos", "SET",
         "with --davis: val or train (ROOT/ImageSets/2016/SET.txt), all (every folder), or "
         "names a,b,c (default: val)",
         &videos, NULL},
        {"out", "OUT", "output folder (see Outputs below)", &out_dir, NULL},
        {"model", "NAME", "ad, inter, intra, concat or base (default: from the weights)",
         &model_name, NULL},
        {"size", "WxH", "network input size (the frames are resized to it)", &size, NULL},
        {"anchor", "N", "index of the anchor frame in every video (0 = the first, as released)",
         &anchor, NULL},
        {"threshold", "T", "mask = logits > T (raw logits, not a sigmoid)", &threshold, NULL},
        {"no-temporal", NULL, "turn off the released temporal post-processing (on by default)",
         NULL, &no_temporal},
        {"ms-mirror", NULL,
         "multi-scale + mirror: 0.75, 1 and 1.5 x --size, each also mirrored; the six logit "
         "maps are averaged (6x slower)",
         NULL, &ms_mirror},
        {"prune-masks", "DIR",
         "instance pruning with per-frame masks DIR/<frame>.png (DIR/<video>/<frame>.png with "
         "--davis); 0 = cut",
         &prune, NULL},
        {"annotations", "DIR",
         "score masks against DIR/<frame>.png (DIR/<video>/... with --davis; default there: "
         "ROOT/Annotations/480p)",
         &annotations, NULL},
        {"save-logits", NULL,
         "write OUT/logits/: raw 1 x h x w float32 .npy; with --ms-mirror the averaged logits "
         "at frame size (1 x H x W)",
         NULL, &save_logits},
        {"save-heatmaps", NULL, "write OUT/heatmaps/: sigmoid of the final logits, 8-bit PNG", NULL,
         &save_heatmaps},
        {"overlay", NULL,
         "write OUT/overlays/: each frame with its mask tinted and outlined (JPEG)", NULL,
         &overlay},
        {"palette", NULL, "write masks as DAVIS palette PNGs (index 1 = object) instead of 0/255",
         NULL, &palette},
        {"shard", "I/N",
         "with --davis: only the I-th of N disjoint shares of the videos (0 <= I < N; a video's "
         "share depends on its name only)",
         &shard, NULL},
        {"list", NULL, "print the videos this command would segment (name, frames) and exit", NULL,
         &list},
        {"resume", NULL,
         "skip the videos whose outputs in OUT are complete (their summary is written, and "
         "every frame's files): a re-run after a crash or a preempted job does the rest",
         NULL, &resume},
        {"device", "SPEC",
         "OpenCL devices: an index, gpu, cpu, accelerator or a name substring; several "
         "separated by commas, or all; SPEC/N splits a device into N (default: $ADNET_DEVICE, "
         "else the fastest GPU, else the CPU)",
         &device, NULL},
        {"quiet", NULL, "no progress on standard error (scores and errors are still printed)", NULL,
         &quiet},
    };
    cli_command cmd = {
        "adnet segment",
        "--weights W (--frames DIR | --davis ROOT [--videos SET]) --out OUT [options]",
        "Segments the primary object in every frame of each video as the released AD-Net "
        "evaluation\ndoes: the anchor's embedding once per video, logits (optionally multi-scale "
        "+ mirror) at\nthe frame's size, instance pruning (with --prune-masks), the temporal "
        "step, and the\nthreshold on raw logits. Decoding, the device and writing overlap.",
        epilog,
        opts,
        (int)(sizeof opts / sizeof opts[0]),
        0,
        0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;

    if (!frames_dir == !davis)
        return cli_usage_error(&cmd, "give either --frames DIR or --davis ROOT");
    if (videos && !davis) return cli_usage_error(&cmd, "--videos needs --davis");
    if (!videos) videos = "val";
    if (!list && !weights) return cli_usage_error(&cmd, "--weights is required");
    if (!list && !out_dir) return cli_usage_error(&cmd, "--out is required");
    int shard_i = 0, shard_n = 1;
    if (shard) {
        if (!davis) return cli_usage_error(&cmd, "--shard needs --davis");
        if (cli_parse_shard(shard, &shard_i, &shard_n) != 0)
            return cli_usage_error(&cmd, "--shard must be I/N with 0 <= I < N, got '%s'", shard);
    }
    adn_segment_options o;
    adn_segment_options_default(&o);
    if (cli_parse_size(size, &o.width, &o.height) != 0)
        return cli_usage_error(&cmd, "--size must be WxH (e.g. 857x481), got '%s'", size);
    char *end;
    o.threshold = strtof(threshold, &end);
    if (end == threshold || *end) return cli_usage_error(&cmd, "--threshold must be a number");
    if (cli_parse_int(anchor, &o.anchor_index) != 0)
        return cli_usage_error(&cmd, "--anchor must be a frame index (0, 1, ...), got '%s'",
                               anchor);
    o.temporal = !no_temporal;
    o.ms_mirror = ms_mirror;
    o.save_logits = save_logits;
    o.save_heatmaps = save_heatmaps;
    o.overlay = overlay;
    o.palette = palette;
    o.weights_path = weights;
    adnet_model_kind kind = ADNET_MODEL_UNKNOWN;
    if (model_name && (kind = adnet_model_kind_parse(model_name)) == ADNET_MODEL_UNKNOWN)
        return cli_usage_error(&cmd, "unknown --model '%s' (ad, inter, intra, concat, base)",
                               model_name);

    adn_video_set set;
    int st = davis ? adn_videos_from_davis(davis, videos, annotations, prune, &set)
                   : adn_videos_from_frames(frames_dir, annotations, prune, &set);
    if (st != ADNET_OK) return cli_fail(st);
    if (shard) adn_videos_keep_share(&set, shard_i, shard_n);
    if (list) {
        for (int i = 0; i < set.n; i++)
            printf("%s\t%d\n", set.videos[i].name, set.videos[i].frames.n);
        adn_video_set_free(&set);
        return CLI_EXIT_OK;
    }
    cli_display d;
    cli_display_init(&d, quiet);
    /* a run that was killed (SIGKILL, a lost machine) leaves its unfinished files under
     * temporary names; a new run into the same folder removes them */
    int stale = adn_remove_stale_temporaries(out_dir);
    if (!quiet && stale)
        fprintf(stderr, "adnet: removed %d unfinished file%s of a killed run from %s\n", stale,
                stale == 1 ? "" : "s", out_dir);
    if (resume && !list) {
        resume_check rc_ = {out_dir, &o};
        int done = adn_videos_keep(&set, not_complete, &rc_);
        if (!quiet && done)
            fprintf(stderr, "adnet: --resume: %d video%s already complete in %s, %d to do\n", done,
                    done == 1 ? "" : "s", out_dir, set.n);
        if (set.n == 0) {
            adn_video_set_free(&set);
            return CLI_EXIT_OK;
        }
    }
    if (set.n == 0) {
        if (!quiet)
            fprintf(stderr, "adnet: shard %d/%d holds none of the videos\n", shard_i, shard_n);
        adn_video_set_free(&set);
        return CLI_EXIT_OK;
    }
    /* what can fail without the model fails before it is loaded */
    for (int i = 0; i < set.n; i++)
        if (o.anchor_index >= set.videos[i].frames.n) {
            fprintf(stderr, "adnet: anchor frame %d does not exist: video '%s' has %d frames\n",
                    o.anchor_index, set.videos[i].name, set.videos[i].frames.n);
            adn_video_set_free(&set);
            return CLI_EXIT_FAILURE;
        }
    if ((st = adn_mkdir_p(out_dir)) != ADNET_OK) {
        adn_video_set_free(&set);
        return cli_fail(st);
    }

    adn_device_entry *devs = NULL;
    int n_devs = 0;
    st = adn_device_list_resolve(device, &devs, &n_devs);
    if (st != ADNET_OK) {
        adn_video_set_free(&set);
        fprintf(stderr, "adnet segment: %s\n", adnet_last_error());
        return st == ADNET_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    adn_sched *sched = NULL;
    adn_weights *w = NULL;
    st = open_models(weights, kind, devs, n_devs, &o, &w, &sched);
    if (st == ADNET_OK) st = adn_sched_wait_ready(sched);
    if (st != ADNET_OK) {
        int code = cli_fail(st);
        adn_sched_free(sched);
        adn_weights_close(w);
        adn_device_list_free(devs, n_devs);
        adn_video_set_free(&set);
        return code;
    }
    if (!quiet) {
        adnet_model_info info;
        adn_sched_model_info(sched, &info);
        fprintf(stderr, "adnet: %s R%d (E=%d) on %s; %d video%s, %lld frames, input %dx%d%s\n",
                adnet_model_kind_name(info.kind), info.depth, info.embed, info.device, set.n,
                set.n == 1 ? "" : "s", set.total_frames, o.width, o.height,
                o.ms_mirror ? " x 3 scales x mirror" : "");
        for (int i = 0; n_devs > 1 && i < n_devs; i++) {
            char label[200];
            adn_device_entry_label(&devs[i], label, sizeof label);
            fprintf(stderr, "adnet: device %d: %s\n", i, label);
        }
    }
    catch_interrupts();
    o.cancel = &g_interrupted;
    adn_segment_result res;
    st = adn_segment_videos_on(sched, &set, out_dir, &o, cli_display_progress, &d, &res);
    cli_display_clear(&d);
    fflush(stderr);
    if (res.videos_scored > 0 && st == ADNET_OK && !res.cancelled) {
        printf("mean IoU over %d video%s: %.6f\n", res.videos_scored,
               res.videos_scored == 1 ? "" : "s", res.mean_iou);
        fflush(stdout);
    }
    adn_sched_free(sched);
    adn_weights_close(w);
    adn_device_list_free(devs, n_devs);
    adn_video_set_free(&set);
    if (st != ADNET_OK) return cli_fail(st);
    if (res.cancelled) {
        fprintf(stderr, "adnet: interrupted after %lld frames; every file written is complete\n",
                res.frames_done);
        return EXIT_INTERRUPTED;
    }
    if (!quiet)
        fprintf(stderr, "adnet: %d video%s, %lld frames in %.1f s (%.2f frames/s); results in %s\n",
                res.videos_done, res.videos_done == 1 ? "" : "s", res.frames_done, res.seconds,
                res.seconds > 0 ? (double)res.frames_done / res.seconds : 0.0, out_dir);
    return CLI_EXIT_OK;
}
