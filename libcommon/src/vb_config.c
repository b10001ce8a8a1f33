/*  vb_config.c — table-driven configuration: default < ZPL file < VB_* env < argv.

    vb_config_load runs in this order: parse argv into pending assignments
    (so --config and --help are found exactly, and flag errors come first),
    read the file and walk its tree against the tables, read the environment,
    apply the pending argv values, then check REQUIRED keys. Every value is
    parsed as it is stored, so a getter never fails.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <czmq.h>
#include "vb_config.h"
#include "vb_error.h"

extern char **environ;

//  Prefix of every environment variable we read.
#define S_ENV_PREFIX "VB_"
//  Environment variable naming the file when --config is absent.
#define S_ENV_CONFIG "VB_CONFIG"
//  Flags the loader keeps for itself.
#define S_FLAG_CONFIG "config"
#define S_FLAG_HELP   "help"
//  Most characters of a bad value quoted in an error message.
#define S_QUOTE_MAX 64
//  Largest TCP port.
#define S_PORT_MAX 65535
//  Milliseconds per unit of a duration.
#define S_MS_PER_S 1000
#define S_MS_PER_M (60 * S_MS_PER_S)
#define S_MS_PER_H (60 * S_MS_PER_M)
//  Room for a reason or an origin in an error message.
#define S_REASON_MAX 256
//  Largest config file read, in bytes.
#define S_FILE_MAX (1024 * 1024)

typedef struct {
    const vb_config_key_t *key;  //  Table row
    char *path;                  //  Full path: the key name, or section/instance/key
    char *env_name;              //  VB_* variable that overrides it
    char *short_flag;            //  Last component as a flag, or NULL (ambiguous, or section)
    char *long_flag;             //  Full path as a flag, or NULL (section)
    char *value;                 //  Text as given, or NULL
    int64_t number;              //  Parsed INT, DURATION_MS or BOOL
    vb_config_source_t source;   //  Where value came from
} s_value_t;

typedef struct {
    char *name;         //  Instance name as written in the file
    s_value_t *values;  //  One per key of the section's table
} s_instance_t;

typedef struct {
    char *path;                    //  Section path, e.g. "account"
    const vb_config_key_t *table;  //  Keys of each instance (borrowed)
    size_t count;                  //  Keys in table
    s_instance_t *instances;       //  Instances found in the file
    size_t instance_count;         //  Entries in instances
} s_section_t;

typedef struct {
    size_t index;        //  Key in the main table
    const char *value;   //  Borrowed from argv
    const char *flag;    //  Borrowed from argv, for error messages (up to '=')
    size_t flag_length;  //  Length of flag
} s_pending_t;

struct _vb_config_t {
    const vb_config_key_t *table;     //  Main keys (borrowed)
    size_t count;                     //  Keys in table
    s_value_t *values;                //  One per key
    s_section_t *sections;            //  Declared sections
    size_t section_count;             //  Entries in sections
    char *file;                       //  File loaded, or NULL
    bool loaded;                      //  vb_config_load ran
    bool help;                        //  --help seen
    char error[VB_CONFIG_ERROR_MAX];  //  Last load error, or ""
};

static const char *const s_true_words[] = {"true", "yes", "on", "1", NULL};
static const char *const s_false_words[] = {"false", "no", "off", "0", NULL};

//  --------------------------------------------------------------------------
//  Copy a string; abort on out-of-memory, as zmalloc does.

static char *
s_strdup (const char *text)
{
    char *copy = strdup (text);
    if (!copy)
        abort ();
    return copy;
}

//  --------------------------------------------------------------------------
//  Format the error message.

static int s_fail (vb_config_t *self, int rc, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_fail (vb_config_t *self, int rc, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof (self->error), format, args);
    va_end (args);
    return rc;
}

//  --------------------------------------------------------------------------
//  Wipe and free a string.

static void
s_wipe_free (char **text_p)
{
    if (*text_p) {
        explicit_bzero (*text_p, strlen (*text_p));
        free (*text_p);
        *text_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  True if name is one path component: 1+ characters of [a-z0-9_-].

static bool
s_component_valid (const char *name, size_t length)
{
    if (length == 0)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  True if path is components joined by '/', no longer than the maximum.

static bool
s_path_valid (const char *path)
{
    if (!path || strlen (path) > VB_CONFIG_NAME_MAX)
        return false;
    const char *start = path;
    while (true) {
        const char *slash = strchr (start, '/');
        size_t length = slash ? (size_t)(slash - start) : strlen (start);
        if (!s_component_valid (start, length))
            return false;
        if (!slash)
            return true;
        start = slash + 1;
    }
}

//  --------------------------------------------------------------------------
//  True if `prefix` is a whole-component prefix of `path`, or equal to it.

static bool
s_path_within (const char *path, const char *prefix)
{
    size_t length = strlen (prefix);
    return strncmp (path, prefix, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

//  --------------------------------------------------------------------------
//  Return a new string: text with each byte passed through a mapping of
//  '/', '-' and '_', and optionally upper-cased.

static char *
s_mapped (const char *text, char slash, char dash, char underscore, bool upper)
{
    char *copy = s_strdup (text);
    for (char *c = copy; *c; c++) {
        if (*c == '/')
            *c = slash;
        else if (*c == '-')
            *c = dash;
        else if (*c == '_')
            *c = underscore;
        else if (upper)
            *c = (char)toupper ((unsigned char)*c);
    }
    return copy;
}

//  --------------------------------------------------------------------------
//  Return a new "VB_<path>" environment name.

static char *
s_env_name (const char *path)
{
    char *mapped = s_mapped (path, '_', '_', '_', true);
    char *name = (char *)zmalloc (strlen (S_ENV_PREFIX) + strlen (mapped) + 1);
    strcpy (name, S_ENV_PREFIX);
    strcat (name, mapped);
    free (mapped);
    return name;
}

//  --------------------------------------------------------------------------
//  Parse an int64: optional sign, decimal digits, nothing else.

static int
s_parse_int64 (const char *text, int64_t *out)
{
    const char *cursor = text;
    bool negative = false;
    if (*cursor == '+' || *cursor == '-')
        negative = *cursor++ == '-';
    if (!isdigit ((unsigned char)*cursor))
        return VB_EINVAL;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t total = 0;
    for (; isdigit ((unsigned char)*cursor); cursor++) {
        uint64_t digit = (uint64_t)(*cursor - '0');
        if (total > (limit - digit) / 10)
            return VB_EOVERFLOW;
        total = total * 10 + digit;
    }
    if (*cursor)
        return VB_EINVAL;
    if (negative)
        *out = total == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)total;
    else
        *out = (int64_t)total;
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Parse a duration: digits and an optional unit (ms, s, m, h; none = ms).

static int
s_parse_duration (const char *text, int64_t *out)
{
    if (!isdigit ((unsigned char)*text))
        return VB_EINVAL;
    int64_t total = 0;
    const char *cursor = text;
    for (; isdigit ((unsigned char)*cursor); cursor++)
        if (__builtin_mul_overflow (total, 10, &total) ||
            __builtin_add_overflow (total, *cursor - '0', &total))
            return VB_EOVERFLOW;
    int64_t scale;
    if (*cursor == '\0' || streq (cursor, "ms"))
        scale = 1;
    else if (streq (cursor, "s"))
        scale = S_MS_PER_S;
    else if (streq (cursor, "m"))
        scale = S_MS_PER_M;
    else if (streq (cursor, "h"))
        scale = S_MS_PER_H;
    else
        return VB_EINVAL;
    if (__builtin_mul_overflow (total, scale, out))
        return VB_EOVERFLOW;
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  True if text has no control characters.

static bool
s_printable (const char *text)
{
    for (; *text; text++)
        if ((unsigned char)*text < 0x20 || *text == 0x7f)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  True if text is a ZeroMQ endpoint we accept (see the header).

static bool
s_endpoint_valid (const char *text)
{
    if (*text == '@' || *text == '>')
        text++;
    if (!s_printable (text) || strchr (text, ' '))
        return false;
    if (strncmp (text, "ipc://", 6) == 0)
        return text[6] != '\0';
    if (strncmp (text, "inproc://", 9) == 0)
        return text[9] != '\0';
    if (strncmp (text, "tcp://", 6) != 0)
        return false;
    const char *host = text + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host)
        return false;
    size_t host_length = (size_t)(colon - host);
    if (host[0] == '[') {
        if (host_length < 3 || host[host_length - 1] != ']')
            return false;
        for (size_t i = 1; i + 1 < host_length; i++)
            if (!isxdigit ((unsigned char)host[i]) && host[i] != ':' && host[i] != '.')
                return false;
    } else
        for (size_t i = 0; i < host_length; i++) {
            char c = host[i];
            if (!isalnum ((unsigned char)c) && c != '.' && c != '-' && c != '_' && c != '*')
                return false;
        }
    const char *port = colon + 1;
    if (streq (port, "*"))
        return true;
    size_t digits = strlen (port);
    if (digits == 0 || digits > 5)
        return false;
    int number = 0;
    for (size_t i = 0; i < digits; i++) {
        if (!isdigit ((unsigned char)port[i]))
            return false;
        number = number * 10 + (port[i] - '0');
    }
    return number <= S_PORT_MAX;
}

//  --------------------------------------------------------------------------
//  True if word is in a NULL-terminated list (case-insensitive or not).

static bool
s_word_in (const char *word, const char *const *list, bool any_case)
{
    for (; list && *list; list++)
        if (any_case ? strcasecmp (word, *list) == 0 : streq (word, *list))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Parse text for a key. Returns 0 and the number (INT, DURATION_MS, BOOL),
//  or an error code with a reason that never quotes the value.

static int
s_parse (const vb_config_key_t *key, const char *text, int64_t *number, char *reason,
         size_t reason_size)
{
    int rc = VB_OK;
    *number = 0;
    switch (key->type) {
        case VB_CONFIG_STRING:
            break;
        case VB_CONFIG_INT:
        case VB_CONFIG_DURATION_MS:
            rc = key->type == VB_CONFIG_INT ? s_parse_int64 (text, number)
                                            : s_parse_duration (text, number);
            if (rc == VB_EINVAL)
                snprintf (reason, reason_size, "%s",
                          key->type == VB_CONFIG_INT
                              ? "is not an integer"
                              : "is not a duration (digits and ms, s, m or h)");
            else if (rc == VB_EOVERFLOW)
                snprintf (reason, reason_size, "is too large");
            else if ((key->min || key->max) && (*number < key->min || *number > key->max)) {
                snprintf (reason, reason_size, "is out of range %" PRId64 "..%" PRId64 "%s",
                          key->min, key->max, key->type == VB_CONFIG_INT ? "" : " ms");
                rc = VB_EOVERFLOW;
            }
            break;
        case VB_CONFIG_BOOL:
            if (s_word_in (text, s_true_words, true))
                *number = 1;
            else if (!s_word_in (text, s_false_words, true)) {
                snprintf (reason, reason_size, "is not a bool (true/false, yes/no, on/off, 1/0)");
                rc = VB_EINVAL;
            }
            break;
        case VB_CONFIG_ENDPOINT:
            if (!s_endpoint_valid (text)) {
                snprintf (reason, reason_size,
                          "is not an endpoint (tcp://HOST:PORT, ipc://PATH or inproc://NAME)");
                rc = VB_EINVAL;
            }
            break;
        case VB_CONFIG_ENUM:
            if (!s_word_in (text, key->values, false)) {
                size_t used = (size_t)snprintf (reason, reason_size, "is not one of:");
                for (const char *const *value = key->values; *value && used < reason_size; value++)
                    used += (size_t)snprintf (reason + used, reason_size - used, " %s", *value);
                rc = VB_EINVAL;
            }
            break;
        default:
            snprintf (reason, reason_size, "has an unknown type");
            rc = VB_ETYPE;
    }
    return rc < 0 ? rc : VB_OK;
}

//  --------------------------------------------------------------------------
//  Store a value after parsing it; on failure set the error naming the key,
//  the value (unless secret) and its origin.

static int
s_value_set (vb_config_t *self, s_value_t *slot, const char *text, vb_config_source_t source,
             const char *origin)
{
    char reason[S_REASON_MAX] = "";
    int64_t number;
    int rc = s_parse (slot->key, text, &number, reason, sizeof (reason));
    if (rc) {
        if (slot->key->flags & VB_CONFIG_SECRET)
            return s_fail (self, VB_EINVAL, "%s: the value from %s %s", slot->path, origin, reason);
        size_t length = strlen (text);
        return s_fail (self, VB_EINVAL, "%s: \"%.*s%s\" from %s %s", slot->path,
                       (int)(length > S_QUOTE_MAX ? S_QUOTE_MAX : length), text,
                       length > S_QUOTE_MAX ? "..." : "", origin, reason);
    }
    char *copy = s_strdup (text);
    s_wipe_free (&slot->value);
    slot->value = copy;
    slot->number = number;
    slot->source = source;
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Fill a value slot for a key: names, flags and the default.

static void
s_value_init (s_value_t *slot, const vb_config_key_t *key, const char *path, bool flags)
{
    slot->key = key;
    slot->path = s_strdup (path);
    slot->env_name = s_env_name (path);
    if (flags) {
        slot->long_flag = s_mapped (path, '-', '-', '-', false);
        const char *slash = strrchr (path, '/');
        slot->short_flag = s_mapped (slash ? slash + 1 : path, '/', '-', '-', false);
    }
}

//  --------------------------------------------------------------------------
//  Apply a key's default; false if the table's fallback is bad.

static bool
s_value_default (s_value_t *slot)
{
    if (!slot->key->fallback)
        return true;
    char reason[S_REASON_MAX];
    int64_t number;
    if (s_parse (slot->key, slot->key->fallback, &number, reason, sizeof (reason)))
        return false;
    slot->value = s_strdup (slot->key->fallback);
    slot->number = number;
    slot->source = VB_CONFIG_DEFAULT;
    return true;
}

//  --------------------------------------------------------------------------
//  Free a slot's strings.

static void
s_value_clear (s_value_t *slot)
{
    s_wipe_free (&slot->value);
    free (slot->path);
    free (slot->env_name);
    free (slot->short_flag);
    free (slot->long_flag);
    memset (slot, 0, sizeof (*slot));
}

//  --------------------------------------------------------------------------
//  True if a table row is well formed (name checked by the caller).

static bool
s_key_valid (const vb_config_key_t *key)
{
    if (key->type < VB_CONFIG_STRING || key->type > VB_CONFIG_ENUM || key->min > key->max)
        return false;
    if (key->type == VB_CONFIG_ENUM && (!key->values || !key->values[0]))
        return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Create the config and check the table.

vb_config_t *
vb_config_new (const vb_config_key_t *table, size_t count)
{
    if (!table && count)
        return NULL;
    vb_config_t *self = (vb_config_t *)zmalloc (sizeof (vb_config_t));
    self->table = table;
    self->count = count;
    self->values = (s_value_t *)zmalloc ((count ? count : 1) * sizeof (s_value_t));
    for (size_t i = 0; i < count; i++) {
        const vb_config_key_t *key = &table[i];
        if (!s_path_valid (key->name) || !s_key_valid (key))
            goto failed;
        s_value_init (&self->values[i], key, key->name, true);
        if (!s_value_default (&self->values[i]))
            goto failed;
        s_value_t *slot = &self->values[i];
        if (streq (slot->long_flag, S_FLAG_CONFIG) || streq (slot->long_flag, S_FLAG_HELP))
            goto failed;
        for (size_t j = 0; j < i; j++)
            if (streq (self->values[j].long_flag, slot->long_flag) ||
                streq (self->values[j].env_name, slot->env_name) ||
                s_path_within (slot->path, self->values[j].path) ||
                s_path_within (self->values[j].path, slot->path))
                goto failed;  //  Duplicate, or one key is a section of another
    }
    //  A short flag is usable only if it names exactly one key. Decide for
    //  every key before dropping any, since the test reads the others.
    bool *unique = (bool *)zmalloc ((count ? count : 1) * sizeof (bool));
    for (size_t i = 0; i < count; i++) {
        s_value_t *slot = &self->values[i];
        unique[i] =
            !streq (slot->short_flag, S_FLAG_CONFIG) && !streq (slot->short_flag, S_FLAG_HELP);
        for (size_t j = 0; j < count && unique[i]; j++)
            if (j != i && (streq (self->values[j].short_flag, slot->short_flag) ||
                           streq (self->values[j].long_flag, slot->short_flag)))
                unique[i] = false;
    }
    for (size_t i = 0; i < count; i++)
        if (!unique[i])
            zstr_free (&self->values[i].short_flag);
    free (unique);
    return self;

failed:
    vb_config_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Free a section and its instances.

static void
s_section_clear (s_section_t *section)
{
    for (size_t i = 0; i < section->instance_count; i++) {
        s_instance_t *instance = &section->instances[i];
        for (size_t k = 0; k < section->count; k++)
            s_value_clear (&instance->values[k]);
        free (instance->values);
        free (instance->name);
    }
    free (section->instances);
    free (section->path);
    memset (section, 0, sizeof (*section));
}

//  --------------------------------------------------------------------------
//  Destroy, wiping values.

void
vb_config_destroy (vb_config_t **self_p)
{
    assert (self_p);
    vb_config_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->section_count; i++)
            s_section_clear (&self->sections[i]);
        free (self->sections);
        for (size_t i = 0; i < self->count; i++)
            s_value_clear (&self->values[i]);
        free (self->values);
        free (self->file);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Declare a section.

int
vb_config_add_section (vb_config_t *self, const char *path, const vb_config_key_t *table,
                       size_t count)
{
    assert (self);
    if (self->loaded)
        return VB_ESTATE;
    if (!s_path_valid (path) || !table || count == 0)
        return VB_EINVAL;
    for (size_t i = 0; i < self->count; i++)
        if (s_path_within (self->values[i].path, path) ||
            s_path_within (path, self->values[i].path))
            return VB_EINVAL;
    for (size_t i = 0; i < self->section_count; i++)
        if (s_path_within (self->sections[i].path, path) ||
            s_path_within (path, self->sections[i].path))
            return VB_EINVAL;
    for (size_t k = 0; k < count; k++) {
        const vb_config_key_t *key = &table[k];
        if (!key->name || !s_component_valid (key->name, strlen (key->name)) ||
            strlen (key->name) > VB_CONFIG_NAME_MAX || !s_key_valid (key))
            return VB_EINVAL;
        s_value_t probe = {0};
        s_value_init (&probe, key, key->name, false);
        bool good = s_value_default (&probe);
        s_value_clear (&probe);
        if (!good)
            return VB_EINVAL;
        for (size_t j = 0; j < k; j++) {
            char *mine = s_env_name (key->name);
            char *theirs = s_env_name (table[j].name);
            good = !streq (mine, theirs);
            free (mine);
            free (theirs);
            if (!good)
                return VB_EINVAL;
        }
    }
    s_section_t *grown =
        (s_section_t *)realloc (self->sections, (self->section_count + 1) * sizeof (s_section_t));
    if (!grown)
        return VB_ENOMEM;
    self->sections = grown;
    s_section_t *section = &self->sections[self->section_count++];
    memset (section, 0, sizeof (*section));
    section->path = s_strdup (path);
    section->table = table;
    section->count = count;
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Find a main key by path, or NULL.

static s_value_t *
s_find (vb_config_t *self, const char *path)
{
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->values[i].path, path))
            return &self->values[i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Find a section by path, or NULL.

static s_section_t *
s_section_find (vb_config_t *self, const char *path)
{
    for (size_t i = 0; i < self->section_count; i++)
        if (streq (self->sections[i].path, path))
            return &self->sections[i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  True if path is the parent of some key or section (an inner node).

static bool
s_is_inner (vb_config_t *self, const char *path)
{
    for (size_t i = 0; i < self->count; i++)
        if (s_path_within (self->values[i].path, path) && !streq (self->values[i].path, path))
            return true;
    for (size_t i = 0; i < self->section_count; i++)
        if (s_path_within (self->sections[i].path, path) && !streq (self->sections[i].path, path))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Check a ZPL node's name and that no earlier sibling has the same name.

static int
s_check_node (vb_config_t *self, zconfig_t *parent, zconfig_t *node, const char *path)
{
    const char *name = zconfig_name (node);
    if (!name || !*name || strchr (name, '/'))
        return s_fail (self, VB_EINVAL, "%s: %s: bad name \"%s\" (nest sections instead of '/')",
                       self->file, path, name ? name : "");
    for (zconfig_t *sibling = zconfig_child (parent); sibling != node;
         sibling = zconfig_next (sibling))
        if (streq (zconfig_name (sibling), name))
            return s_fail (self, VB_EINVAL, "%s: duplicate key %s", self->file, path);
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  True if a ZPL node carries a value.

static bool
s_node_has_value (zconfig_t *node)
{
    const char *value = zconfig_value (node);
    return value && *value;
}

//  --------------------------------------------------------------------------
//  Load the instances of one section from its ZPL node.

static int
s_load_section (vb_config_t *self, s_section_t *section, zconfig_t *node)
{
    size_t count = 0;
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child))
        count++;
    section->instances = (s_instance_t *)zmalloc ((count ? count : 1) * sizeof (s_instance_t));
    char origin[VB_CONFIG_NAME_MAX + S_REASON_MAX];
    snprintf (origin, sizeof (origin), "file %s", self->file);
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        const char *name = zconfig_name (child);
        char path[3 * VB_CONFIG_NAME_MAX + 3];
        snprintf (path, sizeof (path), "%s/%s", section->path, name ? name : "");
        int rc = s_check_node (self, node, child, path);
        if (rc)
            return rc;
        if (strlen (name) > VB_CONFIG_NAME_MAX)
            return s_fail (self, VB_EINVAL, "%s: %s: instance name is too long", self->file, path);
        for (const char *c = name; *c; c++)
            if (!isalnum ((unsigned char)*c) && *c != '_' && *c != '-')
                return s_fail (self, VB_EINVAL,
                               "%s: %s: instance names may hold only letters, digits, '_' and "
                               "'-'",
                               self->file, path);
        if (s_node_has_value (child))
            return s_fail (self, VB_EINVAL, "%s: %s: expected a section, found a value", self->file,
                           path);
        s_instance_t *instance = &section->instances[section->instance_count++];
        instance->name = s_strdup (name);
        instance->values = (s_value_t *)zmalloc (section->count * sizeof (s_value_t));
        for (size_t k = 0; k < section->count; k++) {
            char key_path[sizeof (path) + VB_CONFIG_NAME_MAX + 1];
            snprintf (key_path, sizeof (key_path), "%s/%s", path, section->table[k].name);
            s_value_init (&instance->values[k], &section->table[k], key_path, false);
            //  vb_config_add_section checked that every default parses.
            s_value_default (&instance->values[k]);
        }
        for (zconfig_t *leaf = zconfig_child (child); leaf; leaf = zconfig_next (leaf)) {
            const char *leaf_name = zconfig_name (leaf);
            char leaf_path[sizeof (path) + VB_CONFIG_NAME_MAX + 1];
            snprintf (leaf_path, sizeof (leaf_path), "%s/%s", path, leaf_name ? leaf_name : "");
            rc = s_check_node (self, child, leaf, leaf_path);
            if (rc)
                return rc;
            s_value_t *slot = NULL;
            for (size_t k = 0; k < section->count && !slot; k++)
                if (streq (section->table[k].name, leaf_name))
                    slot = &instance->values[k];
            if (!slot)
                return s_fail (self, VB_EINVAL, "%s: unknown key %s", self->file, leaf_path);
            if (zconfig_child (leaf))
                return s_fail (self, VB_EINVAL, "%s: %s: expected a value, found a section",
                               self->file, leaf_path);
            rc = s_value_set (self, slot, zconfig_value (leaf), VB_CONFIG_FILE, origin);
            if (rc)
                return rc;
        }
    }
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Walk the children of a ZPL node: set keys, load sections, collect unknown
//  paths into `unknown` (a growing comma list).

static int
s_walk (vb_config_t *self, zconfig_t *node, const char *parent, char *unknown, size_t unknown_size)
{
    char origin[VB_CONFIG_NAME_MAX + S_REASON_MAX];
    snprintf (origin, sizeof (origin), "file %s", self->file);
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        const char *name = zconfig_name (child);
        char path[2 * VB_CONFIG_NAME_MAX + 2];
        snprintf (path, sizeof (path), "%s%s%s", parent ? parent : "", parent ? "/" : "",
                  name ? name : "");
        int rc = s_check_node (self, node, child, path);
        if (rc)
            return rc;
        s_value_t *slot = s_find (self, path);
        s_section_t *section = slot ? NULL : s_section_find (self, path);
        if (slot) {
            if (zconfig_child (child))
                return s_fail (self, VB_EINVAL, "%s: %s: expected a value, found a section",
                               self->file, path);
            rc = s_value_set (self, slot, zconfig_value (child), VB_CONFIG_FILE, origin);
        } else if (section) {
            if (s_node_has_value (child))
                return s_fail (self, VB_EINVAL, "%s: %s: expected a section, found a value",
                               self->file, path);
            rc = s_load_section (self, section, child);
        } else if (s_is_inner (self, path) && !s_node_has_value (child))
            rc = s_walk (self, child, path, unknown, unknown_size);
        else {
            size_t used = strlen (unknown);
            snprintf (unknown + used, unknown_size - used, "%s%s", used ? ", " : "", path);
        }
        if (rc)
            return rc;
    }
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Read the whole file into a new string; NULL and *rc on failure.

static char *
s_read_file (vb_config_t *self, int *rc)
{
    *rc = VB_OK;
    //  Check the type before opening: opening a FIFO would block.
    struct stat info;
    if (stat (self->file, &info) != 0) {
        *rc =
            s_fail (self, VB_EIO, "config file %s: cannot read: %s", self->file, strerror (errno));
        return NULL;
    }
    if (!S_ISREG (info.st_mode)) {
        *rc = s_fail (self, VB_EIO, "config file %s: not a regular file", self->file);
        return NULL;
    }
    FILE *file = fopen (self->file, "r");
    if (!file) {
        *rc =
            s_fail (self, VB_EIO, "config file %s: cannot read: %s", self->file, strerror (errno));
        return NULL;
    }
    char *text = NULL;
    size_t allocated = 0;
    if (fstat (fileno (file), &info) != 0)
        *rc =
            s_fail (self, VB_EIO, "config file %s: cannot read: %s", self->file, strerror (errno));
    else if (!S_ISREG (info.st_mode))
        *rc = s_fail (self, VB_EIO, "config file %s: not a regular file", self->file);
    else if (info.st_size > S_FILE_MAX)
        *rc = s_fail (self, VB_ELIMIT, "config file %s: larger than %d bytes", self->file,
                      S_FILE_MAX);
    else {
        allocated = (size_t)info.st_size + 1;
        text = (char *)zmalloc (allocated);
        size_t got = fread (text, 1, allocated - 1, file);
        if (ferror (file))
            *rc = s_fail (self, VB_EIO, "config file %s: cannot read", self->file);
        else if (memchr (text, '\0', got))
            *rc = s_fail (self, VB_EINVAL, "config file %s: not valid ZPL (holds a NUL byte)",
                          self->file);
        text[got] = '\0';
    }
    fclose (file);
    if (*rc && text) {
        //  The file may hold secrets; wipe all of it, embedded NULs included.
        explicit_bzero (text, allocated);
        zstr_free (&text);
    }
    return text;
}

//  --------------------------------------------------------------------------
//  Read and check the file. We read it ourselves and parse the text, because
//  czmq 4.2's zconfig_load leaks its zfile when the text is not valid ZPL.

static int
s_load_file (vb_config_t *self)
{
    int rc;
    char *text = s_read_file (self, &rc);
    if (!text)
        return rc;
    zconfig_t *root = zconfig_str_load (text);
    s_wipe_free (&text);
    if (!root)
        return s_fail (self, VB_EINVAL,
                       "config file %s: not valid ZPL (czmq logged the line at fault)", self->file);
    char unknown[VB_CONFIG_ERROR_MAX] = "";
    rc = s_walk (self, root, NULL, unknown, sizeof (unknown));
    zconfig_destroy (&root);
    if (rc == VB_OK && *unknown)
        rc = s_fail (self, VB_EINVAL, "config file %s: unknown keys: %s", self->file, unknown);
    return rc;
}

//  --------------------------------------------------------------------------
//  Look a variable up in envp, or in the process environment.

static const char *
s_env_get (char **envp, const char *name)
{
    char **list = envp ? envp : environ;
    size_t length = strlen (name);
    for (; list && *list; list++)
        if (strncmp (*list, name, length) == 0 && (*list)[length] == '=')
            return *list + length + 1;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Apply an environment override to one slot.

static int
s_env_apply (vb_config_t *self, s_value_t *slot, char **envp)
{
    const char *text = s_env_get (envp, slot->env_name);
    if (!text)
        return VB_OK;
    char origin[VB_CONFIG_NAME_MAX + S_REASON_MAX];
    snprintf (origin, sizeof (origin), "environment %s", slot->env_name);
    return s_value_set (self, slot, text, VB_CONFIG_ENV, origin);
}

//  --------------------------------------------------------------------------
//  Find the main key whose long or short flag is name[0..length).

static s_value_t *
s_find_flag (vb_config_t *self, const char *name, size_t length)
{
    for (size_t i = 0; i < self->count; i++) {
        s_value_t *slot = &self->values[i];
        if ((strlen (slot->long_flag) == length && strncmp (slot->long_flag, name, length) == 0) ||
            (slot->short_flag && strlen (slot->short_flag) == length &&
             strncmp (slot->short_flag, name, length) == 0))
            return slot;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Parse argv into pending assignments; find --config and --help.

static int
s_parse_argv (vb_config_t *self, int argc, char **argv, s_pending_t *pending, size_t *pending_count)
{
    for (int i = 1; i < argc && argv[i]; i++) {
        const char *arg = argv[i];
        if (streq (arg, "-h") || streq (arg, "--help")) {
            self->help = true;
            return VB_OK;
        }
        if (strncmp (arg, "--", 2) != 0 || arg[2] == '\0')
            return s_fail (self, VB_EINVAL, "command line: argument %d is not an --option", i);
        const char *name = arg + 2;
        const char *equals = strchr (name, '=');
        size_t length = equals ? (size_t)(equals - name) : strlen (name);
        bool is_config =
            length == strlen (S_FLAG_CONFIG) && strncmp (name, S_FLAG_CONFIG, length) == 0;
        s_value_t *slot = is_config ? NULL : s_find_flag (self, name, length);
        if (!is_config && !slot)
            return s_fail (self, VB_EINVAL, "command line: unknown option --%.*s",
                           (int)(length > VB_CONFIG_NAME_MAX ? VB_CONFIG_NAME_MAX : length), name);
        const char *value = NULL;
        bool next_is_value = i + 1 < argc && argv[i + 1] && strncmp (argv[i + 1], "--", 2) != 0;
        if (equals)
            value = equals + 1;
        else if (next_is_value)
            value = argv[++i];
        else if (slot && slot->key->type == VB_CONFIG_BOOL)
            value = "true";
        else
            return s_fail (self, VB_EINVAL, "command line: --%.*s needs a value", (int)length,
                           name);
        if (is_config) {
            free (self->file);
            self->file = s_strdup (value);
            if (!*value)
                return s_fail (self, VB_EINVAL, "command line: --config needs a file name");
            continue;
        }
        pending[*pending_count].index = (size_t)(slot - self->values);
        pending[*pending_count].value = value;
        pending[*pending_count].flag = name;
        pending[(*pending_count)++].flag_length = length;
    }
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Say why a required key is missing, with the ways to set it.

static int
s_missing (vb_config_t *self, const s_value_t *slot)
{
    if (slot->short_flag || slot->long_flag)
        return s_fail (
            self, VB_ENOTFOUND, "%s: required but not set (set it in the config file, %s or --%s)",
            slot->path, slot->env_name, slot->short_flag ? slot->short_flag : slot->long_flag);
    return s_fail (self, VB_ENOTFOUND, "%s: required but not set (set it in the config file or %s)",
                   slot->path, slot->env_name);
}

//  --------------------------------------------------------------------------
//  True if a required slot has no usable value.

static bool
s_unset (const s_value_t *slot)
{
    return (slot->key->flags & VB_CONFIG_REQUIRED) && (!slot->value || !*slot->value);
}

//  --------------------------------------------------------------------------
//  Environment for section instances, then the duplicate-name check on their
//  variables.

static int
s_load_section_env (vb_config_t *self, char **envp)
{
    for (size_t s = 0; s < self->section_count; s++) {
        s_section_t *section = &self->sections[s];
        for (size_t i = 0; i < section->instance_count; i++) {
            s_instance_t *instance = &section->instances[i];
            //  Two instances whose names differ only by case or '-' vs '_'
            //  would share variables.
            for (size_t j = 0; j < i; j++)
                if (streq (section->instances[j].values[0].env_name, instance->values[0].env_name))
                    return s_fail (self, VB_EINVAL,
                                   "%s: %s/%s and %s/%s share environment variables (%s)",
                                   self->file, section->path, section->instances[j].name,
                                   section->path, instance->name, instance->values[0].env_name);
            for (size_t k = 0; k < section->count; k++) {
                for (size_t m = 0; m < self->count; m++)
                    if (streq (self->values[m].env_name, instance->values[k].env_name))
                        return s_fail (self, VB_EINVAL, "%s and %s share the variable %s",
                                       instance->values[k].path, self->values[m].path,
                                       self->values[m].env_name);
                int rc = s_env_apply (self, &instance->values[k], envp);
                if (rc)
                    return rc;
            }
        }
    }
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Load everything, in precedence order.

int
vb_config_load (vb_config_t *self, int argc, char **argv, char **envp)
{
    assert (self);
    if (self->loaded)
        return s_fail (self, VB_ESTATE, "configuration already loaded");
    self->loaded = true;
    self->error[0] = '\0';
    if (argc < 0 || (argc > 0 && !argv))
        return s_fail (self, VB_EINVAL, "command line: no arguments");
    s_pending_t *pending = (s_pending_t *)zmalloc ((size_t)(argc + 1) * sizeof (s_pending_t));
    size_t pending_count = 0;
    int rc = s_parse_argv (self, argc, argv, pending, &pending_count);
    if (rc || self->help)
        goto done;
    if (!self->file) {
        const char *from_env = s_env_get (envp, S_ENV_CONFIG);
        if (from_env && *from_env) {
            self->file = s_strdup (from_env);
        }
    }
    if (self->file && (rc = s_load_file (self)))
        goto done;
    for (size_t i = 0; i < self->count && rc == VB_OK; i++)
        rc = s_env_apply (self, &self->values[i], envp);
    if (rc || (rc = s_load_section_env (self, envp)))
        goto done;
    for (size_t i = 0; i < pending_count && rc == VB_OK; i++) {
        char origin[VB_CONFIG_NAME_MAX + S_REASON_MAX];
        snprintf (origin, sizeof (origin), "command line --%.*s", (int)pending[i].flag_length,
                  pending[i].flag);
        rc = s_value_set (self, &self->values[pending[i].index], pending[i].value, VB_CONFIG_ARGV,
                          origin);
    }
    if (rc)
        goto done;
    for (size_t i = 0; i < self->count && rc == VB_OK; i++)
        if (s_unset (&self->values[i]))
            rc = s_missing (self, &self->values[i]);
    for (size_t s = 0; s < self->section_count && rc == VB_OK; s++)
        for (size_t i = 0; i < self->sections[s].instance_count && rc == VB_OK; i++)
            for (size_t k = 0; k < self->sections[s].count && rc == VB_OK; k++)
                if (s_unset (&self->sections[s].instances[i].values[k]))
                    rc = s_missing (self, &self->sections[s].instances[i].values[k]);
done:
    free (pending);
    return rc;
}

//  --------------------------------------------------------------------------
//  Last error.

const char *
vb_config_error (vb_config_t *self)
{
    assert (self);
    return self->error;
}

//  --------------------------------------------------------------------------
//  --help seen.

bool
vb_config_help_requested (vb_config_t *self)
{
    assert (self);
    return self->help;
}

//  --------------------------------------------------------------------------
//  File loaded.

const char *
vb_config_file (vb_config_t *self)
{
    assert (self);
    return self->file;
}

//  --------------------------------------------------------------------------
//  Find a key that must exist.

static s_value_t *
s_require (vb_config_t *self, const char *name)
{
    assert (self);
    assert (name);
    s_value_t *slot = s_find (self, name);
    assert (slot);  //  A name missing from the table is a bug in the caller
    return slot;
}

//  --------------------------------------------------------------------------
//  Text value.

const char *
vb_config_str (vb_config_t *self, const char *name)
{
    return s_require (self, name)->value;
}

//  --------------------------------------------------------------------------
//  Number value.

int64_t
vb_config_int (vb_config_t *self, const char *name)
{
    s_value_t *slot = s_require (self, name);
    assert (slot->key->type == VB_CONFIG_INT || slot->key->type == VB_CONFIG_DURATION_MS);
    return slot->number;
}

//  --------------------------------------------------------------------------
//  Bool value.

bool
vb_config_bool (vb_config_t *self, const char *name)
{
    s_value_t *slot = s_require (self, name);
    assert (slot->key->type == VB_CONFIG_BOOL);
    return slot->number != 0;
}

//  --------------------------------------------------------------------------
//  Has a value.

bool
vb_config_has (vb_config_t *self, const char *name)
{
    return s_require (self, name)->value != NULL;
}

//  --------------------------------------------------------------------------
//  Source of a value.

vb_config_source_t
vb_config_source (vb_config_t *self, const char *name)
{
    return s_require (self, name)->source;
}

//  --------------------------------------------------------------------------
//  Source as a word.

const char *
vb_config_source_name (vb_config_source_t source)
{
    switch (source) {
        case VB_CONFIG_DEFAULT:
            return "default";
        case VB_CONFIG_FILE:
            return "file";
        case VB_CONFIG_ENV:
            return "env";
        case VB_CONFIG_ARGV:
            return "argv";
        default:
            return "unset";
    }
}

//  --------------------------------------------------------------------------
//  Instances in a section.

size_t
vb_config_section_count (vb_config_t *self, const char *path)
{
    assert (self);
    s_section_t *section = path ? s_section_find (self, path) : NULL;
    return section ? section->instance_count : 0;
}

//  --------------------------------------------------------------------------
//  Name of an instance.

const char *
vb_config_section_name (vb_config_t *self, const char *path, size_t index)
{
    assert (self);
    s_section_t *section = path ? s_section_find (self, path) : NULL;
    return section && index < section->instance_count ? section->instances[index].name : NULL;
}

//  --------------------------------------------------------------------------
//  Slot of a key of an instance; asserts path and key, NULL for an unknown
//  instance.

static s_value_t *
s_section_slot (vb_config_t *self, const char *path, const char *name, const char *key)
{
    assert (self);
    assert (path && key);
    s_section_t *section = s_section_find (self, path);
    assert (section);  //  An undeclared section is a bug in the caller
    size_t column = 0;
    while (column < section->count && !streq (section->table[column].name, key))
        column++;
    assert (column < section->count);  //  So is an undeclared key
    for (size_t i = 0; name && i < section->instance_count; i++)
        if (streq (section->instances[i].name, name))
            return &section->instances[i].values[column];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Instance text value.

const char *
vb_config_section_str (vb_config_t *self, const char *path, const char *name, const char *key)
{
    s_value_t *slot = s_section_slot (self, path, name, key);
    return slot ? slot->value : NULL;
}

//  --------------------------------------------------------------------------
//  Instance number value.

int64_t
vb_config_section_int (vb_config_t *self, const char *path, const char *name, const char *key)
{
    s_value_t *slot = s_section_slot (self, path, name, key);
    if (slot)
        assert (slot->key->type == VB_CONFIG_INT || slot->key->type == VB_CONFIG_DURATION_MS);
    return slot ? slot->number : 0;
}

//  --------------------------------------------------------------------------
//  Instance bool value.

bool
vb_config_section_bool (vb_config_t *self, const char *path, const char *name, const char *key)
{
    s_value_t *slot = s_section_slot (self, path, name, key);
    if (slot)
        assert (slot->key->type == VB_CONFIG_BOOL);
    return slot ? slot->number != 0 : false;
}

//  --------------------------------------------------------------------------
//  Entries: main keys, then instance keys.

size_t
vb_config_entry_count (vb_config_t *self)
{
    assert (self);
    size_t count = self->count;
    for (size_t s = 0; s < self->section_count; s++)
        count += self->sections[s].instance_count * self->sections[s].count;
    return count;
}

//  --------------------------------------------------------------------------
//  Slot behind an entry index, or NULL.

static s_value_t *
s_entry_slot (vb_config_t *self, size_t index)
{
    if (index < self->count)
        return &self->values[index];
    index -= self->count;
    for (size_t s = 0; s < self->section_count; s++) {
        s_section_t *section = &self->sections[s];
        size_t size = section->instance_count * section->count;
        if (index < size)
            return &section->instances[index / section->count].values[index % section->count];
        index -= size;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  One entry, masked.

int
vb_config_entry (vb_config_t *self, size_t index, vb_config_entry_t *entry)
{
    assert (self);
    assert (entry);
    s_value_t *slot = s_entry_slot (self, index);
    if (!slot)
        return VB_ENOTFOUND;
    entry->name = slot->path;
    entry->secret = (slot->key->flags & VB_CONFIG_SECRET) != 0;
    entry->value = slot->value && entry->secret ? VB_CONFIG_MASK : slot->value;
    entry->source = slot->source;
    return VB_OK;
}

//  --------------------------------------------------------------------------
//  Print a value, quoted and escaped when it holds spaces, quotes, '#',
//  control characters, or is empty.

static void
s_print_value (FILE *file, const char *value)
{
    bool quote = *value == '\0' || !s_printable (value) || strpbrk (value, " \"#\\'");
    if (!quote) {
        fputs (value, file);
        return;
    }
    fputc ('"', file);
    for (const char *c = value; *c; c++) {
        unsigned char byte = (unsigned char)*c;
        if (byte == '"' || byte == '\\')
            fprintf (file, "\\%c", byte);
        else if (byte < 0x20 || byte == 0x7f)
            fprintf (file, "\\x%02x", byte);
        else
            fputc (byte, file);
    }
    fputc ('"', file);
}

//  --------------------------------------------------------------------------
//  Print the effective config.

void
vb_config_print (vb_config_t *self, FILE *file)
{
    assert (self);
    assert (file);
    size_t count = vb_config_entry_count (self);
    for (size_t i = 0; i < count; i++) {
        vb_config_entry_t entry;
        vb_config_entry (self, i, &entry);
        fprintf (file, "%s = ", entry.name);
        if (entry.value)
            s_print_value (file, entry.value);
        fprintf (file, " (%s)\n", vb_config_source_name (entry.source));
    }
}

//  --------------------------------------------------------------------------
//  Describe a key's type, default and flags for --help.

static void
s_help_key (FILE *file, const vb_config_key_t *key)
{
    static const char *const type_names[] = {NULL,       "TEXT",     "INT", "BOOL",
                                             "DURATION", "ENDPOINT", NULL};
    if (key->type == VB_CONFIG_ENUM) {
        for (const char *const *value = key->values; *value; value++)
            fprintf (file, "%s%s", value == key->values ? "" : "|", *value);
    } else
        fputs (type_names[key->type], file);
    if (key->min || key->max)
        fprintf (file, " %" PRId64 "..%" PRId64 "%s", key->min, key->max,
                 key->type == VB_CONFIG_DURATION_MS ? " ms" : "");
    if (key->fallback)
        fprintf (file, " (default %s)",
                 key->flags & VB_CONFIG_SECRET ? VB_CONFIG_MASK
                 : *key->fallback              ? key->fallback
                                               : "\"\"");
    if (key->flags & VB_CONFIG_REQUIRED)
        fputs (" (required)", file);
    if (key->flags & VB_CONFIG_SECRET)
        fputs (" (secret)", file);
    fprintf (file, "\n      %s\n", key->help ? key->help : "");
}

//  --------------------------------------------------------------------------
//  Print --help text.

void
vb_config_help (vb_config_t *self, FILE *file)
{
    assert (self);
    assert (file);
    fprintf (file, "Options (lowest precedence first: default, config file, environment, "
                   "command line):\n");
    fprintf (file, "  --config FILE\n      ZPL config file to read (also %s)\n", S_ENV_CONFIG);
    fprintf (file, "  --help, -h\n      print this help and exit\n");
    for (size_t i = 0; i < self->count; i++) {
        s_value_t *slot = &self->values[i];
        fputs ("  ", file);
        if (slot->short_flag)
            fprintf (file, "--%s, ", slot->short_flag);
        fprintf (file, "--%s ", slot->long_flag);
        s_help_key (file, slot->key);
        fprintf (file, "      file: %s  env: %s\n", slot->path, slot->env_name);
    }
    for (size_t s = 0; s < self->section_count; s++) {
        s_section_t *section = &self->sections[s];
        char *env = s_env_name (section->path);
        fprintf (file, "Sections %s/<name> (config file only; one per <name>):\n", section->path);
        for (size_t k = 0; k < section->count; k++) {
            char *key_env = s_env_name (section->table[k].name);
            fprintf (file, "  %s/<name>/%s ", section->path, section->table[k].name);
            s_help_key (file, &section->table[k]);
            fprintf (file, "      env: %s_<NAME>_%s\n", env, key_env + strlen (S_ENV_PREFIX));
            free (key_env);
        }
        free (env);
    }
}
