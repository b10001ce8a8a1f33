/*  main.c — venuebus-ctl: watch the bus live, or collect for a while and
    print books, rate limits, orders or health for people or scripts.

        venuebus-ctl [--bus EP] [--snapshot VENUE=EP ...] [--config FILE]
                     [watch|books|limits|orders|health] [--json] [--duration MS]

    watch (the default when stdout is a terminal; otherwise books) runs the
    ncurses live view until q, Ctrl-C or SIGTERM. The other subcommands
    collect from the bus for --duration, print the report and exit.

    Exit codes: 0 done; 1 health found something unhealthy or no data;
    2 bad command line or config; 3 the bus or the terminal failed.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <string.h>
#include <unistd.h>

#include "ctl_feed.h"
#include "ctl_model.h"
#include "ctl_report.h"
#include "ctl_view.h"
#include "vb_clock.h"
#include "vb_config.h"
#include "vb_error.h"
#include "vb_log.h"

#define CTL_EXIT_OK        0
#define CTL_EXIT_UNHEALTHY 1
#define CTL_EXIT_USAGE     2
#define CTL_EXIT_FAILED    3
#define CTL_NS_PER_MS      1000000LL
//  Most --snapshot options on one command line.
#define CTL_SNAPSHOTS_MAX VB_SUB_GATEWAYS_MAX
//  Longest argument vector handed to vb_config.
#define CTL_ARGS_MAX 256

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};

static const vb_config_key_t s_keys[] = {
    {.name = "ctl/bus",
     .type = VB_CONFIG_ENDPOINT,
     .fallback = "tcp://127.0.0.1:5556",
     .help = "bus backend (XPUB) endpoint to subscribe to"},
    {.name = "ctl/snapshot",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "gateway snapshot endpoints, VENUE=EP[,VENUE=EP...]; --snapshot may be repeated"},
    {.name = "ctl/duration",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "2000",
     .min = 1,
     .max = 3600000,
     .help = "how long one-shot subcommands collect before printing"},
    {.name = "ctl/json",
     .type = VB_CONFIG_BOOL,
     .fallback = "false",
     .help = "one-shot subcommands print JSON instead of plain text"},
    {.name = "ctl/refresh",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "250",
     .min = 50,
     .max = 10000,
     .help = "how often the live view is redrawn"},
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "warning",
     .values = s_levels,
     .help = "most verbose log level (stderr; the live view shows it on its last line)"},
};

//  The command line once the subcommand and --snapshot are taken out.
typedef struct {
    const char *command;                       //  Subcommand, or NULL
    const char *snapshots[CTL_SNAPSHOTS_MAX];  //  --snapshot values, in order
    size_t snapshot_count;                     //  How many
    char *argv[CTL_ARGS_MAX];                  //  The rest, for vb_config
    int argc;                                  //  Its length
    char *owned[CTL_ARGS_MAX];                 //  Strings made here, freed at the end
    size_t owned_count;                        //  How many
} s_args_t;

static const char *const s_commands[] = {"watch", "books", "limits", "orders", "health"};

//  --------------------------------------------------------------------------
//  Split argv: the subcommand word and every --snapshot come out, the rest
//  goes to vb_config. "--json" alone becomes "--json=true" so that a
//  subcommand after it is not read as its value. Returns 0 or -1 with a
//  message on stderr.

static int
s_args_split (s_args_t *args, int argc, char **argv)
{
    memset (args, 0, sizeof (*args));
    if (argc > CTL_ARGS_MAX - 1) {
        fprintf (stderr, "venuebus-ctl: too many arguments\n");
        return -1;
    }
    args->argv[args->argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp (arg, "--snapshot") == 0 || strncmp (arg, "--snapshot=", 11) == 0) {
            const char *value = arg[10] == '=' ? arg + 11 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value || args->snapshot_count == CTL_SNAPSHOTS_MAX) {
                fprintf (stderr, "venuebus-ctl: --snapshot needs VENUE=EP (at most %d)\n",
                         CTL_SNAPSHOTS_MAX);
                return -1;
            }
            args->snapshots[args->snapshot_count++] = value;
        } else if (strcmp (arg, "--json") == 0 || strcmp (arg, "--ctl-json") == 0) {
            char *flag = zsys_sprintf ("%s=true", arg);
            args->owned[args->owned_count++] = flag;
            args->argv[args->argc++] = flag;
        } else if (strncmp (arg, "--", 2) == 0 || strcmp (arg, "-h") == 0) {
            args->argv[args->argc++] = argv[i];
            //  A flag without '=' takes the next word as its value, as
            //  vb_config reads it, unless that word is another flag.
            if (!strchr (arg, '=') && strcmp (arg, "--help") != 0 && strcmp (arg, "-h") != 0 &&
                i + 1 < argc && strncmp (argv[i + 1], "--", 2) != 0)
                args->argv[args->argc++] = argv[++i];
        } else {
            bool known = false;
            for (size_t c = 0; c < sizeof (s_commands) / sizeof (s_commands[0]); c++)
                known |= strcmp (arg, s_commands[c]) == 0;
            if (!known || args->command) {
                fprintf (stderr,
                         "venuebus-ctl: unexpected argument '%s' (subcommands: watch, "
                         "books, limits, orders, health)\n",
                         arg);
                return -1;
            }
            args->command = arg;
        }
    }
    args->argv[args->argc] = NULL;
    return 0;
}

//  --------------------------------------------------------------------------
//  Free what s_args_split made.

static void
s_args_free (s_args_t *args)
{
    for (size_t i = 0; i < args->owned_count; i++)
        zstr_free (&args->owned[i]);
}

//  --------------------------------------------------------------------------
//  Add every snapshot endpoint: the config's comma list, then the command
//  line's. Returns 0 or -1 (logged).

static int
s_add_snapshots (ctl_feed_t *feed, vb_config_t *config, const s_args_t *args)
{
    char *list = strdup (vb_config_str (config, "ctl/snapshot"));
    assert (list);
    int rc = 0;
    char *saveptr = NULL;
    for (char *spec = strtok_r (list, ",", &saveptr); spec && rc == 0;
         spec = strtok_r (NULL, ",", &saveptr)) {
        rc = ctl_feed_add_snapshot (feed, spec);
        if (rc)
            vb_log_error ("bad snapshot endpoint spec=%s error=%s", spec, vb_strerror (rc));
    }
    free (list);
    for (size_t i = 0; i < args->snapshot_count && rc == 0; i++) {
        rc = ctl_feed_add_snapshot (feed, args->snapshots[i]);
        if (rc)
            vb_log_error ("bad snapshot endpoint spec=%s error=%s", args->snapshots[i],
                          vb_strerror (rc));
    }
    return rc ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  Collect for duration_ms (or until interrupted), then print the report.

static int
s_one_shot (ctl_feed_t *feed, ctl_model_t *model, ctl_report_t report, bool json,
            int64_t duration_ms)
{
    int64_t start_ns = vb_clock_now_mono_ns ();
    int64_t end_ns = start_ns + duration_ms * CTL_NS_PER_MS;
    for (int64_t now_ns = start_ns; now_ns < end_ns && !zsys_interrupted;
         now_ns = vb_clock_now_mono_ns ()) {
        int wait_ms = (int)((end_ns - now_ns + CTL_NS_PER_MS - 1) / CTL_NS_PER_MS);
        if (ctl_feed_pump (feed, wait_ms, -1) < 0) {
            vb_log_error ("bus subscriber failed");
            return CTL_EXIT_FAILED;
        }
    }
    int64_t collected_ms = (vb_clock_now_mono_ns () - start_ns) / CTL_NS_PER_MS;
    ctl_model_refresh (model, vb_clock_now_real_ns ());
    if (ctl_report_print (report, model, stdout, json, collected_ms) != 0) {
        vb_log_error ("cannot write the report to stdout");
        return CTL_EXIT_FAILED;
    }
    if (report == CTL_REPORT_HEALTH && !ctl_model_healthy (model, NULL, 0))
        return CTL_EXIT_UNHEALTHY;
    return CTL_EXIT_OK;
}

int
main (int argc, char **argv)
{
    vb_log_init ("ctl", VB_LOG_WARNING);
    s_args_t args;
    if (s_args_split (&args, argc, argv) != 0) {
        s_args_free (&args);
        return CTL_EXIT_USAGE;
    }
    vb_config_t *config = vb_config_new (s_keys, sizeof (s_keys) / sizeof (s_keys[0]));
    assert (config);  //  The table is ours: a failure is a bug
    int exit_code = CTL_EXIT_OK;
    if (vb_config_load (config, args.argc, args.argv, NULL) != 0) {
        fprintf (stderr, "venuebus-ctl: %s\n", vb_config_error (config));
        exit_code = CTL_EXIT_USAGE;
    } else if (vb_config_help_requested (config)) {
        printf ("venuebus-ctl [--bus EP] [--snapshot VENUE=EP ...] [--config FILE]\n"
                "             [watch|books|limits|orders|health] [--json] [--duration MS]\n\n");
        vb_config_help (config, stdout);
    } else {
        vb_log_set_level (
            (vb_log_level_t)vb_log_level_from_name (vb_config_str (config, "log/level")));
        const char *command = args.command;
        if (!command)
            command = isatty (STDOUT_FILENO) ? "watch" : "books";
        const char *bus = vb_config_str (config, "ctl/bus");
        ctl_model_t *model = ctl_model_new ();
        ctl_feed_t *feed = model ? ctl_feed_new (bus, model) : NULL;
        if (!feed) {
            vb_log_error ("cannot subscribe to the bus endpoint=%s", bus);
            exit_code = CTL_EXIT_FAILED;
        } else if (s_add_snapshots (feed, config, &args) != 0)
            exit_code = CTL_EXIT_USAGE;
        else if (strcmp (command, "watch") == 0) {
            if (ctl_view_run (feed, model, bus, (int)vb_config_int (config, "ctl/refresh")) != 0)
                exit_code = CTL_EXIT_FAILED;
        } else
            exit_code = s_one_shot (feed, model, ctl_report_from_name (command),
                                    vb_config_bool (config, "ctl/json"),
                                    vb_config_int (config, "ctl/duration"));
        ctl_feed_destroy (&feed);
        ctl_model_destroy (&model);
    }
    vb_config_destroy (&config);
    s_args_free (&args);
    return exit_code;
}
