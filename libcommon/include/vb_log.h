/*  vb_log.h — one line per event on stderr, with levels and secret redaction.

    A line reads "<time> <level> <ident>: <phrase> key=value ...", e.g.
        2025-01-02T03:04:05.678Z notice router: started accounts=2
    The time is UTC with milliseconds. The level word is one of error,
    warning, notice, info, debug (house style 3.7 says when to use each).

    We format the line ourselves instead of calling czmq's zsys_error & co,
    because every line must pass through the secret filter before it is
    written, and zsys_* writes its text without giving us a look at it.
    vb_log_init still sets czmq's log ident, so the few lines czmq writes on
    its own (zconfig syntax errors, for instance) carry the service name.

    Secrets: vb_log_add_secret registers a secret (an API key, a signing
    secret, a passphrase). The logger keeps its own copy in locked memory and
    replaces every occurrence in every line with "***" before the line is
    written: the raw bytes and the obvious encodings of them (lower and upper
    hex, base64, percent-encoding and JSON escaping). A line truncated at
    VB_LOG_LINE_MAX never ends with the beginning of a secret, and a line that
    would still contain a secret after redaction (only possible with secrets
    that themselves contain "***") is replaced by a fixed notice. Control
    characters in a message are written as \n, \r, \t or \xHH, so one event is
    always one line.

    Threading: every function may be called from any thread. Each line is
    formatted on the caller's stack and written with one write (2) (or one
    fwrite + fflush under the FILE lock for a sink), so lines from several
    threads never interleave.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_LOG_H_INCLUDED
#define VB_LOG_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Levels, most severe first. 0 is reserved for "unset".
typedef enum {
    VB_LOG_ERROR = 1,    //  An operator must act
    VB_LOG_WARNING = 2,  //  Degraded but recovering by itself
    VB_LOG_NOTICE = 3,   //  Lifecycle: start, stop, connected, effective config
    VB_LOG_INFO = 4,     //  Per session or subscription
    VB_LOG_DEBUG = 5,    //  Per message; off by default
} vb_log_level_t;

//  Longest line written, including the prefix and the final '\n'. Longer
//  lines are cut and end with VB_LOG_TRUNCATED_MARK before the '\n'.
#define VB_LOG_LINE_MAX 2048
//  Longest formatted message the logger redacts as a whole before cutting it
//  to fit a line. Past this size only the first VB_LOG_LINE_MAX bytes are
//  formatted; a secret cut at that point is still masked (see above).
#define VB_LOG_MESSAGE_MAX 65536
//  Written at the end of a cut line, before the '\n'.
#define VB_LOG_TRUNCATED_MARK "..."
//  What replaces each occurrence of a secret.
#define VB_LOG_REDACTED "***"
//  Written instead of a message that still held a secret after redaction.
#define VB_LOG_WITHHELD "log line withheld: it contained a secret"
//  Longest ident kept (longer idents are cut).
#define VB_LOG_IDENT_MAX 64
//  Most secrets registered at once; more gives VB_ELIMIT.
#define VB_LOG_SECRETS_MAX 64
//  Longest secret accepted, in bytes; longer gives VB_EINVAL.
#define VB_LOG_SECRET_MAX 4096
//  Default level before vb_log_init or vb_log_set_level.
#define VB_LOG_DEFAULT_LEVEL VB_LOG_NOTICE

//  A callback sink: receives each finished line (with its '\n', already
//  redacted and NUL-terminated) and its length. Called with the logger's lock
//  held: it must not log.
typedef void (vb_log_fn) (vb_log_level_t level, const char *line, size_t length, void *arg);

//  Set the ident written on every line (copied; NULL means "venuebus") and the
//  most verbose level written. Also sets czmq's log ident (which runs
//  zsys_init, as any czmq service does anyway). Call once from
//  main before starting actors; calling again replaces both.
void vb_log_init (const char *ident, vb_log_level_t level);

//  Set the most verbose level written. A level outside ERROR..DEBUG is
//  clamped into that range.
void vb_log_set_level (vb_log_level_t level);

//  Return the current level.
vb_log_level_t vb_log_level (void);

//  True when a line at this level would be written. Cheap (one atomic load);
//  the vb_log_* macros call it before any formatting happens.
bool vb_log_enabled (vb_log_level_t level);

//  Parse "error", "warning", "notice", "info" or "debug" (exact, lower case).
//  Returns the level, or VB_EINVAL for anything else (or NULL).
int vb_log_level_from_name (const char *name);

//  Return the level's word ("error" ... "debug"), or "unknown".
const char *vb_log_level_name (vb_log_level_t level);

//  Write lines to this stream instead of stderr's file descriptor. The caller
//  keeps ownership and must keep the stream open until the sink is changed;
//  NULL restores stderr. Replaces any callback sink. For tests: point it at
//  a tmpfile () or open_memstream () stream.
void vb_log_set_sink (FILE *sink);

//  Send lines to a callback instead (see vb_log_fn); NULL restores stderr.
//  Replaces any FILE sink.
void vb_log_set_callback (vb_log_fn *callback, void *arg);

//  Format and write one line if the level is enabled. Prefer the macros
//  below, which skip the call (and the evaluation of the arguments) when the
//  level is off.
void vb_log_write (vb_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  As vb_log_write, with a va_list.
void vb_log_vwrite (vb_log_level_t level, const char *format, va_list args)
    __attribute__ ((format (printf, 2, 0)));

//  Write already formatted text as one line at this level, if enabled: the
//  entry point for bridges (libwebsockets, curl error buffers). Trailing
//  '\r' and '\n' are dropped; the text is redacted like any other line.
//  NULL text writes nothing.
void vb_log_line (vb_log_level_t level, const char *text);

//  A libwebsockets log emitter, for lws_set_log_level (levels, vb_log_lws_emit).
//  Maps lws's LLL_ERR to error, LLL_WARN to warning, LLL_NOTICE and LLL_USER
//  to notice, LLL_INFO to info and every other bit to debug, then calls
//  vb_log_line. (The LLL_* values are lws's public ABI; libcommon does not
//  include or link libwebsockets.)
void vb_log_lws_emit (int lws_level, const char *line);

//  Register a secret of `length` bytes (not necessarily text). The logger
//  copies it into locked memory (mlock where the system allows; the copy is
//  also excluded from core dumps) together with its encodings, and masks
//  them in every later line. Registering the same secret twice is harmless.
//  The caller may wipe its own copy afterwards. Returns 0; VB_EINVAL if
//  secret is NULL, length is 0 or above VB_LOG_SECRET_MAX; VB_ELIMIT when
//  VB_LOG_SECRETS_MAX are registered; VB_ENOMEM if memory cannot be mapped.
int vb_log_add_secret (const void *secret, size_t length);

//  Return how many secrets are registered.
size_t vb_log_secret_count (void);

//  Wipe (OPENSSL_cleanse), unlock and release every registered secret. Also
//  runs at exit once a secret has been registered.
void vb_log_forget_secrets (void);

//  Log at one level. The level is tested first: when it is off, the format
//  arguments are not evaluated and nothing is formatted.
#define vb_log_error(...)                                                                          \
    do {                                                                                           \
        if (vb_log_enabled (VB_LOG_ERROR))                                                         \
            vb_log_write (VB_LOG_ERROR, __VA_ARGS__);                                              \
    } while (0)
#define vb_log_warning(...)                                                                        \
    do {                                                                                           \
        if (vb_log_enabled (VB_LOG_WARNING))                                                       \
            vb_log_write (VB_LOG_WARNING, __VA_ARGS__);                                            \
    } while (0)
#define vb_log_notice(...)                                                                         \
    do {                                                                                           \
        if (vb_log_enabled (VB_LOG_NOTICE))                                                        \
            vb_log_write (VB_LOG_NOTICE, __VA_ARGS__);                                             \
    } while (0)
#define vb_log_info(...)                                                                           \
    do {                                                                                           \
        if (vb_log_enabled (VB_LOG_INFO))                                                          \
            vb_log_write (VB_LOG_INFO, __VA_ARGS__);                                               \
    } while (0)
#define vb_log_debug(...)                                                                          \
    do {                                                                                           \
        if (vb_log_enabled (VB_LOG_DEBUG))                                                         \
            vb_log_write (VB_LOG_DEBUG, __VA_ARGS__);                                              \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
