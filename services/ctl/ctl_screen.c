/*  ctl_screen.c — the live view laid out as styled text lines.

    Space: three header lines and a status line are fixed. Each other
    section takes a title line plus its rows (or one "no data" line);
    limits, orders, fills and health are capped at S_SECTION_ROWS_MAX rows
    each and the books get all the space left, since top of book is what
    the view is for. Rows that do not fit end with a "... N more" line.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <string.h>
#include <time.h>

#include "ctl_report.h"
#include "ctl_screen.h"

//  Most rows of a section other than books.
#define S_SECTION_ROWS_MAX 6
//  Lines above the sections: title, rates, latency.
#define S_HEADER_LINES         3
#define S_STATUS_LINES         1
#define S_NS_PER_US            1000LL
#define S_NS_PER_MS            1000000LL
#define S_NS_PER_S             1000000000LL
#define S_PERMILLE             1000
#define S_PERMILLE_PER_PERCENT 10
#define S_TIME_TEXT            32

//  The renderer's state while laying out one screen.
typedef struct {
    int width;                 //  Columns
    int height;                //  Rows
    int row;                   //  Next row to fill
    ctl_screen_line_fn *line;  //  Where lines go
    void *arg;                 //  Its argument
} s_out_t;

//  --------------------------------------------------------------------------
//  Emit one formatted line, cut to the width, if it still fits.

static void s_emit (s_out_t *out, ctl_style_t style, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_emit (s_out_t *out, ctl_style_t style, const char *format, ...)
{
    if (out->row >= out->height)
        return;
    char text[CTL_SCREEN_MAX_WIDTH + 1];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    if ((int)strlen (text) > out->width)
        text[out->width] = '\0';
    out->line (out->arg, out->row++, style, text);
}

//  --------------------------------------------------------------------------
//  Format a duration for people.

const char *
ctl_screen_duration (int64_t ns, char *buffer, size_t size)
{
    if (ns < S_NS_PER_US)
        snprintf (buffer, size, "%" PRId64 "ns", ns);
    else if (ns < S_NS_PER_MS)
        snprintf (buffer, size, "%.1fus", (double)ns / S_NS_PER_US);
    else if (ns < S_NS_PER_S)
        snprintf (buffer, size, "%.2fms", (double)ns / S_NS_PER_MS);
    else
        snprintf (buffer, size, "%.2fs", (double)ns / S_NS_PER_S);
    return buffer;
}

//  --------------------------------------------------------------------------
//  Title, message rates and latency percentiles.

static void
s_header (s_out_t *out, ctl_model_t *model, const ctl_screen_info_t *info)
{
    time_t seconds = (time_t)(info->now_ns / S_NS_PER_S);
    struct tm tm;
    char when[S_TIME_TEXT] = "";
    if (gmtime_r (&seconds, &tm))
        strftime (when, sizeof (when), "%Y-%m-%d %H:%M:%SZ", &tm);
    s_emit (out, CTL_STYLE_TITLE,
            "venuebus-ctl  bus=%s  %s  msgs=%" PRIu64 " (%.1f/s)  ignored=%" PRIu64 "  q: quit",
            info->bus ? info->bus : "-", when, ctl_model_total (model), ctl_model_rate (model),
            ctl_model_ignored (model));
    char rates[CTL_SCREEN_MAX_WIDTH + 1] = "rates/s:";
    size_t used = strlen (rates);
    for (int kind = 0; kind < CTL_KIND_COUNT && used < sizeof (rates); kind++) {
        int n = snprintf (rates + used, sizeof (rates) - used, "  %s %.1f",
                          ctl_model_kind_name ((ctl_kind_t)kind),
                          ctl_model_kind_rate (model, (ctl_kind_t)kind));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    s_emit (out, CTL_STYLE_NORMAL, "%s", rates);
    static const char *const names[CTL_LATENCY_COUNT] = {"publish->ctl", "exchange->publish"};
    char latency[CTL_SCREEN_MAX_WIDTH + 1] = "latency:";
    used = strlen (latency);
    for (int series = 0; series < CTL_LATENCY_COUNT && used < sizeof (latency); series++) {
        ctl_latency_t figures;
        ctl_model_latency (model, (ctl_latency_series_t)series, &figures);
        char p50[S_TIME_TEXT], p90[S_TIME_TEXT], p99[S_TIME_TEXT], max[S_TIME_TEXT];
        int n =
            figures.count == 0
                ? snprintf (latency + used, sizeof (latency) - used, "  %s no data", names[series])
                : snprintf (latency + used, sizeof (latency) - used,
                            "  %s p50 %s p90 %s p99 %s max %s (n=%zu)", names[series],
                            ctl_screen_duration (figures.p50_ns, p50, sizeof (p50)),
                            ctl_screen_duration (figures.p90_ns, p90, sizeof (p90)),
                            ctl_screen_duration (figures.p99_ns, p99, sizeof (p99)),
                            ctl_screen_duration (figures.max_ns, max, sizeof (max)), figures.count);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    s_emit (out, CTL_STYLE_NORMAL, "%s", latency);
}

//  --------------------------------------------------------------------------
//  Books: one line per venue/symbol, within `rows` lines (title included).

static void
s_books (s_out_t *out, ctl_model_t *model, int rows)
{
    size_t count = ctl_model_book_count (model);
    s_emit (out, CTL_STYLE_TITLE, "BOOKS (%zu)", count);
    if (count == 0) {
        s_emit (out, CTL_STYLE_NORMAL, "  no data");
        return;
    }
    s_emit (out, CTL_STYLE_HEADER, "  %-9s %-12s %-10s %-9s %12s %14s %14s %12s %5s %9s %5s %8s",
            "VENUE", "SYMBOL", "STATE", "GATEWAY", "BID_QTY", "BID", "ASK", "ASK_QTY", "LVLS",
            "SEQ", "GAPS", "MSG/S");
    int room = rows - 2;
    for (size_t i = 0; i < count; i++) {
        if (room <= 1 && i + 1 < count) {
            s_emit (out, CTL_STYLE_NORMAL, "  ... %zu more", count - i);
            return;
        }
        const ctl_book_row_t *row = ctl_model_book (model, i);
        char bid[VB_DECIMAL_TEXT_MAX] = "-", bid_qty[VB_DECIMAL_TEXT_MAX] = "-";
        char ask[VB_DECIMAL_TEXT_MAX] = "-", ask_qty[VB_DECIMAL_TEXT_MAX] = "-";
        if (row->has_bid) {
            ctl_report_decimal (row->bid_price, bid, sizeof (bid));
            ctl_report_decimal (row->bid_qty, bid_qty, sizeof (bid_qty));
        }
        if (row->has_ask) {
            ctl_report_decimal (row->ask_price, ask, sizeof (ask));
            ctl_report_decimal (row->ask_qty, ask_qty, sizeof (ask_qty));
        }
        const char *state = !row->has_book ? "no-book" : row->in_sync ? "synced" : "recovering";
        bool bad = (row->has_book && !row->in_sync) ||
                   row->gateway_state == VENUEBUS__BOOK_STATE__RESYNCING ||
                   row->gateway_state == VENUEBUS__BOOK_STATE__STALE;
        s_emit (out, bad ? CTL_STYLE_BAD : CTL_STYLE_NORMAL,
                "  %-9s %-12s %-10s %-9s %12s %14s %14s %12s %5zu %9" PRIu64 " %5" PRIu64 " %8.1f",
                row->venue, row->symbol, state, ctl_model_book_state_name (row->gateway_state),
                bid_qty, bid, ask, ask_qty, row->bid_levels + row->ask_levels, row->last_seq,
                row->gaps, row->rate);
        room--;
    }
}

//  --------------------------------------------------------------------------
//  Rate limits: one bar per bucket.

static void
s_limits (s_out_t *out, ctl_model_t *model, int rows)
{
    size_t count = ctl_model_limit_count (model);
    s_emit (out, CTL_STYLE_TITLE, "RATE LIMITS (%zu)", count);
    if (count == 0) {
        s_emit (out, CTL_STYLE_NORMAL, "  no data");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        if ((int)i >= rows - 2 && i + 1 < count) {
            s_emit (out, CTL_STYLE_NORMAL, "  ... %zu more", count - i);
            return;
        }
        const ctl_limit_row_t *row = ctl_model_limit (model, i);
        uint32_t permille = row->permille > S_PERMILLE ? S_PERMILLE : row->permille;
        char bar[CTL_SCREEN_BAR_CELLS + 1];
        size_t filled = (size_t)permille * CTL_SCREEN_BAR_CELLS / S_PERMILLE;
        memset (bar, '#', filled);
        memset (bar + filled, '.', CTL_SCREEN_BAR_CELLS - filled);
        bar[CTL_SCREEN_BAR_CELLS] = '\0';
        bool bad = row->permille >= CTL_SCREEN_BAR_ALERT_PERMILLE || row->banned_until_ns > 0;
        s_emit (out, bad ? CTL_STYLE_BAD : CTL_STYLE_NORMAL,
                "  %-38s [%s] %3u.%u%% %8" PRIu64 "/%-8" PRIu64 " queue=%u %s%s", row->bucket, bar,
                row->permille / S_PERMILLE_PER_PERCENT, row->permille % S_PERMILLE_PER_PERCENT,
                row->used, row->limit, row->queue_depth, row->service,
                row->banned_until_ns > 0 ? " BANNED" : "");
    }
}

//  --------------------------------------------------------------------------
//  Open orders.

static void
s_orders (s_out_t *out, ctl_model_t *model, int rows)
{
    size_t count = ctl_model_order_count (model), open = 0;
    for (size_t i = 0; i < count; i++)
        open += ctl_model_order_open (ctl_model_order (model, i)->state);
    s_emit (out, CTL_STYLE_TITLE, "OPEN ORDERS (%zu)", open);
    if (open == 0) {
        s_emit (out, CTL_STYLE_NORMAL, "  no data");
        return;
    }
    int shown = 0;
    for (size_t i = 0; i < count; i++) {
        const ctl_order_row_t *row = ctl_model_order (model, i);
        if (!ctl_model_order_open (row->state))
            continue;
        if (shown >= rows - 2 && (size_t)shown + 1 < open) {
            s_emit (out, CTL_STYLE_NORMAL, "  ... %zu more", open - (size_t)shown);
            return;
        }
        char price[VB_DECIMAL_TEXT_MAX] = "-", qty[VB_DECIMAL_TEXT_MAX] = "-";
        char filled[VB_DECIMAL_TEXT_MAX] = "-";
        if (row->has_price)
            ctl_report_decimal (row->price, price, sizeof (price));
        if (row->has_qty)
            ctl_report_decimal (row->qty, qty, sizeof (qty));
        if (row->has_filled)
            ctl_report_decimal (row->filled_qty, filled, sizeof (filled));
        s_emit (out,
                row->state == VENUEBUS__ORDER_STATE__UNKNOWN ? CTL_STYLE_BAD : CTL_STYLE_NORMAL,
                "  %-10s %-10s %-22s %-10s %-4s %-16s %14s x %-12s filled %s", row->account,
                row->strategy, *row->client_order_id ? row->client_order_id : row->client_tag,
                *row->symbol ? row->symbol : "-", ctl_model_side_name (row->side),
                ctl_model_order_state_name (row->state), price, qty, filled);
        shown++;
    }
}

//  --------------------------------------------------------------------------
//  Recent fills, newest first.

static void
s_fills (s_out_t *out, ctl_model_t *model, int rows)
{
    size_t count = ctl_model_fill_count (model);
    s_emit (out, CTL_STYLE_TITLE, "RECENT FILLS (%zu)", count);
    if (count == 0) {
        s_emit (out, CTL_STYLE_NORMAL, "  no data");
        return;
    }
    for (size_t i = 0; i < count && (int)i < rows - 1; i++) {
        const ctl_fill_row_t *fill = ctl_model_fill (model, i);
        char price[VB_DECIMAL_TEXT_MAX], qty[VB_DECIMAL_TEXT_MAX];
        s_emit (out, CTL_STYLE_NORMAL, "  %-10s %-10s %-22s %-10s %-4s %14s x %-12s trade %s",
                fill->account, fill->strategy, fill->client_order_id,
                *fill->symbol ? fill->symbol : "-", ctl_model_side_name (fill->side),
                ctl_report_decimal (fill->price, price, sizeof (price)),
                ctl_report_decimal (fill->qty, qty, sizeof (qty)), fill->trade_id);
    }
}

//  --------------------------------------------------------------------------
//  Health: the verdict, services, firing alerts.

static void
s_health (s_out_t *out, ctl_model_t *model, int rows)
{
    char why[CTL_MODEL_TEXT_MAX * 2] = "";
    bool healthy = ctl_model_healthy (model, why, sizeof (why));
    s_emit (out, healthy ? CTL_STYLE_GOOD : CTL_STYLE_BAD, "HEALTH: %s%s%s",
            healthy ? "healthy" : "unhealthy", healthy ? "" : " - ", why);
    char line[CTL_SCREEN_MAX_WIDTH + 1] = " ";
    size_t used = strlen (line);
    for (size_t i = 0; i < ctl_model_service_count (model) && used < sizeof (line); i++) {
        const ctl_service_row_t *row = ctl_model_service (model, i);
        int n = snprintf (line + used, sizeof (line) - used, " %s=%s", row->service,
                          !row->has_health ? "-"
                          : row->healthy   ? "ok"
                                           : "UNHEALTHY");
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (ctl_model_service_count (model))
        s_emit (out, CTL_STYLE_NORMAL, "%s", line);
    int left = rows - 2;
    for (size_t i = 0; i < ctl_model_alert_count (model) && left > 0; i++) {
        const ctl_alert_row_t *row = ctl_model_alert (model, i);
        if (!row->firing)
            continue;
        s_emit (out, CTL_STYLE_BAD, "  ALERT %s %s %s: %s", ctl_model_severity_name (row->severity),
                row->service, row->name, row->text);
        left--;
    }
}

//  --------------------------------------------------------------------------
//  Lines a section wants (title included), capped.

static int
s_want (size_t rows, int cap)
{
    int want = 1 + (rows ? (int)rows : 1);
    return want < cap ? want : cap;
}

//  --------------------------------------------------------------------------
//  Lay out the whole screen.

void
ctl_screen_render (ctl_model_t *model, const ctl_screen_info_t *info, int width, int height,
                   ctl_screen_line_fn *line, void *arg)
{
    assert (model);
    assert (info);
    assert (line);
    if (width > CTL_SCREEN_MAX_WIDTH)
        width = CTL_SCREEN_MAX_WIDTH;
    s_out_t out = {.width = width, .height = height, .row = 0, .line = line, .arg = arg};
    if (width < CTL_SCREEN_MIN_WIDTH || height < CTL_SCREEN_MIN_HEIGHT) {
        s_emit (&out, CTL_STYLE_BAD, "terminal too small (%dx%d)", width, height);
        return;
    }
    size_t open = 0;
    for (size_t i = 0; i < ctl_model_order_count (model); i++)
        open += ctl_model_order_open (ctl_model_order (model, i)->state);
    size_t firing = 0;
    for (size_t i = 0; i < ctl_model_alert_count (model); i++)
        firing += ctl_model_alert (model, i)->firing;
    int cap = 1 + S_SECTION_ROWS_MAX;
    int limits = s_want (ctl_model_limit_count (model), cap);
    int orders = s_want (open, cap);
    int fills = s_want (ctl_model_fill_count (model), cap);
    int health = s_want (firing + 1, cap);
    //  Books get what is left after the other sections (one blank line
    //  before each section), with at least a title and two rows.
    int books = height - S_HEADER_LINES - S_STATUS_LINES - limits - orders - fills - health - 5;
    if (books < 3)
        books = 3;
    s_header (&out, model, info);
    //  Sections never write over the status line.
    out.height = height - S_STATUS_LINES;
    int start = out.row;
    out.row++;
    s_books (&out, model, books);
    out.row = start + 1 + books;
    if (out.row < height - S_STATUS_LINES - 1) {
        out.row++;
        s_limits (&out, model, limits);
    }
    if (out.row < height - S_STATUS_LINES - 1) {
        out.row++;
        s_orders (&out, model, orders);
    }
    if (out.row < height - S_STATUS_LINES - 1) {
        out.row++;
        s_fills (&out, model, fills);
    }
    if (out.row < height - S_STATUS_LINES - 1) {
        out.row++;
        s_health (&out, model, health);
    }
    out.height = height;
    out.row = height - S_STATUS_LINES;
    s_emit (&out, CTL_STYLE_NORMAL, "%s", info->status ? info->status : "");
}
