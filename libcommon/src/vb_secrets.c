/*  vb_secrets.c — one account's venue credentials from env, keystore, dir or Vault.

    vb_secrets_load finds the backend for the spec in s_backends, gives it a
    fresh object whose three value slots live in one locked region, and
    lets it fill the slots. Whatever the backend, the values then pass the
    same checks (s_check_values) and are registered with the logger
    (s_register) before the object is handed out. Any failure destroys the
    object, which wipes the slots.

    Backends that read files share s_read_file (open, fstat checks, bounded
    read straight into locked memory). The Vault backend reads the token
    the same way and leaves the HTTP and JSON work to vb_vault, which
    writes the fields straight into the slots.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <czmq.h>
#include <openssl/crypto.h>
#include "vb_error.h"
#include "vb_json.h"
#include "vb_keystore.h"
#include "vb_locked.h"
#include "vb_log.h"
#include "vb_secrets.h"
#include "vb_vault.h"

extern char **environ;

#define S_ENV_PREFIX      "VB_ACCOUNT_"
#define S_ENV_NAME_MAX    (sizeof (S_ENV_PREFIX) + VB_SECRETS_ACCOUNT_MAX + 16)
#define S_CREDENTIALS_VAR "$" VB_SECRETS_ENV_CREDENTIALS
#define S_FILE_API_KEY    "api_key"
#define S_FILE_API_SECRET "api_secret"
#define S_FILE_PASSPHRASE "api_passphrase"
#define S_MODE_WRITABLE   (S_IWGRP | S_IWOTH)  //  Bits a secret file or dir must not have
#define S_PRINTABLE_FIRST 0x21                 //  '!': API keys and tokens are printable ASCII
#define S_PRINTABLE_LAST  0x7e                 //  '~'

//  Index of each value slot, in region order.
enum { S_API_KEY, S_API_SECRET, S_PASSPHRASE, S_SLOTS };

//  Each slot holds its limit plus one byte (so an over-long value is seen)
//  plus the NUL.
static const size_t s_slot_max[S_SLOTS] = {VB_SECRETS_API_KEY_MAX, VB_SECRETS_API_SECRET_MAX,
                                           VB_SECRETS_PASSPHRASE_MAX};
static const char *const s_slot_what[S_SLOTS] = {"API key", "API secret", "API passphrase"};

struct _vb_secrets_t {
    vb_locked_buf_t region;                 //  Holds the three slots
    char *slot[S_SLOTS];                    //  NUL-terminated values inside region
    size_t length[S_SLOTS];                 //  Their lengths; 0 for no passphrase
    const char *backend;                    //  Static backend name
    char venue[VB_KEYSTORE_VENUE_MAX + 1];  //  Keystore entry's venue, or ""
};

//  What a backend works with: the request, the object to fill, and where
//  to write the error.
typedef struct {
    const char *spec;                     //  The whole spec, for messages
    const char *argument;                 //  The spec after the backend's prefix
    const char *account;                  //  Account name
    const vb_secrets_options_t *options;  //  Never NULL (defaults substituted)
    vb_secrets_t *secrets;                //  Being filled
    char *error;                          //  Message buffer, may be NULL
    size_t error_size;                    //  Its size
} s_load_t;

typedef int (s_backend_fn) (s_load_t *load);

static int s_load_env (s_load_t *load);
static int s_load_keystore (s_load_t *load);
static int s_load_dir (s_load_t *load);
static int s_load_vault (s_load_t *load);

//  The backends, by spec prefix. A prefix ending in ':' takes an argument;
//  one without must be the whole spec.
static const struct {
    const char *prefix;  //  "env", "keystore:", ...
    const char *name;    //  Reported by vb_secrets_backend
    s_backend_fn *load;  //  Fills load->secrets or fails
} s_backends[] = {
    {"env", "env", s_load_env},
    {"keystore:", "keystore", s_load_keystore},
    {"dir:", "dir", s_load_dir},
    {"vault:", "vault", s_load_vault},
};
#define S_BACKENDS (sizeof (s_backends) / sizeof (s_backends[0]))

//  --------------------------------------------------------------------------
//  Write "account A: secrets SPEC: <message>" to the load's error buffer and
//  return code. The message never contains a value.

static int s_fail (s_load_t *load, int code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_fail (s_load_t *load, int code, const char *format, ...)
{
    if (!load->error || load->error_size == 0)
        return code;
    int used = snprintf (load->error, load->error_size, "account %s: secrets %s: ", load->account,
                         load->spec);
    if (used >= 0 && (size_t)used < load->error_size) {
        va_list args;
        va_start (args, format);
        vsnprintf (load->error + used, load->error_size - (size_t)used, format, args);
        va_end (args);
    }
    return code;
}

//  --------------------------------------------------------------------------
//  Destroy an object, wiping its values.

void
vb_secrets_destroy (vb_secrets_t **self_p)
{
    assert (self_p);
    vb_secrets_t *self = *self_p;
    if (self) {
        vb_locked_free (&self->region);
        freen (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Create an object with its locked region carved into the three slots.

static vb_secrets_t *
s_secrets_new (void)
{
    vb_secrets_t *self = (vb_secrets_t *)zmalloc (sizeof (vb_secrets_t));
    size_t total = 0;
    for (size_t index = 0; index < S_SLOTS; index++)
        total += s_slot_max[index] + 2;
    if (vb_locked_alloc (&self->region, total) != 0) {
        vb_secrets_destroy (&self);
        return NULL;
    }
    char *cursor = self->region.data;
    for (size_t index = 0; index < S_SLOTS; index++) {
        self->slot[index] = cursor;
        cursor += s_slot_max[index] + 2;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Copy length bytes into slot index, refusing values over its limit.

static int
s_set_slot (s_load_t *load, int index, const char *value, size_t length)
{
    vb_secrets_t *self = load->secrets;
    if (length > s_slot_max[index])
        return s_fail (load, VB_ELIMIT, "%s is longer than %zu bytes", s_slot_what[index],
                       s_slot_max[index]);
    memcpy (self->slot[index], value, length);
    self->slot[index][length] = '\0';
    self->length[index] = length;
    return 0;
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
//  Check the values a backend left in the slots against the rules in the
//  header. where names the source of each value for messages.

static int
s_check_values (s_load_t *load, const char *const where[S_SLOTS])
{
    vb_secrets_t *self = load->secrets;
    if (self->length[S_API_KEY] == 0)
        return s_fail (load, VB_EINVAL, "API key (%s) is empty", where[S_API_KEY]);
    if (!s_printable (self->slot[S_API_KEY], self->length[S_API_KEY]))
        return s_fail (load, VB_EINVAL,
                       "API key (%s) must be printable ASCII without spaces or control characters",
                       where[S_API_KEY]);
    if (self->length[S_API_SECRET] == 0)
        return s_fail (load, VB_EINVAL, "API secret (%s) is empty", where[S_API_SECRET]);
    if (memchr (self->slot[S_API_SECRET], '\0', self->length[S_API_SECRET]))
        return s_fail (load, VB_EINVAL, "API secret (%s) contains a NUL byte", where[S_API_SECRET]);
    const char *passphrase = self->slot[S_PASSPHRASE];
    size_t length = self->length[S_PASSPHRASE];
    if (memchr (passphrase, '\0', length) || memchr (passphrase, '\r', length) ||
        memchr (passphrase, '\n', length))
        return s_fail (load, VB_EINVAL, "API passphrase (%s) contains a NUL, CR or LF byte",
                       where[S_PASSPHRASE]);
    return 0;
}

//  --------------------------------------------------------------------------
//  Register bytes with the logger so no log line can show them.

static int
s_register (s_load_t *load, const char *what, const void *value, size_t length)
{
    if (length == 0)
        return 0;
    int rc = vb_log_add_secret (value, length);
    if (rc == VB_ELIMIT)
        return s_fail (load, rc, "cannot protect the %s in logs: %d secrets already registered",
                       what, VB_LOG_SECRETS_MAX);
    if (rc != 0)
        return s_fail (load, rc, "cannot protect the %s in logs: %s", what, vb_strerror (rc));
    return 0;
}

//  --------------------------------------------------------------------------
//  Register every value of the loaded object.

static int
s_register_values (s_load_t *load)
{
    vb_secrets_t *self = load->secrets;
    int rc = 0;
    for (int index = 0; rc == 0 && index < S_SLOTS; index++)
        rc = s_register (load, s_slot_what[index], self->slot[index], self->length[index]);
    return rc;
}

//  --------------------------------------------------------------------------
//  Overwrite the value of every "name=" entry in environ. Returns how many
//  entries matched.

static size_t
s_wipe_env (const char *name)
{
    size_t name_length = strlen (name);
    size_t found = 0;
    for (char **entry = environ; entry && *entry; entry++) {
        if (strncmp (*entry, name, name_length) == 0 && (*entry)[name_length] == '=') {
            char *value = *entry + name_length + 1;
            OPENSSL_cleanse (value, strlen (value));
            found++;
        }
    }
    return found;
}

//  --------------------------------------------------------------------------
//  Wipe a variable in place, then unset it.

int
vb_secrets_scrub_env (const char *name)
{
    if (!name || !*name || strchr (name, '='))
        return VB_EINVAL;
    size_t found = s_wipe_env (name);
    (void)unsetenv (name);
    return found ? 0 : VB_ENOTFOUND;
}

//  --------------------------------------------------------------------------
//  Read the file at path (relative to directory dir_fd, or AT_FDCWD) into
//  buffer, which holds capacity bytes plus a NUL. One trailing "\n" or
//  "\r\n" is dropped. Refuses non-regular files, group- or world-writable
//  files and files over capacity. what names the file in messages. With
//  optional set, a missing file gives *length_p = 0 and 0.

static int
s_read_file (s_load_t *load, int dir_fd, const char *path, const char *what, char *buffer,
             size_t capacity, size_t *length_p, bool optional)
{
    *length_p = 0;
    //  O_NONBLOCK: opening a FIFO must not hang; the fstat below refuses it.
    int fd = openat (dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int error = errno;
        if (error == ENOENT && optional)
            return 0;
        if (error == ENOENT)
            return s_fail (load, VB_ENOTFOUND, "%s does not exist", what);
        if (error == EACCES)
            return s_fail (load, VB_EPERM, "%s cannot be read: permission denied", what);
        return s_fail (load, VB_EIO, "cannot open %s: %s", what, strerror (error));
    }
    int rc = 0;
    struct stat info;
    if (fstat (fd, &info) != 0)
        rc = s_fail (load, VB_EIO, "cannot stat %s: %s", what, strerror (errno));
    else if (!S_ISREG (info.st_mode))
        rc = s_fail (load, VB_ETYPE, "%s is not a regular file", what);
    else if (info.st_mode & S_MODE_WRITABLE)
        rc = s_fail (load, VB_EPERM, "%s is group- or world-writable (mode %04o); remove that",
                     what, (unsigned)(info.st_mode & (mode_t)07777));
    else if ((uint64_t)info.st_size > capacity + 2)
        rc = s_fail (load, VB_ELIMIT, "%s is larger than %zu bytes", what, capacity);
    //  Read up to capacity + 1 bytes: a file may still grow after fstat.
    size_t length = 0;
    while (rc == 0) {
        ssize_t got = read (fd, buffer + length, capacity + 1 - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = s_fail (load, VB_EIO, "cannot read %s: %s", what, strerror (errno));
        else if (got == 0)
            break;
        else {
            length += (size_t)got;
            if (length == capacity + 1) {
                //  Maybe a trailing newline after a value of exactly capacity.
                char extra[2];
                ssize_t more = read (fd, extra, sizeof (extra));
                bool newline_only = (more == 0 && buffer[capacity] == '\n') ||
                                    (more == 1 && buffer[capacity] == '\r' && extra[0] == '\n');
                OPENSSL_cleanse (extra, sizeof (extra));
                if (!newline_only)
                    rc = s_fail (load, VB_ELIMIT, "%s is larger than %zu bytes", what, capacity);
                break;
            }
        }
    }
    close (fd);
    if (rc != 0) {
        OPENSSL_cleanse (buffer, capacity + 1);
        return rc;
    }
    if (length > 0 && buffer[length - 1] == '\n') {
        length--;
        if (length > 0 && buffer[length - 1] == '\r')
            length--;
    }
    if (length > capacity) {
        //  Only a value of exactly capacity followed by "\r\n" gets here.
        length = capacity;
    }
    buffer[length] = '\0';
    *length_p = length;
    return 0;
}

//  --------------------------------------------------------------------------
//  env: VB_ACCOUNT_<NAME>_API_KEY, _API_SECRET, _API_PASSPHRASE. Every one
//  that is set is wiped and unset, whether or not the load succeeds.

static int
s_load_env (s_load_t *load)
{
    static const char *const suffix[S_SLOTS] = {"_API_KEY", "_API_SECRET", "_API_PASSPHRASE"};
    char name[S_SLOTS][S_ENV_NAME_MAX];
    for (int index = 0; index < S_SLOTS; index++) {
        int used = snprintf (name[index], S_ENV_NAME_MAX, "%s", S_ENV_PREFIX);
        for (const char *from = load->account; *from; from++)
            name[index][used++] =
                *from == '-' ? '_'
                             : (char)(*from >= 'a' && *from <= 'z' ? *from - 'a' + 'A' : *from);
        snprintf (name[index] + used, S_ENV_NAME_MAX - (size_t)used, "%s", suffix[index]);
    }
    int rc = 0;
    for (int index = 0; index < S_SLOTS; index++) {
        const char *value = getenv (name[index]);
        if (rc == 0 && !value && index != S_PASSPHRASE)
            rc = s_fail (load, VB_ENOTFOUND, "environment variable %s is not set", name[index]);
        else if (rc == 0 && value)
            rc = s_set_slot (load, index, value, strlen (value));
        //  Always wipe: a failed start must not leave the others readable.
        if (value)
            (void)vb_secrets_scrub_env (name[index]);
    }
    if (rc == 0) {
        const char *where[S_SLOTS] = {name[S_API_KEY], name[S_API_SECRET], name[S_PASSPHRASE]};
        rc = s_check_values (load, where);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Read the keystore passphrase from the file or variable named in the
//  options into buffer (VB_SECRETS_KEY_PASS_MAX + 2 bytes).

static int
s_keystore_passphrase (s_load_t *load, char *buffer, size_t *length_p)
{
    const vb_secrets_options_t *options = load->options;
    if (options->keystore_passphrase_file && options->keystore_passphrase_env)
        return s_fail (load, VB_EINVAL,
                       "give the keystore passphrase by file or by environment variable, not both");
    if (options->keystore_passphrase_file) {
        char what[VB_SECRETS_SPEC_MAX + 32];
        snprintf (what, sizeof (what), "keystore passphrase file %s",
                  options->keystore_passphrase_file);
        int rc = s_read_file (load, AT_FDCWD, options->keystore_passphrase_file, what, buffer,
                              VB_SECRETS_KEY_PASS_MAX, length_p, false);
        if (rc == 0 && *length_p == 0)
            rc = s_fail (load, VB_EINVAL, "%s is empty", what);
        return rc;
    }
    if (options->keystore_passphrase_env) {
        const char *value = getenv (options->keystore_passphrase_env);
        if (!value || !*value)
            return s_fail (load, VB_ENOTFOUND,
                           "keystore passphrase variable %s is not set or empty",
                           options->keystore_passphrase_env);
        size_t length = strlen (value);
        if (length > VB_SECRETS_KEY_PASS_MAX)
            return s_fail (load, VB_ELIMIT,
                           "keystore passphrase variable %s is longer than %d bytes",
                           options->keystore_passphrase_env, VB_SECRETS_KEY_PASS_MAX);
        memcpy (buffer, value, length + 1);
        *length_p = length;
        return 0;
    }
    return s_fail (load, VB_EINVAL,
                   "no keystore passphrase: name a passphrase file or environment variable");
}

//  --------------------------------------------------------------------------
//  keystore:<path>#<entry>. The entry name follows the last '#', so a path
//  may itself contain '#'.

static int
s_load_keystore (s_load_t *load)
{
    const char *hash = strrchr (load->argument, '#');
    if (!hash || hash == load->argument || hash[1] == '\0')
        return s_fail (load, VB_EINVAL, "expected keystore:<path>#<entry>");
    char path[VB_SECRETS_SPEC_MAX + 1];
    size_t path_length = (size_t)(hash - load->argument);
    memcpy (path, load->argument, path_length);
    path[path_length] = '\0';
    const char *entry_name = hash + 1;

    vb_locked_buf_t passphrase = {0};
    size_t passphrase_length = 0;
    int rc = vb_locked_alloc (&passphrase, VB_SECRETS_KEY_PASS_MAX + 2);
    if (rc != 0)
        return s_fail (load, rc, "cannot map locked memory for the keystore passphrase");
    rc = s_keystore_passphrase (load, passphrase.data, &passphrase_length);
    if (rc == 0)
        rc = s_register (load, "keystore passphrase", passphrase.data, passphrase_length);
    vb_keystore_t *keystore = NULL;
    if (rc == 0) {
        keystore = vb_keystore_new ();
        rc = vb_keystore_load (keystore, path, passphrase.data, passphrase_length);
        if (rc != 0)
            rc = s_fail (load, rc, "keystore %s: %s", path, vb_keystore_strerror (rc));
    }
    vb_locked_free (&passphrase);
    const vb_keystore_entry_t *entry = NULL;
    if (rc == 0) {
        entry = vb_keystore_find (keystore, entry_name);
        if (!entry)
            rc = s_fail (load, VB_ENOTFOUND, "keystore %s has no entry %s", path, entry_name);
    }
    if (rc == 0) {
        const char *value[S_SLOTS] = {vb_keystore_entry_api_key (entry),
                                      vb_keystore_entry_secret (entry),
                                      vb_keystore_entry_passphrase (entry)};
        for (int index = 0; rc == 0 && index < S_SLOTS; index++)
            if (value[index])
                rc = s_set_slot (load, index, value[index], strlen (value[index]));
        snprintf (load->secrets->venue, sizeof (load->secrets->venue), "%s",
                  vb_keystore_entry_venue (entry));
    }
    vb_keystore_destroy (&keystore);
    if (rc == 0) {
        const char *where[S_SLOTS] = {"keystore entry", "keystore entry", "keystore entry"};
        rc = s_check_values (load, where);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  dir:<path>, with a leading $CREDENTIALS_DIRECTORY expanded. Opens the
//  directory once and reads the files relative to it, so a rename of the
//  directory midway cannot mix two sources.

static int
s_load_dir (s_load_t *load)
{
    char path[VB_SECRETS_SPEC_MAX + PATH_MAX + 1];
    const char *argument = load->argument;
    size_t var_length = strlen (S_CREDENTIALS_VAR);
    if (strncmp (argument, S_CREDENTIALS_VAR, var_length) == 0 &&
        (argument[var_length] == '\0' || argument[var_length] == '/')) {
        const char *base = getenv (VB_SECRETS_ENV_CREDENTIALS);
        if (!base || !*base)
            return s_fail (load, VB_ENOTFOUND,
                           "%s is not set (is the service started by systemd with "
                           "LoadCredential=?)",
                           VB_SECRETS_ENV_CREDENTIALS);
        if (strlen (base) > PATH_MAX)
            return s_fail (load, VB_ELIMIT, "%s is too long", VB_SECRETS_ENV_CREDENTIALS);
        snprintf (path, sizeof (path), "%s%s", base, argument + var_length);
    } else if (*argument == '\0')
        return s_fail (load, VB_EINVAL, "expected dir:<path>");
    else
        snprintf (path, sizeof (path), "%s", argument);

    int dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        int error = errno;
        if (error == ENOENT)
            return s_fail (load, VB_ENOTFOUND, "directory %s does not exist", path);
        if (error == ENOTDIR)
            return s_fail (load, VB_ETYPE, "%s is not a directory", path);
        if (error == EACCES)
            return s_fail (load, VB_EPERM, "directory %s cannot be read: permission denied", path);
        return s_fail (load, VB_EIO, "cannot open directory %s: %s", path, strerror (error));
    }
    int rc = 0;
    struct stat info;
    if (fstat (dir_fd, &info) != 0)
        rc = s_fail (load, VB_EIO, "cannot stat directory %s: %s", path, strerror (errno));
    else if (info.st_mode & S_MODE_WRITABLE)
        rc = s_fail (load, VB_EPERM,
                     "directory %s is group- or world-writable (mode %04o): others could swap "
                     "the files",
                     path, (unsigned)(info.st_mode & (mode_t)07777));
    static const char *const file[S_SLOTS] = {S_FILE_API_KEY, S_FILE_API_SECRET, S_FILE_PASSPHRASE};
    char where[S_SLOTS][sizeof (path) + 32];
    vb_secrets_t *self = load->secrets;
    for (int index = 0; rc == 0 && index < S_SLOTS; index++) {
        snprintf (where[index], sizeof (where[index]), "file %s/%s", path, file[index]);
        rc = s_read_file (load, dir_fd, file[index], where[index], self->slot[index],
                          s_slot_max[index], &self->length[index], index == S_PASSPHRASE);
    }
    close (dir_fd);
    if (rc == 0) {
        const char *names[S_SLOTS] = {where[S_API_KEY], where[S_API_SECRET], where[S_PASSPHRASE]};
        rc = s_check_values (load, names);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Read the Vault token from the token file in the options, else from
//  $VAULT_TOKEN, into buffer (VB_VAULT_TOKEN_MAX + 2 bytes) and register it
//  with the logger. (vb_vault_set_token checks its bytes.)

static int
s_vault_token (s_load_t *load, char *buffer, size_t *length_p)
{
    const char *file = load->options->vault_token_file;
    int rc = 0;
    if (file) {
        char what[PATH_MAX + 32];
        snprintf (what, sizeof (what), "Vault token file %s", file);
        rc = s_read_file (load, AT_FDCWD, file, what, buffer, VB_VAULT_TOKEN_MAX, length_p, false);
        if (rc == 0 && *length_p == 0)
            rc = s_fail (load, VB_EINVAL, "%s is empty", what);
    } else {
        const char *value = getenv (VB_SECRETS_ENV_VAULT_TOKEN);
        if (!value || !*value)
            return s_fail (load, VB_ENOTFOUND,
                           "no Vault token: name a token file in the options or set %s",
                           VB_SECRETS_ENV_VAULT_TOKEN);
        *length_p = strlen (value);
        if (*length_p > VB_VAULT_TOKEN_MAX)
            return s_fail (load, VB_ELIMIT, "%s is longer than %d bytes",
                           VB_SECRETS_ENV_VAULT_TOKEN, VB_VAULT_TOKEN_MAX);
        memcpy (buffer, value, *length_p + 1);
    }
    if (rc == 0)
        rc = s_register (load, "Vault token", buffer, *length_p);
    return rc;
}

//  --------------------------------------------------------------------------
//  Configure a Vault client from the options and the environment.

static int
s_vault_setup (s_load_t *load, vb_vault_t *vault)
{
    const vb_secrets_options_t *options = load->options;
    const char *addr =
        options->vault_addr ? options->vault_addr : getenv (VB_SECRETS_ENV_VAULT_ADDR);
    if (!addr || !*addr)
        return s_fail (load, VB_EINVAL, "no Vault address: set it in the options or %s",
                       VB_SECRETS_ENV_VAULT_ADDR);
    const char *ca_file =
        options->vault_ca_file ? options->vault_ca_file : getenv (VB_SECRETS_ENV_VAULT_CACERT);
    int rc = vb_vault_set_addr (vault, addr, options->allow_insecure_http);
    if (rc == 0)
        rc = vb_vault_set_ca_file (vault, ca_file);
    if (rc == 0 && options->vault_timeout_ms)
        rc = vb_vault_set_timeout (vault, options->vault_timeout_ms);
    if (rc != 0)
        return s_fail (load, rc, "%s", vb_vault_error (vault));

    vb_locked_buf_t token = {0};
    size_t token_length = 0;
    rc = vb_locked_alloc (&token, VB_VAULT_TOKEN_MAX + 2);
    if (rc != 0)
        return s_fail (load, rc, "cannot map locked memory for the Vault token");
    rc = s_vault_token (load, token.data, &token_length);
    if (rc == 0 && vb_vault_set_token (vault, token.data, token_length) != 0)
        rc = s_fail (load, VB_EINVAL, "the Vault token (%s) is not printable ASCII",
                     options->vault_token_file ? "token file" : VB_SECRETS_ENV_VAULT_TOKEN);
    vb_locked_free (&token);
    return rc;
}

//  --------------------------------------------------------------------------
//  vault:<kv path>: split off the mount (unless the options give one),
//  then read the three fields straight into the slots.

static int
s_load_vault (s_load_t *load)
{
    char mount[VB_VAULT_PATH_MAX + 1];
    const char *path = load->argument;
    if (load->options->vault_mount)
        snprintf (mount, sizeof (mount), "%s", load->options->vault_mount);
    else {
        const char *slash = strchr (path, '/');
        if (!slash || (size_t)(slash - path) > VB_VAULT_PATH_MAX)
            return s_fail (load, VB_EINVAL, "expected vault:<mount>/<path>");
        memcpy (mount, path, (size_t)(slash - path));
        mount[slash - path] = '\0';
        path = slash + 1;
    }
    if (!vb_vault_valid_path (mount) || !vb_vault_valid_path (path))
        return s_fail (load, VB_EINVAL,
                       "bad Vault mount or path: use segments of [A-Za-z0-9_.-] joined by '/'");
    vb_vault_t *vault = vb_vault_new ();
    if (!vault)
        return s_fail (load, VB_ENOMEM, "cannot map locked memory for the Vault client");
    int rc = s_vault_setup (load, vault);
    vb_secrets_t *self = load->secrets;
    vb_vault_field_t fields[S_SLOTS] = {
        {S_FILE_API_KEY, self->slot[S_API_KEY], s_slot_max[S_API_KEY], true, 0, false},
        {S_FILE_API_SECRET, self->slot[S_API_SECRET], s_slot_max[S_API_SECRET], true, 0, false},
        {S_FILE_PASSPHRASE, self->slot[S_PASSPHRASE], s_slot_max[S_PASSPHRASE], false, 0, false},
    };
    if (rc == 0) {
        rc = vb_vault_read (vault, mount, path, fields, S_SLOTS);
        if (rc != 0)
            rc = s_fail (load, rc, "%s", vb_vault_error (vault));
    }
    vb_vault_destroy (&vault);
    if (rc == 0) {
        for (int index = 0; index < S_SLOTS; index++)
            self->length[index] = fields[index].length;
        const char *names[S_SLOTS] = {"Vault field api_key", "Vault field api_secret",
                                      "Vault field api_passphrase"};
        rc = s_check_values (load, names);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  True for a valid account name: 1..VB_SECRETS_ACCOUNT_MAX of [A-Za-z0-9_-].

static bool
s_valid_account (const char *name)
{
    size_t length = strlen (name);
    if (length == 0 || length > VB_SECRETS_ACCOUNT_MAX)
        return false;
    for (size_t index = 0; index < length; index++)
        if (!(isalnum ((unsigned char)name[index]) || name[index] == '_' || name[index] == '-'))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Pick the backend for spec, run it, check and register the values.

int
vb_secrets_load (const char *spec, const char *account_name, const vb_secrets_options_t *options,
                 vb_secrets_t **out, char *error, size_t error_size)
{
    assert (out);
    *out = NULL;
    if (error && error_size)
        error[0] = '\0';
    static const vb_secrets_options_t defaults = {0};
    s_load_t load = {spec, NULL,  account_name, options ? options : &defaults,
                     NULL, error, error_size};
    if (!account_name || !s_valid_account (account_name)) {
        load.account = "(invalid)";
        load.spec = spec && strlen (spec) <= VB_SECRETS_SPEC_MAX ? spec : "(invalid)";
        return s_fail (&load, VB_EINVAL, "account name must be 1..%d characters of [A-Za-z0-9_-]",
                       VB_SECRETS_ACCOUNT_MAX);
    }
    if (!spec || !*spec || strlen (spec) > VB_SECRETS_SPEC_MAX) {
        load.spec = "(invalid)";
        return s_fail (&load, VB_EINVAL, "the secrets spec must be 1..%d bytes",
                       VB_SECRETS_SPEC_MAX);
    }
    size_t backend = S_BACKENDS;
    for (size_t index = 0; index < S_BACKENDS; index++) {
        const char *prefix = s_backends[index].prefix;
        size_t length = strlen (prefix);
        bool takes_argument = prefix[length - 1] == ':';
        if (takes_argument ? strncmp (spec, prefix, length) == 0 : strcmp (spec, prefix) == 0) {
            backend = index;
            load.argument = spec + length;
            break;
        }
    }
    if (backend == S_BACKENDS)
        return s_fail (&load, VB_EINVAL,
                       "unknown backend: expected env, keystore:<path>#<entry>, dir:<path> or "
                       "vault:<kv path>");
    load.secrets = s_secrets_new ();
    if (!load.secrets)
        return s_fail (&load, VB_ENOMEM, "cannot map locked memory for the secrets");
    load.secrets->backend = s_backends[backend].name;
    int rc = s_backends[backend].load (&load);
    if (rc == 0)
        rc = s_register_values (&load);
    if (rc != 0) {
        vb_secrets_destroy (&load.secrets);
        return rc;
    }
    *out = load.secrets;
    return 0;
}

//  --------------------------------------------------------------------------
//  Accessors.

const char *
vb_secrets_api_key (const vb_secrets_t *self)
{
    assert (self);
    return self->slot[S_API_KEY];
}

const char *
vb_secrets_api_secret (const vb_secrets_t *self)
{
    assert (self);
    return self->slot[S_API_SECRET];
}

const char *
vb_secrets_passphrase (const vb_secrets_t *self)
{
    assert (self);
    return self->length[S_PASSPHRASE] ? self->slot[S_PASSPHRASE] : NULL;
}

const char *
vb_secrets_backend (const vb_secrets_t *self)
{
    assert (self);
    return self->backend;
}

const char *
vb_secrets_venue (const vb_secrets_t *self)
{
    assert (self);
    return self->venue[0] ? self->venue : NULL;
}

bool
vb_secrets_memory_locked (const vb_secrets_t *self)
{
    assert (self);
    return self->region.locked;
}
