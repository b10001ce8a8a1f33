/*  main.c — venuebus-keytool: create and edit the encrypted keystore.

    venuebus-keytool COMMAND --keystore PATH [options]; see s_usage or README.md.

    Passphrases come from a no-echo prompt on the terminal, a file
    (--passphrase-file) or an environment variable named by a flag
    (--passphrase-env), never from argv. API secrets come from stdin, one
    per line, or from a no-echo prompt when stdin is a terminal. Every
    secret is read with read(2) straight into locked pages (no stdio
    buffers), wiped before exit, and never printed: `list` shows only the
    first characters of the API key. An environment variable that carried
    a passphrase is overwritten in place and unset once read, so
    /proc/<pid>/environ no longer shows it. Core dumps are disabled.

    Every failure prints one line naming the problem and the file, and the
    tool exits 1 (2 for a usage error).
    SPDX-License-Identifier: MPL-2.0
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "vb_error.h"
#include "vb_keystore.h"
#include "vb_locked.h"

#define S_TOOL            "venuebus-keytool"
#define S_EXIT_OK         0
#define S_EXIT_FAIL       1
#define S_EXIT_USAGE      2
#define S_NEW_PASS_MIN    8   //  Shortest new keystore passphrase accepted
#define S_MASK_SHOWN      4   //  API key characters `list` shows
#define S_MASK_MIN_LENGTH 12  //  Keys shorter than this are fully masked
#define S_TTY_PATH        "/dev/tty"
#define S_PASS_FILE_SLACK 2  //  Room for a trailing "\r\n" in a passphrase file

//  Everything the command line can set. Option values are borrowed from argv
//  and are never secrets (the table below has no option that takes one).
typedef struct {
    const char *command;              //  init, add, list, ...
    const char *keystore;             //  --keystore PATH
    const char *passphrase_file;      //  --passphrase-file FILE
    const char *passphrase_env;       //  --passphrase-env VAR
    const char *new_passphrase_file;  //  --new-passphrase-file FILE
    const char *new_passphrase_env;   //  --new-passphrase-env VAR
    const char *venue;                //  --venue NAME
    const char *account;              //  --account NAME
} s_args_t;

//  A secret read from outside: its own locked pages, wiped on destroy.
typedef struct {
    vb_locked_buf_t region;  //  The locked pages
    char *data;              //  region.data: NUL-terminated text, capacity + 1 bytes usable
    size_t capacity;         //  Longest text accepted
    size_t length;           //  Bytes in data
} s_secret_t;

//  Options, as data. `mask` is the option's bit in s_command_t's sets.
typedef struct {
    const char *name;  //  --name on the command line
    size_t offset;     //  Where the value goes in s_args_t
    unsigned mask;     //  This option's bit
    const char *help;  //  One line for the usage text
} s_option_t;

enum {
    S_OPT_KEYSTORE = 1 << 0,
    S_OPT_PASS_FILE = 1 << 1,
    S_OPT_PASS_ENV = 1 << 2,
    S_OPT_NEW_PASS_FILE = 1 << 3,
    S_OPT_NEW_PASS_ENV = 1 << 4,
    S_OPT_VENUE = 1 << 5,
    S_OPT_ACCOUNT = 1 << 6,
};

static const s_option_t s_options[] = {
    {"--keystore", offsetof (s_args_t, keystore), S_OPT_KEYSTORE, "PATH  the keystore file"},
    {"--passphrase-file", offsetof (s_args_t, passphrase_file), S_OPT_PASS_FILE,
     "FILE  read the keystore passphrase from FILE"},
    {"--passphrase-env", offsetof (s_args_t, passphrase_env), S_OPT_PASS_ENV,
     "VAR  read the keystore passphrase from environment variable VAR"},
    {"--new-passphrase-file", offsetof (s_args_t, new_passphrase_file), S_OPT_NEW_PASS_FILE,
     "FILE  rotate-passphrase: the new passphrase, from FILE"},
    {"--new-passphrase-env", offsetof (s_args_t, new_passphrase_env), S_OPT_NEW_PASS_ENV,
     "VAR  rotate-passphrase: the new passphrase, from variable VAR"},
    {"--venue", offsetof (s_args_t, venue), S_OPT_VENUE,
     "NAME  add: binance, bybit, coinbase, "
     "kraken or okx"},
    {"--account", offsetof (s_args_t, account), S_OPT_ACCOUNT, "NAME  add, remove: account name"},
};
#define S_OPTION_COUNT (sizeof (s_options) / sizeof (s_options[0]))

//  What a venue's key looks like. Tools and the router need the same facts;
//  the keystore itself knows no venue.
typedef struct {
    const char *name;       //  Venue name as in the config
    bool has_passphrase;    //  The key has a passphrase (OKX)
    bool escaped_newlines;  //  The secret is a PEM key given with literal "\n"
} s_venue_t;

static const s_venue_t s_venues[] = {
    {"binance", false, false}, {"bybit", false, false}, {"coinbase", false, true},
    {"kraken", false, false},  {"okx", true, false},
};
#define S_VENUE_COUNT (sizeof (s_venues) / sizeof (s_venues[0]))

typedef int (s_run_fn) (s_args_t *args);

typedef struct {
    const char *name;   //  Command word
    s_run_fn *run;      //  Its handler; returns an exit code
    unsigned allowed;   //  Options it accepts
    unsigned required;  //  Options it needs
    const char *help;   //  One line for the usage text
} s_command_t;

//  Terminal state while a prompt has echo off, restored on a signal.
static int s_tty_fd = -1;
static struct termios s_tty_saved;

//  --------------------------------------------------------------------------
//  Print one error line: "venuebus-keytool: <command>: <message>".

static void s_fail (const s_args_t *args, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_fail (const s_args_t *args, const char *format, ...)
{
    va_list arguments;
    va_start (arguments, format);
    fprintf (stderr, "%s: %s: ", S_TOOL, args && args->command ? args->command : "error");
    vfprintf (stderr, format, arguments);
    fputc ('\n', stderr);
    va_end (arguments);
}

//  --------------------------------------------------------------------------
//  Allocate a secret buffer for up to capacity bytes of text.

static s_secret_t *
s_secret_new (size_t capacity)
{
    s_secret_t *self = (s_secret_t *)calloc (1, sizeof (s_secret_t));
    if (!self)
        return NULL;
    if (capacity == SIZE_MAX || vb_locked_alloc (&self->region, capacity + 1) != 0) {
        free (self);
        return NULL;
    }
    self->data = self->region.data;
    self->capacity = capacity;
    return self;
}

//  --------------------------------------------------------------------------
//  Wipe and free a secret buffer. Accepts NULL.

static void
s_secret_destroy (s_secret_t **self_p)
{
    s_secret_t *self = *self_p;
    if (self) {
        vb_locked_free (&self->region);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Read one line from fd into secret, one byte at a time so that nothing
//  past the newline is consumed or copied. A trailing "\r" is dropped.
//  Returns 0, or -1 with *problem set ("missing", "too long", "unreadable").

static int
s_read_line (int fd, s_secret_t *secret, const char **problem)
{
    secret->length = 0;
    bool any = false;
    while (true) {
        char byte;
        ssize_t got = read (fd, &byte, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            *problem = "unreadable";
            return -1;
        }
        if (got == 0) {
            if (!any) {
                *problem = "missing";
                return -1;
            }
            break;
        }
        any = true;
        if (byte == '\n')
            break;
        if (secret->length == secret->capacity) {
            *problem = "too long";
            return -1;
        }
        secret->data[secret->length++] = byte;
    }
    if (secret->length && secret->data[secret->length - 1] == '\r')
        secret->length--;
    secret->data[secret->length] = '\0';
    return 0;
}

//  --------------------------------------------------------------------------
//  Restore the terminal and leave on SIGINT/SIGTERM during a no-echo prompt.

static void
s_handle_signal (int signal_number)
{
    if (s_tty_fd >= 0)
        (void)tcsetattr (s_tty_fd, TCSAFLUSH, &s_tty_saved);
    _exit (128 + signal_number);
}

//  --------------------------------------------------------------------------
//  Prompt on the terminal with echo off and read one line into secret.
//  Returns 0 or -1 after printing an error naming `what`.

static int
s_prompt (const s_args_t *args, const char *prompt, const char *what, s_secret_t *secret)
{
    int fd = open (S_TTY_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        s_fail (args,
                "no terminal to prompt for the %s; use --passphrase-file or --passphrase-env "
                "(and stdin for API secrets)",
                what);
        return -1;
    }
    struct termios quiet;
    bool changed = false;
    if (tcgetattr (fd, &s_tty_saved) == 0) {
        quiet = s_tty_saved;
        quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHOE | ECHOK | ECHONL);
        s_tty_fd = fd;
        signal (SIGINT, s_handle_signal);
        signal (SIGTERM, s_handle_signal);
        changed = tcsetattr (fd, TCSAFLUSH, &quiet) == 0;
    }
    ssize_t written = write (fd, prompt, strlen (prompt));
    const char *problem = NULL;
    int rc = s_read_line (fd, secret, &problem);
    if (changed)
        (void)tcsetattr (fd, TCSAFLUSH, &s_tty_saved);
    s_tty_fd = -1;
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    written = write (fd, "\n", 1);
    (void)written;
    close (fd);
    if (rc != 0)
        s_fail (args, "cannot read the %s from the terminal: %s", what, problem);
    return rc;
}

//  --------------------------------------------------------------------------
//  Read a passphrase file: its bytes up to a trailing newline.

static int
s_passphrase_from_file (const s_args_t *args, const char *path, s_secret_t *secret)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        s_fail (args, "cannot open passphrase file %s: %s", path, strerror (errno));
        return -1;
    }
    struct stat info;
    if (fstat (fd, &info) == 0 && S_ISREG (info.st_mode) && (info.st_mode & (S_IRWXG | S_IRWXO)))
        fprintf (stderr, "%s: warning: passphrase file %s is accessible by group or others\n",
                 S_TOOL, path);
    secret->length = 0;
    int rc = 0;
    while (rc == 0) {
        if (secret->length == secret->capacity) {
            //  Full: one more byte means the file is too long.
            char extra;
            ssize_t got = read (fd, &extra, 1);
            OPENSSL_cleanse (&extra, 1);
            if (got != 0)
                rc = -1;
            break;
        }
        ssize_t got = read (fd, secret->data + secret->length, secret->capacity - secret->length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = -1;
        else if (got == 0)
            break;
        else
            secret->length += (size_t)got;
    }
    close (fd);
    while (secret->length &&
           (secret->data[secret->length - 1] == '\n' || secret->data[secret->length - 1] == '\r'))
        secret->length--;
    secret->data[secret->length] = '\0';
    if (rc != 0) {
        s_fail (args, "cannot read passphrase file %s (unreadable or longer than %d bytes)", path,
                VB_KEYSTORE_KEY_PASS_MAX);
        return -1;
    }
    if (secret->length == 0) {
        s_fail (args, "passphrase file %s is empty", path);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Read a passphrase from environment variable name, then overwrite the
//  variable's value in place and unset it.

static int
s_passphrase_from_env (const s_args_t *args, const char *name, s_secret_t *secret)
{
    char *value = getenv (name);
    if (!value) {
        s_fail (args, "environment variable %s is not set", name);
        return -1;
    }
    size_t length = strlen (value);
    int rc = 0;
    if (length == 0) {
        s_fail (args, "environment variable %s is empty", name);
        rc = -1;
    } else if (length > secret->capacity) {
        s_fail (args, "environment variable %s is longer than %zu bytes", name, secret->capacity);
        rc = -1;
    } else {
        memcpy (secret->data, value, length);
        secret->data[length] = '\0';
        secret->length = length;
    }
    OPENSSL_cleanse (value, length);
    unsetenv (name);
    return rc;
}

//  --------------------------------------------------------------------------
//  Get a passphrase from the file or variable given, else from the
//  terminal. `confirm` asks twice on the terminal (for a new passphrase).

static int
s_passphrase (const s_args_t *args, const char *file, const char *env, const char *what,
              bool confirm, s_secret_t *secret)
{
    if (file && env) {
        s_fail (args, "give the %s by file or by environment variable, not both", what);
        return -1;
    }
    if (file)
        return s_passphrase_from_file (args, file, secret);
    if (env)
        return s_passphrase_from_env (args, env, secret);
    char prompt[128];
    snprintf (prompt, sizeof (prompt), "%s%s: ", confirm ? "new " : "", what);
    if (s_prompt (args, prompt, what, secret) != 0)
        return -1;
    if (secret->length == 0) {
        s_fail (args, "the %s is empty", what);
        return -1;
    }
    if (confirm) {
        s_secret_t *again = s_secret_new (secret->capacity);
        int rc = again ? 0 : -1;
        snprintf (prompt, sizeof (prompt), "repeat the new %s: ", what);
        if (rc == 0)
            rc = s_prompt (args, prompt, what, again);
        if (rc == 0 && (again->length != secret->length ||
                        CRYPTO_memcmp (again->data, secret->data, secret->length) != 0)) {
            s_fail (args, "the two %ss differ", what);
            rc = -1;
        }
        s_secret_destroy (&again);
        return rc;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Find a venue in the table, or NULL.

static const s_venue_t *
s_venue_find (const char *name)
{
    for (size_t index = 0; index < S_VENUE_COUNT; index++)
        if (strcmp (s_venues[index].name, name) == 0)
            return &s_venues[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Load the keystore with the passphrase from --passphrase-file/-env or the
//  terminal. Returns the keystore, or NULL after printing the error.

static vb_keystore_t *
s_open (s_args_t *args, s_secret_t **passphrase_p)
{
    s_secret_t *passphrase = s_secret_new (VB_KEYSTORE_KEY_PASS_MAX);
    if (!passphrase) {
        s_fail (args, "out of memory");
        return NULL;
    }
    if (s_passphrase (args, args->passphrase_file, args->passphrase_env, "keystore passphrase",
                      false, passphrase) != 0) {
        s_secret_destroy (&passphrase);
        return NULL;
    }
    vb_keystore_t *keystore = vb_keystore_new ();
    int rc = vb_keystore_load (keystore, args->keystore, passphrase->data, passphrase->length);
    if (rc != 0) {
        s_fail (args, "cannot open keystore %s: %s", args->keystore, vb_keystore_strerror (rc));
        vb_keystore_destroy (&keystore);
        s_secret_destroy (&passphrase);
        return NULL;
    }
    if (!vb_keystore_memory_locked (keystore) || !passphrase->region.locked)
        fprintf (stderr,
                 "%s: warning: could not lock secret memory (RLIMIT_MEMLOCK); secrets may reach "
                 "swap\n",
                 S_TOOL);
    if (passphrase_p)
        *passphrase_p = passphrase;
    else
        s_secret_destroy (&passphrase);
    return keystore;
}

//  --------------------------------------------------------------------------
//  Save the keystore; print the error on failure.

static int
s_save (s_args_t *args, vb_keystore_t *keystore, const s_secret_t *passphrase)
{
    int rc = vb_keystore_save (keystore, args->keystore, passphrase->data, passphrase->length);
    if (rc != 0) {
        s_fail (args, "cannot write keystore %s: %s", args->keystore, vb_keystore_strerror (rc));
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Refuse a new passphrase that is too short.

static int
s_check_new_passphrase (const s_args_t *args, const s_secret_t *passphrase)
{
    if (passphrase->length < S_NEW_PASS_MIN) {
        s_fail (args, "the new keystore passphrase must have at least %d characters",
                S_NEW_PASS_MIN);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  init: create an empty keystore; refuse to overwrite anything at the path.

static int
s_run_init (s_args_t *args)
{
    struct stat info;
    if (lstat (args->keystore, &info) == 0) {
        s_fail (args, "%s already exists; refusing to overwrite it", args->keystore);
        return S_EXIT_FAIL;
    }
    s_secret_t *passphrase = s_secret_new (VB_KEYSTORE_KEY_PASS_MAX);
    if (!passphrase) {
        s_fail (args, "out of memory");
        return S_EXIT_FAIL;
    }
    int rc = s_passphrase (args, args->passphrase_file, args->passphrase_env, "keystore passphrase",
                           true, passphrase);
    if (rc == 0)
        rc = s_check_new_passphrase (args, passphrase);
    vb_keystore_t *keystore = vb_keystore_new ();
    if (rc == 0)
        rc = s_save (args, keystore, passphrase);
    if (rc == 0) {
        uint64_t n;
        uint32_t r, p;
        vb_keystore_kdf (keystore, &n, &r, &p);
        printf ("created %s (scrypt N=%llu r=%u p=%u, AES-256-GCM, mode 0600)\n", args->keystore,
                (unsigned long long)n, r, p);
    }
    vb_keystore_destroy (&keystore);
    s_secret_destroy (&passphrase);
    return rc == 0 ? S_EXIT_OK : S_EXIT_FAIL;
}

//  --------------------------------------------------------------------------
//  Read one secret for `add`: a line from stdin, or a no-echo prompt when
//  stdin is a terminal.

static int
s_read_secret (const s_args_t *args, const char *what, s_secret_t *secret)
{
    if (isatty (STDIN_FILENO)) {
        char prompt[64];
        snprintf (prompt, sizeof (prompt), "%s: ", what);
        return s_prompt (args, prompt, what, secret);
    }
    const char *problem = NULL;
    if (s_read_line (STDIN_FILENO, secret, &problem) != 0) {
        s_fail (args, "cannot read the %s from stdin: %s", what, problem);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Turn literal "\n" pairs into newlines, in place (PEM keys on one line).

static void
s_unescape_newlines (s_secret_t *secret)
{
    size_t out = 0;
    for (size_t in = 0; in < secret->length; in++, out++) {
        if (secret->data[in] == '\\' && in + 1 < secret->length && secret->data[in + 1] == 'n') {
            secret->data[out] = '\n';
            in++;
        } else
            secret->data[out] = secret->data[in];
    }
    OPENSSL_cleanse (secret->data + out, secret->length - out);
    secret->length = out;
    secret->data[out] = '\0';
}

//  --------------------------------------------------------------------------
//  add: load, read the API key, secret and (for venues that have one) the
//  key's passphrase, add the entry and save.

static int
s_run_add (s_args_t *args)
{
    const s_venue_t *venue = s_venue_find (args->venue);
    if (!venue) {
        s_fail (args, "unknown venue %s (known: binance, bybit, coinbase, kraken, okx)",
                args->venue);
        return S_EXIT_FAIL;
    }
    s_secret_t *passphrase = NULL;
    vb_keystore_t *keystore = s_open (args, &passphrase);
    if (!keystore)
        return S_EXIT_FAIL;
    s_secret_t *api_key = s_secret_new (VB_KEYSTORE_API_KEY_MAX);
    s_secret_t *secret = s_secret_new (VB_KEYSTORE_SECRET_MAX);
    s_secret_t *key_passphrase = s_secret_new (VB_KEYSTORE_PASSPHRASE_MAX);
    int rc = api_key && secret && key_passphrase ? 0 : -1;
    if (rc != 0)
        s_fail (args, "out of memory");
    if (rc == 0 && vb_keystore_find (keystore, args->account)) {
        s_fail (args, "account %s already exists in %s", args->account, args->keystore);
        rc = -1;
    }
    if (rc == 0)
        rc = s_read_secret (args, "API key", api_key);
    if (rc == 0)
        rc = s_read_secret (args, "API secret", secret);
    if (rc == 0 && venue->escaped_newlines)
        s_unescape_newlines (secret);
    if (rc == 0 && venue->has_passphrase)
        rc = s_read_secret (args, "API passphrase", key_passphrase);
    if (rc == 0 && venue->has_passphrase && key_passphrase->length == 0) {
        s_fail (args, "%s keys need an API passphrase; none given", venue->name);
        rc = -1;
    }
    if (rc == 0) {
        int added = vb_keystore_add (keystore, venue->name, args->account, api_key->data,
                                     secret->data, key_passphrase->data);
        if (added == VB_EINVAL)
            s_fail (args,
                    "invalid entry for account %s: the account name must be [A-Za-z0-9_.-], the "
                    "API key printable without spaces, and none of them empty or too long",
                    args->account);
        else if (added != 0)
            s_fail (args, "cannot add account %s to %s: %s", args->account, args->keystore,
                    vb_keystore_strerror (added));
        rc = added == 0 ? 0 : -1;
    }
    if (rc == 0)
        rc = s_save (args, keystore, passphrase);
    if (rc == 0)
        printf ("added account %s (%s) to %s\n", args->account, venue->name, args->keystore);
    s_secret_destroy (&key_passphrase);
    s_secret_destroy (&secret);
    s_secret_destroy (&api_key);
    vb_keystore_destroy (&keystore);
    s_secret_destroy (&passphrase);
    return rc == 0 ? S_EXIT_OK : S_EXIT_FAIL;
}

//  --------------------------------------------------------------------------
//  list: venue, account, masked API key and whether a passphrase is set.

static int
s_run_list (s_args_t *args)
{
    vb_keystore_t *keystore = s_open (args, NULL);
    if (!keystore)
        return S_EXIT_FAIL;
    printf ("%-10s %-24s %-12s %s\n", "VENUE", "ACCOUNT", "API KEY", "PASSPHRASE");
    for (const vb_keystore_entry_t *entry = vb_keystore_first (keystore); entry;
         entry = vb_keystore_next (keystore)) {
        const char *api_key = vb_keystore_entry_api_key (entry);
        int shown = strlen (api_key) >= S_MASK_MIN_LENGTH ? S_MASK_SHOWN : 0;
        printf ("%-10s %-24s %.*s%-*s %s\n", vb_keystore_entry_venue (entry),
                vb_keystore_entry_account (entry), shown, api_key, 12 - shown, "***",
                vb_keystore_entry_passphrase (entry) ? "yes" : "no");
    }
    vb_keystore_destroy (&keystore);
    return S_EXIT_OK;
}

//  --------------------------------------------------------------------------
//  remove: drop one account and save.

static int
s_run_remove (s_args_t *args)
{
    s_secret_t *passphrase = NULL;
    vb_keystore_t *keystore = s_open (args, &passphrase);
    if (!keystore)
        return S_EXIT_FAIL;
    int rc = vb_keystore_remove (keystore, args->account);
    if (rc != 0)
        s_fail (args, "no entry for account %s in %s", args->account, args->keystore);
    if (rc == 0)
        rc = s_save (args, keystore, passphrase);
    if (rc == 0)
        printf ("removed account %s from %s\n", args->account, args->keystore);
    vb_keystore_destroy (&keystore);
    s_secret_destroy (&passphrase);
    return rc == 0 ? S_EXIT_OK : S_EXIT_FAIL;
}

//  --------------------------------------------------------------------------
//  rotate-passphrase: load with the old passphrase, save with the new one.

static int
s_run_rotate (s_args_t *args)
{
    s_secret_t *passphrase = NULL;
    vb_keystore_t *keystore = s_open (args, &passphrase);
    if (!keystore)
        return S_EXIT_FAIL;
    s_secret_t *fresh = s_secret_new (VB_KEYSTORE_KEY_PASS_MAX);
    int rc = fresh ? 0 : -1;
    if (rc != 0)
        s_fail (args, "out of memory");
    if (rc == 0)
        rc = s_passphrase (args, args->new_passphrase_file, args->new_passphrase_env,
                           "keystore passphrase", true, fresh);
    if (rc == 0)
        rc = s_check_new_passphrase (args, fresh);
    if (rc == 0 && fresh->length == passphrase->length &&
        CRYPTO_memcmp (fresh->data, passphrase->data, fresh->length) == 0) {
        s_fail (args, "the new passphrase is the same as the old one");
        rc = -1;
    }
    if (rc == 0)
        rc = s_save (args, keystore, fresh);
    if (rc == 0)
        printf ("rotated the passphrase of %s\n", args->keystore);
    s_secret_destroy (&fresh);
    vb_keystore_destroy (&keystore);
    s_secret_destroy (&passphrase);
    return rc == 0 ? S_EXIT_OK : S_EXIT_FAIL;
}

//  --------------------------------------------------------------------------
//  verify: load and check that every entry is complete for its venue.

static int
s_run_verify (s_args_t *args)
{
    vb_keystore_t *keystore = s_open (args, NULL);
    if (!keystore)
        return S_EXIT_FAIL;
    size_t problems = 0;
    for (const vb_keystore_entry_t *entry = vb_keystore_first (keystore); entry;
         entry = vb_keystore_next (keystore)) {
        const char *account = vb_keystore_entry_account (entry);
        const s_venue_t *venue = s_venue_find (vb_keystore_entry_venue (entry));
        bool has_passphrase = vb_keystore_entry_passphrase (entry) != NULL;
        if (!venue) {
            s_fail (args, "%s: account %s has unknown venue %s", args->keystore, account,
                    vb_keystore_entry_venue (entry));
            problems++;
        } else if (venue->has_passphrase && !has_passphrase) {
            s_fail (args, "%s: account %s (%s) has no API passphrase", args->keystore, account,
                    venue->name);
            problems++;
        } else if (!venue->has_passphrase && has_passphrase) {
            s_fail (args, "%s: account %s (%s) has a passphrase its venue does not use",
                    args->keystore, account, venue->name);
            problems++;
        }
    }
    size_t count = vb_keystore_size (keystore);
    vb_keystore_destroy (&keystore);
    if (problems)
        return S_EXIT_FAIL;
    printf ("%s ok: %zu entr%s, all complete\n", args->keystore, count, count == 1 ? "y" : "ies");
    return S_EXIT_OK;
}

static const s_command_t s_commands[] = {
    {"init", s_run_init, S_OPT_KEYSTORE | S_OPT_PASS_FILE | S_OPT_PASS_ENV, S_OPT_KEYSTORE,
     "create an empty keystore (asks for the passphrase twice on a terminal)"},
    {"add", s_run_add,
     S_OPT_KEYSTORE | S_OPT_PASS_FILE | S_OPT_PASS_ENV | S_OPT_VENUE | S_OPT_ACCOUNT,
     S_OPT_KEYSTORE | S_OPT_VENUE | S_OPT_ACCOUNT,
     "add an account; reads API key, secret [, passphrase for okx] from stdin, one per line"},
    {"list", s_run_list, S_OPT_KEYSTORE | S_OPT_PASS_FILE | S_OPT_PASS_ENV, S_OPT_KEYSTORE,
     "show venue, account and a masked API key for each entry"},
    {"remove", s_run_remove, S_OPT_KEYSTORE | S_OPT_PASS_FILE | S_OPT_PASS_ENV | S_OPT_ACCOUNT,
     S_OPT_KEYSTORE | S_OPT_ACCOUNT, "remove an account"},
    {"rotate-passphrase", s_run_rotate,
     S_OPT_KEYSTORE | S_OPT_PASS_FILE | S_OPT_PASS_ENV | S_OPT_NEW_PASS_FILE | S_OPT_NEW_PASS_ENV,
     S_OPT_KEYSTORE, "re-encrypt the keystore under a new passphrase"},
    {"verify", s_run_verify, S_OPT_KEYSTORE | S_OPT_PASS_FILE | S_OPT_PASS_ENV, S_OPT_KEYSTORE,
     "open the keystore and check every entry is complete"},
};
#define S_COMMAND_COUNT (sizeof (s_commands) / sizeof (s_commands[0]))

//  --------------------------------------------------------------------------
//  Print the usage text, from the tables.

static void
s_usage (FILE *stream)
{
    fprintf (stream, "usage: %s COMMAND --keystore PATH [options]\n\ncommands:\n", S_TOOL);
    for (size_t index = 0; index < S_COMMAND_COUNT; index++)
        fprintf (stream, "  %-18s %s\n", s_commands[index].name, s_commands[index].help);
    fprintf (stream, "\noptions:\n");
    for (size_t index = 0; index < S_OPTION_COUNT; index++)
        fprintf (stream, "  %-22s %s\n", s_options[index].name, s_options[index].help);
    fprintf (stream, "\nWithout --passphrase-file or --passphrase-env the passphrase is asked on "
                     "the terminal.\nPassphrases and secrets are never accepted on the command "
                     "line.\n");
}

//  --------------------------------------------------------------------------
//  Parse argv into args and find the command. Returns it, or NULL after
//  printing the problem.

static const s_command_t *
s_parse (int argc, char *argv[], s_args_t *args)
{
    unsigned given = 0;
    for (int index = 1; index < argc; index++) {
        const char *word = argv[index];
        if (strncmp (word, "--", 2) != 0) {
            if (args->command) {
                //  Not echoed: it may be a secret typed by mistake.
                s_fail (args, "unexpected argument at position %d", index);
                return NULL;
            }
            args->command = word;
            continue;
        }
        const s_option_t *option = NULL;
        for (size_t at = 0; at < S_OPTION_COUNT && !option; at++)
            if (strcmp (s_options[at].name, word) == 0)
                option = &s_options[at];
        if (!option) {
            //  Do not echo the word: it may be a secret typed by mistake.
            s_fail (args, "unknown option (secrets and passphrases are never taken from the "
                          "command line; see --help)");
            return NULL;
        }
        if (index + 1 >= argc || argv[index + 1][0] == '\0') {
            s_fail (args, "%s needs a value", option->name);
            return NULL;
        }
        if (given & option->mask) {
            s_fail (args, "%s given twice", option->name);
            return NULL;
        }
        given |= option->mask;
        *(const char **)((char *)args + option->offset) = argv[++index];
    }
    if (!args->command) {
        s_fail (args, "no command given");
        return NULL;
    }
    const s_command_t *command = NULL;
    for (size_t at = 0; at < S_COMMAND_COUNT && !command; at++)
        if (strcmp (s_commands[at].name, args->command) == 0)
            command = &s_commands[at];
    if (!command) {
        s_fail (args, "unknown command");
        return NULL;
    }
    for (size_t at = 0; at < S_OPTION_COUNT; at++) {
        if ((given & s_options[at].mask) && !(command->allowed & s_options[at].mask)) {
            s_fail (args, "%s does not apply to %s", s_options[at].name, command->name);
            return NULL;
        }
        if ((command->required & s_options[at].mask) && !(given & s_options[at].mask)) {
            s_fail (args, "%s is required", s_options[at].name);
            return NULL;
        }
    }
    return command;
}

//  --------------------------------------------------------------------------
//  Harden the process, parse the command line and run the command.

int
main (int argc, char *argv[])
{
    //  No core file may hold a decrypted secret, and other users' processes
    //  may not ptrace us or read our memory.
    struct rlimit no_core = {0, 0};
    (void)setrlimit (RLIMIT_CORE, &no_core);
    (void)prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "help") == 0)) {
        s_usage (stdout);
        return S_EXIT_OK;
    }
    s_args_t args = {0};
    const s_command_t *command = s_parse (argc, argv, &args);
    if (!command)
        return S_EXIT_USAGE;
    int rc = command->run (&args);
    if (fflush (stdout) != 0) {
        s_fail (&args, "cannot write to stdout");
        rc = S_EXIT_FAIL;
    }
    return rc;
}
