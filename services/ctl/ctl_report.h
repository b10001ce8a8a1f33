/*  ctl_report.h — the one-shot outputs of venuebus-ctl: books, limits,
    orders and health, as plain text for people or JSON for scripts.

    Prices and quantities are printed exactly (vb_decimal_format), in JSON
    as strings ("65000.10"), never through a double. Every JSON document is
    one object, strings escaped per RFC 8259; absent values are null. Rates
    are messages per second with one decimal.

    Plain text is one header line then one line per row, columns separated
    by spaces; "no data" when there is nothing to show.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef CTL_REPORT_H_INCLUDED
#define CTL_REPORT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ctl_model.h"

#ifdef __cplusplus
extern "C" {
#endif

//  What to print.
typedef enum {
    CTL_REPORT_UNSET = 0,  //  Reserved
    CTL_REPORT_BOOKS,      //  Per venue/symbol: state, top of book, levels, seq, gaps
    CTL_REPORT_LIMITS,     //  Per rate-limit bucket: used, limit, utilisation, queue
    CTL_REPORT_ORDERS,     //  Open orders and recent fills
    CTL_REPORT_HEALTH,     //  Services, alerts, book states and the verdict
} ctl_report_t;

//  The report for a subcommand name ("books", "limits", "orders",
//  "health"), or CTL_REPORT_UNSET.
ctl_report_t ctl_report_from_name (const char *name);

//  Print one report of the model (refresh it first) to out. collected_ms
//  is how long the data was collected (shown in the output). Returns 0, or
//  -1 when writing failed, or for CTL_REPORT_UNSET.
int ctl_report_print (ctl_report_t report, ctl_model_t *model, FILE *out, bool json,
                      int64_t collected_ms);

//  Write a JSON string literal (quotes included) for the NUL-terminated
//  text, escaping '"', '\\' and every control character.
void ctl_report_json_string (FILE *out, const char *text);

//  Format a decimal exactly into buffer (at least VB_DECIMAL_TEXT_MAX
//  bytes); "?" if it cannot be formatted. Returns buffer.
const char *ctl_report_decimal (vb_decimal_t value, char *buffer, size_t size);

#ifdef __cplusplus
}
#endif
#endif
