/*  vbt_proc.h — start a real venuebus process for an integration test.

    The child gets its stdout and stderr on pipes that the test reads; it is
    tied to the test with PR_SET_PDEATHSIG, so it stops by itself if the test
    dies. Waiting is always for a line, with a timeout; never a sleep.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VBT_PROC_H_INCLUDED
#define VBT_PROC_H_INCLUDED

#include <stddef.h>
#include <sys/types.h>

typedef struct _vbt_proc_t vbt_proc_t;

//  Start `path` with the NULL-terminated argv (argv[0] included). `env` is a
//  NULL-terminated list of "NAME=value" added to the test's environment, or
//  NULL. Returns NULL if the process could not be started.
vbt_proc_t *vbt_proc_start (const char *path, char *const argv[], char *const env[]);

//  Wait until a line of stdout starts with `prefix`; copy it (without the
//  newline) into line. Returns 0, or -1 on timeout or if the process exited.
int vbt_proc_wait_line (vbt_proc_t *self, const char *prefix, int timeout_ms, char *line,
                        size_t size);

//  Wait until a line of stderr contains `text` anywhere (log lines start with
//  a time stamp, so a prefix would not do); copy it (without the newline)
//  into line. Lines are scanned once, as for stdout. Returns 0, or -1 on
//  timeout or if the process closed stderr.
int vbt_proc_wait_stderr_line (vbt_proc_t *self, const char *text, int timeout_ms, char *line,
                               size_t size);

//  Wait for the process to exit by itself. Returns its exit status (0-255),
//  128+signal if killed, or -1 on timeout (the process is then left running).
int vbt_proc_wait_exit (vbt_proc_t *self, int timeout_ms);

//  Send SIGTERM and wait up to timeout_ms; SIGKILL after that. Returns the exit
//  status as vbt_proc_wait_exit, and destroys the object.
int vbt_proc_stop (vbt_proc_t **self_p, int timeout_ms);

//  Everything read so far from stdout and stderr (NUL-terminated, borrowed).
const char *vbt_proc_stdout (vbt_proc_t *self);
const char *vbt_proc_stderr (vbt_proc_t *self);

//  The child's pid.
pid_t vbt_proc_pid (vbt_proc_t *self);

//  Read a value "key=value" from a line such as "ready venue=binance port=4242".
//  Returns 0 and copies the value, or -1 if the key is absent.
int vbt_line_value (const char *line, const char *key, char *value, size_t size);

#endif
