/*  ctl_report.c — books, limits, orders and health as plain text or JSON.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <string.h>

#include "ctl_report.h"
#include "vb_msg.h"

//  Text shown for a table with no rows.
#define S_NO_DATA "no data"
//  Utilisation is shown as a percentage with one decimal: permille / 10.
#define S_PERMILLE_PER_PERCENT 10

//  Names and the function that prints each report.
typedef int (s_print_fn) (ctl_model_t *model, FILE *out, bool json, int64_t collected_ms);

typedef struct {
    const char *name;     //  Subcommand name
    ctl_report_t report;  //  The report
} s_report_name_t;

static const s_report_name_t s_names[] = {
    {"books", CTL_REPORT_BOOKS},
    {"limits", CTL_REPORT_LIMITS},
    {"orders", CTL_REPORT_ORDERS},
    {"health", CTL_REPORT_HEALTH},
};

//  --------------------------------------------------------------------------
//  The report for a subcommand name.

ctl_report_t
ctl_report_from_name (const char *name)
{
    for (size_t i = 0; name && i < sizeof (s_names) / sizeof (s_names[0]); i++)
        if (strcmp (name, s_names[i].name) == 0)
            return s_names[i].report;
    return CTL_REPORT_UNSET;
}

//  --------------------------------------------------------------------------
//  Format a decimal exactly.

const char *
ctl_report_decimal (vb_decimal_t value, char *buffer, size_t size)
{
    if (vb_decimal_format (value, buffer, size) < 0)
        snprintf (buffer, size, "?");
    return buffer;
}

//  --------------------------------------------------------------------------
//  Write a JSON string literal.

void
ctl_report_json_string (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (out, "\\%c", *p);
        else if (*p == '\n')
            fputs ("\\n", out);
        else if (*p == '\t')
            fputs ("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf (out, "\\u%04x", *p);
        else
            fputc (*p, out);  //  UTF-8 passes through: vb_msg checked it
    }
    fputc ('"', out);
}

//  --------------------------------------------------------------------------
//  Write "key":"decimal" or "key":null.

static void
s_json_decimal (FILE *out, const char *key, bool present, vb_decimal_t value)
{
    char text[VB_DECIMAL_TEXT_MAX];
    fprintf (out, "\"%s\":", key);
    if (present)
        ctl_report_json_string (out, ctl_report_decimal (value, text, sizeof (text)));
    else
        fputs ("null", out);
}

//  --------------------------------------------------------------------------
//  Write "key":"text".

static void
s_json_field (FILE *out, const char *key, const char *text)
{
    fprintf (out, "\"%s\":", key);
    ctl_report_json_string (out, text);
}

//  --------------------------------------------------------------------------
//  A decimal as text, or "-" when absent.

static const char *
s_text_decimal (bool present, vb_decimal_t value, char *buffer, size_t size)
{
    if (!present) {
        snprintf (buffer, size, "-");
        return buffer;
    }
    return ctl_report_decimal (value, buffer, size);
}

//  --------------------------------------------------------------------------
//  The local sync state of a book row, as shown.

static const char *
s_local_state (const ctl_book_row_t *row)
{
    if (!row->has_book)
        return "no-book";
    return row->in_sync ? "synced" : "recovering";
}

//  --------------------------------------------------------------------------
//  books

static int
s_books (ctl_model_t *model, FILE *out, bool json, int64_t collected_ms)
{
    size_t count = ctl_model_book_count (model);
    char bid[VB_DECIMAL_TEXT_MAX], bid_qty[VB_DECIMAL_TEXT_MAX];
    char ask[VB_DECIMAL_TEXT_MAX], ask_qty[VB_DECIMAL_TEXT_MAX];
    if (json) {
        fputs ("{\"books\":[", out);
        for (size_t i = 0; i < count; i++) {
            const ctl_book_row_t *row = ctl_model_book (model, i);
            fputs (i ? ",{" : "{", out);
            s_json_field (out, "venue", row->venue);
            fputc (',', out);
            s_json_field (out, "symbol", row->symbol);
            fputc (',', out);
            s_json_field (out, "state", s_local_state (row));
            fputc (',', out);
            s_json_field (out, "gateway_state", ctl_model_book_state_name (row->gateway_state));
            fputc (',', out);
            s_json_field (out, "reason", row->reason);
            fputc (',', out);
            s_json_decimal (out, "bid_price", row->has_bid, row->bid_price);
            fputc (',', out);
            s_json_decimal (out, "bid_qty", row->has_bid, row->bid_qty);
            fputc (',', out);
            s_json_decimal (out, "ask_price", row->has_ask, row->ask_price);
            fputc (',', out);
            s_json_decimal (out, "ask_qty", row->has_ask, row->ask_qty);
            fputc (',', out);
            s_json_decimal (out, "last_trade_price", row->has_trade, row->last_trade_price);
            fprintf (out,
                     ",\"bid_levels\":%zu,\"ask_levels\":%zu,\"last_seq\":%" PRIu64
                     ",\"gaps\":%" PRIu64 ",\"gateway_gaps\":%" PRIu64 ",\"reconnects\":%" PRIu64
                     ",\"anomalies\":%" PRIu64 ",\"messages\":%" PRIu64 ",\"rate\":%.1f}",
                     row->bid_levels, row->ask_levels, row->last_seq, row->gaps, row->gateway_gaps,
                     row->reconnects, row->anomalies, row->messages, row->rate);
        }
        fprintf (out, "],\"collected_ms\":%" PRId64 "}\n", collected_ms);
        return 0;
    }
    if (count == 0) {
        fprintf (out, "%s\n", S_NO_DATA);
        return 0;
    }
    fprintf (out, "%-10s %-14s %-10s %-9s %14s %16s %16s %14s %6s %6s %10s %5s %8s\n", "VENUE",
             "SYMBOL", "STATE", "GATEWAY", "BID_QTY", "BID", "ASK", "ASK_QTY", "BIDS", "ASKS",
             "SEQ", "GAPS", "MSG/S");
    for (size_t i = 0; i < count; i++) {
        const ctl_book_row_t *row = ctl_model_book (model, i);
        fprintf (out,
                 "%-10s %-14s %-10s %-9s %14s %16s %16s %14s %6zu %6zu %10" PRIu64 " %5" PRIu64
                 " %8.1f\n",
                 row->venue, row->symbol, s_local_state (row),
                 ctl_model_book_state_name (row->gateway_state),
                 s_text_decimal (row->has_bid, row->bid_qty, bid_qty, sizeof (bid_qty)),
                 s_text_decimal (row->has_bid, row->bid_price, bid, sizeof (bid)),
                 s_text_decimal (row->has_ask, row->ask_price, ask, sizeof (ask)),
                 s_text_decimal (row->has_ask, row->ask_qty, ask_qty, sizeof (ask_qty)),
                 row->bid_levels, row->ask_levels, row->last_seq, row->gaps, row->rate);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  limits

static int
s_limits (ctl_model_t *model, FILE *out, bool json, int64_t collected_ms)
{
    size_t count = ctl_model_limit_count (model);
    if (json) {
        fputs ("{\"limits\":[", out);
        for (size_t i = 0; i < count; i++) {
            const ctl_limit_row_t *row = ctl_model_limit (model, i);
            fputs (i ? ",{" : "{", out);
            s_json_field (out, "service", row->service);
            fputc (',', out);
            s_json_field (out, "bucket", row->bucket);
            fputc (',', out);
            s_json_field (out, "scope", row->scope);
            fprintf (out,
                     ",\"used\":%" PRIu64 ",\"limit\":%" PRIu64
                     ",\"utilisation_permille\":%u,\"queue_depth\":%u,\"window_ns\":%" PRId64
                     ",\"banned_until_ns\":%" PRId64 "}",
                     row->used, row->limit, row->permille, row->queue_depth, row->window_ns,
                     row->banned_until_ns);
        }
        fprintf (out, "],\"collected_ms\":%" PRId64 "}\n", collected_ms);
        return 0;
    }
    if (count == 0) {
        fprintf (out, "%s\n", S_NO_DATA);
        return 0;
    }
    fprintf (out, "%-16s %-38s %-16s %10s %10s %7s %6s %s\n", "SERVICE", "BUCKET", "SCOPE", "USED",
             "LIMIT", "UTIL%", "QUEUE", "BANNED_UNTIL_NS");
    for (size_t i = 0; i < count; i++) {
        const ctl_limit_row_t *row = ctl_model_limit (model, i);
        fprintf (out, "%-16s %-38s %-16s %10" PRIu64 " %10" PRIu64 " %5u.%u %6u %" PRId64 "\n",
                 row->service, row->bucket, row->scope, row->used, row->limit,
                 row->permille / S_PERMILLE_PER_PERCENT, row->permille % S_PERMILLE_PER_PERCENT,
                 row->queue_depth, row->banned_until_ns);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  orders: open orders, then recent fills.

static int
s_orders (ctl_model_t *model, FILE *out, bool json, int64_t collected_ms)
{
    size_t count = ctl_model_order_count (model);
    size_t fills = ctl_model_fill_count (model);
    size_t open = 0;
    char price[VB_DECIMAL_TEXT_MAX], qty[VB_DECIMAL_TEXT_MAX], filled[VB_DECIMAL_TEXT_MAX];
    if (json) {
        fputs ("{\"orders\":[", out);
        for (size_t i = 0; i < count; i++) {
            const ctl_order_row_t *row = ctl_model_order (model, i);
            if (!ctl_model_order_open (row->state))
                continue;
            fputs (open++ ? ",{" : "{", out);
            s_json_field (out, "account", row->account);
            fputc (',', out);
            s_json_field (out, "strategy", row->strategy);
            fputc (',', out);
            s_json_field (out, "client_tag", row->client_tag);
            fputc (',', out);
            s_json_field (out, "client_order_id", row->client_order_id);
            fputc (',', out);
            s_json_field (out, "venue_order_id", row->venue_order_id);
            fputc (',', out);
            s_json_field (out, "symbol", row->symbol);
            fputc (',', out);
            s_json_field (out, "side", ctl_model_side_name (row->side));
            fputc (',', out);
            s_json_field (out, "state", ctl_model_order_state_name (row->state));
            fputc (',', out);
            s_json_decimal (out, "price", row->has_price, row->price);
            fputc (',', out);
            s_json_decimal (out, "qty", row->has_qty, row->qty);
            fputc (',', out);
            s_json_decimal (out, "filled_qty", row->has_filled, row->filled_qty);
            fputc ('}', out);
        }
        fputs ("],\"fills\":[", out);
        for (size_t i = 0; i < fills; i++) {
            const ctl_fill_row_t *fill = ctl_model_fill (model, i);
            fputs (i ? ",{" : "{", out);
            s_json_field (out, "account", fill->account);
            fputc (',', out);
            s_json_field (out, "strategy", fill->strategy);
            fputc (',', out);
            s_json_field (out, "client_order_id", fill->client_order_id);
            fputc (',', out);
            s_json_field (out, "symbol", fill->symbol);
            fputc (',', out);
            s_json_field (out, "side", ctl_model_side_name (fill->side));
            fputc (',', out);
            s_json_decimal (out, "price", true, fill->price);
            fputc (',', out);
            s_json_decimal (out, "qty", true, fill->qty);
            fputc (',', out);
            s_json_field (out, "trade_id", fill->trade_id);
            fprintf (out, ",\"ts_ns\":%" PRId64 "}", fill->ts_ns);
        }
        fprintf (out, "],\"finished\":%zu,\"collected_ms\":%" PRId64 "}\n", count - open,
                 collected_ms);
        return 0;
    }
    for (size_t i = 0; i < count; i++)
        open += ctl_model_order_open (ctl_model_order (model, i)->state);
    if (open == 0 && fills == 0) {
        fprintf (out, "%s\n", S_NO_DATA);
        return 0;
    }
    fprintf (out, "open orders: %zu\n", open);
    if (open)
        fprintf (out, "%-12s %-12s %-24s %-12s %-5s %-17s %16s %14s %14s\n", "ACCOUNT", "STRATEGY",
                 "CLIENT_ORDER_ID", "SYMBOL", "SIDE", "STATE", "PRICE", "QTY", "FILLED");
    for (size_t i = 0; i < count; i++) {
        const ctl_order_row_t *row = ctl_model_order (model, i);
        if (!ctl_model_order_open (row->state))
            continue;
        fprintf (out, "%-12s %-12s %-24s %-12s %-5s %-17s %16s %14s %14s\n", row->account,
                 row->strategy, *row->client_order_id ? row->client_order_id : row->client_tag,
                 *row->symbol ? row->symbol : "-", ctl_model_side_name (row->side),
                 ctl_model_order_state_name (row->state),
                 s_text_decimal (row->has_price, row->price, price, sizeof (price)),
                 s_text_decimal (row->has_qty, row->qty, qty, sizeof (qty)),
                 s_text_decimal (row->has_filled, row->filled_qty, filled, sizeof (filled)));
    }
    fprintf (out, "recent fills: %zu\n", fills);
    if (fills)
        fprintf (out, "%-12s %-12s %-24s %-12s %-5s %16s %14s %s\n", "ACCOUNT", "STRATEGY",
                 "CLIENT_ORDER_ID", "SYMBOL", "SIDE", "PRICE", "QTY", "TRADE_ID");
    for (size_t i = 0; i < fills; i++) {
        const ctl_fill_row_t *fill = ctl_model_fill (model, i);
        fprintf (out, "%-12s %-12s %-24s %-12s %-5s %16s %14s %s\n", fill->account, fill->strategy,
                 fill->client_order_id, *fill->symbol ? fill->symbol : "-",
                 ctl_model_side_name (fill->side),
                 ctl_report_decimal (fill->price, price, sizeof (price)),
                 ctl_report_decimal (fill->qty, qty, sizeof (qty)), fill->trade_id);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  health: the verdict, services, alerts and gateway book states.

static int
s_health (ctl_model_t *model, FILE *out, bool json, int64_t collected_ms)
{
    char why[CTL_MODEL_TEXT_MAX * 2] = "";
    bool healthy = ctl_model_healthy (model, why, sizeof (why));
    size_t services = ctl_model_service_count (model);
    size_t alerts = ctl_model_alert_count (model);
    size_t books = ctl_model_book_count (model);
    if (json) {
        fprintf (out, "{\"healthy\":%s,", healthy ? "true" : "false");
        s_json_field (out, "reason", why);
        fputs (",\"services\":[", out);
        for (size_t i = 0; i < services; i++) {
            const ctl_service_row_t *row = ctl_model_service (model, i);
            fputs (i ? ",{" : "{", out);
            s_json_field (out, "service", row->service);
            fputs (",\"healthy\":", out);
            fputs (!row->has_health ? "null" : row->healthy ? "true" : "false", out);
            fputc (',', out);
            s_json_field (out, "detail", row->detail);
            fprintf (out, ",\"uptime_ns\":%" PRId64 ",\"messages\":%" PRIu64 "}", row->uptime_ns,
                     row->messages);
        }
        fputs ("],\"alerts\":[", out);
        for (size_t i = 0; i < alerts; i++) {
            const ctl_alert_row_t *row = ctl_model_alert (model, i);
            fputs (i ? ",{" : "{", out);
            s_json_field (out, "service", row->service);
            fputc (',', out);
            s_json_field (out, "name", row->name);
            fputc (',', out);
            s_json_field (out, "severity", ctl_model_severity_name (row->severity));
            fprintf (out, ",\"firing\":%s,", row->firing ? "true" : "false");
            s_json_field (out, "text", row->text);
            fputc ('}', out);
        }
        fputs ("],\"books\":[", out);
        size_t shown = 0;
        for (size_t i = 0; i < books; i++) {
            const ctl_book_row_t *row = ctl_model_book (model, i);
            if (!row->gateway_state)
                continue;
            fputs (shown++ ? ",{" : "{", out);
            s_json_field (out, "venue", row->venue);
            fputc (',', out);
            s_json_field (out, "symbol", row->symbol);
            fputc (',', out);
            s_json_field (out, "gateway_state", ctl_model_book_state_name (row->gateway_state));
            fputc (',', out);
            s_json_field (out, "reason", row->reason);
            fprintf (out, ",\"gateway_gaps\":%" PRIu64 ",\"reconnects\":%" PRIu64 "}",
                     row->gateway_gaps, row->reconnects);
        }
        fprintf (out, "],\"collected_ms\":%" PRId64 "}\n", collected_ms);
        return 0;
    }
    fprintf (out, "%s%s%s\n", healthy ? "healthy" : "unhealthy", healthy ? "" : ": ", why);
    for (size_t i = 0; i < services; i++) {
        const ctl_service_row_t *row = ctl_model_service (model, i);
        fprintf (out, "service %-24s %-9s %s\n", row->service,
                 !row->has_health ? "-"
                 : row->healthy   ? "ok"
                                  : "UNHEALTHY",
                 row->detail);
    }
    for (size_t i = 0; i < alerts; i++) {
        const ctl_alert_row_t *row = ctl_model_alert (model, i);
        fprintf (out, "alert   %-24s %-9s %-8s %s %s\n", row->service, row->name,
                 ctl_model_severity_name (row->severity), row->firing ? "FIRING" : "cleared",
                 row->text);
    }
    for (size_t i = 0; i < books; i++) {
        const ctl_book_row_t *row = ctl_model_book (model, i);
        if (row->gateway_state)
            fprintf (out, "book    %-10s %-14s %-9s gaps=%" PRIu64 " reconnects=%" PRIu64 " %s\n",
                     row->venue, row->symbol, ctl_model_book_state_name (row->gateway_state),
                     row->gateway_gaps, row->reconnects, row->reason);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Print one report.

int
ctl_report_print (ctl_report_t report, ctl_model_t *model, FILE *out, bool json,
                  int64_t collected_ms)
{
    assert (model);
    assert (out);
    static s_print_fn *const printers[] = {
        [CTL_REPORT_BOOKS] = s_books,
        [CTL_REPORT_LIMITS] = s_limits,
        [CTL_REPORT_ORDERS] = s_orders,
        [CTL_REPORT_HEALTH] = s_health,
    };
    if (report <= CTL_REPORT_UNSET || report > CTL_REPORT_HEALTH)
        return -1;
    int rc = printers[report](model, out, json, collected_ms);
    if (fflush (out) != 0 || ferror (out))
        return -1;
    return rc;
}
