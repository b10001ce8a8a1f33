/*  vbt_http.c — blocking libcurl requests for tests.
    SPDX-License-Identifier: MPL-2.0
*/
#include "vbt_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VBT_TCP_CHUNK 65536

typedef struct {
    char *data;     //  Bytes so far, NUL-terminated
    size_t length;  //  Used
} s_buffer_t;

static size_t
s_append (char *data, size_t size, size_t count, void *arg)
{
    s_buffer_t *buffer = arg;
    size_t bytes = size * count;
    char *grown = realloc (buffer->data, buffer->length + bytes + 1);
    if (!grown)
        return 0;
    memcpy (grown + buffer->length, data, bytes);
    buffer->length += bytes;
    grown[buffer->length] = '\0';
    buffer->data = grown;
    return bytes;
}

int
vbt_http_request (const char *method, const char *url, const char *const *headers, const char *body,
                  int timeout_ms, vbt_http_response_t *response)
{
    memset (response, 0, sizeof *response);
    CURL *curl = curl_easy_init ();
    if (!curl)
        return -1;
    s_buffer_t head = {0}, content = {0};
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append (list, headers[i]);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp (method, "HEAD") == 0)
        curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, list);
    if (body)
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_append);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_append);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &content);
    CURLcode rc = curl_easy_perform (curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &response->status);
    curl_slist_free_all (list);
    curl_easy_cleanup (curl);
    if (rc != CURLE_OK) {
        free (head.data);
        free (content.data);
        return -1;
    }
    response->headers = head.data ? head.data : calloc (1, 1);
    response->body = content.data ? content.data : calloc (1, 1);
    response->body_length = content.length;
    return 0;
}

void
vbt_http_response_free (vbt_http_response_t *response)
{
    free (response->headers);
    free (response->body);
    memset (response, 0, sizeof *response);
}

int
vbt_http_header (const vbt_http_response_t *response, const char *name, char *value, size_t size)
{
    if (!response->headers)
        return -1;
    size_t name_length = strlen (name);
    for (const char *line = response->headers; line && *line;) {
        const char *end = strstr (line, "\r\n");
        size_t line_length = end ? (size_t)(end - line) : strlen (line);
        if (line_length > name_length && line[name_length] == ':' &&
            strncasecmp (line, name, name_length) == 0) {
            const char *start = line + name_length + 1;
            while (*start == ' ')
                start++;
            size_t length = (size_t)(line + line_length - start);
            if (length >= size)
                length = size - 1;
            memcpy (value, start, length);
            value[length] = '\0';
            return 0;
        }
        line = end ? end + 2 : NULL;
    }
    return -1;
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int
vbt_tcp_exchange (const char *host, int port, const void *data, size_t length, int timeout_ms,
                  char **reply, size_t *reply_length)
{
    *reply = NULL;
    *reply_length = 0;
    char service[16];
    snprintf (service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *found = NULL;
    if (getaddrinfo (host, service, &hints, &found) != 0 || !found)
        return -1;
    int fd = socket (found->ai_family, found->ai_socktype, found->ai_protocol);
    if (fd < 0 || connect (fd, found->ai_addr, found->ai_addrlen) != 0) {
        freeaddrinfo (found);
        if (fd >= 0)
            close (fd);
        return -1;
    }
    freeaddrinfo (found);
    s_buffer_t buffer = {.data = calloc (1, 1)};
    if (!buffer.data) {
        close (fd);
        return -1;
    }
    int64_t deadline = s_now_ms () + timeout_ms;
    const char *p = data;
    size_t left = length;
    int closed = 0;
    while (!closed) {
        int64_t wait = deadline - s_now_ms ();
        if (wait <= 0)
            break;
        struct pollfd item = {.fd = fd, .events = POLLIN | (left ? POLLOUT : 0)};
        int ready = poll (&item, 1, (int)wait);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        if (item.revents & POLLIN) {
            char chunk[VBT_TCP_CHUNK];
            ssize_t got = recv (fd, chunk, sizeof chunk, 0);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                closed = 1;  //  Orderly close, or reset by the server
            else if (s_append (chunk, 1, (size_t)got, &buffer) != (size_t)got)
                break;
        } else if (item.revents & (POLLHUP | POLLERR))
            closed = 1;
        else if (left && (item.revents & POLLOUT)) {
            ssize_t sent = send (fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (sent < 0) {
                left = 0;  //  The server stopped reading: see what it says
                continue;
            }
            p += sent;
            left -= (size_t)sent;
        }
    }
    close (fd);
    *reply = buffer.data;
    *reply_length = buffer.length;
    return closed;
}
