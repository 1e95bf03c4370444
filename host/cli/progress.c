#include "progress.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

void cli_display_init(cli_display *d, int quiet) {
    *d = (cli_display){isatty(2), quiet, 0, -1.0, 0.0, 0};
}

static int terminal_width(void) {
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    return 80;
}

static void format_duration(double s, char *dst, size_t cap) {
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (t >= 3600)
        snprintf(dst, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(dst, cap, "%ld:%02ld", t / 60, t % 60);
}

void cli_display_clear(cli_display *d) {
    if (d->bar_shown) {
        fputs("\r\033[K", stderr);
        d->bar_shown = 0;
    }
}

/* Frames per second since the first frame was written (the start-up and the first anchor are
 * not frames), and the time left at that rate. */
static double frame_rate(const cli_display *d, const adn_progress *e) {
    double dt = e->elapsed - d->rate_t0;
    long long df = e->frames_done - d->rate_f0;
    return dt > 0 && df > 0 ? (double)df / dt : 0.0;
}

void cli_display_progress(void *user, const adn_progress *e) {
    cli_display *d = user;
    switch (e->kind) {
        case ADN_PROGRESS_VIDEO_BEGIN:
            if (e->frames_done == 0) {
                d->rate_t0 = e->elapsed;
                d->rate_f0 = 0;
            }
            return;
        case ADN_PROGRESS_FRAME: {
            if (e->frames_done == 1) { /* measure from the first written frame */
                d->rate_t0 = e->elapsed;
                d->rate_f0 = 1;
            }
            if (d->quiet) return;
            int last_of_video = e->frame + 1 == e->n_frames;
            double min_gap = d->tty ? 0.1 : 1.0;
            if (e->elapsed - d->last_draw < min_gap && !last_of_video && e->frames_done > 1) return;
            d->last_draw = e->elapsed;
            double fps = frame_rate(d, e);
            char left[32] = "--:--";
            if (fps > 0)
                format_duration((double)(e->frames_total - e->frames_done) / fps, left,
                                sizeof left);
            char rate[32] = "-- fps";
            if (fps > 0) snprintf(rate, sizeof rate, "%.2f fps", fps);
            if (d->tty) {
                char text[512];
                int n = snprintf(text, sizeof text, " video %d/%d %s  frame %d/%d  %s  %s left",
                                 e->video + 1, e->n_videos, e->video_name, e->frame + 1,
                                 e->n_frames, rate, left);
                int bar = terminal_width() - n - 3;
                if (bar > 40) bar = 40;
                fputs("\r\033[K", stderr);
                if (bar >= 10) {
                    int fill = (int)((double)bar * (double)e->frames_done /
                                     (double)(e->frames_total ? e->frames_total : 1));
                    fputc('[', stderr);
                    for (int i = 0; i < bar; i++) fputc(i < fill ? '#' : '.', stderr);
                    fputc(']', stderr);
                }
                fputs(text, stderr);
                d->bar_shown = 1;
            } else {
                fprintf(stderr, "video %d/%d %s: frame %d/%d (%s), %s, %s left\n", e->video + 1,
                        e->n_videos, e->video_name, e->frame + 1, e->n_frames, e->frame_name, rate,
                        left);
            }
            fflush(stderr);
            return;
        }
        case ADN_PROGRESS_WARNING:
            cli_display_clear(d);
            fprintf(stderr, "adnet: warning: %s\n", e->message);
            fflush(stderr);
            return;
        case ADN_PROGRESS_VIDEO_END:
            if (!d->quiet) {
                cli_display_clear(d);
                fprintf(stderr, "video %d/%d %s: %d frames in %.1f s\n", e->video + 1, e->n_videos,
                        e->video_name, e->n_frames, e->video_seconds);
                if (e->prune_missing)
                    fprintf(stderr,
                            "adnet: note: %d frame%s of %s had no pruning mask (not multiplied, "
                            "as released)\n",
                            e->prune_missing, e->prune_missing == 1 ? "" : "s", e->video_name);
            }
            if (e->scored) {
                fflush(stderr);
                printf("%s: IoU %.6f\n", e->video_name, e->iou);
                fflush(stdout);
            }
            return;
    }
}
