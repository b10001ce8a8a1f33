/*  vault_kv2_server.h — a tiny local HTTP endpoint that speaks HashiCorp Vault's KV v2 read API.

    No Vault server can be installed in the build environment, so the tests
    of vb_vault and of vb_secrets' vault: backend talk to this instead: a
    thread with a listening socket on 127.0.0.1 (port chosen by the kernel)
    that answers one request per connection, the way Vault's API docs
    describe a KV v2 read:
        GET /v1/<mount>/data/<path>   header X-Vault-Token: <token>
        200 {"request_id":..,"data":{"data":{..},"metadata":{..}},..}
        403 {"errors":["permission denied"]} for a wrong or missing token
        404 {"errors":[]} for a path that holds no secret
        404 {"data":{"data":null,"metadata":{..deletion_time..}}} for a
            deleted latest version
    plus a few paths that misbehave on purpose (see s_kv_routes). It is
    plain HTTP: tests pass allow_insecure_http, which production never does.

    Header-only (static functions) so both test files can include it.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VAULT_KV2_SERVER_H_INCLUDED
#define VAULT_KV2_SERVER_H_INCLUDED

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define KV_TOKEN       "hvs.test-token-5c1d"  //  The one token the server accepts
#define KV_REQUEST_MAX 8192
#define KV_FIELD_MAX   256
#define KV_HUGE_SIZE   (70 * 1024)  //  Larger than VB_VAULT_RESPONSE_MAX (64 KiB)

//  The secret the good paths serve. Test values, not real keys.
#define KV_API_KEY    "vk-api-key-8d1f0a"
#define KV_API_SECRET "vk-api-secret-3b77e2c9"
#define KV_PASSPHRASE "vk-pass-41aa"

#define KV_METADATA                                                                                \
    "\"metadata\":{\"created_time\":\"2024-01-01T00:00:00Z\",\"custom_metadata\":null,"            \
    "\"deletion_time\":\"\",\"destroyed\":false,\"version\":3}"

//  One canned answer per path; a path not listed gets 404.
typedef struct {
    const char *path;    //  Request path
    int status;          //  HTTP status
    const char *reason;  //  Reason phrase
    const char *extra;   //  Extra header lines (each ending "\r\n"), or ""
    const char *body;    //  Body, or NULL for the special cases below
} kv_route_t;

static const kv_route_t s_kv_routes[] = {
    {"/v1/secret/data/venuebus/main", 200, "OK", "",
     "{\"request_id\":\"0e2b\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
     "\"data\":{\"data\":{\"api_key\":\"" KV_API_KEY "\",\"api_secret\":\"" KV_API_SECRET
     "\",\"api_passphrase\":\"" KV_PASSPHRASE "\",\"note\":\"ignored\"}," KV_METADATA
     "},\"wrap_info\":null,\"warnings\":null,\"auth\":null}"},
    //  Fields in another order, no passphrase, metadata first.
    {"/v1/kv/team/data/venuebus/nopass", 200, "OK", "",
     "{\"data\":{" KV_METADATA ",\"data\":{\"api_secret\":\"" KV_API_SECRET
     "\",\"api_key\":\"" KV_API_KEY "\"}}}"},
    //  A PEM-like secret with JSON escapes: "\n" and "\/" and "\u0041".
    {"/v1/secret/data/escaped", 200, "OK", "",
     "{\"data\":{\"data\":{\"api_key\":\"k\\u0041y\",\"api_secret\":\"line1\\nline2\\/end\"}}}"},
    {"/v1/secret/data/deleted", 404, "Not Found", "",
     "{\"data\":{\"data\":null,\"metadata\":{\"deletion_time\":\"2024-02-01T00:00:00Z\","
     "\"destroyed\":false,\"version\":4}}}"},
    {"/v1/secret/data/sealed", 503, "Service Unavailable", "",
     "{\"errors\":[\"Vault is sealed\"]}"},
    {"/v1/secret/data/broken", 500, "Internal Server Error", "", "{\"errors\":[\"boom\"]}"},
    {"/v1/secret/data/limited", 429, "Too Many Requests", "", "{\"errors\":[\"rate limited\"]}"},
    {"/v1/secret/data/moved", 307, "Temporary Redirect",
     "Location: /v1/secret/data/venuebus/main\r\n", ""},
    {"/v1/secret/data/notjson", 200, "OK", "", "this is not json"},
    {"/v1/secret/data/notkv2", 200, "OK", "",
     "{\"data\":{\"api_key\":\"k\",\"api_secret\":\"s\"}}"},
    {"/v1/secret/data/number", 200, "OK", "",
     "{\"data\":{\"data\":{\"api_key\":12345,\"api_secret\":\"s\"}}}"},
    {"/v1/secret/data/nosecret", 200, "OK", "", "{\"data\":{\"data\":{\"api_key\":\"k\"}}}"},
    {"/v1/secret/data/twice", 200, "OK", "",
     "{\"data\":{\"data\":{\"api_key\":\"k\",\"api_secret\":\"s\",\"api_key\":\"j\"}}}"},
    {"/v1/secret/data/badkey", 200, "OK", "",
     "{\"data\":{\"data\":{\"api_key\":\"has space\",\"api_secret\":\"s\"}}}"},
    {"/v1/secret/data/huge", 200, "OK", "", NULL},  //  KV_HUGE_SIZE bytes of padding
    {"/v1/secret/data/slow", 0, "", "", NULL},      //  Never answers
};
#define KV_ROUTES (sizeof (s_kv_routes) / sizeof (s_kv_routes[0]))

typedef struct {
    int listen_fd;                  //  Listening socket
    int port;                       //  Its port
    pthread_t thread;               //  Serving thread
    int requests;                   //  Requests answered (read after join)
    int tls_attempts;               //  Connections that began with a non-HTTP byte
    char last_method[16];           //  Method of the last request
    char last_path[KV_FIELD_MAX];   //  Path of the last request
    char last_token[KV_FIELD_MAX];  //  X-Vault-Token of the last request, "" if none
} kv_server_t;

//  Send all of data, ignoring a peer that went away.
static void
s_kv_send (int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send (fd, data, size, MSG_NOSIGNAL);
        if (sent <= 0)
            return;
        data += sent;
        size -= (size_t)sent;
    }
}

//  Answer one connection.
static void
s_kv_answer (kv_server_t *self, int fd)
{
    char request[KV_REQUEST_MAX + 1];
    size_t used = 0;
    while (used < KV_REQUEST_MAX) {
        ssize_t got = recv (fd, request + used, KV_REQUEST_MAX - used, 0);
        if (got <= 0)
            return;
        used += (size_t)got;
        if (!isalpha ((unsigned char)request[0])) {
            //  Not HTTP (a TLS ClientHello starts with 0x16): answer as a
            //  plain server would, so the client's handshake fails at once.
            static const char refusal[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
            s_kv_send (fd, refusal, sizeof (refusal) - 1);
            self->tls_attempts++;
            return;
        }
        request[used] = '\0';
        if (strstr (request, "\r\n\r\n"))
            break;
    }
    request[used] = '\0';
    char method[16] = "", path[KV_FIELD_MAX] = "", token[KV_FIELD_MAX] = "";
    if (sscanf (request, "%15s %255s", method, path) != 2)
        return;
    for (char *line = strstr (request, "\r\n"); line; line = strstr (line + 2, "\r\n")) {
        static const char name[] = "X-Vault-Token:";
        if (strncasecmp (line + 2, name, sizeof (name) - 1) == 0) {
            const char *value = line + 2 + sizeof (name) - 1;
            while (*value == ' ')
                value++;
            size_t length = strcspn (value, "\r\n");
            if (length >= sizeof (token))
                length = sizeof (token) - 1;
            memcpy (token, value, length);
            token[length] = '\0';
        }
    }
    snprintf (self->last_method, sizeof (self->last_method), "%s", method);
    snprintf (self->last_path, sizeof (self->last_path), "%s", path);
    snprintf (self->last_token, sizeof (self->last_token), "%s", token);
    self->requests++;

    int status = 404;
    const char *reason = "Not Found", *extra = "", *body = "{\"errors\":[]}";
    char *huge = NULL;
    if (strcmp (token, KV_TOKEN) != 0) {
        status = 403;
        reason = "Forbidden";
        body = "{\"errors\":[\"permission denied\"]}";
    } else
        for (size_t index = 0; index < KV_ROUTES; index++) {
            const kv_route_t *route = &s_kv_routes[index];
            if (strcmp (route->path, path) != 0)
                continue;
            if (route->status == 0) {
                //  Hold the connection until the client gives up and closes.
                char sink[64];
                while (recv (fd, sink, sizeof (sink), 0) > 0)
                    ;
                return;
            }
            status = route->status;
            reason = route->reason;
            extra = route->extra;
            body = route->body;
            if (!body) {
                huge = (char *)malloc (KV_HUGE_SIZE + 128);
                int head = snprintf (huge, 128,
                                     "{\"data\":{\"data\":{\"api_key\":\"k\","
                                     "\"api_secret\":\"s\",\"pad\":\"");
                memset (huge + head, 'x', KV_HUGE_SIZE);
                strcpy (huge + head + KV_HUGE_SIZE, "\"}}}");
                body = huge;
            }
            break;
        }
    char head[512];
    int length = snprintf (head, sizeof (head),
                           "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%s"
                           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                           status, reason, extra, strlen (body));
    s_kv_send (fd, head, (size_t)length);
    s_kv_send (fd, body, strlen (body));
    free (huge);
}

//  The serving thread: accept until the socket is shut down.
static void *
s_kv_serve (void *arg)
{
    kv_server_t *self = (kv_server_t *)arg;
    while (true) {
        int fd = accept (self->listen_fd, NULL, NULL);
        if (fd < 0)
            break;  //  kv_server_stop shut the socket down
        s_kv_answer (self, fd);
        close (fd);
    }
    return NULL;
}

//  Listen on 127.0.0.1:0 and start serving. Returns 0 or -1.
static int
kv_server_start (kv_server_t *self)
{
    memset (self, 0, sizeof (*self));
    self->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (self->listen_fd < 0)
        return -1;
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof (address);
    if (bind (self->listen_fd, (struct sockaddr *)&address, sizeof (address)) != 0 ||
        listen (self->listen_fd, 8) != 0 ||
        getsockname (self->listen_fd, (struct sockaddr *)&address, &size) != 0)
        return -1;
    self->port = ntohs (address.sin_port);
    return pthread_create (&self->thread, NULL, s_kv_serve, self) == 0 ? 0 : -1;
}

//  Stop serving: shutting the listening socket down makes accept fail.
//  After it returns the last_* fields are safe to read. Safe to call twice.
static void
kv_server_stop (kv_server_t *self)
{
    if (self->listen_fd < 0)
        return;
    shutdown (self->listen_fd, SHUT_RDWR);
    pthread_join (self->thread, NULL);
    close (self->listen_fd);
    self->listen_fd = -1;
}

//  Write "http://127.0.0.1:<port>" into buffer.
static void
kv_server_addr (const kv_server_t *self, char *buffer, size_t size)
{
    snprintf (buffer, size, "http://127.0.0.1:%d", self->port);
}

#endif
