/*  vb_vault.c — a minimal HashiCorp Vault KV v2 client over libcurl.

    The request and response formats are described in vb_vault.h. The
    token lives in the locked buffer `header` as the whole header line
    "X-Vault-Token: <token>", so it never has to be copied again before
    curl takes it. The response is received into the locked buffer `body`.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <czmq.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include "vb_error.h"
#include "vb_json.h"
#include "vb_locked.h"
#include "vb_vault.h"

#define S_HEADER_PREFIX     "X-Vault-Token: "
#define S_USER_AGENT        "venuebus"
#define S_SCHEME_HTTPS      "https://"
#define S_SCHEME_HTTP       "http://"
#define S_PROTOCOLS_TLS     "https"
#define S_PROTOCOLS_ANY     "http,https"
#define S_URL_MAX           (VB_VAULT_ADDR_MAX + 2 * VB_VAULT_PATH_MAX + 16)
#define S_PRINTABLE_FIRST   0x21  //  '!'
#define S_PRINTABLE_LAST    0x7e  //  '~'
#define S_HTTP_OK           200
#define S_HTTP_FORBIDDEN    403
#define S_HTTP_NOT_FOUND    404
#define S_HTTP_TOO_MANY     429
#define S_HTTP_SERVER_ERROR 500
#define S_HTTP_UNAVAILABLE  503
#define S_HTTP_STATUS_MAX   599

struct _vb_vault_t {
    char addr[VB_VAULT_ADDR_MAX + 1];  //  Without trailing '/'; "" when unset
    bool allow_http;                   //  http:// accepted (tests only)
    char *ca_file;                     //  CA bundle path, or NULL for the system's
    int64_t timeout_ms;                //  Connect plus transfer
    vb_locked_buf_t header;            //  "X-Vault-Token: <token>", NUL-terminated
    bool has_token;                    //  vb_vault_set_token succeeded
    vb_locked_buf_t body;              //  Response of the current request
    size_t body_used;                  //  Bytes in body
    bool body_overflow;                //  The response did not fit
    long status;                       //  HTTP status of the last request
    char error[VB_VAULT_ERROR_MAX];    //  Last failure's text
};

//  --------------------------------------------------------------------------
//  Record the error text and return code.

static int s_fail (vb_vault_t *self, int code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_fail (vb_vault_t *self, int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof (self->error), format, args);
    va_end (args);
    return code;
}

//  --------------------------------------------------------------------------
//  True when every byte is printable ASCII other than space.

static bool
s_printable (const char *text, size_t length)
{
    for (size_t index = 0; index < length; index++) {
        unsigned char byte = (unsigned char)text[index];
        if (byte < S_PRINTABLE_FIRST || byte > S_PRINTABLE_LAST)
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Destroy the client, wiping the token.

void
vb_vault_destroy (vb_vault_t **self_p)
{
    assert (self_p);
    vb_vault_t *self = *self_p;
    if (self) {
        vb_locked_free (&self->body);
        vb_locked_free (&self->header);
        freen (self->ca_file);
        freen (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Create a client with its two locked buffers.

vb_vault_t *
vb_vault_new (void)
{
    vb_vault_t *self = (vb_vault_t *)zmalloc (sizeof (vb_vault_t));
    self->timeout_ms = VB_VAULT_TIMEOUT_MS_DEFAULT;
    if (vb_locked_alloc (&self->header, strlen (S_HEADER_PREFIX) + VB_VAULT_TOKEN_MAX + 1) != 0 ||
        vb_locked_alloc (&self->body, VB_VAULT_RESPONSE_MAX) != 0)
        vb_vault_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Set and check the address.

int
vb_vault_set_addr (vb_vault_t *self, const char *addr, bool allow_insecure_http)
{
    assert (self);
    self->addr[0] = '\0';
    if (!addr || !*addr)
        return s_fail (self, VB_EINVAL, "no Vault address");
    size_t length = strlen (addr);
    while (length > 0 && addr[length - 1] == '/')
        length--;
    if (length > VB_VAULT_ADDR_MAX || !s_printable (addr, length))
        return s_fail (self, VB_EINVAL, "Vault address must be at most %d bytes of printable ASCII",
                       VB_VAULT_ADDR_MAX);
    bool https = strncmp (addr, S_SCHEME_HTTPS, strlen (S_SCHEME_HTTPS)) == 0;
    bool http = strncmp (addr, S_SCHEME_HTTP, strlen (S_SCHEME_HTTP)) == 0;
    if (http && !allow_insecure_http)
        return s_fail (self, VB_EINVAL,
                       "Vault address %.*s is plain http://; only https:// is accepted, so the "
                       "token and the keys never travel without verified TLS",
                       (int)length, addr);
    if (!https && !http)
        return s_fail (self, VB_EINVAL, "Vault address %.*s must start with https://", (int)length,
                       addr);
    memcpy (self->addr, addr, length);
    self->addr[length] = '\0';
    self->allow_http = allow_insecure_http;
    self->error[0] = '\0';
    return 0;
}

//  --------------------------------------------------------------------------
//  Store the token as the whole header line, in locked memory.

int
vb_vault_set_token (vb_vault_t *self, const char *token, size_t length)
{
    assert (self);
    self->has_token = false;
    OPENSSL_cleanse (self->header.data, self->header.size);
    //  The token goes into an HTTP header: CR, LF or spaces could inject more.
    if (!token || length == 0 || length > VB_VAULT_TOKEN_MAX || !s_printable (token, length))
        return s_fail (self, VB_EINVAL,
                       "the Vault token must be 1..%d bytes of printable ASCII without spaces",
                       VB_VAULT_TOKEN_MAX);
    size_t prefix = strlen (S_HEADER_PREFIX);
    memcpy (self->header.data, S_HEADER_PREFIX, prefix);
    memcpy (self->header.data + prefix, token, length);
    self->header.data[prefix + length] = '\0';
    self->has_token = true;
    self->error[0] = '\0';
    return 0;
}

//  --------------------------------------------------------------------------
//  Set or clear the CA file.

int
vb_vault_set_ca_file (vb_vault_t *self, const char *path)
{
    assert (self);
    if (path && strlen (path) > VB_VAULT_PATH_MAX)
        return s_fail (self, VB_EINVAL, "CA file path is longer than %d bytes", VB_VAULT_PATH_MAX);
    freen (self->ca_file);
    self->ca_file = path && *path ? strdup (path) : NULL;
    if (path && *path && !self->ca_file)
        return s_fail (self, VB_ENOMEM, "no memory for the CA file path");
    return 0;
}

//  --------------------------------------------------------------------------
//  Set the timeout.

int
vb_vault_set_timeout (vb_vault_t *self, int64_t timeout_ms)
{
    assert (self);
    if (timeout_ms < 1 || timeout_ms > VB_VAULT_TIMEOUT_MS_MAX)
        return s_fail (self, VB_EINVAL, "Vault timeout must be 1..%d ms", VB_VAULT_TIMEOUT_MS_MAX);
    self->timeout_ms = timeout_ms;
    return 0;
}

//  --------------------------------------------------------------------------
//  Check a mount or path (see the header).

bool
vb_vault_valid_path (const char *text)
{
    if (!text || !*text || strlen (text) > VB_VAULT_PATH_MAX)
        return false;
    const char *segment = text;
    for (const char *cursor = text;; cursor++) {
        if (*cursor == '/' || *cursor == '\0') {
            size_t length = (size_t)(cursor - segment);
            if (length == 0 || (length == 1 && segment[0] == '.') ||
                (length == 2 && segment[0] == '.' && segment[1] == '.'))
                return false;
            if (*cursor == '\0')
                return true;
            segment = cursor + 1;
        } else if (!(isalnum ((unsigned char)*cursor) || *cursor == '_' || *cursor == '-' ||
                     *cursor == '.'))
            return false;
    }
}

//  --------------------------------------------------------------------------
//  curl write callback: append to the locked body, or stop the transfer
//  (by returning less than given) when it would not fit.

static size_t
s_write (char *data, size_t size, size_t count, void *arg)
{
    vb_vault_t *self = (vb_vault_t *)arg;
    size_t bytes = size * count;
    if (bytes > self->body.size - self->body_used) {
        self->body_overflow = true;
        return 0;
    }
    memcpy (self->body.data + self->body_used, data, bytes);
    self->body_used += bytes;
    return bytes;
}

//  --------------------------------------------------------------------------
//  Set up and run the GET. headers is built and wiped by the caller.

static int
s_get (vb_vault_t *self, const char *url, struct curl_slist *headers)
{
    CURL *curl = curl_easy_init ();
    if (!curl)
        return s_fail (self, VB_ENOMEM, "cannot create a libcurl handle");
    char curl_error[CURL_ERROR_SIZE] = "";
    CURLcode code = CURLE_OK;
    //  A setopt fails only for lack of memory or an old libcurl; the first
    //  failure stops the chain and is reported below.
    code = curl_easy_setopt (curl, CURLOPT_URL, url);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR,
                                 self->allow_http ? S_PROTOCOLS_ANY : S_PROTOCOLS_TLS);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_HTTPGET, 1L);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_USERAGENT, S_USER_AGENT);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_write);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_WRITEDATA, self);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long)self->timeout_ms);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long)self->timeout_ms);
    //  Never follow redirects: the token header would go wherever told.
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
    if (code == CURLE_OK)
        code = curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (code == CURLE_OK && self->ca_file)
        code = curl_easy_setopt (curl, CURLOPT_CAINFO, self->ca_file);
    int rc = 0;
    if (code != CURLE_OK)
        rc =
            s_fail (self, VB_EIO, "cannot set up the Vault request: %s", curl_easy_strerror (code));
    if (rc == 0) {
        code = curl_easy_perform (curl);
        if (self->body_overflow)
            rc = s_fail (self, VB_ELIMIT, "Vault reply is larger than %d bytes",
                         VB_VAULT_RESPONSE_MAX);
        else if (code != CURLE_OK)
            rc = s_fail (self, VB_EIO, "Vault request to %s failed: %s", url,
                         *curl_error ? curl_error : curl_easy_strerror (code));
    }
    if (rc == 0 && curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &self->status) != CURLE_OK)
        rc = s_fail (self, VB_EIO, "no HTTP status from Vault");
    curl_easy_cleanup (curl);
    return rc;
}

//  --------------------------------------------------------------------------
//  Map a status other than 200 to a code and a message. A 404 whose body
//  has data.data null is a deleted or destroyed latest version.

static int
s_status (vb_vault_t *self, vb_json_t *json, const char *where)
{
    long status = self->status;
    if (status == S_HTTP_NOT_FOUND) {
        vb_json_val_t root, outer, inner;
        if (self->body_used > 0 &&
            vb_json_parse (json, self->body.data, self->body_used, &root) == 0 &&
            vb_json_find (&root, "data", &outer) == 0 &&
            vb_json_find (&outer, "data", &inner) == 0 && vb_json_type (&inner) == VB_JSON_NULL)
            return s_fail (self, VB_ENOTFOUND,
                           "the latest version of Vault secret %s is deleted or destroyed", where);
        return s_fail (self, VB_ENOTFOUND,
                       "no Vault secret at %s (HTTP 404), or the mount is not KV version 2", where);
    }
    if (status == S_HTTP_FORBIDDEN)
        return s_fail (self, VB_EPERM,
                       "Vault refused the token (HTTP 403): it is invalid or expired, or its "
                       "policy does not allow reading %s",
                       where);
    if (status == S_HTTP_TOO_MANY)
        return s_fail (self, VB_EAGAIN, "Vault answered HTTP 429 (rate limited or standby) for %s",
                       where);
    if (status == S_HTTP_UNAVAILABLE)
        return s_fail (self, VB_EIO, "Vault is sealed or unavailable (HTTP 503) reading %s", where);
    if (status >= S_HTTP_SERVER_ERROR && status <= S_HTTP_STATUS_MAX)
        return s_fail (self, VB_EIO, "Vault server error (HTTP %ld) reading %s", status, where);
    return s_fail (self, VB_EIO, "unexpected HTTP status %ld from Vault reading %s", status, where);
}

//  --------------------------------------------------------------------------
//  Copy one requested field's string value into its buffer.

static int
s_take_field (vb_vault_t *self, vb_vault_field_t *field, vb_json_val_t *value, const char *where)
{
    if (field->found)
        return s_fail (self, VB_EINVAL, "Vault secret %s has field %s twice", where, field->name);
    field->found = true;
    const char *text;
    size_t length;
    int rc = vb_json_string (value, &text, &length);
    if (rc == VB_ETYPE)
        return s_fail (self, VB_ETYPE, "Vault secret %s: field %s is not a string", where,
                       field->name);
    if (rc != 0)
        return s_fail (self, VB_EINVAL, "Vault secret %s: field %s is malformed", where,
                       field->name);
    if (length > field->capacity)
        return s_fail (self, VB_ELIMIT, "Vault secret %s: field %s is longer than %zu bytes", where,
                       field->name, field->capacity);
    memcpy (field->buffer, text, length);
    field->buffer[length] = '\0';
    field->length = length;
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse a 200 response (shape in the header) into the fields.

static int
s_parse (vb_vault_t *self, vb_json_t *json, vb_vault_field_t *fields, size_t count,
         const char *where)
{
    vb_json_val_t root, outer, inner, value;
    int rc = vb_json_parse (json, self->body.data, self->body_used, &root);
    if (rc == 0)
        rc = vb_json_find (&root, "data", &outer);
    if (rc == 0)
        rc = vb_json_find (&outer, "data", &inner);
    if (rc != 0)
        return s_fail (self, VB_EINVAL, "Vault reply for %s is not a KV v2 read response", where);
    vb_json_type_t type = vb_json_type (&inner);
    if (type == VB_JSON_NULL)
        return s_fail (self, VB_ENOTFOUND,
                       "the latest version of Vault secret %s is deleted or destroyed", where);
    vb_json_iter_t iter;
    if (type != VB_JSON_OBJECT || vb_json_object_begin (&inner, &iter) != 0)
        return s_fail (self, VB_EINVAL, "Vault reply for %s: data.data is not an object", where);
    const char *key;
    size_t key_length;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        for (size_t index = 0; index < count; index++) {
            vb_vault_field_t *field = &fields[index];
            if (strlen (field->name) == key_length && memcmp (key, field->name, key_length) == 0) {
                int taken = s_take_field (self, field, &value, where);
                if (taken != 0)
                    return taken;
                break;
            }
        }
    }
    if (rc != 0)
        return s_fail (self, VB_EINVAL, "Vault reply for %s is malformed JSON", where);
    for (size_t index = 0; index < count; index++)
        if (fields[index].required && !fields[index].found)
            return s_fail (self, VB_ENOTFOUND, "Vault secret %s has no field %s", where,
                           fields[index].name);
    return 0;
}

//  --------------------------------------------------------------------------
//  Read one secret: URL, GET, status, parse; then wipe the reply, the
//  parser's copy of it and curl's copy of the header line.

int
vb_vault_read (vb_vault_t *self, const char *mount, const char *path, vb_vault_field_t *fields,
               size_t count)
{
    assert (self);
    assert (fields || count == 0);
    self->error[0] = '\0';
    self->status = 0;
    self->body_used = 0;
    self->body_overflow = false;
    for (size_t index = 0; index < count; index++) {
        assert (fields[index].name && fields[index].buffer);
        fields[index].length = 0;
        fields[index].found = false;
        fields[index].buffer[0] = '\0';
    }
    char where[2 * VB_VAULT_PATH_MAX + 2];
    if (!vb_vault_valid_path (mount) || !vb_vault_valid_path (path))
        return s_fail (self, VB_EINVAL,
                       "bad Vault mount or path: use segments of [A-Za-z0-9_.-] joined by '/'");
    snprintf (where, sizeof (where), "%s/%s", mount, path);
    if (!self->addr[0])
        return s_fail (self, VB_EINVAL, "no Vault address set");
    if (!self->has_token)
        return s_fail (self, VB_EINVAL, "no Vault token set");
    char url[S_URL_MAX];
    snprintf (url, sizeof (url), "%s/v1/%s/data/%s", self->addr, mount, path);

    int rc = 0;
    struct curl_slist *headers = curl_slist_append (NULL, self->header.data);
    if (!headers)
        rc = s_fail (self, VB_ENOMEM, "cannot build the Vault request headers");
    if (rc == 0)
        rc = s_get (self, url, headers);
    if (headers) {
        //  curl_slist_append copied the line to the heap: wipe that copy.
        OPENSSL_cleanse (headers->data, strlen (headers->data));
        curl_slist_free_all (headers);
    }
    vb_json_t *json = NULL;
    if (rc == 0) {
        json = vb_json_new ();
        if (!json)
            rc = s_fail (self, VB_ENOMEM, "cannot create a JSON parser");
    }
    if (rc == 0 && self->status != S_HTTP_OK)
        rc = s_status (self, json, where);
    else if (rc == 0)
        rc = s_parse (self, json, fields, count, where);
    if (json && self->body_used > 0) {
        //  vb_json_parse copies its input into the parser's buffer before it
        //  looks at it; parsing as many blanks overwrites that copy.
        memset (self->body.data, ' ', self->body_used);
        vb_json_val_t blank;
        (void)vb_json_parse (json, self->body.data, self->body_used, &blank);
    }
    vb_json_destroy (&json);
    OPENSSL_cleanse (self->body.data, self->body.size);
    self->body_used = 0;
    if (rc != 0)
        for (size_t index = 0; index < count; index++) {
            OPENSSL_cleanse (fields[index].buffer, fields[index].capacity + 1);
            fields[index].length = 0;
        }
    return rc;
}

//  --------------------------------------------------------------------------
//  Last error text.

const char *
vb_vault_error (vb_vault_t *self)
{
    assert (self);
    return self->error;
}

//  --------------------------------------------------------------------------
//  Last HTTP status.

long
vb_vault_http_status (vb_vault_t *self)
{
    assert (self);
    return self->status;
}
