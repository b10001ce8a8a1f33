/*  vbt_proc.c — start, watch and stop a real process for integration tests.
    SPDX-License-Identifier: MPL-2.0
*/
#include "vbt_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VBT_READ_CHUNK   4096
#define VBT_POLL_STEP_MS 50

typedef struct {
    int fd;           //  Read end of the pipe, -1 once closed
    char *data;       //  Everything read, NUL-terminated
    size_t size;      //  Bytes in data
    size_t capacity;  //  Bytes allocated
    size_t scanned;   //  Offset of the first byte not yet returned as a line
} s_stream_t;

struct _vbt_proc_t {
    pid_t pid;       //  Child process id
    bool exited;     //  True once reaped
    int status;      //  Exit status once reaped
    s_stream_t out;  //  Child's stdout
    s_stream_t err;  //  Child's stderr
};

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_stream_append (s_stream_t *stream, const char *bytes, size_t length)
{
    if (stream->size + length + 1 > stream->capacity) {
        size_t capacity = stream->capacity ? stream->capacity : VBT_READ_CHUNK;
        while (capacity < stream->size + length + 1)
            capacity *= 2;
        char *data = realloc (stream->data, capacity);
        if (!data)
            abort ();
        stream->data = data;
        stream->capacity = capacity;
    }
    memcpy (stream->data + stream->size, bytes, length);
    stream->size += length;
    stream->data[stream->size] = 0;
}

//  --------------------------------------------------------------------------
//  Read whatever is available on both pipes, waiting at most timeout_ms.

static void
s_pump (vbt_proc_t *self, int timeout_ms)
{
    struct pollfd fds[2] = {{self->out.fd, POLLIN, 0}, {self->err.fd, POLLIN, 0}};
    if (poll (fds, 2, timeout_ms) <= 0)
        return;
    s_stream_t *streams[2] = {&self->out, &self->err};
    for (int i = 0; i < 2; i++) {
        if (streams[i]->fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buffer[VBT_READ_CHUNK];
        ssize_t got = read (streams[i]->fd, buffer, sizeof (buffer));
        if (got > 0)
            s_stream_append (streams[i], buffer, (size_t)got);
        else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            close (streams[i]->fd);
            streams[i]->fd = -1;
        }
    }
}

static void
s_reap (vbt_proc_t *self, int flags)
{
    if (self->exited)
        return;
    int status;
    if (waitpid (self->pid, &status, flags) == self->pid) {
        self->exited = true;
        self->status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
}

vbt_proc_t *
vbt_proc_start (const char *path, char *const argv[], char *const env[])
{
    int out_pipe[2], err_pipe[2];
    if (pipe2 (out_pipe, O_CLOEXEC) || pipe2 (err_pipe, O_CLOEXEC))
        return NULL;
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0)
        return NULL;
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () != parent)
            _exit (127);
        dup2 (out_pipe[1], STDOUT_FILENO);
        dup2 (err_pipe[1], STDERR_FILENO);
        for (int i = 0; env && env[i]; i++)
            putenv (env[i]);
        execv (path, argv);
        fprintf (stderr, "exec %s failed: %s\n", path, strerror (errno));
        _exit (127);
    }
    close (out_pipe[1]);
    close (err_pipe[1]);
    vbt_proc_t *self = calloc (1, sizeof (vbt_proc_t));
    if (!self)
        abort ();
    self->pid = pid;
    self->out.fd = out_pipe[0];
    self->err.fd = err_pipe[0];
    s_stream_append (&self->out, "", 0);
    s_stream_append (&self->err, "", 0);
    return self;
}

//  --------------------------------------------------------------------------
//  Wait for the next complete line of `stream` that starts with `text` (or,
//  with anywhere set, contains it), scanning each line once.

static int
s_wait_line (vbt_proc_t *self, s_stream_t *stream, const char *text, bool anywhere, int timeout_ms,
             char *line, size_t size)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    size_t text_length = strlen (text);
    while (true) {
        char *start = stream->data + stream->scanned;
        char *newline;
        while ((newline = memchr (start, '\n', stream->data + stream->size - start))) {
            size_t length = (size_t)(newline - start);
            stream->scanned += length + 1;
            bool match;
            if (anywhere) {
                *newline = 0;  //  Bound the search to this line, then restore
                match = strstr (start, text) != NULL;
                *newline = '\n';
            } else
                match = length >= text_length && memcmp (start, text, text_length) == 0;
            if (match) {
                size_t copy = length < size - 1 ? length : size - 1;
                memcpy (line, start, copy);
                line[copy] = 0;
                return 0;
            }
            start = newline + 1;
        }
        int64_t left = deadline - s_now_ms ();
        if (left <= 0 || stream->fd < 0)
            return -1;
        s_pump (self, left < VBT_POLL_STEP_MS ? (int)left : VBT_POLL_STEP_MS);
    }
}

int
vbt_proc_wait_line (vbt_proc_t *self, const char *prefix, int timeout_ms, char *line, size_t size)
{
    return s_wait_line (self, &self->out, prefix, false, timeout_ms, line, size);
}

int
vbt_proc_wait_stderr_line (vbt_proc_t *self, const char *text, int timeout_ms, char *line,
                           size_t size)
{
    return s_wait_line (self, &self->err, text, true, timeout_ms, line, size);
}

int
vbt_proc_wait_exit (vbt_proc_t *self, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (true) {
        s_reap (self, WNOHANG);
        if (self->exited) {
            //  Drain what is left in the pipes.
            while (self->out.fd >= 0 || self->err.fd >= 0)
                s_pump (self, VBT_POLL_STEP_MS);
            return self->status;
        }
        if (s_now_ms () >= deadline)
            return -1;
        s_pump (self, VBT_POLL_STEP_MS / 5);
    }
}

int
vbt_proc_stop (vbt_proc_t **self_p, int timeout_ms)
{
    vbt_proc_t *self = *self_p;
    if (!self)
        return -1;
    if (!self->exited)
        kill (self->pid, SIGTERM);
    int status = vbt_proc_wait_exit (self, timeout_ms);
    if (status < 0) {
        kill (self->pid, SIGKILL);
        s_reap (self, 0);
    }
    if (self->out.fd >= 0)
        close (self->out.fd);
    if (self->err.fd >= 0)
        close (self->err.fd);
    free (self->out.data);
    free (self->err.data);
    free (self);
    *self_p = NULL;
    return status;
}

const char *
vbt_proc_stdout (vbt_proc_t *self)
{
    s_pump (self, 0);
    return self->out.data;
}

const char *
vbt_proc_stderr (vbt_proc_t *self)
{
    s_pump (self, 0);
    return self->err.data;
}

pid_t
vbt_proc_pid (vbt_proc_t *self)
{
    return self->pid;
}

int
vbt_line_value (const char *line, const char *key, char *value, size_t size)
{
    size_t key_length = strlen (key);
    for (const char *at = line; (at = strstr (at, key)); at += key_length) {
        bool word_start = at == line || at[-1] == ' ';
        if (word_start && at[key_length] == '=') {
            const char *start = at + key_length + 1;
            size_t length = strcspn (start, " \n");
            if (length + 1 > size)
                return -1;
            memcpy (value, start, length);
            value[length] = 0;
            return 0;
        }
    }
    return -1;
}
