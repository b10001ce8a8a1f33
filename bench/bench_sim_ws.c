/*  bench_sim_ws.c — how fast venuebus-sim pushes WebSocket frames to one
    loopback client.

    Starts the real venuebus-sim (path in argv[1], or $VB_SIM_BIN, or
    ./services/sim/venuebus-sim from the build directory), opens
    /_sim/firehose?count=N&size=B — the core's benchmark stream, which goes
    through the same per-connection queue and writeable loop as every
    personality frame — and counts frames as a raw-socket reader parses them.
    Prints the median (min..max) messages per second over 7 runs after one
    warm-up run. The target is >= 200k messages/s.
    SPDX-License-Identifier: MPL-2.0
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vb_bench.h"

#define BENCH_FRAMES   200000  //  Frames per run
#define BENCH_SIZE     100     //  Bytes per frame: a typical trade or bookTicker message
#define BENCH_RUNS     7       //  Timed runs
#define BENCH_BUFFER   (1 << 20)
#define BENCH_LINE_MAX 256

static double
s_now_s (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

//  Start the sim and read its port from the ready line. Returns the pid.
static pid_t
s_start (const char *binary, int *port)
{
    int pipe_fds[2];
    if (pipe (pipe_fds) != 0)
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        dup2 (pipe_fds[1], STDOUT_FILENO);
        close (pipe_fds[0]);
        execl (binary, binary, "--venue", "binance", "--port", "0", "--log-level", "error",
               "--flow-rate", "0", (char *)NULL);
        _exit (127);
    }
    close (pipe_fds[1]);
    FILE *out = fdopen (pipe_fds[0], "r");
    char line[BENCH_LINE_MAX];
    *port = 0;
    while (out && fgets (line, sizeof line, out))
        if (sscanf (line, "ready venue=%*s port=%d", port) == 1)
            break;
    return *port > 0 ? pid : -1;
}

//  One run: upgrade, then read and count frames until `frames` arrived.
static double
s_run (int port, int frames)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons ((uint16_t)port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *)&address, sizeof address) != 0)
        return -1;
    char request[512];
    int length = snprintf (request, sizeof request,
                           "GET /_sim/firehose?count=%d&size=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n",
                           frames, BENCH_SIZE);
    if (send (fd, request, (size_t)length, 0) != length)
        return -1;
    unsigned char *buffer = malloc (BENCH_BUFFER);
    size_t have = 0;
    bool upgraded = false;
    int seen = 0;
    double start = s_now_s ();
    while (seen < frames) {
        ssize_t got = recv (fd, buffer + have, BENCH_BUFFER - have, 0);
        if (got <= 0)
            break;
        have += (size_t)got;
        size_t at = 0;
        if (!upgraded) {
            unsigned char *end = memmem (buffer, have, "\r\n\r\n", 4);
            if (!end)
                continue;
            at = (size_t)(end + 4 - buffer);
            upgraded = true;
            start = s_now_s ();
        }
        //  Unmasked server frames: 2 bytes, +2 for 126..65535 bytes, +8 beyond.
        while (have - at >= 2) {
            size_t payload = buffer[at + 1] & 0x7f, header = 2;
            if (payload == 126) {
                if (have - at < 4)
                    break;
                payload = ((size_t)buffer[at + 2] << 8) | buffer[at + 3];
                header = 4;
            } else if (payload == 127)
                return -1;  //  Not produced by this bench
            if (have - at < header + payload)
                break;
            if ((buffer[at] & 0x0f) == 0x1)
                seen++;
            at += header + payload;
        }
        memmove (buffer, buffer + at, have - at);
        have -= at;
    }
    double elapsed = s_now_s () - start;
    free (buffer);
    close (fd);
    return seen == frames ? frames / elapsed : -1;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int
main (int argc, char *argv[])
{
    const char *binary = argc > 1 ? argv[1] : getenv ("VB_SIM_BIN");
    if (!binary)
        binary = "./services/sim/venuebus-sim";
    vb_bench_calibrate ();
    int port = 0;
    pid_t pid = s_start (binary, &port);
    if (pid < 0) {
        fprintf (stderr, "bench_sim_ws: cannot start %s (pass its path as argv[1])\n", binary);
        return 1;
    }
    double rates[BENCH_RUNS];
    int rc = 0;
    s_run (port, BENCH_FRAMES);  //  Warm-up
    for (int i = 0; i < BENCH_RUNS && rc == 0; i++) {
        rates[i] = s_run (port, BENCH_FRAMES);
        if (rates[i] <= 0)
            rc = 1;
    }
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
    if (rc) {
        fprintf (stderr, "bench_sim_ws: a run failed\n");
        return 1;
    }
    qsort (rates, BENCH_RUNS, sizeof rates[0], s_compare);
    printf ("sim ws push %d-byte frames to one loopback client: median %.0f msgs/s "
            "(min %.0f .. max %.0f) over %d runs of %d frames\n",
            BENCH_SIZE, rates[BENCH_RUNS / 2], rates[0], rates[BENCH_RUNS - 1], BENCH_RUNS,
            BENCH_FRAMES);
    return 0;
}
