/*  ctl_view.c — ncurses: draw ctl_screen's lines, read keys, handle resize.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <curses.h>
#include <string.h>
#include <unistd.h>

#include "ctl_screen.h"
#include "ctl_view.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_log.h"

#define S_NS_PER_MS 1000000LL
//  Color pairs.
#define S_PAIR_GOOD 1
#define S_PAIR_BAD  2
//  Longest log line kept for the status line.
#define S_STATUS_MAX 512
#define S_HINT       "q: quit   (log lines appear here)"

//  The last log line, shown on the status line. Written by the log callback
//  on this thread (ctl logs only from the main thread).
static char s_status[S_STATUS_MAX] = S_HINT;

//  --------------------------------------------------------------------------
//  Log sink while the screen is up: keep the last line for the status line.

static void
s_log_to_status (vb_log_level_t level, const char *line, size_t length, void *arg)
{
    (void)level;
    (void)arg;
    if (length && line[length - 1] == '\n')
        length--;
    if (length >= sizeof (s_status))
        length = sizeof (s_status) - 1;
    memcpy (s_status, line, length);
    s_status[length] = '\0';
}

//  --------------------------------------------------------------------------
//  Draw one line of the layout.

static void
s_draw_line (void *arg, int row, ctl_style_t style, const char *text)
{
    (void)arg;
    attr_t attrs = A_NORMAL;
    switch (style) {
        case CTL_STYLE_TITLE:
            attrs = A_BOLD;
            break;
        case CTL_STYLE_HEADER:
            attrs = A_UNDERLINE;
            break;
        case CTL_STYLE_GOOD:
            attrs = has_colors () ? COLOR_PAIR (S_PAIR_GOOD) : A_NORMAL;
            break;
        case CTL_STYLE_BAD:
            attrs = has_colors () ? COLOR_PAIR (S_PAIR_BAD) | A_BOLD : A_REVERSE;
            break;
        default:
            break;
    }
    attron (attrs);
    mvaddnstr (row, 0, text, COLS);
    attroff (attrs);
}

//  --------------------------------------------------------------------------
//  Draw the whole screen.

static void
s_draw (ctl_model_t *model, const char *bus)
{
    int64_t now_ns = vb_clock_now_real_ns ();
    ctl_model_refresh (model, now_ns);
    ctl_screen_info_t info = {.bus = bus, .now_ns = now_ns, .status = s_status};
    erase ();
    ctl_screen_render (model, &info, COLS, LINES, s_draw_line, NULL);
    refresh ();
}

//  --------------------------------------------------------------------------
//  Read every pending key. Returns 1 to quit, 2 to redraw now, 0 otherwise.

static int
s_keys (void)
{
    int action = 0;
    for (int key = getch (); key != ERR; key = getch ()) {
        if (key == 'q' || key == 'Q')
            return 1;
        if (key == KEY_RESIZE || key == 'r' || key == 'R')
            action = 2;
    }
    return action;
}

//  --------------------------------------------------------------------------
//  Run the live view.

int
ctl_view_run (ctl_feed_t *feed, ctl_model_t *model, const char *bus, int refresh_ms)
{
    assert (feed);
    assert (model);
    if (!isatty (STDIN_FILENO) || !isatty (STDOUT_FILENO)) {
        vb_log_error ("live view needs a terminal; use books, limits, orders or health");
        return -1;
    }
    SCREEN *screen = newterm (NULL, stdout, stdin);
    if (!screen) {
        vb_log_error ("terminal not usable term=%s", getenv ("TERM") ? getenv ("TERM") : "");
        return -1;
    }
    set_term (screen);
    cbreak ();  //  Ctrl-C still raises SIGINT, which czmq turns into zsys_interrupted
    noecho ();
    nodelay (stdscr, TRUE);
    keypad (stdscr, TRUE);
    curs_set (0);
    if (has_colors ()) {
        start_color ();
        use_default_colors ();
        init_pair (S_PAIR_GOOD, COLOR_GREEN, -1);
        init_pair (S_PAIR_BAD, COLOR_RED, -1);
    }
    vb_log_set_callback (s_log_to_status, NULL);

    int rc = 0;
    int64_t next_ns = vb_clock_now_mono_ns ();
    while (!zsys_interrupted) {
        int64_t now_ns = vb_clock_now_mono_ns ();
        if (now_ns >= next_ns) {
            s_draw (model, bus);
            next_ns = now_ns + (int64_t)refresh_ms * S_NS_PER_MS;
        }
        int wait_ms = (int)((next_ns - now_ns + S_NS_PER_MS - 1) / S_NS_PER_MS);
        int ready = ctl_feed_pump (feed, wait_ms, STDIN_FILENO);
        if (ready < 0) {
            rc = -1;
            break;
        }
        //  Keys are read even when stdin did not wake the wait: a resize
        //  arrives as SIGWINCH, which only interrupts it, and getch then
        //  reports KEY_RESIZE.
        int action = s_keys ();
        if (action == 1)
            break;
        if (action == 2)
            next_ns = 0;
    }
    endwin ();
    delscreen (screen);
    vb_log_set_callback (NULL, NULL);
    if (rc)
        vb_log_error ("bus subscriber failed; live view stopped");
    return rc;
}
