/*  test_rt_stream.c — the router's private WebSocket streams against local servers.

    Two kinds of server:
    - vbt_ws_server (tests/support), a scripted server on its own thread,
      which replays its script to each new client;
    - a raw server driven step by step from the test thread itself (below):
      it accepts and upgrades, then writes exactly the frames a test needs
      (fragments, a close, silence) and reads what the client wrote. While
      the test thread works the socket, rt_stream's own thread does its part.

    The test thread plays the router's loop: zmq_poll on rt_stream_socket
    and rt_stream_event, always with a bound on the whole wait (no sleeps).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_stream.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vbt_ws_server.h"

#define WAIT_MS         5000  //  Bound on any single wait for an event or a socket
#define QUIET_MS        300   //  How long "nothing more happens" is watched
#define TEXT_MAX        (256 * 1024)
#define RAW_BUFFER      (256 * 1024)
#define RAW_REQUEST_MAX 8192
#define RAW_KEY_MAX     128
#define SHA1_SIZE       20
#define WS_GUID         "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  //  RFC 6455 section 1.3
//  RFC 6455 section 5.2: FIN bit and opcodes.
#define WS_FIN                0x80
#define WS_CONTINUATION       0x0
#define WS_TEXT               0x1
#define WS_BINARY             0x2
#define WS_CLOSE              0x8
#define WS_PING               0x9
#define WS_PONG               0xA
#define WS_LENGTH_16          126
#define WS_LENGTH_64          127
#define LATENCY_ROUNDS        200
#define LATENCY_MEDIAN_MAX_US 20000

//  --------------------------------------------------------------------------
//  Events, copied out of rt_stream (its text is borrowed).

typedef struct {
    rt_stream_event_kind_t kind;
    int conn;
    char text[TEXT_MAX];
    size_t length;
    int64_t recv_ns;
} event_t;

static event_t s_event;  //  Large: kept off the stack

//  Read the next event within timeout_ms into *out. Returns 0, or -1 at
//  the timeout.
static int
s_next (rt_stream_t *stream, event_t *out, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        rt_stream_event_t event;
        int rc = rt_stream_event (stream, &event);
        if (rc == 0) {
            cr_assert (event.length < TEXT_MAX);
            out->kind = event.kind;
            out->conn = event.conn;
            out->length = event.length;
            memcpy (out->text, event.text, event.length + 1);
            out->recv_ns = event.recv_ns;
            return 0;
        }
        cr_assert_eq (rc, VB_EAGAIN);
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return -1;
        zmq_pollitem_t item = {rt_stream_socket (stream), 0, ZMQ_POLLIN, 0};
        zmq_poll (&item, 1, (long)left);
    }
}

//  Wait up to timeout_ms for the socket to be readable, then read every
//  event waiting. Returns how many events reached us (internal notes do
//  not).
static int
s_pump (rt_stream_t *stream, int timeout_ms)
{
    zmq_pollitem_t item = {rt_stream_socket (stream), 0, ZMQ_POLLIN, 0};
    zmq_poll (&item, 1, timeout_ms);
    int count = 0;
    rt_stream_event_t event;
    while (rt_stream_event (stream, &event) == 0)
        count++;
    return count;
}

//  Read events until one of `kind` arrives (others are skipped); fails the
//  test at the timeout.
static event_t *
s_expect (rt_stream_t *stream, rt_stream_event_kind_t kind)
{
    while (true) {
        cr_assert_eq (s_next (stream, &s_event, WAIT_MS), 0, "no event kind=%d in time", kind);
        if (s_event.kind == kind)
            return &s_event;
    }
}

//  The next event must be of this kind (no skipping).
static event_t *
s_expect_next (rt_stream_t *stream, rt_stream_event_kind_t kind)
{
    cr_assert_eq (s_next (stream, &s_event, WAIT_MS), 0, "no event in time");
    cr_assert_eq (s_event.kind, kind, "event kind=%d text=%s, wanted kind=%d", s_event.kind,
                  s_event.text, kind);
    return &s_event;
}

//  ws://127.0.0.1:port/path
static void
s_url (char *url, size_t size, int port, const char *path)
{
    snprintf (url, size, "ws://127.0.0.1:%d%s", port, path);
}

//  --------------------------------------------------------------------------
//  The raw server, driven by the test thread.

typedef struct {
    int fd;                      //  Accepted client, -1 when none
    uint8_t buffer[RAW_BUFFER];  //  Bytes read, not yet a frame
    size_t used;                 //  Bytes in buffer
} raw_conn_t;

static raw_conn_t s_raw;

//  Listen on 127.0.0.1 (ephemeral port).
static int
s_raw_listen (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert (fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof (address);
    cr_assert_eq (bind (fd, (struct sockaddr *)&address, sizeof (address)), 0);
    cr_assert_eq (listen (fd, 4), 0);
    cr_assert_eq (getsockname (fd, (struct sockaddr *)&address, &size), 0);
    *port = ntohs (address.sin_port);
    return fd;
}

static int
s_write_all (int fd, const void *data, size_t length)
{
    const uint8_t *at = (const uint8_t *)data;
    while (length > 0) {
        ssize_t sent = send (fd, at, length, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return -1;
        at += sent;
        length -= (size_t)sent;
    }
    return 0;
}

//  Read more bytes into the connection's buffer. Returns bytes read, 0 at
//  the timeout, -1 when the peer has gone.
static int
s_raw_fill (raw_conn_t *conn, int timeout_ms)
{
    struct pollfd item = {.fd = conn->fd, .events = POLLIN};
    if (poll (&item, 1, timeout_ms) <= 0)
        return 0;
    cr_assert (conn->used < RAW_BUFFER);
    ssize_t got = recv (conn->fd, conn->buffer + conn->used, RAW_BUFFER - conn->used, 0);
    if (got <= 0)
        return -1;
    conn->used += (size_t)got;
    return (int)got;
}

//  Accept one client and answer its upgrade (RFC 6455 section 4.2.2:
//  Sec-WebSocket-Accept is base64 (SHA-1 (key + GUID))).
static void
s_raw_accept (int listener, raw_conn_t *conn)
{
    struct pollfd item = {.fd = listener, .events = POLLIN};
    cr_assert_eq (poll (&item, 1, WAIT_MS), 1, "no client connected");
    conn->fd = accept (listener, NULL, NULL);
    cr_assert (conn->fd >= 0);
    conn->used = 0;
    int64_t deadline = zclock_mono () + WAIT_MS;
    char *end = NULL;
    while (!end) {
        cr_assert (zclock_mono () < deadline, "no upgrade request");
        cr_assert (s_raw_fill (conn, WAIT_MS) >= 0);
        conn->buffer[conn->used] = 0;
        end = strstr ((char *)conn->buffer, "\r\n\r\n");
    }
    char request[RAW_REQUEST_MAX];
    size_t request_length = (size_t)(end + 4 - (char *)conn->buffer);
    cr_assert (request_length < sizeof (request));
    memcpy (request, conn->buffer, request_length);
    request[request_length] = 0;
    memmove (conn->buffer, conn->buffer + request_length, conn->used - request_length);
    conn->used -= request_length;
    const char *key = strcasestr (request, "\r\nSec-WebSocket-Key:");
    cr_assert (key);
    key += strlen ("\r\nSec-WebSocket-Key:");
    while (*key == ' ')
        key++;
    size_t key_length = strcspn (key, "\r\n ");
    cr_assert (key_length > 0 && key_length < RAW_KEY_MAX);
    char joined[RAW_KEY_MAX + sizeof (WS_GUID)];
    snprintf (joined, sizeof (joined), "%.*s%s", (int)key_length, key, WS_GUID);
    zdigest_t *digest = zdigest_new ();
    zdigest_update (digest, (const byte *)joined, strlen (joined));
    zarmour_t *armour = zarmour_new ();
    zarmour_set_mode (armour, ZARMOUR_MODE_BASE64_STD);
    zarmour_set_pad (armour, true);
    zarmour_set_line_breaks (armour, false);
    char *accept_key = zarmour_encode (armour, zdigest_data (digest), SHA1_SIZE);
    zdigest_destroy (&digest);
    zarmour_destroy (&armour);
    char answer[512];
    int size = snprintf (answer, sizeof (answer),
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                         accept_key);
    zstr_free (&accept_key);
    cr_assert_eq (s_write_all (conn->fd, answer, (size_t)size), 0);
}

//  Write one unmasked server frame whose first byte is `first` (FIN and
//  opcode, RFC 6455 section 5.2).
static void
s_raw_send (raw_conn_t *conn, uint8_t first, const void *data, size_t length)
{
    uint8_t header[10];
    size_t size = 0;
    header[size++] = first;
    if (length < WS_LENGTH_16)
        header[size++] = (uint8_t)length;
    else if (length <= UINT16_MAX) {
        header[size++] = WS_LENGTH_16;
        header[size++] = (uint8_t)(length >> 8);
        header[size++] = (uint8_t)length;
    } else {
        header[size++] = WS_LENGTH_64;
        for (int shift = 56; shift >= 0; shift -= 8)
            header[size++] = (uint8_t)((uint64_t)length >> shift);
    }
    cr_assert_eq (s_write_all (conn->fd, header, size), 0);
    if (length)
        cr_assert_eq (s_write_all (conn->fd, data, length), 0);
}

//  Read one client frame (masked, RFC 6455 section 5.3) into text (NUL
//  terminated). Returns its opcode, or -1 at the timeout or when the
//  client has gone.
static int
s_raw_read (raw_conn_t *conn, char *text, size_t size, size_t *length_out, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        if (conn->used >= 2) {
            uint8_t *at = conn->buffer;
            uint64_t length = at[1] & 0x7F;
            size_t header = 2;
            if (length == WS_LENGTH_16) {
                length = conn->used >= 4 ? ((uint64_t)at[2] << 8) | at[3] : UINT64_MAX;
                header = 4;
            } else if (length == WS_LENGTH_64) {
                cr_assert_fail ("client frame too large for this test");
            }
            cr_assert (at[1] & 0x80, "client frame not masked");
            if (length != UINT64_MAX && conn->used >= header + 4 + length) {
                cr_assert (length < size);
                for (size_t index = 0; index < length; index++)
                    text[index] = (char)(at[header + 4 + index] ^ at[header + index % 4]);
                text[length] = 0;
                *length_out = (size_t)length;
                int opcode = at[0] & 0x0F;
                size_t used = header + 4 + (size_t)length;
                memmove (conn->buffer, conn->buffer + used, conn->used - used);
                conn->used -= used;
                return opcode;
            }
        }
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || s_raw_fill (conn, (int)left) < 0)
            return -1;
    }
}

static void
s_raw_close (raw_conn_t *conn)
{
    if (conn->fd >= 0)
        close (conn->fd);
    conn->fd = -1;
    conn->used = 0;
}

//  ==========================================================================
//  Tests

//  The usage example: open, hear the venue, log on, close.
Test (rt_stream, usage_example)
{
    vbt_ws_step_t script[] = {{VBT_WS_SEND_TEXT, "{\"hello\":\"welcome\"}", 0},
                              {VBT_WS_WAIT_TEXT, "\"method\":\"session.logon\"", 0},
                              {VBT_WS_SEND_TEXT, "{\"status\":200}", 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 3, NULL, 0);
    cr_assert (server);
    rt_stream_options_t options = {.ping_ms = 5000};
    rt_stream_t *stream = rt_stream_new (&options);
    cr_assert (stream);

    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/ws-api/v3");
    cr_assert_eq (rt_stream_open (stream, 3, url), 0);
    cr_assert_not (rt_stream_is_open (stream, 3));  //  Not until OPENED is read

    event_t *event = s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert_eq (event->conn, 3);
    cr_assert (rt_stream_is_open (stream, 3));
    const char *logon = "{\"id\":1,\"method\":\"session.logon\"}";
    cr_assert_eq (rt_stream_send (stream, 3, logon, strlen (logon)), 0);

    int64_t before_ns = vb_clock_now_real_ns ();
    event = s_expect_next (stream, RT_STREAM_FRAME);
    cr_assert_eq (event->conn, 3);
    cr_assert_str_eq (event->text, "{\"hello\":\"welcome\"}");
    cr_assert_eq (event->length, strlen ("{\"hello\":\"welcome\"}"));
    //  Read off the socket at most WAIT_MS before we looked, and not later.
    cr_assert (event->recv_ns > before_ns - WAIT_MS * VB_NS_PER_MS);
    cr_assert (event->recv_ns <= vb_clock_now_real_ns ());

    event = s_expect_next (stream, RT_STREAM_FRAME);
    cr_assert_str_eq (event->text, "{\"status\":200}");
    cr_assert_eq (vbt_ws_server_wait_done (server, WAIT_MS), 0);

    cr_assert_eq (rt_stream_close (stream, 3), 0);
    cr_assert_not (rt_stream_is_open (stream, 3));
    event = s_expect_next (stream, RT_STREAM_CLOSED);
    cr_assert_eq (event->conn, 3);
    cr_assert_str_eq (event->text, "closed");

    rt_stream_destroy (&stream);
    cr_assert_null (stream);
    rt_stream_destroy (&stream);  //  Twice is safe
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, large_and_multibyte_messages_arrive_intact)
{
    //  Larger than the lws receive chunk (64 KiB), so it arrives in parts.
    size_t big_length = 200000;
    char *big = (char *)malloc (big_length + 1);
    for (size_t index = 0; index < big_length; index++)
        big[index] = (char)('a' + index % 26);
    big[big_length] = 0;
    const char *utf8 = "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x80\"}";  //  é € U+1F680
    vbt_ws_step_t script[] = {{VBT_WS_SEND_TEXT, big, big_length}, {VBT_WS_SEND_TEXT, utf8, 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 2, NULL, 0);
    rt_stream_t *stream = rt_stream_new (NULL);
    cr_assert (server && stream);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    s_expect_next (stream, RT_STREAM_OPENED);
    event_t *event = s_expect_next (stream, RT_STREAM_FRAME);
    cr_assert_eq (event->length, big_length);
    cr_assert_eq (memcmp (event->text, big, big_length + 1), 0);
    event = s_expect_next (stream, RT_STREAM_FRAME);
    cr_assert_eq (event->length, strlen (utf8));
    cr_assert_str_eq (event->text, utf8);
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server);
    free (big);
}

Test (rt_stream, sends_reach_the_server_in_order)
{
    vbt_ws_step_t script[] = {{VBT_WS_WAIT_TEXT, "first", 0},
                              {VBT_WS_WAIT_TEXT, "second", 0},
                              {VBT_WS_WAIT_TEXT, "third", 0},
                              {VBT_WS_SEND_TEXT, "heard all three", 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 4, NULL, 0);
    rt_stream_t *stream = rt_stream_new (NULL);
    cr_assert (server && stream);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/v2");
    cr_assert_eq (rt_stream_open (stream, 1, url), 0);
    s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert_eq (rt_stream_send (stream, 1, "first", 5), 0);
    cr_assert_eq (rt_stream_send (stream, 1, "second", 6), 0);
    cr_assert_eq (rt_stream_send (stream, 1, "third", 5), 0);
    cr_assert_str_eq (s_expect (stream, RT_STREAM_FRAME)->text, "heard all three");
    cr_assert_eq (vbt_ws_server_wait_done (server, WAIT_MS), 0);
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, refuses_sends_on_a_connection_that_is_not_open)
{
    vbt_ws_step_t script[] = {{VBT_WS_SEND_TEXT, "hi", 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 1, NULL, 0);
    rt_stream_t *stream = rt_stream_new (NULL);
    cr_assert (server && stream);
    cr_assert_eq (rt_stream_send (stream, 0, "x", 1), VB_ESTATE);  //  Never opened
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    cr_assert_eq (rt_stream_send (stream, 0, "x", 1), VB_ESTATE);  //  OPENED not read yet
    s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert_eq (rt_stream_send (stream, 1, "x", 1), VB_ESTATE);  //  Another connection
    cr_assert_eq (rt_stream_send (stream, 0, NULL, 1), VB_EINVAL);
    cr_assert_eq (rt_stream_send (stream, -1, "x", 1), VB_EINVAL);
    cr_assert_eq (rt_stream_send (stream, RT_STREAM_CONNECTIONS_MAX, "x", 1), VB_EINVAL);
    cr_assert_eq (rt_stream_send (stream, 0, "x", 1), 0);
    cr_assert_eq (rt_stream_close (stream, 0), 0);
    cr_assert_eq (rt_stream_send (stream, 0, "x", 1), VB_ESTATE);  //  Closed
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, rejects_bad_connections_and_urls)
{
    rt_stream_t *stream = rt_stream_new (NULL);
    cr_assert (stream);
    cr_assert_eq (rt_stream_open (stream, -1, "ws://127.0.0.1:1/"), VB_EINVAL);
    cr_assert_eq (rt_stream_open (stream, RT_STREAM_CONNECTIONS_MAX, "ws://127.0.0.1:1/"),
                  VB_EINVAL);
    const char *bad[] = {NULL,
                         "",
                         "http://example.com/",
                         "ws:/example.com",
                         "ws://",
                         "ws://:80/",
                         "wss://example.com:0/",
                         "wss://example.com:65536/",
                         "wss://example.com:-1/",
                         "wss://example.com:port/",
                         "wss://example.com:443x/",
                         "ws://[::1/",
                         "ws://exa mple.com/",
                         "ws://example.com/a\r\nX-Injected: 1",
                         "ws://example.com/\x7f"};
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++)
        cr_assert_eq (rt_stream_open (stream, 0, bad[index]), VB_EINVAL, "url %zu accepted", index);
    char *long_url = (char *)malloc (RT_STREAM_URL_MAX + 1);
    memset (long_url, 'a', RT_STREAM_URL_MAX);
    memcpy (long_url, "ws://h/", 7);
    long_url[RT_STREAM_URL_MAX] = 0;
    cr_assert_eq (rt_stream_open (stream, 0, long_url), VB_EINVAL);
    long_url[RT_STREAM_URL_MAX - 1] = 0;  //  RT_STREAM_URL_MAX - 1 characters: fits
    cr_assert_eq (rt_stream_open (stream, 0, long_url), 0);
    free (long_url);
    cr_assert_eq (rt_stream_close (stream, -1), VB_EINVAL);
    cr_assert_eq (rt_stream_close (stream, RT_STREAM_CONNECTIONS_MAX), VB_EINVAL);
    cr_assert_not (rt_stream_is_open (stream, -1));
    cr_assert_not (rt_stream_is_open (stream, RT_STREAM_CONNECTIONS_MAX));
    rt_stream_destroy (&stream);
}

Test (rt_stream, rejects_bad_options)
{
    rt_stream_options_t options = {.backoff_min_ms = 500, .backoff_max_ms = 100};
    cr_assert_null (rt_stream_new (&options));
    options = (rt_stream_options_t){.ping_ms = -1};
    cr_assert_null (rt_stream_new (&options));
    options = (rt_stream_options_t){.frame_max = SIZE_MAX};
    cr_assert_null (rt_stream_new (&options));
    options = (rt_stream_options_t){.ca_file = "/nonexistent/ca.pem"};
    cr_assert_null (rt_stream_new (&options));
}

Test (rt_stream, refused_connection_reports_closed_and_keeps_retrying)
{
    //  A bound socket that does not listen: connecting to it is refused, and
    //  nobody else can take the port meanwhile.
    int holder = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof (address);
    cr_assert_eq (bind (holder, (struct sockaddr *)&address, sizeof (address)), 0);
    cr_assert_eq (getsockname (holder, (struct sockaddr *)&address, &size), 0);
    rt_stream_options_t options = {.backoff_min_ms = 5, .backoff_max_ms = 20};
    rt_stream_t *stream = rt_stream_new (&options);
    cr_assert (stream);
    char url[128];
    s_url (url, sizeof (url), ntohs (address.sin_port), "/");
    cr_assert_eq (rt_stream_open (stream, 7, url), 0);
    for (int attempt = 0; attempt < 3; attempt++) {
        event_t *event = s_expect_next (stream, RT_STREAM_CLOSED);
        cr_assert_eq (event->conn, 7);
        cr_assert_gt (event->length, 0);
        cr_assert_not (rt_stream_is_open (stream, 7));
    }
    cr_assert_eq (rt_stream_close (stream, 7), 0);
    //  Attempts already under way may still report; then "closed", then
    //  nothing more.
    do
        s_expect (stream, RT_STREAM_CLOSED);
    while (strcmp (s_event.text, "closed") != 0);
    cr_assert_eq (s_next (stream, &s_event, QUIET_MS), -1, "event after close: %s", s_event.text);
    rt_stream_destroy (&stream);
    close (holder);
}

Test (rt_stream, reconnects_after_the_peer_goes_away)
{
    int port;
    int listener = s_raw_listen (&port);
    rt_stream_options_t options = {.backoff_min_ms = 5, .backoff_max_ms = 20};
    rt_stream_t *stream = rt_stream_new (&options);
    char url[128];
    s_url (url, sizeof (url), port, "/");
    cr_assert_eq (rt_stream_open (stream, 2, url), 0);
    s_raw_accept (listener, &s_raw);
    s_expect_next (stream, RT_STREAM_OPENED);
    s_raw_send (&s_raw, WS_FIN | WS_TEXT, "first life", 10);
    cr_assert_str_eq (s_expect_next (stream, RT_STREAM_FRAME)->text, "first life");
    s_raw_close (&s_raw);  //  The peer drops the TCP connection
    event_t *event = s_expect_next (stream, RT_STREAM_CLOSED);
    cr_assert_eq (event->conn, 2);
    cr_assert_gt (event->length, 0);
    cr_assert_not (rt_stream_is_open (stream, 2));

    s_raw_accept (listener, &s_raw);  //  The reconnect
    s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert (rt_stream_is_open (stream, 2));
    cr_assert_eq (rt_stream_send (stream, 2, "logon again", 11), 0);
    char text[64];
    size_t length;
    int opcode;
    do  //  Skip pings, if any
        opcode = s_raw_read (&s_raw, text, sizeof (text), &length, WAIT_MS);
    while (opcode == WS_PING);
    cr_assert_eq (opcode, WS_TEXT);
    cr_assert_str_eq (text, "logon again");
    //  A close frame from the peer: CLOSED, and again a reconnect.
    s_raw_send (&s_raw, WS_FIN | WS_CLOSE, "\x03\xe8", 2);  //  1000, normal closure
    s_expect (stream, RT_STREAM_CLOSED);
    s_raw_close (&s_raw);
    s_raw_accept (listener, &s_raw);
    s_expect (stream, RT_STREAM_OPENED);
    rt_stream_destroy (&stream);
    s_raw_close (&s_raw);
    close (listener);
}

Test (rt_stream, scripted_server_is_heard_again_after_a_reconnect)
{
    //  The script's message is over frame_max: the stream drops the
    //  connection and reconnects, and the server replays its script to the
    //  new client.
    char big[2000];
    memset (big, 'x', sizeof (big) - 1);
    big[sizeof (big) - 1] = 0;
    vbt_ws_step_t script[] = {{VBT_WS_SEND_TEXT, "hello", 0}, {VBT_WS_SEND_TEXT, big, 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 2, NULL, 0);
    rt_stream_options_t options = {.backoff_min_ms = 5, .backoff_max_ms = 20, .frame_max = 1000};
    rt_stream_t *stream = rt_stream_new (&options);
    cr_assert (server && stream);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    for (int life = 0; life < 2; life++) {
        s_expect_next (stream, RT_STREAM_OPENED);
        cr_assert_str_eq (s_expect_next (stream, RT_STREAM_FRAME)->text, "hello");
        cr_assert_str_eq (s_expect_next (stream, RT_STREAM_CLOSED)->text, "message too large");
    }
    cr_assert_geq (vbt_ws_server_clients (server), 2);
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, close_stops_reconnecting)
{
    vbt_ws_step_t script[] = {{VBT_WS_SEND_TEXT, "hi", 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 1, NULL, 0);
    rt_stream_options_t options = {.backoff_min_ms = 5, .backoff_max_ms = 20};
    rt_stream_t *stream = rt_stream_new (&options);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    s_expect_next (stream, RT_STREAM_OPENED);
    s_expect_next (stream, RT_STREAM_FRAME);
    cr_assert_eq (rt_stream_close (stream, 0), 0);
    cr_assert_str_eq (s_expect_next (stream, RT_STREAM_CLOSED)->text, "closed");
    cr_assert_eq (s_next (stream, &s_event, QUIET_MS), -1, "event after close kind=%d",
                  s_event.kind);
    cr_assert_eq (vbt_ws_server_clients (server), 1);
    cr_assert_not (rt_stream_is_open (stream, 0));
    //  Closing what is closed is harmless and silent.
    cr_assert_eq (rt_stream_close (stream, 0), 0);
    cr_assert_eq (rt_stream_close (stream, 5), 0);
    cr_assert_eq (s_next (stream, &s_event, QUIET_MS), -1);
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, reopen_moves_the_connection_to_the_new_url)
{
    vbt_ws_step_t script_a[] = {{VBT_WS_SEND_TEXT, "from a", 0}};
    vbt_ws_step_t script_b[] = {{VBT_WS_SEND_TEXT, "from b", 0}};
    vbt_ws_server_t *server_a = vbt_ws_server_new (script_a, 1, NULL, 0);
    vbt_ws_server_t *server_b = vbt_ws_server_new (script_b, 1, NULL, 0);
    rt_stream_t *stream = rt_stream_new (NULL);
    cr_assert (server_a && server_b && stream);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server_a), "/");
    cr_assert_eq (rt_stream_open (stream, 4, url), 0);
    s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert_str_eq (s_expect_next (stream, RT_STREAM_FRAME)->text, "from a");
    s_url (url, sizeof (url), vbt_ws_server_port (server_b), "/");
    cr_assert_eq (rt_stream_open (stream, 4, url), 0);
    cr_assert_not (rt_stream_is_open (stream, 4));
    cr_assert_str_eq (s_expect_next (stream, RT_STREAM_CLOSED)->text, "reopened");
    s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert_str_eq (s_expect_next (stream, RT_STREAM_FRAME)->text, "from b");
    cr_assert_eq (vbt_ws_server_clients (server_b), 1);
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server_a);
    vbt_ws_server_destroy (&server_b);
}

Test (rt_stream, pings_and_drops_a_silent_connection)
{
    int port;
    int listener = s_raw_listen (&port);
    rt_stream_options_t options = {.ping_ms = 50, .backoff_min_ms = 5, .backoff_max_ms = 20};
    rt_stream_t *stream = rt_stream_new (&options);
    char url[128];
    s_url (url, sizeof (url), port, "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    //  Taken before our upgrade answer, so no later than the client's open.
    int64_t opened_ms = zclock_mono ();
    s_raw_accept (listener, &s_raw);
    s_expect_next (stream, RT_STREAM_OPENED);
    //  The client pings; we answer nothing at all.
    char text[64];
    size_t length;
    cr_assert_eq (s_raw_read (&s_raw, text, sizeof (text), &length, WAIT_MS), WS_PING);
    cr_assert_str_eq (s_expect_next (stream, RT_STREAM_CLOSED)->text, "dead");
    //  Dead means 2 ping intervals without a frame or a pong.
    cr_assert_geq (zclock_mono () - opened_ms, 2 * options.ping_ms);
    s_raw_close (&s_raw);
    s_raw_accept (listener, &s_raw);
    s_expect_next (stream, RT_STREAM_OPENED);
    rt_stream_destroy (&stream);
    s_raw_close (&s_raw);
    close (listener);
}

Test (rt_stream, pongs_keep_a_quiet_connection_alive)
{
    //  vbt_ws_server answers pings and sends nothing after its script.
    vbt_ws_step_t script[] = {{VBT_WS_SEND_TEXT, "only message", 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 1, NULL, 0);
    rt_stream_options_t options = {.ping_ms = 250};
    rt_stream_t *stream = rt_stream_new (&options);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    s_expect_next (stream, RT_STREAM_OPENED);
    s_expect_next (stream, RT_STREAM_FRAME);
    //  Four times the dead bound (eight pings) passes without a CLOSED.
    cr_assert_eq (s_next (stream, &s_event, 8 * (int)options.ping_ms), -1,
                  "event on a live connection kind=%d text=%s", s_event.kind, s_event.text);
    cr_assert (rt_stream_is_open (stream, 0));
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, reassembles_fragments_and_drops_binary_messages)
{
    int port;
    int listener = s_raw_listen (&port);
    rt_stream_t *stream = rt_stream_new (NULL);
    char url[128];
    s_url (url, sizeof (url), port, "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    s_raw_accept (listener, &s_raw);
    s_expect_next (stream, RT_STREAM_OPENED);
    //  RFC 6455 section 5.4: a text frame without FIN, continuations, and a
    //  control frame may come between fragments.
    s_raw_send (&s_raw, WS_TEXT, "{\"part\":", 8);
    s_raw_send (&s_raw, WS_CONTINUATION, "\"one", 4);
    s_raw_send (&s_raw, WS_FIN | WS_PING, "p", 1);
    s_raw_send (&s_raw, WS_FIN | WS_CONTINUATION, "two\"}", 5);
    s_raw_send (&s_raw, WS_FIN | WS_BINARY, "\x00\x01\x02", 3);
    s_raw_send (&s_raw, WS_FIN | WS_TEXT, "after binary", 12);
    event_t *event = s_expect_next (stream, RT_STREAM_FRAME);
    cr_assert_str_eq (event->text, "{\"part\":\"onetwo\"}");
    cr_assert_eq (event->length, 17);
    cr_assert_str_eq (s_expect_next (stream, RT_STREAM_FRAME)->text, "after binary");
    //  lws answered the ping with a pong carrying its payload.
    char text[64];
    size_t length;
    int opcode;
    do
        opcode = s_raw_read (&s_raw, text, sizeof (text), &length, WAIT_MS);
    while (opcode == WS_PING);
    cr_assert_eq (opcode, WS_PONG);
    cr_assert_str_eq (text, "p");
    rt_stream_destroy (&stream);
    s_raw_close (&s_raw);
    close (listener);
}

Test (rt_stream, bounds_the_send_queue)
{
    vbt_ws_step_t script[] = {{VBT_WS_WAIT_TEXT, "m3", 0}, {VBT_WS_WAIT_TEXT, "m4", 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 2, NULL, 0);
    rt_stream_options_t options = {.queue_max = 4, .frame_max = 100};
    rt_stream_t *stream = rt_stream_new (&options);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    s_expect_next (stream, RT_STREAM_OPENED);
    char too_big[101];
    memset (too_big, 'y', sizeof (too_big));
    cr_assert_eq (rt_stream_send (stream, 0, too_big, sizeof (too_big)), VB_ELIMIT);
    //  Without reading events, the loop cannot know what was written: four
    //  go, the fifth is refused.
    cr_assert_eq (rt_stream_send (stream, 0, "m0", 2), 0);
    cr_assert_eq (rt_stream_send (stream, 0, "m1", 2), 0);
    cr_assert_eq (rt_stream_send (stream, 0, "m2", 2), 0);
    cr_assert_eq (rt_stream_send (stream, 0, "m3", 2), 0);
    cr_assert_eq (rt_stream_send (stream, 0, "m4", 2), VB_ELIMIT);
    //  Once the thread says they are written, there is room again.
    int64_t deadline = zclock_mono () + WAIT_MS;
    int rc;
    while ((rc = rt_stream_send (stream, 0, "m4", 2)) == VB_ELIMIT) {
        int64_t left = deadline - zclock_mono ();
        cr_assert (left > 0, "the queue never drained");
        cr_assert_eq (s_pump (stream, (int)left), 0, "unexpected event");
    }
    cr_assert_eq (rc, 0);
    cr_assert_eq (vbt_ws_server_wait_done (server, WAIT_MS), 0);
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, events_read_late_neither_stall_the_thread_nor_get_lost)
{
    //  More events than a default ZeroMQ pipe holds (1000 + 1000) wait
    //  unread while the thread must still carry a send on another
    //  connection.
    enum { COUNT = 5000 };
    vbt_ws_step_t *script = (vbt_ws_step_t *)calloc (COUNT, sizeof (vbt_ws_step_t));
    char (*texts)[16] = calloc (COUNT, 16);
    for (int index = 0; index < COUNT; index++) {
        snprintf (texts[index], 16, "n-%d", index);
        script[index] = (vbt_ws_step_t){VBT_WS_SEND_TEXT, texts[index], 0};
    }
    vbt_ws_server_t *flood = vbt_ws_server_new (script, COUNT, NULL, 0);
    vbt_ws_step_t wait_script[] = {{VBT_WS_WAIT_TEXT, "after the flood", 0}};
    vbt_ws_server_t *quiet = vbt_ws_server_new (wait_script, 1, NULL, 0);
    rt_stream_t *stream = rt_stream_new (NULL);
    cr_assert (flood && quiet && stream);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (quiet), "/");
    cr_assert_eq (rt_stream_open (stream, 1, url), 0);
    cr_assert_eq (s_expect_next (stream, RT_STREAM_OPENED)->conn, 1);
    s_url (url, sizeof (url), vbt_ws_server_port (flood), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    cr_assert_eq (vbt_ws_server_wait_done (flood, WAIT_MS), 0);
    cr_assert_eq (rt_stream_send (stream, 1, "after the flood", 15), 0);
    cr_assert_eq (vbt_ws_server_wait_done (quiet, WAIT_MS), 0, "the thread stalled");
    event_t *event = s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert_eq (event->conn, 0);
    for (int index = 0; index < COUNT; index++) {
        event = s_expect_next (stream, RT_STREAM_FRAME);
        cr_assert_eq (event->conn, 0);
        cr_assert_str_eq (event->text, texts[index]);
    }
    rt_stream_destroy (&stream);
    vbt_ws_server_destroy (&flood);
    vbt_ws_server_destroy (&quiet);
    free (texts);
    free (script);
}

Test (rt_stream, a_send_reaches_the_wire_quickly)
{
    int port;
    int listener = s_raw_listen (&port);
    rt_stream_t *stream = rt_stream_new (NULL);
    char url[128];
    s_url (url, sizeof (url), port, "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    s_raw_accept (listener, &s_raw);
    s_expect_next (stream, RT_STREAM_OPENED);
    int64_t samples[LATENCY_ROUNDS];
    for (int round = 0; round < LATENCY_ROUNDS; round++) {
        char message[32];
        int size = snprintf (message, sizeof (message), "order-%d", round);
        int64_t start_ns = vb_clock_now_mono_ns ();
        cr_assert_eq (rt_stream_send (stream, 0, message, (size_t)size), 0);
        char text[64];
        size_t length;
        cr_assert_eq (s_raw_read (&s_raw, text, sizeof (text), &length, WAIT_MS), WS_TEXT);
        samples[round] = vb_clock_now_mono_ns () - start_ns;
        cr_assert_str_eq (text, message);
        //  Read the WRITTEN notes so the queue bound never bites.
        while (s_next (stream, &s_event, 0) == 0)
            cr_assert_fail ("unexpected event kind=%d", s_event.kind);
    }
    for (int outer = 1; outer < LATENCY_ROUNDS; outer++)  //  Insertion sort
        for (int inner = outer; inner > 0 && samples[inner - 1] > samples[inner]; inner--) {
            int64_t swap = samples[inner];
            samples[inner] = samples[inner - 1];
            samples[inner - 1] = swap;
        }
    int64_t median_us = samples[LATENCY_ROUNDS / 2] / VB_NS_PER_US;
    int64_t p99_us = samples[LATENCY_ROUNDS * 99 / 100] / VB_NS_PER_US;
    fprintf (stderr,
             "rt_stream send-to-wire latency: median_us=%" PRId64 " p99_us=%" PRId64
             " max_us=%" PRId64 "\n",
             median_us, p99_us, samples[LATENCY_ROUNDS - 1] / VB_NS_PER_US);
    //  A polling tick (the thing this design avoids) would put the median
    //  near half its period (50 ms for a 100 ms tick); a wake-up puts it in
    //  tens of microseconds. The bound is loose for a loaded machine and
    //  sanitizer builds.
    cr_assert_lt (median_us, LATENCY_MEDIAN_MAX_US);
    rt_stream_destroy (&stream);
    s_raw_close (&s_raw);
    close (listener);
}

Test (rt_stream, destroy_with_connections_in_every_state_is_clean)
{
    vbt_ws_step_t script[] = {{VBT_WS_SEND_TEXT, "open", 0}};
    vbt_ws_server_t *server = vbt_ws_server_new (script, 1, NULL, 0);
    int port;
    int listener = s_raw_listen (&port);  //  Never accepts: that one stays connecting
    rt_stream_options_t options = {.backoff_min_ms = 1000, .backoff_max_ms = 2000};
    rt_stream_t *stream = rt_stream_new (&options);
    char url[128];
    s_url (url, sizeof (url), vbt_ws_server_port (server), "/");
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    s_expect_next (stream, RT_STREAM_OPENED);
    cr_assert_eq (rt_stream_send (stream, 0, "queued", 6), 0);
    s_url (url, sizeof (url), port, "/");
    cr_assert_eq (rt_stream_open (stream, 1, url), 0);
    cr_assert_eq (rt_stream_open (stream, 2, "ws://127.0.0.1:1/"), 0);  //  Refused, backing off
    s_expect (stream, RT_STREAM_CLOSED);
    rt_stream_destroy (&stream);
    cr_assert_null (stream);
    close (listener);
    vbt_ws_server_destroy (&server);
}

Test (rt_stream, failed_tls_handshake_reports_closed_and_retries)
{
    //  wss:// to a server that answers the TLS ClientHello with plain text.
    int port;
    int listener = s_raw_listen (&port);
    rt_stream_options_t options = {.backoff_min_ms = 5, .backoff_max_ms = 20};
    rt_stream_t *stream = rt_stream_new (&options);
    cr_assert (stream);
    char url[128];
    snprintf (url, sizeof (url), "wss://127.0.0.1:%d/", port);
    cr_assert_eq (rt_stream_open (stream, 0, url), 0);
    for (int attempt = 0; attempt < 2; attempt++) {
        struct pollfd item = {.fd = listener, .events = POLLIN};
        cr_assert_eq (poll (&item, 1, WAIT_MS), 1, "no client connected");
        int fd = accept (listener, NULL, NULL);
        cr_assert (fd >= 0);
        const char *junk = "HTTP/1.1 400 Bad Request\r\n\r\n";
        cr_assert_eq (s_write_all (fd, junk, strlen (junk)), 0);
        event_t *event = s_expect_next (stream, RT_STREAM_CLOSED);
        cr_assert_gt (event->length, 0);
        close (fd);
    }
    rt_stream_destroy (&stream);
    close (listener);
}
