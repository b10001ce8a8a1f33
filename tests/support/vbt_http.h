/*  vbt_http.h — a small blocking libcurl wrapper for tests.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VBT_HTTP_H_INCLUDED
#define VBT_HTTP_H_INCLUDED

#include <stddef.h>

typedef struct {
    long status;         //  HTTP status, 0 if no answer
    char *headers;       //  Raw response header block, NUL-terminated
    char *body;          //  Body, NUL-terminated
    size_t body_length;  //  Body bytes
} vbt_http_response_t;

//  Make one request. `headers` is a NULL-terminated list of "Name: value"
//  (or NULL); `body` may be NULL. timeout_ms bounds the whole exchange.
//  Returns 0 with *response filled (free it with vbt_http_response_free),
//  or -1 when the transfer failed (no connection, timeout, closed without
//  an answer); *response is then zeroed.
int vbt_http_request (const char *method, const char *url, const char *const *headers,
                      const char *body, int timeout_ms, vbt_http_response_t *response);

//  Free what a response holds and zero it.
void vbt_http_response_free (vbt_http_response_t *response);

//  Copy the value of a response header (case-insensitive name) into value.
//  Returns 0, or -1 if absent.
int vbt_http_header (const vbt_http_response_t *response, const char *name, char *value,
                     size_t size);

#endif
