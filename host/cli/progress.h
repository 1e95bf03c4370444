/* The progress display of the commands that segment videos (segment, demo): on a terminal one
 * redrawn line with a bar, the frame rate and the time left; otherwise a plain line at most
 * once a second; per-video lines and scores when a video ends. */
#ifndef ADN_CLI_PROGRESS_H
#define ADN_CLI_PROGRESS_H

#include "segment_options.h"

typedef struct cli_display {
    int tty;          /* stderr is a terminal: one redrawn line with a bar */
    int quiet;        /* nothing on stderr but errors */
    int bar_shown;    /* the bar line is on screen and must be cleared before printing */
    double last_draw; /* elapsed time of the last redraw or plain line */
    double rate_t0;   /* elapsed time and frames done when the rate measurement began */
    long long rate_f0;
} cli_display;

void cli_display_init(cli_display *d, int quiet);
/* An adn_segment_progress_fn; user is the cli_display. */
void cli_display_progress(void *user, const adn_progress *e);
/* Clears the bar line, if shown, before something else is printed. */
void cli_display_clear(cli_display *d);

#endif
