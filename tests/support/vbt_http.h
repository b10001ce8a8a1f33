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

//  Raw TCP, for malformed-input tests: connect to host:port, send `length`
//  bytes of `data`, then read until the server closes the connection or
//  timeout_ms passes. *reply gets what was read (NUL-terminated; free it),
//  *reply_length its size. Returns 1 when the server closed the
//  connection, 0 when it was still open at the timeout, -1 when the
//  connection failed (*reply is then NULL).
int vbt_tcp_exchange (const char *host, int port, const void *data, size_t length, int timeout_ms,
                      char **reply, size_t *reply_length);

#endif
