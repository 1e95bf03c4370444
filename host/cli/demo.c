/* adnet demo: the main job end to end on what is built in. No released weights are embedded
 * (they cannot be redistributed here), so the demo says so and runs AD-Net with generated
 * random weights on a generated clip: it shows the pipeline working on this machine's device,
 * not what the trained model sees. */
#include "args.h"
#include "commands.h"

#include "files.h"
#include "frames.h"
#include "image.h"
#include "model.h"
#include "dataset.h"
#include "pipeline.h"
#include "scheduler.h"
#include "weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A clip of an ellipse moving across a textured gradient, as 8-bit BGR JPEGs. */
static int write_clip(const char *dir, int n, int w, int h) {
    adnet_image img = {0};
    if (adn_image_alloc(&img, w, h, 3) != ADNET_OK) return cli_fail(ADNET_ERR_OUT_OF_MEMORY);
    for (int f = 0; f < n; f++) {
        double cx = w * (0.3 + 0.4 * f / (n > 1 ? n - 1 : 1)), cy = h * 0.55;
        double rx = w * 0.16, ry = h * 0.28;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                uint8_t *p = img.data + ((size_t)y * w + x) * 3;
                double tex = 12.0 * sin(x * 0.21 + f * 0.3) * cos(y * 0.17);
                double dx = (x - cx) / rx, dy = (y - cy) / ry;
                int inside = dx * dx + dy * dy <= 1.0;
                double b = inside ? 40 : 150 + 60.0 * y / h + tex;
                double g = inside ? 60 : 120 + 40.0 * x / w + tex;
                double r = inside ? 210 : 90 + tex;
                p[0] = (uint8_t)fmin(255, fmax(0, b));
                p[1] = (uint8_t)fmin(255, fmax(0, g));
                p[2] = (uint8_t)fmin(255, fmax(0, r));
            }
        }
        char path[4300];
        snprintf(path, sizeof path, "%s/%05d.jpg", dir, f % 100000);
        int st = adn_jpeg_write_bgr(path, &img, 95);
        if (st != ADNET_OK) {
            adnet_image_free(&img);
            return cli_fail(st);
        }
    }
    adnet_image_free(&img);
    return CLI_EXIT_OK;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void on_progress(void *user, const adn_progress *e) {
    (void)user;
    if (e->kind == ADN_PROGRESS_FRAME) {
        printf("  frame %d/%d %s\n", e->frame + 1, e->n_frames, e->frame_name);
        fflush(stdout);
    } else if (e->kind == ADN_PROGRESS_WARNING) {
        fprintf(stderr, "adnet: warning: %s\n", e->message);
    }
}

int cmd_demo(int argc, char **argv) {
    const char *out = "demo-output", *device = NULL, *size = "257x145", *frames_arg = "4";
    const char *model_name = "ad", *depth_arg = "50";
    cli_option opts[] = {
        {"out", "DIR", "where the clip (DIR/frames) and the masks (DIR/masks) go", &out, NULL},
        {"frames", "N", "frames in the generated clip", &frames_arg, NULL},
        {"size", "WxH", "network input size", &size, NULL},
        {"model", "NAME", "ad, inter, intra, concat or base", &model_name, NULL},
        {"depth", "D", "ResNet depth: 50 or 101", &depth_arg, NULL},
        {"device", "SPEC",
         "OpenCL device (index, gpu, cpu, accelerator or a name substring), or several: a "
         "comma-separated list, all, SPEC/N to split one",
         &device, NULL},
    };
    cli_command cmd = {"adnet demo",
                       "[--out DIR] [options]",
                       "Runs AD-Net end to end on this machine's OpenCL device with GENERATED "
                       "weights on a GENERATED\nclip (no trained weights are built in): it shows "
                       "the pipeline and its speed, not real masks.\nFor real masks, convert the "
                       "released weights (docs/weights.md) and use 'adnet segment'.",
                       NULL,
                       opts,
                       (int)(sizeof opts / sizeof opts[0]),
                       0,
                       0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;
    int n_frames, depth;
    adn_segment_options o;
    adn_segment_options_default(&o);
    if (cli_parse_int(frames_arg, &n_frames) != 0 || n_frames < 1 || n_frames > 1000)
        return cli_usage_error(&cmd, "--frames must be 1..1000");
    if (cli_parse_size(size, &o.width, &o.height) != 0)
        return cli_usage_error(&cmd, "--size must be WxH");
    if (cli_parse_int(depth_arg, &depth) != 0 || (depth != 50 && depth != 101))
        return cli_usage_error(&cmd, "--depth must be 50 or 101");
    adnet_model_kind kind = adnet_model_kind_parse(model_name);
    if (kind == ADNET_MODEL_UNKNOWN)
        return cli_usage_error(&cmd, "unknown --model '%s'", model_name);

    printf("adnet demo: no trained AD-Net weights are built in, so this run uses GENERATED random\n"
           "weights (%s, ResNet-%d) on a GENERATED clip of %d frames. The masks show that the\n"
           "whole pipeline runs on this device; they are not meaningful segmentations.\n\n",
           model_name, depth, n_frames);
    char frames_dir[4200];
    snprintf(frames_dir, sizeof frames_dir, "%s/frames", out);
    int st = adn_mkdir_p(frames_dir);
    if (st != ADNET_OK) return cli_fail(st);
    rc = write_clip(frames_dir, n_frames, 320, 180);
    if (rc != CLI_EXIT_OK) return rc;
    printf("clip: %d frames of 320x180 written to %s\n", n_frames, frames_dir);

    adn_arch arch;
    adn_weights *w = NULL;
    adn_device_entry *devs = NULL;
    int n_devs = 0;
    adn_sched *sched = NULL;
    adn_video_set set = {0};
    st = adn_device_list_resolve(device, &devs, &n_devs);
    if (st != ADNET_OK) {
        fprintf(stderr, "adnet demo: %s\n", adnet_last_error());
        return st == ADNET_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    st = adn_arch_make(kind, depth, kind == ADNET_MODEL_BASE ? 1 : 128, &arch);
    if (st == ADNET_OK) st = adn_weights_synthetic(&arch, 1, &w);
    double t0 = now_seconds();
    for (int i = 0; st == ADNET_OK && i < n_devs; i++) {
        char label[200];
        adn_device_entry_label(&devs[i], label, sizeof label);
        printf("device: %s (%s)\n", label, devs[i].info.platform);
    }
    /* a replica of the model on each device, as adnet segment runs them */
    if (st == ADNET_OK)
        st = adn_sched_create(devs, n_devs, w, &arch, &o.width, &o.height, 1, &sched);
    if (st == ADNET_OK) st = adn_sched_wait_ready(sched);
    if (st == ADNET_OK) st = adn_videos_from_frames(frames_dir, NULL, NULL, &set);
    if (st == ADNET_OK) {
        printf("model ready in %.1f s; segmenting at %dx%d...\n", now_seconds() - t0, o.width,
               o.height);
        double t1 = now_seconds();
        st = adn_segment_videos_on(sched, &set, out, &o, on_progress, NULL, NULL);
        if (st == ADNET_OK)
            printf("done: %lld frames in %.1f s (%.2f s per frame, anchor included); masks in "
                   "%s/masks\n",
                   set.total_frames, now_seconds() - t1,
                   (now_seconds() - t1) / (double)set.total_frames, out);
    }
    adn_video_set_free(&set);
    adn_sched_free(sched);
    adn_weights_close(w);
    adn_device_list_free(devs, n_devs);
    return st == ADNET_OK ? CLI_EXIT_OK : cli_fail(st);
}
