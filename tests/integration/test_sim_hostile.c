/*  test_sim_hostile.c — venuebus-sim under malformed HTTP and WebSocket
    input, for both venues.

    Each test starts the real binary, throws one family of bad input at it
    (random bytes on a raw TCP connection, bodies over the 1 MiB bound, bad
    JSON and bad form bodies on private endpoints, unknown paths, bad
    percent-encoding, garbage / invalid JSON / oversize / binary WebSocket
    frames, unknown WS methods) and checks the answer has the venue's error
    shape: Binance {"code":<negative>,"msg":...} (venues.md 1.7) or its
    nginx 404 page for unknown paths, Kraken {"error":["E...:..."]}
    (venues.md 3.7), the WS flat errors of each protocol. Then the sim must
    still answer its ping endpoint and exit 0 on SIGTERM: a crash, or an
    ASan/UBSan report in the sanitizer build (which aborts the process),
    fails the exit status check.
    Random input comes from a fixed-seed xorshift, so a failure reproduces.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vb_json.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define S_WAIT_MS       10000
#define S_HTTP_MS       10000
#define S_QUIET_MS      300        //  A reply that has not come by then is not coming
#define S_BODY_MAX      (1 << 20)  //  The sim's default http_body_max (README)
#define S_HUGE          (2 << 20)  //  Twice the bound
#define S_RANDOM_ROUNDS 16         //  Connections of random bytes per venue
#define S_RANDOM_MAX    8192       //  Longest random burst
#define S_URL_MAX       512
#define S_BINANCE_KEY   "vbHostileKey0123456789abcdefABCDEF0123456789abcdefghijklmnopqrstu"
#define S_KRAKEN_KEY    "vbt-hostile-kraken-key"
//  base64 of 64 bytes 0x00..0x3f: a well-formed Kraken secret
#define S_KRAKEN_SECRET                                                                            \
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="

typedef struct {
    vbt_proc_t *proc;
    int port;
    const char *venue;
} s_sim_t;

static void
s_start (s_sim_t *self, const char *venue)
{
    memset (self, 0, sizeof *self);
    self->venue = venue;
    bool binance = strcmp (venue, "binance") == 0;
    char *env[] = {
        binance ? "VB_SIM_API_KEY=" S_BINANCE_KEY : "VB_SIM_API_KEY=" S_KRAKEN_KEY,
        binance ? "VB_SIM_API_SECRET=hostile-secret" : "VB_SIM_API_SECRET=" S_KRAKEN_SECRET, NULL};
    char *argv[] = {VB_SIM_BIN, "--venue", (char *)venue, "--port", "0", "--seed", "11", NULL};
    self->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (self->proc);
    char line[256], port[32];
    cr_assert_eq (vbt_proc_wait_line (self->proc, "ready ", S_WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (self->proc));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    self->port = atoi (port);
    cr_assert_gt (self->port, 0);
}

//  The sim still serves, then stops cleanly: exit 0 means no crash and no
//  sanitizer report.
static void
s_survives_and_stops (s_sim_t *self)
{
    bool binance = strcmp (self->venue, "binance") == 0;
    char url[S_URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", self->port,
              binance ? "/api/v3/ping" : "/0/public/Time");
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0,
                  "sim stopped answering; stderr: %s", vbt_proc_stderr (self->proc));
    cr_assert_eq (response.status, 200, "%s", response.body);
    if (binance)
        cr_assert_str_eq (response.body, "{}");
    else
        cr_assert (strncmp (response.body, "{\"error\":[],\"result\":{\"unixtime\":", 33) == 0,
                   "%s", response.body);
    vbt_http_response_free (&response);
    int status = vbt_proc_stop (&self->proc, S_WAIT_MS);
    cr_assert_eq (status, 0, "exit status %d", status);
}

static void
s_request (s_sim_t *self, const char *method, const char *path, const char *const *headers,
           const char *body, vbt_http_response_t *response)
{
    char url[S_URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", self->port, path);
    cr_assert_eq (vbt_http_request (method, url, headers, body, S_HTTP_MS, response), 0, "%s %s",
                  method, path);
}

//  Binance's error body: {"code":<negative>,"msg":"<text>"} and nothing
//  else, with `status` (0: any 4xx).
static void
s_expect_binance_error (const vbt_http_response_t *response, long status)
{
    if (status)
        cr_assert_eq (response->status, status, "status %ld body %s", response->status,
                      response->body);
    else
        cr_assert (response->status >= 400 && response->status < 500, "status %ld body %s",
                   response->status, response->body);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, value;
    cr_assert_eq (vb_json_parse (json, response->body, response->body_length, &root), 0, "%s",
                  response->body);
    vb_json_iter_t iter;
    const char *key, *text;
    size_t key_length, length = 0, keys = 0;
    int64_t code = 0;
    cr_assert_eq (vb_json_object_begin (&root, &iter), 0, "%s", response->body);
    //  Exactly "code" then "msg", in that order
    while (vb_json_object_next (&iter, &key, &key_length, &value) == 1) {
        if (keys == 0) {
            cr_assert (key_length == 4 && memcmp (key, "code", 4) == 0, "%s", response->body);
            cr_assert_eq (vb_json_int64 (&value, &code), 0, "%s", response->body);
        } else {
            cr_assert (key_length == 3 && memcmp (key, "msg", 3) == 0, "%s", response->body);
            cr_assert_eq (vb_json_string (&value, &text, &length), 0, "%s", response->body);
        }
        keys++;
    }
    cr_assert_eq (keys, 2, "%s", response->body);
    cr_assert_lt (code, 0, "%s", response->body);
    cr_assert_gt (length, 0, "%s", response->body);
    vb_json_destroy (&json);
}

//  Kraken's error body: {"error":["E<Category>:<message>"]}, with `text`
//  as the one error when given.
static void
s_expect_kraken_error (const vbt_http_response_t *response, long status, const char *text)
{
    cr_assert_eq (response->status, status, "status %ld body %s", response->status, response->body);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, errors, first;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_parse (json, response->body, response->body_length, &root), 0, "%s",
                  response->body);
    cr_assert_eq (vb_json_find (&root, "error", &errors), 0, "%s", response->body);
    cr_assert_eq (vb_json_array_begin (&errors, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &first), 1, "no error in %s", response->body);
    const char *value;
    size_t length;
    cr_assert_eq (vb_json_string (&first, &value, &length), 0);
    cr_assert (length > 2 && value[0] == 'E' && memchr (value, ':', length), "%s", response->body);
    if (text)
        cr_assert (length == strlen (text) && memcmp (value, text, length) == 0, "%s != %s",
                   response->body, text);
    vb_json_destroy (&json);
}

//  xorshift64: reproducible random bytes.
static uint64_t
s_next (uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

//  Random bursts on raw connections: each is answered with a 4xx and
//  closed, or closed without an answer. A burst that starts like a request
//  line still has random bytes after it.
static void
s_random_bytes (s_sim_t *self)
{
    uint64_t state = UINT64_C (0x9E3779B97F4A7C15);
    unsigned char *data = malloc (S_RANDOM_MAX);
    cr_assert_not_null (data);
    for (int round = 0; round < S_RANDOM_ROUNDS; round++) {
        size_t length = 1 + s_next (&state) % S_RANDOM_MAX;
        for (size_t index = 0; index < length; index++)
            data[index] = (unsigned char)s_next (&state);
        size_t prefix = 0;
        if (round == 1) {  //  A request line, then noise as headers (lws may hold it ~10 s)
            const char *line = "GET /api/v3/ping HTTP/1.1\r\nConnection: close\r\n";
            prefix = strlen (line) < length ? strlen (line) : length;
            memcpy (data, line, prefix);
        } else if (round % 4 == 2 && length > 4)  //  A TLS record header on plain HTTP
            memcpy (data, "\x16\x03\x01\x02", 4);
        //  End as a header block ends, so that a server cannot wait for more
        //  (a partial request is legitimately held until lws's timeout)
        if (length > prefix + 4)
            memcpy (data + length - 4, "\r\n\r\n", 4);
        char *reply = NULL;
        size_t reply_length = 0;
        int rc = vbt_tcp_exchange ("127.0.0.1", self->port, data, length, S_WAIT_MS, &reply,
                                   &reply_length);
        cr_assert_eq (rc, 1, "round %d: connection left open (%zu bytes in)", round, length);
        //  lws skips header lines it cannot parse, so a request line with
        //  noise after it may be answered as the request it names
        if (reply_length > 0)
            cr_assert (strncmp (reply, "HTTP/1.1 4", 10) == 0 ||
                           strncmp (reply, "HTTP/1.0 4", 10) == 0 ||
                           (prefix && strncmp (reply, "HTTP/1.1 200", 12) == 0),
                       "round %d: %.80s", round, reply);
        free (reply);
    }
    free (data);
}

//  A Content-Length over the bound is refused before the body is read, and
//  so is a body that really is that large.
static char *
s_huge_body (void)
{
    char *body = malloc (S_HUGE + 1);
    cr_assert_not_null (body);
    memset (body, 'a', S_HUGE);
    body[S_HUGE] = '\0';
    return body;
}

//  Send `request` raw; the answer must be a complete HTTP response whose
//  status line starts with `status_line`. Returns it (caller frees).
static char *
s_raw_answer (s_sim_t *self, const char *request, const char *status_line)
{
    char *reply = NULL;
    size_t reply_length = 0;
    int rc = vbt_tcp_exchange ("127.0.0.1", self->port, request, strlen (request), S_QUIET_MS * 10,
                               &reply, &reply_length);
    cr_assert_geq (rc, 0);
    cr_assert (strncmp (reply, status_line, strlen (status_line)) == 0, "%.200s", reply);
    return reply;
}

//  --------------------------------------------------------------------------
//  Binance

Test (sim_hostile, binance_survives_random_bytes_and_oversize_requests)
{
    s_sim_t sim;
    s_start (&sim, "binance");
    s_random_bytes (&sim);

    //  A body over the bound: 413 in Binance's {code,msg} shape
    char *body = s_huge_body ();
    vbt_http_response_t response;
    s_request (&sim, "POST", "/api/v3/order", NULL, body, &response);
    s_expect_binance_error (&response, 413);
    vbt_http_response_free (&response);
    free (body);
    //  A Content-Length that announces one, body never sent: answered at once
    char *reply = s_raw_answer (&sim,
                                "POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                "5000000\r\n\r\n",
                                "HTTP/1.1 413");
    cr_assert (strstr (reply, "\r\n\r\n{\"code\":-"), "%s", reply);
    free (reply);
    //  A Content-Length that is no number
    reply = s_raw_answer (&sim,
                          "POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: 12ab\r\n\r\n",
                          "HTTP/1.1 400");
    cr_assert (strstr (reply, "\r\n\r\n{\"code\":-"), "%s", reply);
    free (reply);
    //  A path far over any real one: closed, or a 4xx
    char *line = malloc (S_BODY_MAX / 16 + 64);
    cr_assert_not_null (line);
    int used = snprintf (line, 64, "GET /api/v3/");
    memset (line + used, 'p', S_BODY_MAX / 16);
    snprintf (line + used + S_BODY_MAX / 16, 48, " HTTP/1.1\r\nHost: x\r\n\r\n");
    size_t reply_length = 0;
    int rc = vbt_tcp_exchange ("127.0.0.1", sim.port, line, strlen (line), S_WAIT_MS, &reply,
                               &reply_length);
    cr_assert_eq (rc, 1);
    cr_assert (reply_length == 0 || strncmp (reply, "HTTP/1.1 4", 10) == 0 ||
                   strncmp (reply, "HTTP/1.0 4", 10) == 0,
               "%.80s", reply);
    free (reply);
    free (line);
    s_survives_and_stops (&sim);
}

Test (sim_hostile, binance_answers_bad_bodies_and_paths_with_its_errors)
{
    s_sim_t sim;
    s_start (&sim, "binance");
    const char *headers[] = {"X-MBX-APIKEY: " S_BINANCE_KEY, NULL};
    const char *json_headers[] = {"X-MBX-APIKEY: " S_BINANCE_KEY, "Content-Type: application/json",
                                  NULL};
    vbt_http_response_t response;
    //  Binance takes form bodies: JSON, broken or not, carries no timestamp
    const char *json_bodies[] = {"{\"symbol\":\"BTCUSDT\",",
                                 "{\"symbol\":\"BTCUSDT\"}",
                                 "[1,2,",
                                 "\"\\ud800\"",
                                 "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
                                 NULL};
    for (size_t index = 0; json_bodies[index]; index++) {
        s_request (&sim, "POST", "/api/v3/order", json_headers, json_bodies[index], &response);
        s_expect_binance_error (&response, 400);
        vbt_http_response_free (&response);
    }
    //  Broken form bodies on a signed endpoint
    const char *form_bodies[] = {"%",
                                 "%zz=1",
                                 "symbol=%E0%A4%A",
                                 "=&=&&&=",
                                 "timestamp=abc",
                                 "timestamp=1&timestamp=2&signature=00",
                                 "symbol=BTCUSDT&timestamp=99999999999999999999999&signature=00",
                                 NULL};
    for (size_t index = 0; form_bodies[index]; index++) {
        s_request (&sim, "POST", "/api/v3/order", headers, form_bodies[index], &response);
        s_expect_binance_error (&response, 400);
        vbt_http_response_free (&response);
    }
    //  Without the key header: a 4xx {code,msg} all the same
    s_request (&sim, "POST", "/api/v3/order", NULL, "%zz", &response);
    s_expect_binance_error (&response, 0);
    vbt_http_response_free (&response);
    //  Bad parameters on public endpoints
    const char *queries[] = {"/api/v3/depth?symbol=btc%20usdt",
                             "/api/v3/depth?symbol=BTCUSDT&limit=-1",
                             "/api/v3/depth?symbol=BTCUSDT&limit=99999999999999999999999",
                             "/api/v3/klines?symbol=BTCUSDT&interval=7q",
                             "/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22",
                             "/api/v3/depth?symbol=%E2%82%AC",
                             NULL};
    for (size_t index = 0; queries[index]; index++) {
        s_request (&sim, "GET", queries[index], NULL, NULL, &response);
        s_expect_binance_error (&response, 400);
        vbt_http_response_free (&response);
    }
    //  Unknown paths and methods: the venue's nginx 404 page
    const char *paths[] = {
        "/", "/api/v3/nosuch", "/api/v9/ping", "/sapi/v1/../../etc/passwd", "/api/v3/ping/", NULL};
    for (size_t index = 0; paths[index]; index++) {
        s_request (&sim, "GET", paths[index], NULL, NULL, &response);
        cr_assert_eq (response.status, 404, "%s: %ld", paths[index], response.status);
        cr_assert (strstr (response.body, "<title>404 Not Found</title>"), "%s", response.body);
        vbt_http_response_free (&response);
    }
    s_request (&sim, "PATCH", "/api/v3/order", headers, "a=b", &response);
    cr_assert_eq (response.status, 404, "%s", response.body);
    vbt_http_response_free (&response);
    //  Bad percent-encoding in the path or query never reaches the venue:
    //  libwebsockets refuses it (a 4xx), and the connection is closed
    const char *encodings[] = {"GET /api/v3/depth?symbol=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                               "GET /api/v3/depth?symbol=BTC% HTTP/1.1\r\nHost: x\r\n\r\n",
                               "GET /api/v3/%G0 HTTP/1.1\r\nHost: x\r\n\r\n", NULL};
    for (size_t index = 0; encodings[index]; index++) {
        char *reply = NULL;
        size_t reply_length = 0;
        cr_assert_eq (vbt_tcp_exchange ("127.0.0.1", sim.port, encodings[index],
                                        strlen (encodings[index]), S_WAIT_MS, &reply,
                                        &reply_length),
                      1);
        cr_assert (strncmp (reply, "HTTP/1.1 4", 10) == 0 || strncmp (reply, "HTTP/1.0 4", 10) == 0,
                   "%.80s", reply);
        free (reply);
    }
    s_survives_and_stops (&sim);
}

//  One message on a fresh stream connection (the venue allows 5 incoming
//  messages a second per connection); returns its first reply, copied.
static char *
s_stream_reply (s_sim_t *sim, const char *message, size_t length, bool binary)
{
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim->port, "/ws", S_WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade %d", status);
    if (binary)
        cr_assert_eq (vbt_ws_send_binary (ws, message, length), 0);
    else
        cr_assert_eq (vbt_ws_send_text (ws, message, length), 0);
    const char *text;
    size_t got;
    char *reply = NULL;
    int rc = vbt_ws_recv (ws, binary ? S_QUIET_MS : S_WAIT_MS, &text, &got);
    if (rc == VBT_WS_TEXT)
        reply = strdup (text);
    else
        cr_assert (binary && rc == VBT_WS_TIMEOUT, "no reply to %.40s: %d", message, rc);
    if (binary) {
        //  The connection still works after it
        const char *list = "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":9}";
        cr_assert_eq (vbt_ws_send_text (ws, list, strlen (list)), 0);
        cr_assert_eq (vbt_ws_recv (ws, S_WAIT_MS, &text, &got), VBT_WS_TEXT);
        cr_assert_str_eq (text, "{\"result\":[],\"id\":9}");
    }
    vbt_ws_destroy (&ws);
    return reply;
}

//  A text frame that is not UTF-8 fails the connection (RFC 6455 8.1):
//  closed with 1007, as any conforming server does.
static void
s_invalid_utf8 (s_sim_t *sim, const char *path)
{
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim->port, path, S_WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade %d", status);
    const char bad[] = "{\"method\":\"\xff\xfe\xc0\xaf\"}";
    cr_assert_eq (vbt_ws_send_text (ws, bad, strlen (bad)), 0);
    const char *text;
    size_t length;
    int rc = VBT_WS_TEXT;
    for (int round = 0; round < 100 && rc == VBT_WS_TEXT; round++)
        rc = vbt_ws_recv (ws, S_WAIT_MS, &text, &length);  //  Status or data may come first
    cr_assert_eq (rc, VBT_WS_CLOSED);
    cr_assert_eq (vbt_ws_close_status (ws), 1007);
    vbt_ws_destroy (&ws);
}

Test (sim_hostile, binance_websockets_answer_garbage_with_the_venue_errors)
{
    s_sim_t sim;
    s_start (&sim, "binance");
    //  Public streams: flat {"code":N,"msg":...} errors (venues.md 1.2)
    const char *invalid[] = {"\x01\x02garbage", "{\"method\":", "[]", "42", "null", "", NULL};
    for (size_t index = 0; invalid[index]; index++) {
        char *reply = s_stream_reply (&sim, invalid[index], strlen (invalid[index]), false);
        cr_assert (strncmp (reply, "{\"code\":3,\"msg\":\"Invalid JSON", 29) == 0, "%s -> %s",
                   invalid[index], reply);
        free (reply);
    }
    struct {
        const char *message;
        const char *prefix;
    } requests[] = {
        {"{\"method\":\"FOO\",\"id\":1}", "{\"code\":2,\"msg\":\"Invalid request: unknown variant"},
        {"{\"id\":1}", "{\"code\":2,\"msg\":\"Invalid request: missing field `method`"},
        {"{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@nonsense\"],\"id\":1}",
         "{\"code\":2,\"msg\":\"Invalid request: invalid stream name"},
        {"{\"method\":\"SUBSCRIBE\",\"params\":[42],\"id\":1}",
         "{\"code\":2,\"msg\":\"Invalid request: invalid stream name"},
        {"{\"method\":\"SUBSCRIBE\",\"params\":[],\"id\":-5}",
         "{\"code\":2,\"msg\":\"Invalid request: request ID must be an unsigned integer"},
        {"{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",\"yes\"],\"id\":1}",
         "{\"code\":1,\"msg\":\"Invalid value type: expected Boolean"},
        {"{\"method\":12,\"id\":1}", "{\"code\":2,\"msg\":\"Invalid request: missing field"},
    };
    for (size_t index = 0; index < sizeof requests / sizeof requests[0]; index++) {
        char *reply =
            s_stream_reply (&sim, requests[index].message, strlen (requests[index].message), false);
        cr_assert (strncmp (reply, requests[index].prefix, strlen (requests[index].prefix)) == 0,
                   "%s -> %s", requests[index].message, reply);
        free (reply);
    }
    s_invalid_utf8 (&sim, "/ws/btcusdt@trade");
    s_invalid_utf8 (&sim, "/ws-api/v3");
    //  Binary frames are ignored (venues speak text)
    unsigned char binary[64];
    for (size_t index = 0; index < sizeof binary; index++)
        binary[index] = (unsigned char)(index * 37);
    cr_assert_null (s_stream_reply (&sim, (const char *)binary, sizeof binary, true));

    //  A message over the 1 MiB bound closes the connection with 1009
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@trade", S_WAIT_MS, &status);
    cr_assert_not_null (ws);
    char *huge = s_huge_body ();
    vbt_ws_send_text (ws, huge, S_HUGE);  //  The server may close before all is sent
    free (huge);
    const char *text;
    size_t length;
    int rc = VBT_WS_TEXT;
    for (int round = 0; round < 1000 && rc == VBT_WS_TEXT; round++)
        rc = vbt_ws_recv (ws, S_WAIT_MS, &text, &length);  //  Trades may come first
    cr_assert_eq (rc, VBT_WS_CLOSED);
    cr_assert_eq (vbt_ws_close_status (ws), 1009);
    vbt_ws_destroy (&ws);

    //  A frame that is no WebSocket frame at all (reserved opcode, bad
    //  length): the connection is closed, the sim goes on
    ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@trade", S_WAIT_MS, &status);
    cr_assert_not_null (ws);
    const unsigned char bad_frame[] = {0x8B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 'x',  'y'};
    vbt_ws_send_raw (ws, bad_frame, sizeof bad_frame);
    rc = VBT_WS_TEXT;
    for (int round = 0; round < 1000 && rc == VBT_WS_TEXT; round++)
        rc = vbt_ws_recv (ws, S_WAIT_MS, &text, &length);
    cr_assert (rc == VBT_WS_CLOSED || rc == VBT_WS_ERROR, "rc %d", rc);
    vbt_ws_destroy (&ws);

    //  WS API: {"id":..,"status":400,"error":{"code":..,"msg":..}}
    ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws-api/v3", S_WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade %d", status);
    struct {
        const char *message;
        const char *prefix;
    } api[] = {
        {"not json at all", "{\"id\":null,\"status\":400,\"error\":{\"code\":-1102,"},
        {"{\"id\":\"a1\"}", "{\"id\":\"a1\",\"status\":400,\"error\":{\"code\":-1102,"},
        {"{\"id\":\"a2\",\"method\":\"no.such.method\"}",
         "{\"id\":\"a2\",\"status\":400,\"error\":{\"code\":-1020,"},
        {"{\"id\":\"a3\",\"method\":\"order.place\",\"params\":{\"symbol\":\"BTCUSDT\"}}",
         "{\"id\":\"a3\",\"status\":"},
        {"{\"id\":\"a4\",\"method\":\"session.logon\",\"params\":[1,2,3]}",
         "{\"id\":\"a4\",\"status\":400,\"error\":{\"code\":-"},
    };
    for (size_t index = 0; index < sizeof api / sizeof api[0]; index++) {
        cr_assert_eq (vbt_ws_send_text (ws, api[index].message, strlen (api[index].message)), 0);
        cr_assert_eq (vbt_ws_recv (ws, S_WAIT_MS, &text, &length), VBT_WS_TEXT, "no reply to %s",
                      api[index].message);
        cr_assert (strncmp (text, api[index].prefix, strlen (api[index].prefix)) == 0, "%s -> %s",
                   api[index].message, text);
        cr_assert (strstr (text, "\"error\":{\"code\":-"), "%s", text);
    }
    vbt_ws_destroy (&ws);
    s_survives_and_stops (&sim);
}

//  --------------------------------------------------------------------------
//  Kraken

Test (sim_hostile, kraken_survives_random_bytes_and_oversize_requests)
{
    s_sim_t sim;
    s_start (&sim, "kraken");
    s_random_bytes (&sim);
    char *body = s_huge_body ();
    vbt_http_response_t response;
    s_request (&sim, "POST", "/0/private/AddOrder", NULL, body, &response);
    s_expect_kraken_error (&response, 413, NULL);
    vbt_http_response_free (&response);
    free (body);
    char *reply = s_raw_answer (&sim,
                                "POST /0/private/Balance HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                "5000000\r\n\r\n",
                                "HTTP/1.1 413");
    cr_assert (strstr (reply, "\r\n\r\n{\"error\":[\"E"), "%s", reply);
    free (reply);
    reply = s_raw_answer (
        &sim, "POST /0/private/Balance HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 400");
    cr_assert (strstr (reply, "\r\n\r\n{\"error\":[\"E"), "%s", reply);
    free (reply);
    s_survives_and_stops (&sim);
}

Test (sim_hostile, kraken_answers_bad_bodies_and_paths_with_its_errors)
{
    s_sim_t sim;
    s_start (&sim, "kraken");
    vbt_http_response_t response;
    //  Private calls with broken bodies: an error array, never a success.
    //  The signature cannot be right, so the error may be about it.
    const char *form[] = {"API-Key: " S_KRAKEN_KEY, "API-Sign: AAAA",
                          "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *json[] = {"API-Key: " S_KRAKEN_KEY, "API-Sign: AAAA",
                          "Content-Type: application/json", NULL};
    const char *bodies[] = {"",
                            "%",
                            "nonce=%zz",
                            "nonce=abc",
                            "nonce=1&nonce=2",
                            "=&=&&&=",
                            "nonce=99999999999999999999999999",
                            "{\"nonce\":",
                            "\x01\x02\xff",
                            NULL};
    for (size_t index = 0; bodies[index]; index++) {
        for (int type = 0; type < 2; type++) {
            s_request (&sim, "POST", "/0/private/Balance", type ? json : form, bodies[index],
                       &response);
            s_expect_kraken_error (&response, 200, NULL);
            vbt_http_response_free (&response);
        }
    }
    //  No key at all
    s_request (&sim, "POST", "/0/private/AddOrder", NULL, "nonce=1&pair=XBTUSD", &response);
    s_expect_kraken_error (&response, 200, NULL);
    vbt_http_response_free (&response);
    //  A private method by GET
    s_request (&sim, "GET", "/0/private/Balance", NULL, NULL, &response);
    s_expect_kraken_error (&response, 200, "EGeneral:Invalid arguments");
    vbt_http_response_free (&response);
    //  Bad arguments on public methods
    const char *queries[] = {"/0/public/Depth?pair=NOPE",
                             "/0/public/Depth?pair=XBTUSD&count=-4",
                             "/0/public/OHLC?pair=XBTUSD&interval=7",
                             "/0/public/Trades?pair=XBTUSD&since=abc",
                             "/0/public/Ticker?pair=%E2%82%AC",
                             NULL};
    for (size_t index = 0; queries[index]; index++) {
        s_request (&sim, "GET", queries[index], NULL, NULL, &response);
        s_expect_kraken_error (&response, 200, NULL);
        vbt_http_response_free (&response);
    }
    //  Unknown methods and paths
    const char *paths[] = {"/0/public/Nope",
                           "/0/private/Nope",
                           "/1/public/Time",
                           "/",
                           "/0/public/",
                           "/0/public/Time/extra",
                           NULL};
    for (size_t index = 0; paths[index]; index++) {
        s_request (&sim, "GET", paths[index], NULL, NULL, &response);
        s_expect_kraken_error (&response, 404, "EGeneral:Unknown method");
        vbt_http_response_free (&response);
    }
    const char *encodings[] = {"GET /0/public/Depth?pair=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                               "GET /0/public/%G0 HTTP/1.1\r\nHost: x\r\n\r\n", NULL};
    for (size_t index = 0; encodings[index]; index++) {
        char *reply = NULL;
        size_t reply_length = 0;
        cr_assert_eq (vbt_tcp_exchange ("127.0.0.1", sim.port, encodings[index],
                                        strlen (encodings[index]), S_WAIT_MS, &reply,
                                        &reply_length),
                      1);
        cr_assert (strncmp (reply, "HTTP/1.1 4", 10) == 0 || strncmp (reply, "HTTP/1.0 4", 10) == 0,
                   "%.80s", reply);
        free (reply);
    }
    s_survives_and_stops (&sim);
}

Test (sim_hostile, kraken_websocket_answers_garbage_with_v2_errors)
{
    s_sim_t sim;
    s_start (&sim, "kraken");
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/v2", S_WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade %d", status);
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, S_WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert (strstr (text, "\"channel\":\"status\""), "%s", text);
    //  v2 errors: {"error":"...",...,"success":false,...}
    struct {
        const char *message;
        const char *error;
    } cases[] = {
        {"\x01\x02garbage", "Malformed request"},
        {"{\"method\":", "Malformed request"},
        {"[]", "Malformed request"},
        {"", "Malformed request"},
        {"{\"req_id\":5}", "Malformed request"},
        {"{\"method\":\"fly\",\"req_id\":6}", "Method not supported"},
        {"{\"method\":\"subscribe\",\"params\":\"book\",\"req_id\":7}", NULL},
        {"{\"method\":\"subscribe\",\"params\":{\"channel\":\"nope\",\"symbol\":[\"BTC/USD\"]},"
         "\"req_id\":8}",
         NULL},
        {"{\"method\":\"subscribe\",\"params\":{\"channel\":\"book\",\"symbol\":[\"NO/PE\"]},"
         "\"req_id\":9}",
         NULL},
        {"{\"method\":\"subscribe\",\"params\":{\"channel\":\"book\",\"depth\":7,\"symbol\":"
         "[\"BTC/USD\"]},\"req_id\":10}",
         NULL},
        {"{\"method\":\"subscribe\",\"params\":{\"channel\":\"executions\",\"token\":\"forged\"},"
         "\"req_id\":11}",
         NULL},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        cr_assert_eq (vbt_ws_send_text (ws, cases[index].message, strlen (cases[index].message)),
                      0);
        cr_assert_eq (vbt_ws_recv (ws, S_WAIT_MS, &text, &length), VBT_WS_TEXT, "no reply to %s",
                      cases[index].message);
        cr_assert (strncmp (text, "{\"error\":\"", 10) == 0, "%s -> %s", cases[index].message,
                   text);
        cr_assert (strstr (text, "\"success\":false"), "%s -> %s", cases[index].message, text);
        if (cases[index].error) {
            char expected[64];
            snprintf (expected, sizeof expected, "{\"error\":\"%s\"", cases[index].error);
            cr_assert (strncmp (text, expected, strlen (expected)) == 0, "%s -> %s",
                       cases[index].message, text);
        }
    }
    //  Binary frames are ignored: the next answer is the ping's pong
    unsigned char binary[32] = {0x00, 0xff, 0x7b, 0x22};
    cr_assert_eq (vbt_ws_send_binary (ws, binary, sizeof binary), 0);
    const char *ping = "{\"method\":\"ping\",\"req_id\":12}";
    cr_assert_eq (vbt_ws_send_text (ws, ping, strlen (ping)), 0);
    cr_assert_eq (vbt_ws_recv (ws, S_WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert (strncmp (text, "{\"method\":\"pong\",\"req_id\":12,", 29) == 0, "%s", text);
    //  Over the 1 MiB bound: closed with 1009
    char *huge = s_huge_body ();
    vbt_ws_send_text (ws, huge, S_HUGE);
    free (huge);
    int rc = VBT_WS_TEXT;
    for (int round = 0; round < 1000 && rc == VBT_WS_TEXT; round++)
        rc = vbt_ws_recv (ws, S_WAIT_MS, &text, &length);
    cr_assert_eq (rc, VBT_WS_CLOSED);
    cr_assert_eq (vbt_ws_close_status (ws), 1009);
    vbt_ws_destroy (&ws);
    s_invalid_utf8 (&sim, "/v2");
    //  Upgrades on unknown paths are refused with 404
    ws = vbt_ws_connect ("127.0.0.1", sim.port, "/v1", S_WAIT_MS, &status);
    cr_assert_null (ws);
    cr_assert_eq (status, 404);
    s_survives_and_stops (&sim);
}
