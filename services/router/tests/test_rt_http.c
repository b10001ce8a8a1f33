/*  test_rt_http.c — the router's REST client against a raw HTTP/1.1 server in a thread.

    The server is plain sockets and poll() in one thread: it reads whole
    requests (head up to CRLFCRLF plus Content-Length), counts connections
    and requests, and answers by path:
      /big/N      N bytes of 'x'
      /status/N   status N, echo body
      /headers/N  echo body, N extra header lines "X-Line-<i>: <i>"
      anything    200, body "<METHOD> <PATH>\n" followed by the request body
    Every answer carries X-Echo-Method (the request's method) and X-Echo-Test
    (the request's X-Test header, "-" when absent) and keeps the connection
    alive. Faults: `silent` never answers; `drop_nth` reads the n-th request
    of each connection fully and closes without answering, which is exactly
    the dead keep-alive connection that makes libcurl send a request again.

    The client side is driven the way the router drives it: zmq_poll on
    rt_http_pollitems with rt_http_timeout_ms, then rt_http_process, with a
    bound on the whole wait (no sleeps).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_http.h"
#include "vb_clock.h"
#include "vb_error.h"

#define SRV_CONNECTIONS_MAX 128
#define SRV_BUFFER          (64 * 1024)
#define SRV_BACKLOG         128
#define SRV_HEAD_MAX        8192   //  Answer head, extra lines included
#define DRIVE_BOUND_MS      10000  //  Longest any test waits for the loop
#define DRIVE_POLL_MAX_MS   20     //  Longest single poll, to look at the condition again
#define RESULTS_MAX         64
#define RESULT_BODY_MAX     8192
#define NS_PER_MS           INT64_C (1000000)

//  --------------------------------------------------------------------------
//  The test server

typedef struct {
    int fd;                   //  -1: free slot
    char buffer[SRV_BUFFER];  //  Bytes read, not yet a whole request
    size_t used;
    int served;  //  Whole requests read on this connection
} srv_conn_t;

typedef struct {
    int listen_fd;
    int port;
    int wake[2];  //  Write a byte to stop the thread
    pthread_t thread;
    bool silent;             //  Never answer
    int drop_nth;            //  Close on the n-th request of a connection (0: never)
    atomic_int connections;  //  Accepted
    atomic_int requests;     //  Whole requests read
    atomic_int peer_closes;  //  Connections the client closed
    srv_conn_t conns[SRV_CONNECTIONS_MAX];
} srv_t;

static void
s_conn_close (srv_conn_t *conn)
{
    close (conn->fd);
    conn->fd = -1;
    conn->used = 0;
    conn->served = 0;
}

static int
s_send_all (int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t rc = send (fd, data, length, MSG_NOSIGNAL);
        if (rc <= 0)
            return -1;
        data += rc;
        length -= (size_t)rc;
    }
    return 0;
}

//  Value of a request header (case-insensitive name) in the head, copied into
//  value; "-" when absent.
static void
s_head_value (const char *head, size_t head_length, const char *name, char *value, size_t size)
{
    snprintf (value, size, "-");
    size_t name_length = strlen (name);
    const char *line = memchr (head, '\n', head_length);
    while (line && (size_t)(line + 1 - head) < head_length) {
        line++;
        const char *end = memchr (line, '\r', head_length - (size_t)(line - head));
        if (!end)
            return;
        if ((size_t)(end - line) > name_length + 1 && strncasecmp (line, name, name_length) == 0 &&
            line[name_length] == ':') {
            const char *start = line + name_length + 1;
            while (*start == ' ')
                start++;
            snprintf (value, size, "%.*s", (int)(end - start), start);
            return;
        }
        line = memchr (line, '\n', head_length - (size_t)(line - head));
    }
}

static void
s_answer (srv_conn_t *conn, const char *method, const char *path, const char *echo,
          const char *body, size_t body_length)
{
    int status = 200;
    char *payload = NULL;
    size_t payload_length = 0;
    if (strncmp (path, "/big/", 5) == 0) {
        payload_length = strtoul (path + 5, NULL, 10);
        payload = malloc (payload_length + 1);
        memset (payload, 'x', payload_length);
    } else {
        if (strncmp (path, "/status/", 8) == 0)
            status = atoi (path + 8);
        size_t prefix = strlen (method) + 1 + strlen (path) + 1;
        payload = malloc (prefix + body_length + 1);
        snprintf (payload, prefix + 1, "%s %s\n", method, path);
        memcpy (payload + prefix, body, body_length);
        payload_length = prefix + body_length;
    }
    //  /headers/N: N extra lines "X-Line-<i>: <i>" before the blank line
    size_t extra = strncmp (path, "/headers/", 9) == 0 ? strtoul (path + 9, NULL, 10) : 0;
    char head[SRV_HEAD_MAX];
    int head_length =
        snprintf (head, sizeof (head),
                  "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: keep-alive\r\n"
                  "X-Echo-Method: %s\r\nX-Echo-Test: %s\r\n",
                  status, status == 200 ? "OK" : "Other", payload_length, method, echo);
    for (size_t line = 0; line < extra && head_length < SRV_HEAD_MAX - 64; line++)
        head_length += snprintf (head + head_length, sizeof (head) - (size_t)head_length,
                                 "X-Line-%zu: %zu\r\n", line, line);
    head_length += snprintf (head + head_length, sizeof (head) - (size_t)head_length, "\r\n");
    if (s_send_all (conn->fd, head, (size_t)head_length) != 0 ||
        s_send_all (conn->fd, payload, payload_length) != 0)
        s_conn_close (conn);
    free (payload);
}

//  Handle every whole request in the connection's buffer.
static void
s_conn_requests (srv_t *srv, srv_conn_t *conn)
{
    while (conn->fd >= 0) {
        char *end = memmem (conn->buffer, conn->used, "\r\n\r\n", 4);
        if (!end)
            return;
        size_t head_length = (size_t)(end - conn->buffer) + 4;
        char value[256];
        s_head_value (conn->buffer, head_length, "Content-Length", value, sizeof (value));
        size_t content_length = strcmp (value, "-") == 0 ? 0 : strtoul (value, NULL, 10);
        if (conn->used < head_length + content_length)
            return;
        char method[16] = "", path[1024] = "";
        sscanf (conn->buffer, "%15s %1023s", method, path);
        char echo[256];
        s_head_value (conn->buffer, head_length, "X-Test", echo, sizeof (echo));
        atomic_fetch_add (&srv->requests, 1);
        conn->served++;
        if (srv->drop_nth && conn->served == srv->drop_nth) {
            s_conn_close (conn);
            return;
        }
        if (!srv->silent)
            s_answer (conn, method, path, echo, conn->buffer + head_length, content_length);
        if (conn->fd < 0)
            return;
        size_t consumed = head_length + content_length;
        memmove (conn->buffer, conn->buffer + consumed, conn->used - consumed);
        conn->used -= consumed;
    }
}

static void *
s_srv_thread (void *arg)
{
    srv_t *srv = arg;
    struct pollfd fds[2 + SRV_CONNECTIONS_MAX];
    size_t owners[2 + SRV_CONNECTIONS_MAX];
    while (true) {
        size_t count = 0;
        fds[count++] = (struct pollfd){.fd = srv->wake[0], .events = POLLIN};
        fds[count++] = (struct pollfd){.fd = srv->listen_fd, .events = POLLIN};
        for (size_t index = 0; index < SRV_CONNECTIONS_MAX; index++)
            if (srv->conns[index].fd >= 0) {
                owners[count] = index;
                fds[count++] = (struct pollfd){.fd = srv->conns[index].fd, .events = POLLIN};
            }
        if (poll (fds, count, -1) < 0)
            continue;
        if (fds[0].revents)
            break;
        for (size_t item = 2; item < count; item++) {
            if (!fds[item].revents)
                continue;
            srv_conn_t *conn = &srv->conns[owners[item]];
            ssize_t rc = recv (conn->fd, conn->buffer + conn->used, SRV_BUFFER - conn->used, 0);
            if (rc <= 0) {
                if (rc == 0)
                    atomic_fetch_add (&srv->peer_closes, 1);
                s_conn_close (conn);
                continue;
            }
            conn->used += (size_t)rc;
            s_conn_requests (srv, conn);
        }
        if (fds[1].revents) {
            int fd = accept (srv->listen_fd, NULL, NULL);
            if (fd >= 0) {
                //  Head and body go out in two writes: no Nagle wait between
                int on = 1;
                setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof (on));
                atomic_fetch_add (&srv->connections, 1);
                size_t index = 0;
                while (index < SRV_CONNECTIONS_MAX && srv->conns[index].fd >= 0)
                    index++;
                if (index < SRV_CONNECTIONS_MAX)
                    srv->conns[index].fd = fd;
                else
                    close (fd);
            }
        }
    }
    return NULL;
}

static srv_t *
s_srv_start (bool silent, int drop_nth)
{
    srv_t *srv = calloc (1, sizeof (srv_t));
    cr_assert_not_null (srv);
    srv->silent = silent;
    srv->drop_nth = drop_nth;
    for (size_t index = 0; index < SRV_CONNECTIONS_MAX; index++)
        srv->conns[index].fd = -1;
    srv->listen_fd = socket (AF_INET, SOCK_STREAM, 0);
    cr_assert_geq (srv->listen_fd, 0);
    int on = 1;
    setsockopt (srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof (on));
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    cr_assert_eq (bind (srv->listen_fd, (struct sockaddr *)&address, sizeof (address)), 0);
    cr_assert_eq (listen (srv->listen_fd, SRV_BACKLOG), 0);
    socklen_t length = sizeof (address);
    cr_assert_eq (getsockname (srv->listen_fd, (struct sockaddr *)&address, &length), 0);
    srv->port = ntohs (address.sin_port);
    cr_assert_eq (pipe (srv->wake), 0);
    cr_assert_eq (pthread_create (&srv->thread, NULL, s_srv_thread, srv), 0);
    return srv;
}

static void
s_srv_stop (srv_t **srv_p)
{
    srv_t *srv = *srv_p;
    cr_assert_eq (write (srv->wake[1], "x", 1), 1);
    pthread_join (srv->thread, NULL);
    for (size_t index = 0; index < SRV_CONNECTIONS_MAX; index++)
        if (srv->conns[index].fd >= 0)
            close (srv->conns[index].fd);
    close (srv->listen_fd);
    close (srv->wake[0]);
    close (srv->wake[1]);
    free (srv);
    *srv_p = NULL;
}

//  --------------------------------------------------------------------------
//  What done saw (each test runs in its own process)

typedef struct {
    int calls;  //  done calls for this id
    int status;
    bool sent;
    char error[RT_HTTP_ERROR_MAX];
    char body[RESULT_BODY_MAX];  //  Truncated copy
    size_t length;               //  Real length
    size_t header_count;
    char headers[RT_HTTP_HEADERS_MAX][256];
    int64_t queued_ns;
    int64_t done_ns;
} result_t;

typedef struct {
    int done_total;
    result_t results[RESULTS_MAX];
    rt_http_t *http;  //  For sends from inside done
    int chain_left;   //  Sends still to make from inside done
    char chain_url[128];
} record_t;

static record_t s_record;

static void
s_done (void *ctx, const rt_http_answer_t *answer)
{
    record_t *record = ctx;
    record->done_total++;
    cr_assert_lt (answer->id, RESULTS_MAX);
    result_t *result = &record->results[answer->id];
    result->calls++;
    result->status = answer->status;
    result->sent = answer->sent;
    snprintf (result->error, sizeof (result->error), "%s", answer->error);
    cr_assert_not_null (answer->body);
    cr_assert_eq (answer->body[answer->length], '\0');
    snprintf (result->body, sizeof (result->body), "%s", answer->body);
    result->length = answer->length;
    result->header_count = answer->header_count;
    for (size_t index = 0; index < answer->header_count; index++)
        snprintf (result->headers[index], sizeof (result->headers[index]), "%s",
                  answer->headers[index]);
    result->queued_ns = answer->queued_ns;
    result->done_ns = answer->done_ns;
    if (record->chain_left > 0) {
        record->chain_left--;
        vb_exec_request_t request = {.method = "GET"};
        snprintf (request.url, sizeof (request.url), "%s", record->chain_url);
        cr_assert_eq (rt_http_send (record->http, answer->id + 1, &request), 0);
    }
}

//  --------------------------------------------------------------------------
//  Helpers

static void
s_request (vb_exec_request_t *request, const char *method, int port, const char *path,
           const char *body)
{
    memset (request, 0, sizeof (*request));
    snprintf (request->method, sizeof (request->method), "%s", method);
    snprintf (request->url, sizeof (request->url), "http://127.0.0.1:%d%s", port, path);
    if (body) {
        request->body_length = strlen (body);
        memcpy (request->body, body, request->body_length);
    }
}

typedef bool (condition_fn) (void *arg);

//  Run the loop as the router does until the condition holds; fail the test
//  if it does not within DRIVE_BOUND_MS.
static void
s_drive (rt_http_t *http, condition_fn *condition, void *arg)
{
    int64_t deadline_ns = vb_clock_now_mono_ns () + DRIVE_BOUND_MS * NS_PER_MS;
    while (!condition (arg)) {
        int64_t left_ms = (deadline_ns - vb_clock_now_mono_ns ()) / NS_PER_MS;
        cr_assert_gt (left_ms, 0, "the loop did not get there within %d ms", DRIVE_BOUND_MS);
        zmq_pollitem_t items[RT_HTTP_POLL_MAX];
        size_t count = rt_http_pollitems (http, items, RT_HTTP_POLL_MAX);
        long timeout = rt_http_timeout_ms (http);
        if (timeout < 0 || timeout > DRIVE_POLL_MAX_MS)
            timeout = DRIVE_POLL_MAX_MS;
        cr_assert_geq (zmq_poll (items, (int)count, timeout), 0);
        cr_assert_geq (rt_http_process (http, items, count), 0);
    }
}

static int s_want_done;
static bool
s_done_reached (void *arg)
{
    (void)arg;
    return s_record.done_total >= s_want_done;
}

static void
s_drive_until_done (rt_http_t *http, int total)
{
    s_want_done = total;
    s_drive (http, s_done_reached, NULL);
}

static atomic_int *s_counter;
static int s_counter_want;
static bool
s_counter_reached (void *arg)
{
    (void)arg;
    return atomic_load (s_counter) >= s_counter_want;
}

static void
s_drive_until_count (rt_http_t *http, atomic_int *counter, int want)
{
    s_counter = counter;
    s_counter_want = want;
    s_drive (http, s_counter_reached, NULL);
}

static bool
s_has_header (const result_t *result, const char *line)
{
    for (size_t index = 0; index < result->header_count; index++)
        if (strcmp (result->headers[index], line) == 0)
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Tests

Test (rt_http, posts_and_gets_round_trip)
{
    //  Usage: make the client, send signed requests, run the loop (poll the
    //  client's items with its timeout, then process), get each answer once
    //  through done.
    srv_t *srv = s_srv_start (false, 0);
    rt_http_options_t options = {.timeout_ms = 5000};
    rt_http_t *http = rt_http_new (&options, s_done, &s_record);
    cr_assert_not_null (http);

    vb_exec_request_t request;
    s_request (&request, "POST", srv->port, "/api/v3/order", "symbol=BTCUSDT&side=BUY");
    snprintf (request.headers[0], VB_EXEC_HEADER_MAX, "X-Test: signed-1");
    snprintf (request.headers[1], VB_EXEC_HEADER_MAX,
              "Content-Type: application/x-www-form-urlencoded");
    request.header_count = 2;
    request.may_execute = true;
    cr_assert_eq (rt_http_send (http, 1, &request), 0);
    s_request (&request, "GET", srv->port, "/api/v3/openOrders?symbol=BTCUSDT", NULL);
    cr_assert_eq (rt_http_send (http, 2, &request), 0);
    s_request (&request, "DELETE", srv->port, "/api/v3/order?orderId=7", NULL);
    cr_assert_eq (rt_http_send (http, 3, &request), 0);
    s_request (&request, "PUT", srv->port, "/put", "{\"a\":1}");
    cr_assert_eq (rt_http_send (http, 4, &request), 0);
    cr_assert_eq (rt_http_in_flight (http), 4);
    cr_assert_eq (s_record.done_total, 0, "done is never called from rt_http_send");

    s_drive_until_done (http, 4);
    cr_assert_eq (rt_http_in_flight (http), 0);

    const result_t *post = &s_record.results[1];
    cr_assert_eq (post->calls, 1);
    cr_assert_eq (post->status, 200);
    cr_assert (post->sent);
    cr_assert_str_eq (post->error, "");
    cr_assert_str_eq (post->body, "POST /api/v3/order\nsymbol=BTCUSDT&side=BUY");
    cr_assert_eq (post->length, strlen ("POST /api/v3/order\nsymbol=BTCUSDT&side=BUY"));
    cr_assert (s_has_header (post, "X-Echo-Method: POST"));
    cr_assert (s_has_header (post, "X-Echo-Test: signed-1"));
    cr_assert_geq (post->done_ns, post->queued_ns);
    cr_assert_gt (post->queued_ns, 0);

    const result_t *get = &s_record.results[2];
    cr_assert_eq (get->status, 200);
    cr_assert_str_eq (get->body, "GET /api/v3/openOrders?symbol=BTCUSDT\n");
    cr_assert (s_has_header (get, "X-Echo-Test: -"));

    cr_assert_eq (s_record.results[3].status, 200);
    cr_assert_str_eq (s_record.results[3].body, "DELETE /api/v3/order?orderId=7\n");
    cr_assert_eq (s_record.results[4].status, 200);
    cr_assert_str_eq (s_record.results[4].body, "PUT /put\n{\"a\":1}");

    rt_http_destroy (&http);
    cr_assert_null (http);
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, keeps_header_lines_without_status_line_or_line_ends)
{
    srv_t *srv = s_srv_start (false, 0);
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    cr_assert_not_null (http);
    vb_exec_request_t request;
    s_request (&request, "GET", srv->port, "/status/404", NULL);
    snprintf (request.headers[0], VB_EXEC_HEADER_MAX, "X-Test: a b\tc");
    request.header_count = 1;
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    s_drive_until_done (http, 1);

    const result_t *result = &s_record.results[0];
    //  A non-2xx answer is an answer: its status, no error
    cr_assert_eq (result->status, 404);
    cr_assert_str_eq (result->error, "");
    //  The server writes exactly these four header lines (s_answer)
    cr_assert_eq (result->header_count, 4);
    cr_assert_str_eq (result->headers[0], "Content-Length: 16");  //  "GET /status/404\n": 3+1+11+1
    cr_assert_str_eq (result->headers[1], "Connection: keep-alive");
    cr_assert_str_eq (result->headers[2], "X-Echo-Method: GET");
    cr_assert_str_eq (result->headers[3], "X-Echo-Test: a b\tc");
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, keeps_the_first_header_lines_up_to_the_limit)
{
    srv_t *srv = s_srv_start (false, 0);
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    vb_exec_request_t request;
    s_request (&request, "GET", srv->port, "/headers/100", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    s_drive_until_done (http, 1);
    const result_t *result = &s_record.results[0];
    cr_assert_eq (result->status, 200);
    cr_assert_eq (result->header_count, RT_HTTP_HEADERS_MAX);
    //  4 fixed lines first (s_answer), then the extra ones in order
    cr_assert_str_eq (result->headers[4], "X-Line-0: 0");
    char last[64];
    snprintf (last, sizeof (last), "X-Line-%d: %d", RT_HTTP_HEADERS_MAX - 5,
              RT_HTTP_HEADERS_MAX - 5);
    cr_assert_str_eq (result->headers[RT_HTTP_HEADERS_MAX - 1], last);
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, asks_for_nothing_when_idle_and_starts_a_transfer_at_once)
{
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    zmq_pollitem_t items[RT_HTTP_POLL_MAX];
    cr_assert_eq (rt_http_pollitems (http, items, RT_HTTP_POLL_MAX), 0);
    cr_assert_eq (rt_http_timeout_ms (http), -1);
    cr_assert_eq (rt_http_process (http, items, 0), 0);
    vb_exec_request_t request;
    s_request (&request, "GET", 1, "/", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    //  Started inside rt_http_send: curl already watches its socket or
    //  timer (or it ended at once, and a prompt call is asked for).
    cr_assert (rt_http_pollitems (http, items, RT_HTTP_POLL_MAX) > 0 ||
                   rt_http_timeout_ms (http) >= 0,
               "a sent transfer is under way");
    rt_http_destroy (&http);
    cr_assert_eq (s_record.done_total, 0);
}

Test (rt_http, reuses_one_connection_for_sequential_requests)
{
    srv_t *srv = s_srv_start (false, 0);
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    vb_exec_request_t request;
    for (int round = 0; round < 3; round++) {
        s_request (&request, "POST", srv->port, "/order", "x=1");
        cr_assert_eq (rt_http_send (http, (uint64_t)round, &request), 0);
        s_drive_until_done (http, round + 1);
        cr_assert_eq (s_record.results[round].status, 200);
    }
    cr_assert_eq (atomic_load (&srv->requests), 3);
    cr_assert_eq (atomic_load (&srv->connections), 1, "keep-alive: one connection for all");
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, reports_refused_connection_as_not_sent)
{
    //  A bound socket that does not listen: the kernel answers SYN with RST
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    cr_assert_eq (bind (fd, (struct sockaddr *)&address, sizeof (address)), 0);
    socklen_t length = sizeof (address);
    cr_assert_eq (getsockname (fd, (struct sockaddr *)&address, &length), 0);

    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    vb_exec_request_t request;
    s_request (&request, "POST", ntohs (address.sin_port), "/order", "x=1");
    request.may_execute = true;
    cr_assert_eq (rt_http_send (http, 5, &request), 0);
    cr_assert_eq (s_record.done_total, 0);
    s_drive_until_done (http, 1);
    const result_t *result = &s_record.results[5];
    cr_assert_eq (result->calls, 1);
    cr_assert_eq (result->status, 0);
    cr_assert_not (result->sent, "nothing was written: safe to send elsewhere");
    cr_assert_neq (result->error[0], '\0');
    rt_http_destroy (&http);
    close (fd);
}

Test (rt_http, reports_silent_server_as_sent_after_timeout)
{
    srv_t *srv = s_srv_start (true, 0);
    rt_http_options_t options = {.timeout_ms = 200};
    rt_http_t *http = rt_http_new (&options, s_done, &s_record);
    vb_exec_request_t request;
    s_request (&request, "POST", srv->port, "/order", "x=1");
    request.may_execute = true;
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    s_drive_until_done (http, 1);
    const result_t *result = &s_record.results[0];
    cr_assert_eq (result->status, 0);
    cr_assert (result->sent, "the request went out: the outcome is unknown");
    cr_assert_neq (result->error[0], '\0');
    cr_assert_geq (result->done_ns - result->queued_ns, 200 * NS_PER_MS);
    cr_assert_eq (atomic_load (&srv->requests), 1);
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, fails_an_answer_larger_than_body_max)
{
    srv_t *srv = s_srv_start (false, 0);
    rt_http_options_t options = {.body_max = 1000};
    rt_http_t *http = rt_http_new (&options, s_done, &s_record);
    vb_exec_request_t request;
    s_request (&request, "GET", srv->port, "/big/1000", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    s_drive_until_done (http, 1);
    cr_assert_eq (s_record.results[0].status, 200, "exactly body_max bytes fit");
    cr_assert_eq (s_record.results[0].length, 1000);

    s_request (&request, "GET", srv->port, "/big/1001", NULL);
    cr_assert_eq (rt_http_send (http, 1, &request), 0);
    s_drive_until_done (http, 2);
    const result_t *result = &s_record.results[1];
    cr_assert_eq (result->status, 0);
    cr_assert (result->sent);
    cr_assert_neq (result->error[0], '\0');

    //  The handle is whole again after the failure
    s_request (&request, "GET", srv->port, "/small", NULL);
    cr_assert_eq (rt_http_send (http, 2, &request), 0);
    s_drive_until_done (http, 3);
    cr_assert_eq (s_record.results[2].status, 200);
    cr_assert_str_eq (s_record.results[2].body, "GET /small\n");
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, refuses_transfers_beyond_max_in_flight)
{
    srv_t *srv = s_srv_start (false, 0);
    rt_http_options_t options = {.max_in_flight = 2};
    rt_http_t *http = rt_http_new (&options, s_done, &s_record);
    vb_exec_request_t request;
    s_request (&request, "GET", srv->port, "/a", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    cr_assert_eq (rt_http_send (http, 1, &request), 0);
    cr_assert_eq (rt_http_send (http, 2, &request), VB_ELIMIT);
    cr_assert_eq (rt_http_in_flight (http), 2);
    s_drive_until_done (http, 2);
    cr_assert_eq (s_record.results[2].calls, 0, "a refused send never reaches done");
    cr_assert_eq (rt_http_send (http, 3, &request), 0, "room again once they finished");
    s_drive_until_done (http, 3);
    cr_assert_eq (s_record.results[3].status, 200);
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, rejects_bad_requests_and_options)
{
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    cr_assert_not_null (http);
    vb_exec_request_t request;

    cr_assert_eq (rt_http_send (http, 0, NULL), VB_EINVAL);
    s_request (&request, "GET", 80, "/", NULL);
    request.url[0] = '\0';
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "empty URL");
    s_request (&request, "PATCH", 80, "/", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "unknown method");
    s_request (&request, "get", 80, "/", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "methods are case-sensitive");
    s_request (&request, "GET", 80, "/", NULL);
    memset (request.method, 'G', sizeof (request.method));
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "method not terminated");
    s_request (&request, "POST", 80, "/", NULL);
    request.body_length = VB_EXEC_BODY_MAX + 1;
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "body beyond the buffer");
    s_request (&request, "GET", 80, "/", "a=1");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "GET with a body");
    s_request (&request, "GET", 80, "/", NULL);
    snprintf (request.url, sizeof (request.url), "ftp://127.0.0.1/x");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "not http(s)");
    snprintf (request.url, sizeof (request.url), "http:///x");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "no host");
    snprintf (request.url, sizeof (request.url), "http://127.0.0.1/a b");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "space in URL");
    snprintf (request.url, sizeof (request.url), "http://127.0.0.1/a\r\nX-Evil: 1");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "CRLF in URL");
    memset (request.url, 'a', sizeof (request.url));
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "URL not terminated");
    s_request (&request, "GET", 80, "/", NULL);
    request.header_count = VB_EXEC_HEADERS_MAX + 1;
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "too many headers");
    request.header_count = 1;
    snprintf (request.headers[0], VB_EXEC_HEADER_MAX, "X-Key: abc\r\nX-Evil: 1");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "CRLF in a header");
    snprintf (request.headers[0], VB_EXEC_HEADER_MAX, "NoColon");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "header without a colon");
    snprintf (request.headers[0], VB_EXEC_HEADER_MAX, ": value");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "header without a name");
    snprintf (request.headers[0], VB_EXEC_HEADER_MAX, "X Key: value");
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "space in a header name");
    memset (request.headers[0], 'a', VB_EXEC_HEADER_MAX);
    cr_assert_eq (rt_http_send (http, 0, &request), VB_EINVAL, "header not terminated");
    cr_assert_eq (rt_http_in_flight (http), 0);
    rt_http_destroy (&http);

    cr_assert_null (rt_http_new (NULL, NULL, NULL), "done is required");
    rt_http_options_t options = {.timeout_ms = -1};
    cr_assert_null (rt_http_new (&options, s_done, NULL));
    options = (rt_http_options_t){.connect_timeout_ms = -1};
    cr_assert_null (rt_http_new (&options, s_done, NULL));
    options = (rt_http_options_t){.max_in_flight = SIZE_MAX};
    cr_assert_null (rt_http_new (&options, s_done, NULL));
    options = (rt_http_options_t){.body_max = SIZE_MAX};
    cr_assert_null (rt_http_new (&options, s_done, NULL));
    cr_assert_eq (s_record.done_total, 0);
}

static bool
s_retry_seen (void *arg)
{
    srv_t *srv = arg;
    return atomic_load (&srv->connections) >= 2;
}

Test (rt_http, never_sends_a_may_execute_request_twice_on_a_dead_keepalive_connection)
{
    //  The server answers the first request of a connection, then reads the
    //  second in full and closes without a word: libcurl sees a reused
    //  connection die with nothing received and would send again on a new
    //  connection. The order must reach the server once: the answer is
    //  status 0, sent true (UNKNOWN for the router).
    srv_t *srv = s_srv_start (false, 2);
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    vb_exec_request_t request;
    s_request (&request, "POST", srv->port, "/api/v3/order", "newClientOrderId=vb1");
    request.may_execute = true;
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    s_drive_until_done (http, 1);
    cr_assert_eq (s_record.results[0].status, 200);

    s_request (&request, "POST", srv->port, "/api/v3/order", "newClientOrderId=vb2");
    request.may_execute = true;
    cr_assert_eq (rt_http_send (http, 1, &request), 0);
    s_drive_until_done (http, 2);
    const result_t *result = &s_record.results[1];
    cr_assert_eq (result->calls, 1);
    cr_assert_eq (result->status, 0);
    cr_assert (result->sent);
    cr_assert_neq (result->error[0], '\0');
    //  libcurl did open the retry connection (so the guard is what stopped it)
    s_drive (http, s_retry_seen, srv);
    cr_assert_eq (atomic_load (&srv->requests), 2, "the second order reached the server once");
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, lets_libcurl_retry_a_plain_request_on_a_dead_keepalive_connection)
{
    //  Same fault for a request that cannot execute (a query): libcurl's own
    //  retry on a fresh connection is allowed and the call completes.
    srv_t *srv = s_srv_start (false, 2);
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    vb_exec_request_t request;
    s_request (&request, "GET", srv->port, "/api/v3/order?origClientOrderId=vb1", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    s_drive_until_done (http, 1);
    cr_assert_eq (rt_http_send (http, 1, &request), 0);
    s_drive_until_done (http, 2);
    const result_t *result = &s_record.results[1];
    cr_assert_eq (result->status, 200);
    cr_assert_str_eq (result->body, "GET /api/v3/order?origClientOrderId=vb1\n");
    cr_assert_eq (atomic_load (&srv->requests), 3, "sent twice: dropped once, then answered");
    cr_assert_eq (atomic_load (&srv->connections), 2);
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, finishes_fifty_concurrent_transfers_exactly_once)
{
    enum { TRANSFERS = 50 };
    srv_t *srv = s_srv_start (false, 0);
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    vb_exec_request_t request;
    for (int id = 0; id < TRANSFERS; id++) {
        char body[32];
        snprintf (body, sizeof (body), "n=%d", id);
        s_request (&request, "POST", srv->port, "/order", body);
        request.may_execute = true;
        cr_assert_eq (rt_http_send (http, (uint64_t)id, &request), 0);
    }
    cr_assert_eq (rt_http_in_flight (http), TRANSFERS);
    s_drive_until_done (http, TRANSFERS);
    cr_assert_eq (s_record.done_total, TRANSFERS);
    for (int id = 0; id < TRANSFERS; id++) {
        char expected[64];
        snprintf (expected, sizeof (expected), "POST /order\nn=%d", id);
        cr_assert_eq (s_record.results[id].calls, 1);
        cr_assert_eq (s_record.results[id].status, 200);
        cr_assert_str_eq (s_record.results[id].body, expected, "each answer is its own");
    }
    cr_assert_eq (rt_http_in_flight (http), 0);
    cr_assert_eq (atomic_load (&srv->requests), TRANSFERS);
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, sends_again_from_inside_done)
{
    srv_t *srv = s_srv_start (false, 0);
    rt_http_options_t options = {.max_in_flight = 1};
    rt_http_t *http = rt_http_new (&options, s_done, &s_record);
    s_record.http = http;
    s_record.chain_left = 4;
    snprintf (s_record.chain_url, sizeof (s_record.chain_url), "http://127.0.0.1:%d/next",
              srv->port);
    vb_exec_request_t request;
    s_request (&request, "GET", srv->port, "/first", NULL);
    cr_assert_eq (rt_http_send (http, 0, &request), 0);
    s_drive_until_done (http, 5);
    cr_assert_str_eq (s_record.results[0].body, "GET /first\n");
    for (int id = 1; id < 5; id++) {
        cr_assert_eq (s_record.results[id].calls, 1);
        cr_assert_str_eq (s_record.results[id].body, "GET /next\n");
    }
    cr_assert_eq (atomic_load (&srv->connections), 1);
    rt_http_destroy (&http);
    s_srv_stop (&srv);
}

Test (rt_http, destroys_with_transfers_in_flight_without_calling_done)
{
    srv_t *srv = s_srv_start (true, 0);
    rt_http_t *http = rt_http_new (NULL, s_done, &s_record);
    vb_exec_request_t request;
    for (int id = 0; id < 10; id++) {
        s_request (&request, "POST", srv->port, "/order", "x=1");
        cr_assert_eq (rt_http_send (http, (uint64_t)id, &request), 0);
    }
    s_drive_until_count (http, &srv->requests, 10);
    cr_assert_eq (rt_http_in_flight (http), 10);
    rt_http_destroy (&http);  //  ASan's leak check covers the rest
    cr_assert_null (http);
    cr_assert_eq (s_record.done_total, 0);
    s_srv_stop (&srv);
}
