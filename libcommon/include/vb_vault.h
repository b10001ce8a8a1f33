/*  vb_vault.h — a minimal HashiCorp Vault KV version 2 client: read one secret's fields.

    One request, as in Vault's API docs ("KV secrets engine - version 2",
    read secret version):

        GET {addr}/v1/{mount}/data/{path}
        X-Vault-Token: {token}

    answered with

        {"request_id": "...", "data": {"data": {"field": "value", ...},
         "metadata": {"version": 3, "deletion_time": "", ...}}, ...}

    where "data.data" is null when the latest version is deleted or
    destroyed (then with HTTP 404). vb_vault_read copies the string fields
    it is asked for into the caller's buffers.

    Transport: a blocking libcurl easy transfer. TLS is verified
    (CURLOPT_SSL_VERIFYPEER and VERIFYHOST on, the system CAs or a CA file)
    and only https:// addresses are accepted, unless vb_vault_set_addr is
    told to allow plain http:// (for tests against a local endpoint).
    Redirects are never followed, so the token goes to the address given
    and nowhere else. The request has one timeout for connect and transfer.

    Secret hygiene: the token is kept in mlock'ed, MADV_DONTDUMP memory
    and wiped on destroy; the response body is read into such memory and
    wiped after parsing, and so is the parser's copy of it. libcurl's and
    OpenSSL's internal copies (the request header, TLS records) and
    vb_json's scratch for escaped strings are freed without wiping. The
    class never logs and its error texts never contain the token or a
    value; registering the token with the logger is the caller's job.

    Threading: one object per thread; vb_vault_read blocks for up to the
    timeout, so never call it from an event loop thread.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_VAULT_H_INCLUDED
#define VB_VAULT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VB_VAULT_ADDR_MAX           1024    //  Longest address, e.g. https://vault:8200
#define VB_VAULT_TOKEN_MAX          4096    //  Token: printable ASCII, no spaces
#define VB_VAULT_PATH_MAX           4096    //  Longest mount or path
#define VB_VAULT_RESPONSE_MAX       65536   //  Largest response body read
#define VB_VAULT_TIMEOUT_MS_DEFAULT 10000   //  Until vb_vault_set_timeout
#define VB_VAULT_TIMEOUT_MS_MAX     600000  //  Longest timeout accepted
#define VB_VAULT_ERROR_MAX          512     //  Longest error text kept

typedef struct _vb_vault_t vb_vault_t;

//  One field to read. The caller fills name, buffer, capacity and
//  required; vb_vault_read fills length and found.
typedef struct {
    const char *name;  //  Field name in the secret, e.g. "api_key"
    char *buffer;      //  Where the value goes: capacity + 1 bytes (a NUL follows)
    size_t capacity;   //  Longest value accepted
    bool required;     //  Missing -> VB_ENOTFOUND
    size_t length;     //  Out: bytes written (0 when not found)
    bool found;        //  Out: the field was present
} vb_vault_field_t;

//  Create a client with no address and no token. Returns NULL if its
//  locked memory cannot be mapped.
vb_vault_t *vb_vault_new (void);

//  Wipe the token, free the client and set *self_p to NULL. Safe to call
//  twice and on NULL.
void vb_vault_destroy (vb_vault_t **self_p);

//  Set the server address (copied; trailing '/' dropped). It must be
//  https://..., or http://... when allow_insecure_http is true (tests
//  only), printable ASCII, at most VB_VAULT_ADDR_MAX bytes. Returns 0 or
//  VB_EINVAL (see vb_vault_error).
int vb_vault_set_addr (vb_vault_t *self, const char *addr, bool allow_insecure_http);

//  Set the token: length bytes of printable ASCII without spaces (no CR or
//  LF can reach the header), at most VB_VAULT_TOKEN_MAX. Copied into locked
//  memory; the caller may wipe its copy. Returns 0 or VB_EINVAL.
int vb_vault_set_token (vb_vault_t *self, const char *token, size_t length);

//  Verify the server against the CA certificates in this PEM file (copied
//  path) instead of the system's; NULL restores the system's. Returns 0 or
//  VB_EINVAL (path longer than VB_VAULT_PATH_MAX).
int vb_vault_set_ca_file (vb_vault_t *self, const char *path);

//  Set the request timeout, 1..VB_VAULT_TIMEOUT_MS_MAX ms. Returns 0 or
//  VB_EINVAL.
int vb_vault_set_timeout (vb_vault_t *self, int64_t timeout_ms);

//  True when text is usable as a mount or a path: segments of
//  [A-Za-z0-9_.-] joined by '/', none empty, "." or "..", at most
//  VB_VAULT_PATH_MAX bytes. (No percent-encoding is ever needed.)
bool vb_vault_valid_path (const char *text);

//  Read the latest version of the secret at path in KV v2 mount `mount`
//  and copy each requested field (a JSON string) into its buffer. Fields
//  not asked for are ignored. Returns 0, or on failure wipes every buffer,
//  sets every length to 0 and returns:
//      VB_EINVAL     bad mount or path; no address or token set; malformed
//                    JSON or not a KV v2 response; a field given twice
//      VB_EPERM      HTTP 403: token invalid or expired, or no read policy
//      VB_ENOTFOUND  HTTP 404 (no such secret, not a KV v2 mount, or the
//                    latest version deleted); a required field is missing
//      VB_ETYPE      a requested field is not a string
//      VB_ELIMIT     a value over its capacity, or a response over
//                    VB_VAULT_RESPONSE_MAX
//      VB_EAGAIN     HTTP 429
//      VB_EIO        connection, TLS or timeout failure; HTTP 5xx (503:
//                    sealed) or any other unexpected status
//      VB_ENOMEM     no memory
//  vb_vault_error then says what happened, naming mount/path.
int vb_vault_read (vb_vault_t *self, const char *mount, const char *path, vb_vault_field_t *fields,
                   size_t count);

//  The text of the last failure ("" after a success). Borrowed, valid until
//  the next call on the object.
const char *vb_vault_error (vb_vault_t *self);

//  The HTTP status of the last request, or 0 if none was answered.
long vb_vault_http_status (vb_vault_t *self);

#ifdef __cplusplus
}
#endif
#endif
