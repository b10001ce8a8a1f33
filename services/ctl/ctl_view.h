/*  ctl_view.h — the ncurses live view of venuebus-ctl.

    Draws ctl_screen's layout about every refresh_ms while the feed fills
    the model; the keyboard is polled together with the bus, so a key acts
    at once. q (or Q) quits; so do Ctrl-C and SIGTERM (czmq's handlers set
    zsys_interrupted, the wait returns, and the terminal is restored before
    ctl_view_run returns). A window resize redraws at the new size. While
    the view runs, log lines are shown on the bottom line instead of being
    written over the screen.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef CTL_VIEW_H_INCLUDED
#define CTL_VIEW_H_INCLUDED

#include "ctl_feed.h"
#include "ctl_model.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Run the live view on the terminal until the user quits or a signal
//  arrives. bus is shown in the header. Returns 0, or -1 when the terminal
//  cannot be used (not a terminal, unknown TERM) or the feed failed.
int ctl_view_run (ctl_feed_t *feed, ctl_model_t *model, const char *bus, int refresh_ms);

#ifdef __cplusplus
}
#endif
#endif
