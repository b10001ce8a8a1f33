/*  vb_secrets.h — one account's venue credentials, from whichever backend the config names.

    The router's `account/<name>/secrets` key says where an account's API
    key, API secret and optional API passphrase (OKX) come from. This class
    reads them from that source into locked memory and hands them over as
    one vb_secrets_t. The spec syntax, one entry per backend:

        env                     VB_ACCOUNT_<NAME>_API_KEY, _API_SECRET and
                                _API_PASSPHRASE (optional), NAME being the
                                account name upper-cased with '-' -> '_'.
                                Each variable is wiped in place and unset
                                once read (see below).
        keystore:<path>#<entry> entry <entry> (an account name in the
                                keystore) of the vb_keystore file at <path>;
                                the keystore passphrase comes from the file
                                or environment variable named in the options,
                                never from the command line.
        dir:<path>              one file per value: <path>/api_key,
                                <path>/api_secret and <path>/api_passphrase
                                (optional). This is the layout of Docker and
                                Kubernetes secret volumes and of systemd
                                credentials: "dir:$CREDENTIALS_DIRECTORY"
                                (also "dir:$CREDENTIALS_DIRECTORY/sub")
                                expands the variable systemd sets for a unit
                                with LoadCredential=. One trailing newline
                                ("\n" or "\r\n") is stripped from each file.
                                The directory and the files must not be
                                group- or world-writable, the files must be
                                regular (symbolic links to regular files are
                                followed, as Kubernetes uses them) and at
                                most as large as the value's limit.
        vault:<kv path>         HashiCorp Vault KV version 2 over HTTPS:
                                GET {addr}/v1/{mount}/data/{path} with the
                                token in X-Vault-Token, fields api_key,
                                api_secret and api_passphrase (optional) of
                                the secret's latest version. The mount is
                                the first component of <kv path> ("vault:
                                secret/venuebus/main" reads path
                                "venuebus/main" of mount "secret", as
                                `vault kv get secret/venuebus/main` does),
                                or options->vault_mount when set (then the
                                whole <kv path> is the path). TLS is always
                                verified; plain http:// is refused unless
                                options->allow_insecure_http is set (tests).

    Values: an API key is 1..VB_SECRETS_API_KEY_MAX bytes of printable ASCII
    without spaces; an API secret 1..VB_SECRETS_API_SECRET_MAX bytes without
    NUL (PEM keys with newlines are fine); a passphrase at most
    VB_SECRETS_PASSPHRASE_MAX bytes without NUL, CR or LF. An empty
    passphrase (an empty variable, an empty file, an empty field) means none.

    Hygiene:
    - every value lives in page-aligned anonymous memory that is mlock'ed
      where RLIMIT_MEMLOCK allows it, marked MADV_DONTDUMP, and wiped with
      OPENSSL_cleanse when the object is destroyed (and on every failure);
    - every value loaded, and the keystore passphrase and Vault token used
      to load it, is registered with vb_log_add_secret before the load
      returns, so no later vb_log line can contain it;
    - error messages name the account, the spec and the problem, and never
      quote a value, a token or a passphrase;
    - `env` overwrites the bytes of each VB_ACCOUNT_<NAME>_* value in place,
      in every copy of the variable in environ, then unsets it. Overwriting
      matters: /proc/<pid>/environ shows the process's original environment
      block on its stack, which unsetenv leaves untouched. Variables shared
      by several accounts (VAULT_TOKEN, the keystore passphrase variable)
      are read but not wiped, so the next account can use them; call
      vb_secrets_scrub_env on them once every account has loaded.
    The Vault transport is vb_vault (vb_vault.h lists the copies it cannot
    wipe: libcurl's and OpenSSL's internal buffers). Run the router
    non-dumpable so no core file holds them.

    Threading: vb_secrets_load and vb_secrets_scrub_env read and change the
    process environment and (vault) do blocking network I/O; call them from
    main at start-up, before other threads start, never from an event loop.
    A loaded object is read-only and may then be read from any thread.
    This class never logs; the caller logs the error text once.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_SECRETS_H_INCLUDED
#define VB_SECRETS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Limits, in bytes. Values are checked against them wherever they come from.
#define VB_SECRETS_SPEC_MAX       4096  //  Longest spec accepted
#define VB_SECRETS_ACCOUNT_MAX    128   //  Account name: [A-Za-z0-9_-], as vb_config
#define VB_SECRETS_API_KEY_MAX    1024  //  Printable ASCII, no spaces
#define VB_SECRETS_API_SECRET_MAX 4096  //  Any bytes but NUL (the logger's limit)
#define VB_SECRETS_PASSPHRASE_MAX 256   //  Any bytes but NUL, CR and LF
#define VB_SECRETS_KEY_PASS_MAX   4096  //  Keystore passphrase (vb_keystore's limit)

//  Environment variables read when the options leave a Vault setting unset
//  (the names the Vault CLI uses).
#define VB_SECRETS_ENV_VAULT_ADDR   "VAULT_ADDR"
#define VB_SECRETS_ENV_VAULT_TOKEN  "VAULT_TOKEN"
#define VB_SECRETS_ENV_VAULT_CACERT "VAULT_CACERT"
//  Expanded at the start of a dir: path (systemd's LoadCredential=).
#define VB_SECRETS_ENV_CREDENTIALS "CREDENTIALS_DIRECTORY"

typedef struct _vb_secrets_t vb_secrets_t;

//  Where backends find what they need besides the spec. All fields may be
//  zero / NULL; pass NULL for all defaults. Strings are borrowed for the
//  duration of the call. None of them is itself a secret: they name files
//  and variables that hold secrets.
typedef struct {
    const char *keystore_passphrase_file;  //  File holding the keystore passphrase
    const char *keystore_passphrase_env;   //  Or: variable holding it (not both)
    const char *vault_addr;                //  NULL: $VAULT_ADDR
    const char *vault_token_file;          //  NULL: the token is $VAULT_TOKEN
    const char *vault_ca_file;             //  NULL: $VAULT_CACERT, else the system CAs
    const char *vault_mount;               //  NULL: first component of the kv path
    int64_t vault_timeout_ms;              //  0: VB_VAULT_TIMEOUT_MS_DEFAULT
    bool allow_insecure_http;              //  Accept http:// Vault addresses (tests only)
} vb_secrets_options_t;

//  Load account_name's credentials from the source spec names (syntax
//  above). On success sets *out to a new object (the caller destroys it),
//  has registered every value with the logger, and returns 0. On failure
//  *out is NULL, a message naming the account, the spec and the problem
//  (never a secret) is written to error (if error_size > 0; cut to fit),
//  nothing read is left in memory, and the result is:
//      VB_EINVAL     bad spec, account name or options; a value that breaks
//                    the rules above; malformed Vault JSON
//      VB_ENOTFOUND  a variable, file, keystore entry, Vault secret or
//                    field that must exist does not
//      VB_EPERM      a file or directory is group- or world-writable, or
//                    cannot be opened for lack of permission; Vault 403
//      VB_ETYPE      a secret file is not a regular file (or the dir: path
//                    not a directory); a Vault field is not a string
//      VB_ELIMIT     a value, file or Vault response is over its limit; the
//                    logger holds VB_LOG_SECRETS_MAX secrets already
//      VB_EAUTH      wrong keystore passphrase
//      VB_EIO        a system call failed; Vault unreachable, TLS failure,
//                    timeout, or HTTP 5xx (503: sealed)
//      VB_EAGAIN     Vault answered 429 (rate limited or standby)
//      VB_ENOMEM     locked memory could not be mapped
//  or any other code vb_keystore_load returns for the keystore file.
int vb_secrets_load (const char *spec, const char *account_name,
                     const vb_secrets_options_t *options, vb_secrets_t **out, char *error,
                     size_t error_size);

//  Wipe the values, unlock and unmap their memory, free the object and set
//  *self_p to NULL. Safe to call twice and on NULL. (The logger keeps its
//  own copies for redaction; vb_log_forget_secrets wipes those.)
void vb_secrets_destroy (vb_secrets_t **self_p);

//  The values: borrowed, NUL-terminated, valid until destroy. The
//  passphrase is NULL when the account has none.
const char *vb_secrets_api_key (const vb_secrets_t *self);
const char *vb_secrets_api_secret (const vb_secrets_t *self);
const char *vb_secrets_passphrase (const vb_secrets_t *self);

//  The backend the values came from: "env", "keystore", "dir" or "vault".
const char *vb_secrets_backend (const vb_secrets_t *self);

//  The venue the keystore entry names, or NULL for other backends (the
//  router checks it against the account's venue).
const char *vb_secrets_venue (const vb_secrets_t *self);

//  True when the values sit in mlock'ed memory; false if RLIMIT_MEMLOCK
//  refused the lock (the values may then reach swap; callers may warn).
bool vb_secrets_memory_locked (const vb_secrets_t *self);

//  Overwrite the value of environment variable name in place, in every
//  copy of it in environ, then unset it: for variables several accounts
//  share (VAULT_TOKEN, a keystore passphrase variable), once all are
//  loaded. Returns 0, VB_ENOTFOUND when the variable is not set, or
//  VB_EINVAL for a NULL, empty or '='-containing name. Not thread-safe
//  (see above).
int vb_secrets_scrub_env (const char *name);

#ifdef __cplusplus
}
#endif
#endif
