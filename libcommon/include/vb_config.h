/*  vb_config.h — table-driven configuration: default < ZPL file < VB_* env < argv.

    A service declares every key once, in a const table (house style 3.8):

        static const char *const s_levels[] = {"error", "warning", "notice", NULL};
        static const vb_config_key_t s_keys[] = {
            {.name = "router/endpoint", .type = VB_CONFIG_ENDPOINT,
             .flags = VB_CONFIG_REQUIRED, .help = "ROUTER endpoint for strategies"},
            {.name = "router/workers", .type = VB_CONFIG_INT, .fallback = "2",
             .min = 1, .max = 64, .help = "worker threads"},
            {.name = "log/level", .type = VB_CONFIG_ENUM, .fallback = "notice",
             .values = s_levels, .help = "most verbose log level"},
        };

    Where a value comes from, lowest precedence first:
    1. the table's fallback (the built-in default);
    2. the ZPL file named by --config FILE (or by the environment variable
       VB_CONFIG when there is no --config), read with czmq's zconfig. In
       the file a key is its path: "router/endpoint" is
           router
               endpoint = "tcp://127.0.0.1:5555"
    3. the environment: VB_ + the path upper-cased, with '/' and '-' turned
       into '_' ("router/endpoint" -> VB_ROUTER_ENDPOINT). VB_* variables
       that name no key are ignored (other services share the environment);
    4. the command line. Each key has two flags: the full path with '/' and
       '_' turned into '-' ("router/endpoint" -> --router-endpoint,
       "gateway/rest_url" -> --gateway-rest-url), and the short flag, the last
       path component alone (--endpoint, --rest-url), accepted only when no
       other key in the table has the same last component. A value follows
       as the next argument or after '=' (--endpoint=tcp://...). A token that
       starts with "--" is never taken as a value; write --key=--text for
       that. A bool flag alone (at the end, or followed by another "--" flag)
       means true. A flag given twice keeps the last value. --help (or -h)
       stops loading and sets vb_config_help_requested.

    Values are checked as they are read, and loading stops at the first bad
    one, with a message from vb_config_error that names the key, the reason
    and where the value came from; values of SECRET keys are never quoted.
    Unknown keys in the file (all of them, by path), unknown flags, bad
    numbers, bools, durations, endpoints and enum values, duplicate keys in
    the file, a missing REQUIRED key and an unreadable or malformed file are
    all load errors.

    Repeated blocks, such as the router's accounts, are sections: a path
    ("account") whose children are named instances, each holding the keys of
    a sub-table:
        account
            main
                venue = binance
    Instance names are 1..VB_CONFIG_NAME_MAX characters of [A-Za-z0-9_-].
    Instances exist only in the file, but their values can be overridden from
    the environment: VB_ACCOUNT_MAIN_VENUE (name upper-cased, '-' -> '_').

    Types and the text they accept:
    - STRING: anything (an empty value counts as missing for REQUIRED keys);
    - INT: optional sign and decimal digits, int64, then min..max;
    - BOOL: true/false, yes/no, on/off, 1/0, any case;
    - DURATION_MS: digits with an optional unit ms, s, m or h (none means
      ms), in milliseconds, then min..max;
    - ENDPOINT: a ZeroMQ endpoint, optionally prefixed by czmq's '@' (bind)
      or '>' (connect): tcp://HOST:PORT (PORT 0..65535 or '*'; HOST a name,
      an address, '*' or [v6]), ipc://PATH or inproc://NAME;
    - ENUM: exactly one of the key's values.

    Threading: load once in main, then hand the object to actors read-only.
    Every getter is const and safe from any number of threads at once.
    This class never logs; main prints vb_config_error and exits non-zero.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_CONFIG_H_INCLUDED
#define VB_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_config_t vb_config_t;

//  Type of a key's value. 0 is reserved for "unset".
typedef enum {
    VB_CONFIG_STRING = 1,       //  Any text
    VB_CONFIG_INT = 2,          //  int64 within min..max
    VB_CONFIG_BOOL = 3,         //  true/false, yes/no, on/off, 1/0
    VB_CONFIG_DURATION_MS = 4,  //  "250", "250ms", "5s", "2m", "1h" -> milliseconds
    VB_CONFIG_ENDPOINT = 5,     //  ZeroMQ endpoint (see above)
    VB_CONFIG_ENUM = 6,         //  One of the key's values
} vb_config_type_t;

//  Where a value came from. 0 means the key has no value.
typedef enum {
    VB_CONFIG_UNSET = 0,    //  No default and not set anywhere
    VB_CONFIG_DEFAULT = 1,  //  The table's fallback
    VB_CONFIG_FILE = 2,     //  The ZPL file
    VB_CONFIG_ENV = 3,      //  A VB_* environment variable
    VB_CONFIG_ARGV = 4,     //  The command line
} vb_config_source_t;

//  Key flags.
#define VB_CONFIG_REQUIRED (1u << 0)  //  Loading fails unless it has a value
#define VB_CONFIG_SECRET   (1u << 1)  //  Printed and reported as ***

//  Longest key path, section path or instance name, in characters.
#define VB_CONFIG_NAME_MAX 128
//  Size of the error message buffer, with its NUL.
#define VB_CONFIG_ERROR_MAX 1024
//  Shown instead of a SECRET value.
#define VB_CONFIG_MASK "***"

//  One key. Tables are const data owned by the caller, and must outlive the
//  vb_config_t that uses them.
typedef struct {
    const char *name;           //  Path: [a-z0-9_-] components joined by '/'
    vb_config_type_t type;      //  What the value must look like
    const char *fallback;       //  Built-in default as text, or NULL for none
    unsigned flags;             //  VB_CONFIG_REQUIRED, VB_CONFIG_SECRET
    int64_t min;                //  INT, DURATION_MS: smallest allowed value
    int64_t max;                //  INT, DURATION_MS: largest; min = max = 0: no limit
    const char *const *values;  //  ENUM: allowed values, NULL-terminated
    const char *help;           //  One line for --help and the example file
} vb_config_key_t;

//  One value as printed: borrowed strings, valid until destroy.
typedef struct {
    const char *name;           //  Path, e.g. "router/endpoint" or "account/main/venue"
    const char *value;          //  Value text, VB_CONFIG_MASK for secrets, NULL if unset
    vb_config_source_t source;  //  Where it came from
    bool secret;                //  The key is SECRET
} vb_config_entry_t;

//  Create a config for `count` keys of `table` (borrowed; it must outlive
//  the object). Returns NULL when the table itself is wrong, which is a bug
//  in the service: a bad or duplicate name, a name that makes the flag
//  --config or --help, an unknown type, an ENUM without values, min > max,
//  or a fallback that its own type rejects.
vb_config_t *vb_config_new (const vb_config_key_t *table, size_t count);

//  Destroy the config, wiping every value, and set *self_p to NULL. Safe to
//  call twice.
void vb_config_destroy (vb_config_t **self_p);

//  Declare a section path (e.g. "account") whose instances hold the keys of
//  `table` (borrowed, as above). Call before vb_config_load. Returns 0, or
//  VB_EINVAL if the path or the table is wrong (as for vb_config_new) or the
//  path equals or contains a key or another section, and VB_ESTATE after
//  loading.
int vb_config_add_section (vb_config_t *self, const char *path, const vb_config_key_t *table,
                           size_t count);

//  Load the values: the file, then the environment, then argv (argv[0] is the
//  program name and is skipped; argv is not modified), then check REQUIRED
//  keys. envp is a NULL-terminated "NAME=value" array, or NULL for the
//  process environment. Returns 0; VB_EINVAL for a bad value, unknown key or
//  flag, or malformed file; VB_EIO when the file cannot be read (or is not a
//  regular file); VB_ELIMIT when it is larger than 1 MiB;
//  VB_ENOTFOUND when a REQUIRED key has no value; VB_ESTATE if called twice.
//  On error vb_config_error explains it and the getters must not be used.
//  With --help, returns 0 at once without reading the file or checking keys.
int vb_config_load (vb_config_t *self, int argc, char **argv, char **envp);

//  Return the last load error ("" if none). Borrowed.
const char *vb_config_error (vb_config_t *self);

//  True if the command line asked for --help (or -h).
bool vb_config_help_requested (vb_config_t *self);

//  Return the file that was loaded, or NULL. Borrowed.
const char *vb_config_file (vb_config_t *self);

//  Value of a key as text (for every type, the text as given; for ENUM the
//  value), or NULL when it has no value. The name must be in the table
//  (asserted: a typo is a bug). Borrowed, valid until destroy.
const char *vb_config_str (vb_config_t *self, const char *name);

//  Value of an INT key, or of a DURATION_MS key in milliseconds; 0 when it
//  has no value. Asserts the name and the type.
int64_t vb_config_int (vb_config_t *self, const char *name);

//  Value of a BOOL key; false when it has no value. Asserts name and type.
bool vb_config_bool (vb_config_t *self, const char *name);

//  True if the key has a value (from any source, the default included).
bool vb_config_has (vb_config_t *self, const char *name);

//  Where the key's value came from.
vb_config_source_t vb_config_source (vb_config_t *self, const char *name);

//  Return "default", "file", "env", "argv" or "unset".
const char *vb_config_source_name (vb_config_source_t source);

//  Number of instances of a section in the loaded file (0 if none, or if the
//  path is not a declared section).
size_t vb_config_section_count (vb_config_t *self, const char *path);

//  Name of instance `index` of a section, in file order, or NULL if out of
//  range. Borrowed. Use with vb_config_section_count to iterate: there is no
//  cursor, so several threads can iterate at once.
const char *vb_config_section_name (vb_config_t *self, const char *path, size_t index);

//  Values of a key of a section instance, as vb_config_str/int/bool. The
//  path and key must be declared (asserted); an unknown instance name gives
//  NULL, 0 or false.
const char *vb_config_section_str (vb_config_t *self, const char *path, const char *name,
                                   const char *key);
int64_t vb_config_section_int (vb_config_t *self, const char *path, const char *name,
                               const char *key);
bool vb_config_section_bool (vb_config_t *self, const char *path, const char *name,
                             const char *key);

//  Number of printable entries: every key, then every key of every section
//  instance.
size_t vb_config_entry_count (vb_config_t *self);

//  Fill *entry with entry `index` (secrets masked). Returns 0, or
//  VB_ENOTFOUND if index is out of range. For main to log the effective
//  config at notice level, one line per key.
int vb_config_entry (vb_config_t *self, size_t index, vb_config_entry_t *entry);

//  Print the effective config, one "name = value (source)" line per entry,
//  with SECRET values as *** and values quoted when they hold spaces or
//  quotes.
void vb_config_print (vb_config_t *self, FILE *file);

//  Print --help text generated from the tables: every flag with its type or
//  values, default, REQUIRED mark, help line, file path and environment name.
void vb_config_help (vb_config_t *self, FILE *file);

#ifdef __cplusplus
}
#endif
#endif
