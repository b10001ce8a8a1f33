/*  ctl_screen.h — lays the live view out as text lines: header, rates,
    latency percentiles, books, rate-limit bars, open orders, recent fills
    and health, fitted to a width and height.

    The layout is pure: it hands each line to a callback with a style, so
    ctl_view draws it with ncurses and tests (and the README's sample
    screen) read it as plain text. Refresh the model first.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef CTL_SCREEN_H_INCLUDED
#define CTL_SCREEN_H_INCLUDED

#include <stdint.h>
#include "ctl_model.h"

#ifdef __cplusplus
extern "C" {
#endif

//  How a line is drawn.
typedef enum {
    CTL_STYLE_NORMAL = 0,  //  Plain
    CTL_STYLE_TITLE,       //  Section title (bold)
    CTL_STYLE_HEADER,      //  Column headings (underlined)
    CTL_STYLE_GOOD,        //  Healthy, synced (green)
    CTL_STYLE_BAD,         //  Unhealthy, recovering, firing, near a limit (red)
} ctl_style_t;

//  Smallest screen laid out; smaller ones get one line saying so.
#define CTL_SCREEN_MIN_WIDTH  40
#define CTL_SCREEN_MIN_HEIGHT 10
//  Widest line produced (wider screens get lines this long).
#define CTL_SCREEN_MAX_WIDTH 512
//  Cells of a rate-limit bar.
#define CTL_SCREEN_BAR_CELLS 20
//  Utilisation at or above which a bar is drawn as bad (permille).
#define CTL_SCREEN_BAR_ALERT_PERMILLE 800

//  Receives line `row` (0 = top) of the screen; text is at most the
//  screen's width and borrowed for the call.
typedef void (ctl_screen_line_fn) (void *arg, int row, ctl_style_t style, const char *text);

//  What the screen shows besides the model.
typedef struct {
    const char *bus;     //  Bus endpoint, for the header
    int64_t now_ns;      //  Wall clock, ns since the epoch
    const char *status;  //  Bottom line (last log line or a hint), may be NULL
} ctl_screen_info_t;

//  Lay out the screen for width x height cells and call line for each
//  line, top to bottom (rows not called for are blank).
void ctl_screen_render (ctl_model_t *model, const ctl_screen_info_t *info, int width, int height,
                        ctl_screen_line_fn *line, void *arg);

//  Format a duration in ns for people ("850ns", "12.3us", "4.56ms",
//  "1.20s") into buffer. Returns buffer.
const char *ctl_screen_duration (int64_t ns, char *buffer, size_t size);

#ifdef __cplusplus
}
#endif
#endif
