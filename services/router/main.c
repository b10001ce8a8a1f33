/*  main.c — venuebus-router: the order router, journal, rate-limit authority and key holder.

        venuebus-router --config FILE [--metrics HOST:PORT]

    Thin, like every service main: harden the process (no core dumps, not
    ptrace-attachable by other users), config, logging, then the router,
    which prints `ready accounts=N` once every account has passed its
    posture check and reconciliation, and serves until SIGINT/SIGTERM.
    Exit 0 on a clean stop, 1 on a runtime failure, 2 on a configuration,
    journal or secrets error, 3 when a key fails the posture check.
    SPDX-License-Identifier: MPL-2.0
*/
#include <curl/curl.h>
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "rt_config.h"
#include "rt_router.h"
#include "vb_log.h"

//  No core file may hold a key: no dumps, and the process is not dumpable
//  (which also keeps /proc/<pid>/mem and ptrace from other users away).
static int
s_harden (void)
{
    struct rlimit none = {0, 0};
    if (setrlimit (RLIMIT_CORE, &none) != 0)
        return -1;
    if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return -1;
    return 0;
}

int
main (int argc, char *argv[])
{
    if (s_harden () != 0) {
        fprintf (stderr, "router cannot disable core dumps: %s\n", strerror (errno));
        return RT_EXIT_FAILURE;
    }
    //  libcurl runs with CURLOPT_NOSIGNAL: a write to a closed TLS socket must
    //  not kill the process
    signal (SIGPIPE, SIG_IGN);
    zsys_init ();
    vb_log_init ("router", VB_LOG_NOTICE);
    vb_config_t *config = rt_config_new ();
    if (!config || vb_config_load (config, argc, argv, NULL) != 0) {
        vb_log_error ("router config invalid: %s",
                      config ? vb_config_error (config) : "internal table error");
        vb_config_destroy (&config);
        return RT_EXIT_CONFIG;
    }
    if (vb_config_help_requested (config)) {
        vb_config_help (config, stdout);
        vb_config_destroy (&config);
        return 0;
    }
    static rt_settings_t settings;
    char error[1024];
    if (rt_config_settings (config, &settings, error, sizeof (error)) != 0) {
        vb_log_error ("router config invalid: %s", error);
        vb_config_destroy (&config);
        return RT_EXIT_CONFIG;
    }
    vb_log_set_level ((vb_log_level_t)vb_log_level_from_name (settings.log_level));
    vb_config_print (config, stderr);
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        vb_log_error ("router cannot initialise libcurl");
        vb_config_destroy (&config);
        return RT_EXIT_FAILURE;
    }
    int rc = RT_EXIT_FAILURE;
    rt_router_t *router = rt_router_new (&settings, error, sizeof (error), &rc);
    if (!router)
        vb_log_error ("router cannot start: %s", error);
    else
        rc = rt_router_run (router);
    rt_router_destroy (&router);
    curl_global_cleanup ();
    vb_config_destroy (&config);
    return rc;
}
