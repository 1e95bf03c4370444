/* adnet segment: the frames of a video in, masks (and logits) out. */
#include "args.h"
#include "commands.h"

#include "adnet.h"
#include "device.h"
#include "frames.h"
#include "model.h"
#include "video.h"
#include "weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct progress_state {
    int tty;
} progress_state;

static void on_frame(void *user, int frame, int n, const char *name) {
    progress_state *p = user;
    if (p->tty) {
        fprintf(stderr, "\rframe %d/%d %s   ", frame + 1, n, name);
        if (frame + 1 == n) fprintf(stderr, "\n");
    } else {
        fprintf(stderr, "frame %d/%d %s\n", frame + 1, n, name);
    }
}

int cmd_segment(int argc, char **argv) {
    const char *weights = NULL, *frames_dir = NULL, *out_dir = NULL, *model_name = NULL;
    const char *size = "857x481", *device = NULL, *threshold = "0.5";
    int save_logits = 0, quiet = 0;
    cli_option opts[] = {
        {"weights", "W", "AD-Net weights (safetensors; see weights/convert.py)", &weights, NULL},
        {"frames", "DIR", "a video: its .jpg/.png frames in name order, the first is the anchor",
         &frames_dir, NULL},
        {"out", "OUT", "output directory: OUT/masks/<frame>.png, OUT/logits/<frame>.npy", &out_dir,
         NULL},
        {"model", "NAME", "ad, inter, intra, concat or base (default: from the weights)",
         &model_name, NULL},
        {"size", "WxH", "network input size", &size, NULL},
        {"threshold", "T", "mask threshold on the raw logits", &threshold, NULL},
        {"save-logits", NULL, "also write the raw logits (1 x h x w float32 .npy)", NULL,
         &save_logits},
        {"device", "SPEC",
         "OpenCL device: index, gpu, cpu, accelerator or a name substring "
         "(default: $ADNET_DEVICE, else the fastest GPU, else the CPU)",
         &device, NULL},
        {"quiet", NULL, "print nothing but errors", NULL, &quiet},
    };
    cli_command cmd = {"adnet segment",
                       "--weights W --frames DIR --out OUT [options]",
                       "Segments the primary object in every frame of a video with AD-Net. The "
                       "anchor's embedding\nis computed once; masks are written at each frame's "
                       "own size (logits upsampled with\nalign_corners=True, threshold on the raw "
                       "logits).",
                       NULL,
                       opts,
                       (int)(sizeof opts / sizeof opts[0]),
                       0,
                       0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;
    if (!weights) return cli_usage_error(&cmd, "--weights is required");
    if (!frames_dir) return cli_usage_error(&cmd, "--frames is required");
    if (!out_dir) return cli_usage_error(&cmd, "--out is required");

    adn_segment_options o;
    adn_segment_options_default(&o);
    o.save_logits = save_logits;
    if (cli_parse_size(size, &o.width, &o.height) != 0)
        return cli_usage_error(&cmd, "--size must be WxH (e.g. 857x481), got '%s'", size);
    char *end;
    o.threshold = strtof(threshold, &end);
    if (end == threshold || *end) return cli_usage_error(&cmd, "--threshold must be a number");
    adnet_model_kind kind = ADNET_MODEL_UNKNOWN;
    if (model_name && (kind = adnet_model_kind_parse(model_name)) == ADNET_MODEL_UNKNOWN)
        return cli_usage_error(&cmd, "unknown --model '%s' (ad, inter, intra, concat, base)",
                               model_name);

    adn_frame_list frames;
    int st = adn_frames_list(frames_dir, &frames);
    if (st != ADNET_OK) return cli_fail(st);
    int dev_index;
    st = adnet_device_select(device, &dev_index);
    adnet_model *m = NULL;
    if (st == ADNET_OK) st = adnet_model_load(weights, kind, dev_index, &m);
    if (st != ADNET_OK) {
        adn_frames_free(&frames);
        return cli_fail(st);
    }
    if (!quiet) {
        adnet_model_info info;
        adnet_model_get_info(m, &info);
        fprintf(stderr, "adnet: %s R%d (E=%d) on %s, %d frames at %dx%d\n",
                adnet_model_kind_name(info.kind), info.depth, info.embed, info.device, frames.n,
                o.width, o.height);
    }
    progress_state ps = {isatty(2)};
    st = adn_segment_video(m, &frames, out_dir, &o, quiet ? NULL : on_frame, &ps);
    adnet_model_free(m);
    adn_frames_free(&frames);
    if (st != ADNET_OK) return cli_fail(st);
    return CLI_EXIT_OK;
}
