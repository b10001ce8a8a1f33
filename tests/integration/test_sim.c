/*  test_sim.c — the real venuebus-sim process: the ready line, the fault
    endpoint, an unknown venue, and a clean stop on SIGTERM, for every venue.
    (Each personality's protocol is tested beside it in venues/.)
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vbt_http.h"
#include "vbt_proc.h"

#define WAIT_MS 10000
#define STOP_MS 5000

//  Without any venue personality there is no venuebus-sim to test.
#ifndef VB_SIM_BIN
#define VB_SIM_BIN ""
#endif
#define SKIP_WITHOUT_SIM()                                                                         \
    do {                                                                                           \
        if (!*VB_SIM_BIN)                                                                          \
            cr_skip_test ("venuebus-sim is not built");                                            \
    } while (0)

static const char *const s_venues[] = {"binance", "kraken"};

static char *const s_env[] = {"VB_SIM_API_KEY=integration-key",
                              "VB_SIM_API_SECRET=aW50ZWdyYXRpb24tc2VjcmV0", NULL};

typedef struct {
    vbt_proc_t *proc;
    char base[64];
} s_sim_t;

static void
s_start (s_sim_t *sim, const char *venue)
{
    char *argv[] = {VB_SIM_BIN, "--venue", (char *)venue, "--port", "0", "--seed", "7", NULL};
    sim->proc = vbt_proc_start (VB_SIM_BIN, argv, s_env);
    cr_assert_not_null (sim->proc);
    char line[256], port[16], named[32];
    cr_assert_eq (vbt_proc_wait_line (sim->proc, "ready ", WAIT_MS, line, sizeof line), 0,
                  "%s never said ready; stderr: %s", venue, vbt_proc_stderr (sim->proc));
    cr_assert_eq (vbt_line_value (line, "venue", named, sizeof named), 0);
    cr_assert_str_eq (named, venue);
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    cr_assert_gt (atoi (port), 0);
    snprintf (sim->base, sizeof sim->base, "http://127.0.0.1:%s", port);
}

static long
s_request (s_sim_t *sim, const char *method, const char *body, char *out, size_t size)
{
    char url[128];
    snprintf (url, sizeof url, "%s/_sim/faults", sim->base);
    vbt_http_response_t response;
    if (vbt_http_request (method, url, NULL, body, WAIT_MS, &response) != 0)
        return -1;
    snprintf (out, size, "%s", response.body);
    long status = response.status;
    vbt_http_response_free (&response);
    return status;
}

Test (sim_process, serves_the_fault_endpoint_and_stops_on_sigterm)
{
    SKIP_WITHOUT_SIM ();
    for (size_t i = 0; i < sizeof s_venues / sizeof s_venues[0]; i++) {
        s_sim_t sim;
        s_start (&sim, s_venues[i]);
        char body[1024];
        cr_assert_eq (s_request (&sim, "GET", NULL, body, sizeof body), 200);
        cr_assert_str_eq (body, "{\"faults\":[]}");
        cr_assert_eq (s_request (&sim, "POST",
                                 "{\"fault\":\"http_status\",\"status\":503,\"count\":2}", body,
                                 sizeof body),
                      200, "%s", body);
        cr_assert_eq (s_request (&sim, "GET", NULL, body, sizeof body), 200);
        cr_assert_str_eq (body, "{\"faults\":[{\"fault\":\"http_status\",\"stream\":\"*\","
                                "\"count\":2,\"status\":503,\"ms\":0}]}");
        //  A fault that names no known kind is refused with a reason.
        cr_assert_eq (s_request (&sim, "POST", "{\"fault\":\"explode\"}", body, sizeof body), 400);
        cr_assert_str_eq (body, "{\"error\":\"unknown fault 'explode'\"}");
        cr_assert_eq (s_request (&sim, "POST", "{\"fault\":\"clear\"}", body, sizeof body), 200);
        cr_assert_eq (s_request (&sim, "GET", NULL, body, sizeof body), 200);
        cr_assert_str_eq (body, "{\"faults\":[]}");
        //  The demo secret never reaches the log.
        cr_assert_null (strstr (vbt_proc_stderr (sim.proc), "aW50ZWdyYXRpb24tc2VjcmV0"));
        cr_assert_eq (vbt_proc_stop (&sim.proc, STOP_MS), 0, "%s did not exit 0 on SIGTERM",
                      s_venues[i]);
    }
}

Test (sim_process, refuses_an_unknown_venue_by_name)
{
    SKIP_WITHOUT_SIM ();
    char *argv[] = {VB_SIM_BIN, "--venue", "nosuchvenue", "--port", "0", NULL};
    vbt_proc_t *proc = vbt_proc_start (VB_SIM_BIN, argv, NULL);
    cr_assert_not_null (proc);
    int status = vbt_proc_wait_exit (proc, WAIT_MS);
    cr_assert (status > 0 && status < 128, "exit status %d", status);
    cr_assert_not_null (strstr (vbt_proc_stderr (proc), "nosuchvenue"), "%s",
                        vbt_proc_stderr (proc));
    vbt_proc_stop (&proc, STOP_MS);
}

Test (sim_process, refuses_a_bad_accounts_file)
{
    SKIP_WITHOUT_SIM ();
    char path[] = "/tmp/test_sim_accounts_XXXXXX";
    int fd = mkstemp (path);
    cr_assert_geq (fd, 0);
    const char text[] = "account\n    alice\n        balances = \"BTC:ten\"\n";
    cr_assert_eq (write (fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close (fd);
    char *argv[] = {VB_SIM_BIN, "--venue", "binance", "--port", "0", "--accounts", path, NULL};
    vbt_proc_t *proc = vbt_proc_start (VB_SIM_BIN, argv, NULL);
    cr_assert_not_null (proc);
    int status = vbt_proc_wait_exit (proc, WAIT_MS);
    unlink (path);
    cr_assert (status > 0 && status < 128, "exit status %d", status);
    cr_assert_not_null (strstr (vbt_proc_stderr (proc), "BTC:ten"), "%s", vbt_proc_stderr (proc));
    vbt_proc_stop (&proc, STOP_MS);
}
