/*  main.c — venuebus-gateway: one venue's public market data onto the bus.

        venuebus-gateway --venue V --symbols A-B,C-D --bus EP --snapshot EP
                         [--rest-url URL] [--ws-url URL] [--config FILE]

    Thin, like every service main: config, then logging, then the server,
    then run until SIGINT/SIGTERM (czmq's handler sets zsys_interrupted),
    then tear down. Exit 0 on a clean stop, 1 on a runtime failure, 2 on a
    configuration error (bad key, unknown venue or symbol).
    SPDX-License-Identifier: MPL-2.0
*/
#include <curl/curl.h>
#include <czmq.h>
#include <stdio.h>

#include "gw_config.h"
#include "gw_server.h"
#include "vb_log.h"

#define GW_EXIT_FAILURE 1
#define GW_EXIT_CONFIG  2

int
main (int argc, char *argv[])
{
    zsys_init ();
    vb_log_init ("gateway", VB_LOG_NOTICE);
    vb_config_t *config = gw_config_new ();
    if (vb_config_load (config, argc, argv, NULL) != 0) {
        vb_log_error ("gateway config invalid: %s", vb_config_error (config));
        vb_config_destroy (&config);
        return GW_EXIT_CONFIG;
    }
    if (vb_config_help_requested (config)) {
        vb_config_help (config, stdout);
        vb_config_destroy (&config);
        return 0;
    }
    static gw_settings_t settings;
    char error[512];
    if (gw_config_settings (config, &settings, error, sizeof (error)) != 0) {
        vb_log_error ("gateway config invalid: %s", error);
        vb_config_destroy (&config);
        return GW_EXIT_CONFIG;
    }
    vb_log_set_level ((vb_log_level_t)vb_log_level_from_name (settings.log_level));
    vb_config_print (config, stderr);
    //  curl's global state is set up once, before any thread exists.
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        vb_log_error ("gateway cannot initialise libcurl");
        vb_config_destroy (&config);
        return GW_EXIT_FAILURE;
    }
    int rc = GW_EXIT_FAILURE;
    gw_server_t *server = gw_server_new (&settings, error, sizeof (error));
    if (!server) {
        vb_log_error ("gateway cannot start: %s", error);
        rc = GW_EXIT_CONFIG;
    } else if (gw_server_run (server) == 0)
        rc = 0;
    gw_server_destroy (&server);
    curl_global_cleanup ();
    vb_config_destroy (&config);
    return rc;
}
