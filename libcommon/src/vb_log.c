/*  vb_log.c — one line per event on stderr, with levels and secret redaction.

    The path of a line: the caller's format is expanded on its own stack (or,
    when longer, in one heap buffer of at most VB_LOG_MESSAGE_MAX bytes, so
    that a secret is always seen whole before anything is cut). Then, under
    the one logger mutex, the message is rendered into the line buffer: each
    occurrence of a registered secret becomes "***" and control characters
    are escaped. A cut line loses any tail that starts a secret. A last scan
    of the finished line for every secret form is the guarantee; if it finds
    one, the message is withheld. The line is written with a single call.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <czmq.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "vb_error.h"
#include "vb_locked.h"
#include "vb_log.h"

//  Forms kept for each secret: raw, lower hex, upper hex, base64, percent-
//  encoded and JSON-escaped.
#define S_FORMS_MAX 6
//  Bytes each input byte can become in the widest form (JSON "\u00XX").
#define S_JSON_ESCAPE_WIDTH 6
//  Bytes each input byte can become in percent-encoding ("%XX").
#define S_PERCENT_WIDTH 3
//  Longest time stamp "YYYY-MM-DDTHH:MM:SS.mmmZ" with room to spare.
#define S_TIME_MAX 40
//  Milliseconds and nanoseconds in units used for the time stamp.
#define S_NS_PER_MS 1000000L
//  Longest UTF-8 sequence; a cut never splits one.
#define S_UTF8_MAX 4
//  Bytes of an escape written for a control character ("\xHH").
#define S_ESCAPE_MAX 4
//  First byte that is not a control character, and DEL.
#define S_PRINTABLE_MIN 0x20
#define S_DEL           0x7f
//  Bits of the libwebsockets log levels (lws-logs.h: LLL_ERR ... LLL_USER).
#define S_LLL_ERR    (1 << 0)
#define S_LLL_WARN   (1 << 1)
#define S_LLL_NOTICE (1 << 2)
#define S_LLL_INFO   (1 << 3)
#define S_LLL_USER   (1 << 10)

typedef struct {
    vb_locked_buf_t region;                  //  Locked mapping holding all forms
    size_t form_count;                       //  Distinct forms in use
    const unsigned char *form[S_FORMS_MAX];  //  Each form, inside map
    size_t form_length[S_FORMS_MAX];         //  Length of each form
} s_secret_t;

static pthread_mutex_t s_mutex = PTHREAD_MUTEX_INITIALIZER;  //  Guards everything below
static atomic_int s_level = VB_LOG_DEFAULT_LEVEL;            //  Most verbose level written
static char s_ident[VB_LOG_IDENT_MAX + 1] = "venuebus";      //  Name on every line
static FILE *s_sink;                                         //  Stream sink, or NULL
static vb_log_fn *s_callback;                                //  Callback sink, or NULL
static void *s_callback_arg;                                 //  Argument for s_callback
static s_secret_t s_secrets[VB_LOG_SECRETS_MAX];             //  Registered secrets
static size_t s_secret_count;                                //  Entries used in s_secrets
static bool s_atexit_done;                                   //  atexit handler registered
static bool s_first_byte[UCHAR_MAX + 1];                     //  Bytes that start some secret form

static const char *const s_level_names[] = {NULL, "error", "warning", "notice", "info", "debug"};
static const char s_hex_lower[] = "0123456789abcdef";
static const char s_hex_upper[] = "0123456789ABCDEF";

//  --------------------------------------------------------------------------
//  Clamp a level into ERROR..DEBUG.

static vb_log_level_t
s_clamp (vb_log_level_t level)
{
    if ((int)level < VB_LOG_ERROR)
        return VB_LOG_ERROR;
    if ((int)level > VB_LOG_DEBUG)
        return VB_LOG_DEBUG;
    return level;
}

//  --------------------------------------------------------------------------
//  Set ident and level, and czmq's log ident.

void
vb_log_init (const char *ident, vb_log_level_t level)
{
    if (!ident)
        ident = "venuebus";
    pthread_mutex_lock (&s_mutex);
    snprintf (s_ident, sizeof (s_ident), "%s", ident);
    pthread_mutex_unlock (&s_mutex);
    atomic_store (&s_level, (int)s_clamp (level));
    zsys_set_logident (ident);
}

//  --------------------------------------------------------------------------
//  Set the level.

void
vb_log_set_level (vb_log_level_t level)
{
    atomic_store (&s_level, (int)s_clamp (level));
}

//  --------------------------------------------------------------------------
//  Return the level.

vb_log_level_t
vb_log_level (void)
{
    return (vb_log_level_t)atomic_load (&s_level);
}

//  --------------------------------------------------------------------------
//  True when lines at this level are written.

bool
vb_log_enabled (vb_log_level_t level)
{
    return (int)level >= VB_LOG_ERROR &&
           (int)level <= atomic_load_explicit (&s_level, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  Level from its word.

int
vb_log_level_from_name (const char *name)
{
    if (name)
        for (int level = VB_LOG_ERROR; level <= VB_LOG_DEBUG; level++)
            if (streq (name, s_level_names[level]))
                return level;
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  Word for a level.

const char *
vb_log_level_name (vb_log_level_t level)
{
    if ((int)level < VB_LOG_ERROR || (int)level > VB_LOG_DEBUG)
        return "unknown";
    return s_level_names[level];
}

//  --------------------------------------------------------------------------
//  Use a stream sink.

void
vb_log_set_sink (FILE *sink)
{
    pthread_mutex_lock (&s_mutex);
    s_sink = sink;
    s_callback = NULL;
    s_callback_arg = NULL;
    pthread_mutex_unlock (&s_mutex);
}

//  --------------------------------------------------------------------------
//  Use a callback sink.

void
vb_log_set_callback (vb_log_fn *callback, void *arg)
{
    pthread_mutex_lock (&s_mutex);
    s_callback = callback;
    s_callback_arg = callback ? arg : NULL;
    s_sink = NULL;
    pthread_mutex_unlock (&s_mutex);
}

//  --------------------------------------------------------------------------
//  Length of the longest secret form that starts at text[at], or 0. Caller
//  holds the mutex.

static size_t
s_match_at (const char *text, size_t length, size_t at)
{
    if (!s_first_byte[(unsigned char)text[at]])
        return 0;
    size_t best = 0;
    for (size_t i = 0; i < s_secret_count; i++) {
        const s_secret_t *secret = &s_secrets[i];
        for (size_t f = 0; f < secret->form_count; f++) {
            size_t form_length = secret->form_length[f];
            if (form_length > best && form_length <= length - at &&
                memcmp (text + at, secret->form[f], form_length) == 0)
                best = form_length;
        }
    }
    return best;
}

//  --------------------------------------------------------------------------
//  Return the length of text once any tail that is the beginning of a secret
//  form has been cut off; repeats until no tail qualifies. Caller holds the
//  mutex.

static size_t
s_trim_secret_start (const char *text, size_t length)
{
    bool trimmed = true;
    while (trimmed && length > 0) {
        trimmed = false;
        for (size_t i = 0; i < s_secret_count && !trimmed; i++) {
            const s_secret_t *secret = &s_secrets[i];
            for (size_t f = 0; f < secret->form_count && !trimmed; f++) {
                size_t longest = secret->form_length[f] - 1;
                if (longest > length)
                    longest = length;
                for (size_t k = longest; k > 0; k--)
                    if (memcmp (text + length - k, secret->form[f], k) == 0) {
                        length -= k;
                        trimmed = true;
                        break;
                    }
            }
        }
    }
    return length;
}

//  --------------------------------------------------------------------------
//  True if any secret form occurs anywhere in text. Caller holds the mutex.

static bool
s_contains_secret (const char *text, size_t length)
{
    for (size_t i = 0; i < s_secret_count; i++)
        for (size_t f = 0; f < s_secrets[i].form_count; f++)
            if (memmem (text, length, s_secrets[i].form[f], s_secrets[i].form_length[f]))
                return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Write the escape for one byte of a message into unit; return its length.
//  Control characters become \n, \r, \t or \xHH so one event stays one line;
//  every other byte (UTF-8 included) is copied.

static size_t
s_escape (unsigned char byte, char *unit)
{
    if (byte >= S_PRINTABLE_MIN && byte != S_DEL) {
        unit[0] = (char)byte;
        return 1;
    }
    unit[0] = '\\';
    if (byte == '\n' || byte == '\r' || byte == '\t') {
        unit[1] = byte == '\n' ? 'n' : byte == '\r' ? 'r' : 't';
        return 2;
    }
    unit[1] = 'x';
    unit[2] = s_hex_lower[byte >> 4];
    unit[3] = s_hex_lower[byte & 0xf];
    return S_ESCAPE_MAX;
}

//  --------------------------------------------------------------------------
//  Render message into out (capacity bytes, no NUL): secrets become "***",
//  control characters are escaped. Whole units only: stops before the first
//  unit that does not fit and sets *overflow. Returns the bytes written.
//  Caller holds the mutex.

static size_t
s_render (char *out, size_t capacity, const char *message, size_t length, bool *overflow)
{
    size_t written = 0;
    size_t at = 0;
    *overflow = false;
    while (at < length) {
        char unit[S_ESCAPE_MAX];
        const char *piece = unit;
        size_t piece_length;
        size_t matched = s_match_at (message, length, at);
        if (matched) {
            piece = VB_LOG_REDACTED;
            piece_length = strlen (VB_LOG_REDACTED);
            at += matched;
        } else
            piece_length = s_escape ((unsigned char)message[at++], unit);
        if (piece_length > capacity - written) {
            *overflow = true;
            break;
        }
        memcpy (out + written, piece, piece_length);
        written += piece_length;
    }
    return written;
}

//  --------------------------------------------------------------------------
//  Drop an incomplete UTF-8 sequence from the end of text; return the length.

static size_t
s_trim_utf8 (const char *text, size_t length)
{
    for (size_t back = 1; back <= S_UTF8_MAX && back <= length; back++) {
        unsigned char byte = (unsigned char)text[length - back];
        if ((byte & 0xC0) == 0x80)
            continue;  //  Continuation byte: keep looking for the lead
        size_t need = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
        return need > back ? length - back : length;
    }
    return length;
}

//  --------------------------------------------------------------------------
//  Write the finished line to the sink. Caller holds the mutex.

static void
s_output (vb_log_level_t level, const char *line, size_t length)
{
    if (s_callback)
        s_callback (level, line, length, s_callback_arg);
    else if (s_sink) {
        flockfile (s_sink);
        fwrite (line, 1, length, s_sink);
        fflush (s_sink);
        funlockfile (s_sink);
    } else {
        size_t done = 0;
        while (done < length) {
            ssize_t rc = write (STDERR_FILENO, line + done, length - done);
            if (rc < 0 && errno == EINTR)
                continue;
            if (rc <= 0)
                break;  //  Nowhere left to report a failing stderr
            done += (size_t)rc;
        }
    }
}

//  --------------------------------------------------------------------------
//  Build the line for a formatted message and write it. `cut` says the
//  message was already cut before it ended.

static void
s_emit (vb_log_level_t level, const char *message, size_t length, bool cut)
{
    char line[VB_LOG_LINE_MAX];
    char stamp[S_TIME_MAX];
    struct timespec now;
    struct tm broken;
    clock_gettime (CLOCK_REALTIME, &now);
    gmtime_r (&now.tv_sec, &broken);
    size_t stamp_length = strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &broken);
    snprintf (stamp + stamp_length, sizeof (stamp) - stamp_length, ".%03ldZ",
              now.tv_nsec / S_NS_PER_MS);

    pthread_mutex_lock (&s_mutex);
    //  The prefix is short (the ident is capped), so it always fits.
    int prefix =
        snprintf (line, sizeof (line), "%s %s %s: ", stamp, vb_log_level_name (level), s_ident);
    assert (prefix > 0 && (size_t)prefix < sizeof (line) / 2);
    //  Room for the message: everything but the prefix, the '\n' and a NUL.
    size_t capacity = sizeof (line) - (size_t)prefix - 2;
    char *body = line + prefix;
    if (cut)
        length = s_trim_secret_start (message, length);
    bool overflow;
    size_t written = s_render (body, capacity, message, length, &overflow);
    if (overflow || cut) {
        //  Make room for the marks, then never end on the start of a secret.
        size_t marks = strlen (VB_LOG_REDACTED) + strlen (VB_LOG_TRUNCATED_MARK);
        written = s_render (body, capacity - marks, message, length, &overflow);
        written = s_trim_utf8 (body, written);
        size_t kept = s_trim_secret_start (body, written);
        if (kept < written) {
            memcpy (body + kept, VB_LOG_REDACTED, strlen (VB_LOG_REDACTED));
            kept += strlen (VB_LOG_REDACTED);
        }
        memcpy (body + kept, VB_LOG_TRUNCATED_MARK, strlen (VB_LOG_TRUNCATED_MARK));
        written = kept + strlen (VB_LOG_TRUNCATED_MARK);
    }
    if (s_contains_secret (body, written)) {
        //  Only secrets that contain the mask itself can get here.
        written = strlen (VB_LOG_WITHHELD);
        memcpy (body, VB_LOG_WITHHELD, written);
        if (s_contains_secret (body, written))
            written = 0;  //  A secret such as "line" must not leak through the notice
    }
    size_t total = (size_t)prefix + written;
    line[total++] = '\n';
    line[total] = '\0';
    s_output (level, line, total);
    pthread_mutex_unlock (&s_mutex);
}

//  --------------------------------------------------------------------------
//  Format on the stack; fall back to one heap buffer when the message is
//  longer, so redaction sees it whole.

void
vb_log_vwrite (vb_log_level_t level, const char *format, va_list args)
{
    if (!vb_log_enabled (level) || !format)
        return;
    char stack[VB_LOG_LINE_MAX];
    va_list again;
    va_copy (again, args);
    int needed = vsnprintf (stack, sizeof (stack), format, args);
    if (needed < 0) {
        va_end (again);
        static const char failed[] = "log format failed";
        s_emit (level, failed, strlen (failed), false);
        return;
    }
    char *heap = NULL;
    const char *message = stack;
    size_t length = (size_t)needed;
    bool cut = false;
    if (length >= sizeof (stack)) {
        if (length <= VB_LOG_MESSAGE_MAX && (heap = malloc (length + 1)) &&
            vsnprintf (heap, length + 1, format, again) == needed)
            message = heap;
        else {
            length = sizeof (stack) - 1;
            cut = true;
        }
    }
    va_end (again);
    s_emit (level, message, length, cut);
    free (heap);
}

//  --------------------------------------------------------------------------
//  Format and write.

void
vb_log_write (vb_log_level_t level, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vb_log_vwrite (level, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Write preformatted text from a bridge.

void
vb_log_line (vb_log_level_t level, const char *text)
{
    if (!text || !vb_log_enabled (level))
        return;
    size_t length = strlen (text);
    while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r'))
        length--;
    s_emit (level, text, length, false);
}

//  --------------------------------------------------------------------------
//  Map an lws level bit to ours.

void
vb_log_lws_emit (int lws_level, const char *line)
{
    vb_log_level_t level = VB_LOG_DEBUG;
    if (lws_level & S_LLL_ERR)
        level = VB_LOG_ERROR;
    else if (lws_level & S_LLL_WARN)
        level = VB_LOG_WARNING;
    else if (lws_level & (S_LLL_NOTICE | S_LLL_USER))
        level = VB_LOG_NOTICE;
    else if (lws_level & S_LLL_INFO)
        level = VB_LOG_INFO;
    vb_log_line (level, line);
}

//  --------------------------------------------------------------------------
//  Release every secret at exit.

static void
s_forget_at_exit (void)
{
    vb_log_forget_secrets ();
}

//  --------------------------------------------------------------------------
//  Append a form to secret (at cursor inside its mapping) unless an equal
//  form is already there. Returns the bytes used.

static size_t
s_secret_add_form (s_secret_t *secret, unsigned char *cursor, size_t length)
{
    if (length == 0)
        return 0;
    for (size_t f = 0; f < secret->form_count; f++)
        if (secret->form_length[f] == length && memcmp (secret->form[f], cursor, length) == 0) {
            OPENSSL_cleanse (cursor, length);
            return 0;
        }
    assert (secret->form_count < S_FORMS_MAX);
    secret->form[secret->form_count] = cursor;
    secret->form_length[secret->form_count++] = length;
    return length;
}

//  --------------------------------------------------------------------------
//  Fill the forms of a secret into its mapping.

static void
s_secret_fill (s_secret_t *secret, const unsigned char *raw, size_t length)
{
    unsigned char *cursor = (unsigned char *)secret->region.data;
    memcpy (cursor, raw, length);
    cursor += s_secret_add_form (secret, cursor, length);

    for (int upper = 0; upper < 2; upper++) {
        const char *digits = upper ? s_hex_upper : s_hex_lower;
        for (size_t i = 0; i < length; i++) {
            cursor[2 * i] = (unsigned char)digits[raw[i] >> 4];
            cursor[2 * i + 1] = (unsigned char)digits[raw[i] & 0xf];
        }
        cursor += s_secret_add_form (secret, cursor, 2 * length);
    }
    int encoded = EVP_EncodeBlock (cursor, raw, (int)length);
    cursor += s_secret_add_form (secret, cursor, encoded > 0 ? (size_t)encoded : 0);

    //  Percent-encoding keeps RFC 3986's unreserved characters.
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = raw[i];
        if (isalnum (byte) || byte == '-' || byte == '.' || byte == '_' || byte == '~')
            cursor[used++] = byte;
        else {
            cursor[used++] = '%';
            cursor[used++] = (unsigned char)s_hex_upper[byte >> 4];
            cursor[used++] = (unsigned char)s_hex_upper[byte & 0xf];
        }
    }
    cursor += s_secret_add_form (secret, cursor, used);

    //  JSON escaping as most encoders write it ('/' left alone).
    used = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = raw[i];
        if (byte == '"' || byte == '\\') {
            cursor[used++] = '\\';
            cursor[used++] = byte;
        } else if (byte < S_PRINTABLE_MIN) {
            used +=
                (size_t)snprintf ((char *)cursor + used, S_JSON_ESCAPE_WIDTH + 1, "\\u%04x", byte);
        } else
            cursor[used++] = byte;
    }
    s_secret_add_form (secret, cursor, used);
}

//  --------------------------------------------------------------------------
//  Copy a secret and its forms into locked memory.

int
vb_log_add_secret (const void *secret, size_t length)
{
    if (!secret || length == 0 || length > VB_LOG_SECRET_MAX)
        return VB_EINVAL;
    int rc = VB_OK;
    pthread_mutex_lock (&s_mutex);
    for (size_t i = 0; i < s_secret_count; i++)
        if (s_secrets[i].form_length[0] == length &&
            memcmp (s_secrets[i].form[0], secret, length) == 0)
            goto done;  //  Already registered
    if (s_secret_count == VB_LOG_SECRETS_MAX) {
        rc = VB_ELIMIT;
        goto done;
    }
    //  Raw + two hex + base64 (with its NUL) + percent + JSON, with a spare
    //  byte for snprintf's NUL in the JSON escape.
    size_t base64 = 4 * ((length + 2) / 3) + 1;
    size_t need =
        length + 4 * length + base64 + S_PERCENT_WIDTH * length + S_JSON_ESCAPE_WIDTH * length + 1;
    //  Locking is best effort: without CAP_IPC_LOCK or under a low
    //  RLIMIT_MEMLOCK the copy stays unlocked but is still wiped on release.
    //  vb_locked neither logs nor allocates from the heap.
    vb_locked_buf_t region = {0};
    if (vb_locked_alloc (&region, need) != 0) {
        rc = VB_ENOMEM;
        goto done;
    }
    s_secret_t *entry = &s_secrets[s_secret_count];
    memset (entry, 0, sizeof (*entry));
    entry->region = region;
    s_secret_fill (entry, secret, length);
    for (size_t f = 0; f < entry->form_count; f++)
        s_first_byte[entry->form[f][0]] = true;
    s_secret_count++;
    if (!s_atexit_done)
        s_atexit_done = atexit (s_forget_at_exit) == 0;
done:
    pthread_mutex_unlock (&s_mutex);
    return rc;
}

//  --------------------------------------------------------------------------
//  Count registered secrets.

size_t
vb_log_secret_count (void)
{
    pthread_mutex_lock (&s_mutex);
    size_t count = s_secret_count;
    pthread_mutex_unlock (&s_mutex);
    return count;
}

//  --------------------------------------------------------------------------
//  Wipe and release every secret.

void
vb_log_forget_secrets (void)
{
    pthread_mutex_lock (&s_mutex);
    for (size_t i = 0; i < s_secret_count; i++) {
        s_secret_t *entry = &s_secrets[i];
        vb_locked_free (&entry->region);
        memset (entry, 0, sizeof (*entry));
    }
    s_secret_count = 0;
    memset (s_first_byte, 0, sizeof (s_first_byte));
    pthread_mutex_unlock (&s_mutex);
}
