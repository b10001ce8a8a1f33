/*  test_vb_vault.c — the Vault KV v2 client against a local KV v2 endpoint.

    No Vault server can be installed here, so these tests run
    vault_kv2_server.h: a thread answering the KV v2 read API as Vault's
    API docs describe it (request path /v1/<mount>/data/<path>, token in
    X-Vault-Token, secret under data.data). It speaks plain HTTP, which the
    client accepts only when told to (allow_insecure_http); the tests also
    show that without that flag an http:// address is refused, and that an
    https:// address pointed at this plain server fails the TLS handshake
    rather than falling back. A second, real TLS endpoint (OpenSSL, with a
    self-signed certificate for "localhost" made at test time) shows that
    the peer certificate and the host name are verified, and that a CA file
    makes that certificate trusted. That endpoint is `openssl s_server
    -HTTP` from the openssl command (the test links libcrypto, not libssl).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "vault_kv2_server.h"
#include "vb_error.h"
#include "vb_vault.h"

extern char **environ;

#define CAPACITY     64
#define SHORT_MS     300    //  Timeout for the test that waits on a silent server
#define SHORT_LIMIT  5000   //  Generous bound on how long that test may take (ms)
#define TLS_START_MS 10000  //  Longest wait for openssl s_server to listen

static kv_server_t s_server;
static vb_vault_t *s_vault;
static char s_key[CAPACITY + 1], s_secret[CAPACITY + 1], s_pass[CAPACITY + 1];
static vb_vault_field_t s_fields[3];

static void
s_setup (void)
{
    cr_assert_eq (kv_server_start (&s_server), 0);
    char addr[64];
    kv_server_addr (&s_server, addr, sizeof (addr));
    s_vault = vb_vault_new ();
    cr_assert_not_null (s_vault);
    cr_assert_eq (vb_vault_set_addr (s_vault, addr, true), 0);
    cr_assert_eq (vb_vault_set_token (s_vault, KV_TOKEN, strlen (KV_TOKEN)), 0);
    vb_vault_field_t fields[3] = {
        {"api_key", s_key, CAPACITY, true, 0, false},
        {"api_secret", s_secret, CAPACITY, true, 0, false},
        {"api_passphrase", s_pass, CAPACITY, false, 0, false},
    };
    memcpy (s_fields, fields, sizeof (fields));
}

static void s_tls_stop_if_started (void);

static void
s_teardown (void)
{
    vb_vault_destroy (&s_vault);
    kv_server_stop (&s_server);
    s_tls_stop_if_started ();
}

TestSuite (vb_vault, .init = s_setup, .fini = s_teardown);

//  Usage: point a client at Vault, give it a token, read the fields.
Test (vb_vault, reads_the_fields_of_a_kv2_secret)
{
    int rc = vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3);
    cr_assert_eq (rc, 0, "%s", vb_vault_error (s_vault));
    cr_assert_str_eq (s_key, KV_API_KEY);
    cr_assert_eq (s_fields[0].length, strlen (KV_API_KEY));
    cr_assert_str_eq (s_secret, KV_API_SECRET);
    cr_assert_str_eq (s_pass, KV_PASSPHRASE);
    cr_assert (s_fields[2].found);
    cr_assert_eq (vb_vault_http_status (s_vault), 200);
    cr_assert_str_eq (vb_vault_error (s_vault), "");
    vb_vault_destroy (&s_vault);
    kv_server_stop (&s_server);
    //  The request is the one Vault's KV v2 API documents.
    cr_assert_str_eq (s_server.last_method, "GET");
    cr_assert_str_eq (s_server.last_path, "/v1/secret/data/venuebus/main");
    cr_assert_str_eq (s_server.last_token, KV_TOKEN);
}

Test (vb_vault, reads_fields_in_any_order_from_a_nested_mount)
{
    int rc = vb_vault_read (s_vault, "kv/team", "venuebus/nopass", s_fields, 3);
    cr_assert_eq (rc, 0, "%s", vb_vault_error (s_vault));
    cr_assert_str_eq (s_key, KV_API_KEY);
    cr_assert_str_eq (s_secret, KV_API_SECRET);
    cr_assert_not (s_fields[2].found);
    cr_assert_eq (s_fields[2].length, 0);
    cr_assert_str_eq (s_pass, "");
}

Test (vb_vault, decodes_json_escapes_in_values)
{
    int rc = vb_vault_read (s_vault, "secret", "escaped", s_fields, 2);
    cr_assert_eq (rc, 0, "%s", vb_vault_error (s_vault));
    //  "k\u0041y" is "kAy"; "line1\nline2\/end" has a real newline and '/'.
    cr_assert_str_eq (s_key, "kAy");
    cr_assert_str_eq (s_secret, "line1\nline2/end");
}

Test (vb_vault, maps_403_to_permission_error_for_a_bad_token)
{
    cr_assert_eq (vb_vault_set_token (s_vault, "hvs.wrong", 9), 0);
    int rc = vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3);
    cr_assert_eq (rc, VB_EPERM);
    cr_assert_eq (vb_vault_http_status (s_vault), 403);
    cr_assert (strstr (vb_vault_error (s_vault), "403"));
    cr_assert (strstr (vb_vault_error (s_vault), "secret/venuebus/main"));
    cr_assert_null (strstr (vb_vault_error (s_vault), "hvs.wrong"));
    cr_assert_eq (s_fields[0].length, 0);
}

Test (vb_vault, maps_404_to_not_found)
{
    int rc = vb_vault_read (s_vault, "secret", "venuebus/absent", s_fields, 3);
    cr_assert_eq (rc, VB_ENOTFOUND);
    cr_assert (strstr (vb_vault_error (s_vault), "no Vault secret at secret/venuebus/absent"));
}

Test (vb_vault, tells_a_deleted_latest_version_apart)
{
    int rc = vb_vault_read (s_vault, "secret", "deleted", s_fields, 3);
    cr_assert_eq (rc, VB_ENOTFOUND);
    cr_assert (strstr (vb_vault_error (s_vault), "deleted or destroyed"));
}

Test (vb_vault, maps_5xx_and_429)
{
    cr_assert_eq (vb_vault_read (s_vault, "secret", "sealed", s_fields, 3), VB_EIO);
    cr_assert (strstr (vb_vault_error (s_vault), "sealed"));
    cr_assert_eq (vb_vault_read (s_vault, "secret", "broken", s_fields, 3), VB_EIO);
    cr_assert (strstr (vb_vault_error (s_vault), "HTTP 500"));
    cr_assert_eq (vb_vault_read (s_vault, "secret", "limited", s_fields, 3), VB_EAGAIN);
}

Test (vb_vault, never_follows_a_redirect)
{
    int rc = vb_vault_read (s_vault, "secret", "moved", s_fields, 3);
    cr_assert_eq (rc, VB_EIO);
    cr_assert (strstr (vb_vault_error (s_vault), "unexpected HTTP status 307"));
    cr_assert_eq (s_fields[0].length, 0);
}

Test (vb_vault, refuses_malformed_replies)
{
    cr_assert_eq (vb_vault_read (s_vault, "secret", "notjson", s_fields, 3), VB_EINVAL);
    cr_assert_eq (vb_vault_read (s_vault, "secret", "notkv2", s_fields, 3), VB_EINVAL);
    cr_assert (strstr (vb_vault_error (s_vault), "not an object") ||
               strstr (vb_vault_error (s_vault), "not a KV v2"));
    cr_assert_eq (vb_vault_read (s_vault, "secret", "number", s_fields, 3), VB_ETYPE);
    cr_assert (strstr (vb_vault_error (s_vault), "api_key is not a string"));
    cr_assert_eq (vb_vault_read (s_vault, "secret", "nosecret", s_fields, 3), VB_ENOTFOUND);
    cr_assert (strstr (vb_vault_error (s_vault), "no field api_secret"));
    cr_assert_eq (vb_vault_read (s_vault, "secret", "twice", s_fields, 3), VB_EINVAL);
    cr_assert (strstr (vb_vault_error (s_vault), "api_key twice"));
    //  Buffers are wiped after a failure, even one that had been filled.
    cr_assert_eq (s_key[0], '\0');
}

Test (vb_vault, refuses_a_reply_over_the_size_limit)
{
    cr_assert_eq (vb_vault_read (s_vault, "secret", "huge", s_fields, 3), VB_ELIMIT);
}

Test (vb_vault, refuses_a_value_over_its_capacity)
{
    s_fields[1].capacity = 4;  //  "vk-api-secret-..." is longer
    cr_assert_eq (vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3), VB_ELIMIT);
    cr_assert_eq (s_key[0], '\0');
    cr_assert_eq (s_fields[0].length, 0);
}

Test (vb_vault, times_out_on_a_silent_server)
{
    cr_assert_eq (vb_vault_set_timeout (s_vault, SHORT_MS), 0);
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    int rc = vb_vault_read (s_vault, "secret", "slow", s_fields, 3);
    clock_gettime (CLOCK_MONOTONIC, &end);
    cr_assert_eq (rc, VB_EIO);
    cr_assert (strstr (vb_vault_error (s_vault), "failed"), "%s", vb_vault_error (s_vault));
    long elapsed_ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
    cr_assert_geq (elapsed_ms, SHORT_MS - 10);
    cr_assert_lt (elapsed_ms, SHORT_LIMIT);
}

Test (vb_vault, refuses_plain_http_unless_told)
{
    char addr[64];
    kv_server_addr (&s_server, addr, sizeof (addr));
    vb_vault_t *vault = vb_vault_new ();
    cr_assert_eq (vb_vault_set_addr (vault, addr, false), VB_EINVAL);
    cr_assert (strstr (vb_vault_error (vault), "only https:// is accepted"));
    cr_assert_eq (vb_vault_set_addr (vault, "ftp://vault:8200", true), VB_EINVAL);
    cr_assert_eq (vb_vault_set_addr (vault, "https://vault example", false), VB_EINVAL);
    cr_assert_eq (vb_vault_set_addr (vault, "", false), VB_EINVAL);
    cr_assert_eq (vb_vault_set_addr (vault, "https://vault:8200/", false), 0);
    //  No address kept after a refusal, so a read cannot go anywhere.
    cr_assert_eq (vb_vault_set_addr (vault, addr, false), VB_EINVAL);
    cr_assert_eq (vb_vault_set_token (vault, KV_TOKEN, strlen (KV_TOKEN)), 0);
    cr_assert_eq (vb_vault_read (vault, "secret", "venuebus/main", s_fields, 3), VB_EINVAL);
    cr_assert (strstr (vb_vault_error (vault), "no Vault address"));
    vb_vault_destroy (&vault);
    vb_vault_destroy (&vault);
}

Test (vb_vault, verifies_tls_and_never_falls_back_to_plain_http)
{
    //  An https:// address on the plain-HTTP test server: the handshake
    //  fails and the read fails; nothing is sent in clear.
    char addr[64];
    snprintf (addr, sizeof (addr), "https://127.0.0.1:%d", s_server.port);
    cr_assert_eq (vb_vault_set_addr (s_vault, addr, false), 0);
    cr_assert_eq (vb_vault_set_timeout (s_vault, SHORT_LIMIT), 0);
    int rc = vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3);
    cr_assert_eq (rc, VB_EIO);
    cr_assert_eq (s_fields[0].length, 0);
    cr_assert (strstr (vb_vault_error (s_vault), "failed"), "%s", vb_vault_error (s_vault));
    kv_server_stop (&s_server);
    cr_assert_eq (s_server.tls_attempts, 1);
    cr_assert_eq (s_server.requests, 0);  //  No request (and no token) went out in clear
}

Test (vb_vault, refuses_tokens_that_could_inject_headers)
{
    cr_assert_eq (vb_vault_set_token (s_vault, "abc\r\nX-Evil: 1", 14), VB_EINVAL);
    cr_assert_eq (vb_vault_set_token (s_vault, "abc def", 7), VB_EINVAL);
    cr_assert_eq (vb_vault_set_token (s_vault, "", 0), VB_EINVAL);
    cr_assert_eq (vb_vault_set_token (s_vault, NULL, 3), VB_EINVAL);
    //  A refused token also clears the previous one.
    cr_assert_eq (vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3), VB_EINVAL);
    cr_assert (strstr (vb_vault_error (s_vault), "no Vault token"));
}

Test (vb_vault, accepts_only_plain_path_segments)
{
    cr_assert (vb_vault_valid_path ("secret"));
    cr_assert (vb_vault_valid_path ("venuebus/main-1.prod_x"));
    cr_assert_not (vb_vault_valid_path (""));
    cr_assert_not (vb_vault_valid_path (NULL));
    cr_assert_not (vb_vault_valid_path ("/secret"));
    cr_assert_not (vb_vault_valid_path ("secret/"));
    cr_assert_not (vb_vault_valid_path ("a//b"));
    cr_assert_not (vb_vault_valid_path ("a/../sys"));
    cr_assert_not (vb_vault_valid_path ("a/./b"));
    cr_assert_not (vb_vault_valid_path ("a b"));
    cr_assert_not (vb_vault_valid_path ("a?b"));
    cr_assert_not (vb_vault_valid_path ("a%2fb"));
    cr_assert_eq (vb_vault_read (s_vault, "secret", "../sys/seal", s_fields, 3), VB_EINVAL);
}

Test (vb_vault, checks_timeout_range)
{
    cr_assert_eq (vb_vault_set_timeout (s_vault, 0), VB_EINVAL);
    cr_assert_eq (vb_vault_set_timeout (s_vault, VB_VAULT_TIMEOUT_MS_MAX + 1), VB_EINVAL);
    cr_assert_eq (vb_vault_set_timeout (s_vault, 1), 0);
}

//  A real TLS endpoint: `openssl s_server -HTTP`, which serves files under
//  its working directory over TLS, with a certificate made here. The file
//  v1/secret/data/venuebus/main holds the KV v2 reply, so a GET of
//  /v1/secret/data/venuebus/main gets it (as HTTP/1.0 200, closed after).
typedef struct {
    pid_t pid;          //  The openssl process
    int out_fd;         //  Its stdout, kept open until stop (it logs each connection)
    int port;           //  Its port on 127.0.0.1
    char dir[32];       //  Its working directory
    char ca_file[128];  //  The certificate, PEM, for vb_vault_set_ca_file
} tls_server_t;

//  Write text to dir/name, creating the directories on the way.
static void
s_write_under (const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", dir, name);
    for (char *slash = strchr (path + strlen (dir) + 1, '/'); slash;
         slash = strchr (slash + 1, '/')) {
        *slash = '\0';
        mkdir (path, 0700);
        *slash = '/';
    }
    FILE *file = fopen (path, "w");
    cr_assert_not_null (file, "%s", path);
    cr_assert_eq (fputs (text, file) >= 0, true);
    fclose (file);
}

//  Make a P-256 key and a self-signed certificate for DNS:localhost with
//  libcrypto, then start openssl s_server on 127.0.0.1:0 and read the port
//  from its "ACCEPT 127.0.0.1:<port>" line.
static void
s_tls_start (tls_server_t *self)
{
    memset (self, 0, sizeof (*self));
    snprintf (self->dir, sizeof (self->dir), "/tmp/vb-vault-XXXXXX");
    cr_assert_not_null (mkdtemp (self->dir));
    EVP_PKEY *key = EVP_EC_gen ("P-256");
    cr_assert_not_null (key);
    X509 *cert = X509_new ();
    X509_set_version (cert, 2);
    ASN1_INTEGER_set (X509_get_serialNumber (cert), 1);
    X509_gmtime_adj (X509_getm_notBefore (cert), -60);
    X509_gmtime_adj (X509_getm_notAfter (cert), 3600);
    X509_set_pubkey (cert, key);
    X509_NAME *name = X509_get_subject_name (cert);
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                                -1, 0);
    X509_set_issuer_name (cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx (&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid (NULL, &v3, NID_subject_alt_name, "DNS:localhost");
    cr_assert_not_null (san);
    X509_add_ext (cert, san, -1);
    X509_EXTENSION_free (san);
    cr_assert_gt (X509_sign (cert, key, EVP_sha256 ()), 0);

    char key_file[128];
    snprintf (self->ca_file, sizeof (self->ca_file), "%s/ca.pem", self->dir);
    snprintf (key_file, sizeof (key_file), "%s/key.pem", self->dir);
    FILE *file = fopen (self->ca_file, "w");
    cr_assert_not_null (file);
    cr_assert_eq (PEM_write_X509 (file, cert), 1);
    fclose (file);
    file = fopen (key_file, "w");
    cr_assert_not_null (file);
    cr_assert_eq (PEM_write_PrivateKey (file, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose (file);
    X509_free (cert);
    EVP_PKEY_free (key);
    //  With -HTTP the file is the whole response, status line and headers too.
    char response[2048];
    snprintf (response, sizeof (response),
              "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n%s", s_kv_routes[0].body);
    s_write_under (self->dir, "v1/secret/data/venuebus/main", response);

    int out[2];
    cr_assert_eq (pipe (out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addchdir_np (&actions, self->dir);
    posix_spawn_file_actions_adddup2 (&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose (&actions, out[0]);
    char *argv[] = {"openssl", "s_server",    "-HTTP", "-accept", "127.0.0.1:0",
                    "-cert",   self->ca_file, "-key",  key_file,  NULL};
    cr_assert_eq (posix_spawnp (&self->pid, "openssl", &actions, NULL, argv, environ), 0,
                  "the openssl command (Debian package openssl) is needed for this test");
    posix_spawn_file_actions_destroy (&actions);
    close (out[1]);
    //  Read until the ACCEPT line: s_server is listening once it is printed.
    char line[256] = "";
    size_t used = 0;
    //  It may print other lines first ("Using default temp DH parameters").
    while (used < sizeof (line) - 1 &&
           !(strstr (line, "ACCEPT ") && strchr (strstr (line, "ACCEPT "), '\n'))) {
        struct pollfd item = {out[0], POLLIN, 0};
        if (poll (&item, 1, TLS_START_MS) != 1)
            break;  //  Fails the assertion below instead of hanging
        ssize_t got = read (out[0], line + used, sizeof (line) - 1 - used);
        if (got <= 0)
            break;
        used += (size_t)got;
        line[used] = '\0';
    }
    self->out_fd = out[0];
    const char *accept_line = strstr (line, "ACCEPT 127.0.0.1:");
    cr_assert_not_null (accept_line, "openssl s_server said: %s", line);
    self->port = atoi (accept_line + strlen ("ACCEPT 127.0.0.1:"));
    cr_assert_gt (self->port, 0);
}

//  The TLS endpoint of the running test, stopped by the fixture even when
//  an assertion ends the test early.
static tls_server_t s_tls;

//  Stop the openssl process we started, by its pid, and remove its files.
static void
s_tls_stop (tls_server_t *self)
{
    if (self->pid <= 0)
        return;
    kill (self->pid, SIGTERM);
    waitpid (self->pid, NULL, 0);
    close (self->out_fd);
    char command[96];
    snprintf (command, sizeof (command), "rm -rf '%s'", self->dir);
    cr_assert_eq (system (command), 0);
    self->pid = 0;
}

static void
s_tls_stop_if_started (void)
{
    s_tls_stop (&s_tls);
}

Test (vb_vault, verifies_the_server_certificate_and_host_name)
{
    tls_server_t *server = &s_tls;
    s_tls_start (server);
    char addr[64];

    //  A certificate no trusted CA signed: refused, nothing read.
    snprintf (addr, sizeof (addr), "https://localhost:%d", server->port);
    cr_assert_eq (vb_vault_set_addr (s_vault, addr, false), 0);
    cr_assert_eq (vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3), VB_EIO);
    cr_assert (strstr (vb_vault_error (s_vault), "certificate"), "%s", vb_vault_error (s_vault));
    cr_assert_eq (s_fields[0].length, 0);

    //  Trusted through the CA file, on the name in the certificate: read.
    cr_assert_eq (vb_vault_set_ca_file (s_vault, server->ca_file), 0);
    int rc = vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3);
    cr_assert_eq (rc, 0, "%s", vb_vault_error (s_vault));
    cr_assert_str_eq (s_key, KV_API_KEY);
    cr_assert_str_eq (s_secret, KV_API_SECRET);

    //  Trusted certificate, but the address's host (127.0.0.1) is not the
    //  certificate's name (DNS:localhost): refused.
    snprintf (addr, sizeof (addr), "https://127.0.0.1:%d", server->port);
    cr_assert_eq (vb_vault_set_addr (s_vault, addr, false), 0);
    cr_assert_eq (vb_vault_read (s_vault, "secret", "venuebus/main", s_fields, 3), VB_EIO);
    cr_assert_eq (s_fields[1].length, 0);
    cr_assert_str_eq (s_secret, "");

    s_tls_stop (server);
}
