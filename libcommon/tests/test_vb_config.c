/*  test_vb_config.c — precedence, validation, errors that name the key,
    masking, help and sections, with ZPL files written to a temp directory.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vb_config.h"
#include "vb_error.h"

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};
static const char *const s_venues[] = {"binance", "kraken", NULL};

static const vb_config_key_t s_keys[] = {
    {.name = "router/endpoint",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "ROUTER endpoint for strategies"},
    {.name = "router/workers",
     .type = VB_CONFIG_INT,
     .fallback = "2",
     .min = 1,
     .max = 64,
     .help = "worker threads"},
    {.name = "router/verbose", .type = VB_CONFIG_BOOL, .fallback = "false", .help = "chatty"},
    {.name = "router/heartbeat",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "5s",
     .min = 100,
     .max = 60000,
     .help = "heartbeat interval"},
    {.name = "router/rest_url", .type = VB_CONFIG_STRING, .help = "REST base URL"},
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "notice",
     .values = s_levels,
     .help = "most verbose log level"},
    {.name = "vault/token",
     .type = VB_CONFIG_STRING,
     .fallback = "dev-token-default",
     .flags = VB_CONFIG_SECRET,
     .help = "Vault token"},
    {.name = "vault/pin",
     .type = VB_CONFIG_INT,
     .flags = VB_CONFIG_SECRET,
     .help = "a secret number"},
};
#define KEY_COUNT (sizeof (s_keys) / sizeof (s_keys[0]))

static const vb_config_key_t s_account_keys[] = {
    {.name = "venue",
     .type = VB_CONFIG_ENUM,
     .values = s_venues,
     .flags = VB_CONFIG_REQUIRED,
     .help = "venue name"},
    {.name = "rest_url", .type = VB_CONFIG_STRING, .help = "REST base URL"},
    {.name = "ws_url", .type = VB_CONFIG_STRING, .help = "WebSocket URL"},
    {.name = "secrets",
     .type = VB_CONFIG_STRING,
     .fallback = "env",
     .help = "where the API key comes from"},
    {.name = "max_orders", .type = VB_CONFIG_INT, .fallback = "10", .min = 1, .max = 100},
};
#define ACCOUNT_KEY_COUNT (sizeof (s_account_keys) / sizeof (s_account_keys[0]))

static char s_dir[] = "/tmp/test_vb_config.XXXXXX";
static char s_path[PATH_MAX];
static char *s_empty_env[] = {NULL};

static void
s_setup (void)
{
    cr_assert_not_null (mkdtemp (s_dir));
    snprintf (s_path, sizeof (s_path), "%s/service.cfg", s_dir);
}

static void
s_teardown (void)
{
    unlink (s_path);
    rmdir (s_dir);
}

static void
s_write (const char *text)
{
    FILE *file = fopen (s_path, "w");
    cr_assert_not_null (file);
    fputs (text, file);
    fclose (file);
}

//  Load with argv given as a NULL-terminated list after the program name.
static int
s_load (vb_config_t *config, char **env, char **args)
{
    char *argv[32] = {"svc"};
    int argc = 1;
    for (; args && args[argc - 1]; argc++)
        argv[argc] = args[argc - 1];
    return vb_config_load (config, argc, argv, env ? env : s_empty_env);
}

static vb_config_t *
s_new (void)
{
    vb_config_t *config = vb_config_new (s_keys, KEY_COUNT);
    cr_assert_not_null (config);
    return config;
}

//  Assert that loading fails with rc and an error containing every fragment.
static void
s_expect_error (vb_config_t *config, int expected_rc, char **env, char **args, const char *one,
                const char *two)
{
    int rc = s_load (config, env, args);
    cr_assert_eq (rc, expected_rc, "rc %d, error: %s", rc, vb_config_error (config));
    cr_assert_not_null (strstr (vb_config_error (config), one), "[%s] lacks [%s]",
                        vb_config_error (config), one);
    if (two)
        cr_assert_not_null (strstr (vb_config_error (config), two), "[%s] lacks [%s]",
                            vb_config_error (config), two);
}

Test (vb_config, usage_example, .init = s_setup, .fini = s_teardown)
{
    //  A service declares its table once (above), then in main:
    s_write ("router\n"
             "    endpoint = \"tcp://127.0.0.1:5555\"\n"
             "    workers = 8\n"
             "log\n"
             "    level = info\n");
    char *env[] = {"VB_ROUTER_WORKERS=16", "PATH=/bin", NULL};
    char *args[] = {"--config", s_path, "--heartbeat", "250ms", "--verbose", NULL};
    vb_config_t *config = s_new ();
    int rc = s_load (config, env, args);
    cr_assert_eq (rc, 0, "%s", vb_config_error (config));
    cr_assert_str_eq (vb_config_error (config), "");
    cr_assert_str_eq (vb_config_file (config), s_path);

    cr_assert_str_eq (vb_config_str (config, "router/endpoint"), "tcp://127.0.0.1:5555");
    cr_assert_eq (vb_config_source (config, "router/endpoint"), VB_CONFIG_FILE);
    cr_assert_eq (vb_config_int (config, "router/workers"), 16);
    cr_assert_eq (vb_config_source (config, "router/workers"), VB_CONFIG_ENV);
    cr_assert_eq (vb_config_int (config, "router/heartbeat"), 250);
    cr_assert_eq (vb_config_source (config, "router/heartbeat"), VB_CONFIG_ARGV);
    cr_assert (vb_config_bool (config, "router/verbose"));
    cr_assert_str_eq (vb_config_str (config, "log/level"), "info");
    cr_assert_str_eq (vb_config_str (config, "vault/token"), "dev-token-default");
    cr_assert_eq (vb_config_source (config, "vault/token"), VB_CONFIG_DEFAULT);
    cr_assert_not (vb_config_has (config, "router/rest_url"));
    cr_assert_null (vb_config_str (config, "router/rest_url"));
    cr_assert_eq (vb_config_source (config, "router/rest_url"), VB_CONFIG_UNSET);
    vb_config_destroy (&config);
    vb_config_destroy (&config);
    cr_assert_null (config);
}

Test (vb_config, file_overrides_default, .init = s_setup, .fini = s_teardown)
{
    s_write ("router\n    endpoint = inproc://a\n    workers = 3\n");
    char *args[] = {"--config", s_path, NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert_eq (vb_config_int (config, "router/workers"), 3);
    cr_assert_eq (vb_config_source (config, "router/workers"), VB_CONFIG_FILE);
    vb_config_destroy (&config);
}

Test (vb_config, environment_overrides_file, .init = s_setup, .fini = s_teardown)
{
    s_write ("router\n    endpoint = inproc://a\n    workers = 3\n");
    char *env[] = {"VB_ROUTER_WORKERS=4", "VB_LOG_LEVEL=debug", "VB_UNRELATED_KEY=x", NULL};
    char *args[] = {"--config", s_path, NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, env, args), 0, "%s", vb_config_error (config));
    cr_assert_eq (vb_config_int (config, "router/workers"), 4);
    cr_assert_eq (vb_config_source (config, "router/workers"), VB_CONFIG_ENV);
    cr_assert_str_eq (vb_config_str (config, "log/level"), "debug");
    vb_config_destroy (&config);
}

Test (vb_config, command_line_overrides_environment, .init = s_setup, .fini = s_teardown)
{
    s_write ("router\n    endpoint = inproc://a\n    workers = 3\n");
    char *env[] = {"VB_ROUTER_WORKERS=4", "VB_ROUTER_ENDPOINT=inproc://env", NULL};
    char *args[] = {"--config", s_path, "--workers=5", "--router-endpoint", "inproc://argv", NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, env, args), 0, "%s", vb_config_error (config));
    cr_assert_eq (vb_config_int (config, "router/workers"), 5);
    cr_assert_eq (vb_config_source (config, "router/workers"), VB_CONFIG_ARGV);
    cr_assert_str_eq (vb_config_str (config, "router/endpoint"), "inproc://argv");
    vb_config_destroy (&config);
}

Test (vb_config, reads_the_process_environment_and_vb_config)
{
    s_setup ();
    s_write ("router\n    endpoint = inproc://from-file\n");
    cr_assert_eq (setenv ("VB_CONFIG", s_path, 1), 0);
    cr_assert_eq (setenv ("VB_ROUTER_REST_URL", "https://example.invalid", 1), 0);
    vb_config_t *config = s_new ();
    char *argv[] = {"svc", NULL};
    cr_assert_eq (vb_config_load (config, 1, argv, NULL), 0, "%s", vb_config_error (config));
    cr_assert_str_eq (vb_config_str (config, "router/endpoint"), "inproc://from-file");
    cr_assert_str_eq (vb_config_str (config, "router/rest_url"), "https://example.invalid");
    cr_assert_eq (vb_config_source (config, "router/rest_url"), VB_CONFIG_ENV);
    vb_config_destroy (&config);
    s_teardown ();
}

Test (vb_config, command_line_config_beats_vb_config, .init = s_setup, .fini = s_teardown)
{
    s_write ("router\n    endpoint = inproc://chosen\n");
    char *env[] = {"VB_CONFIG=/nonexistent/other.cfg", NULL};
    char *args[] = {"--config=", NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, env, args, "--config needs a file name", NULL);
    vb_config_destroy (&config);
    config = s_new ();
    char *good[] = {"--config", s_path, NULL};
    cr_assert_eq (s_load (config, env, good), 0, "%s", vb_config_error (config));
    cr_assert_str_eq (vb_config_str (config, "router/endpoint"), "inproc://chosen");
    vb_config_destroy (&config);
}

Test (vb_config, accepts_flag_forms)
{
    char *args[] = {"--endpoint=inproc://x",
                    "--router-rest-url",
                    "http://h/a=b",
                    "--router-verbose",
                    "--log-level",
                    "warning",
                    "--verbose",
                    "no",
                    NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert_str_eq (vb_config_str (config, "router/endpoint"), "inproc://x");
    cr_assert_str_eq (vb_config_str (config, "router/rest_url"), "http://h/a=b");
    cr_assert_str_eq (vb_config_str (config, "log/level"), "warning");
    //  --router-verbose alone meant true; the later "--verbose no" wins.
    cr_assert_not (vb_config_bool (config, "router/verbose"));
    vb_config_destroy (&config);
}

Test (vb_config, a_bool_flag_alone_means_true)
{
    char *args[] = {"--endpoint", "inproc://x", "--verbose", NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert (vb_config_bool (config, "router/verbose"));
    vb_config_destroy (&config);
}

Test (vb_config, short_flags_shared_by_two_keys_are_refused)
{
    static const vb_config_key_t keys[] = {
        {.name = "public/port", .type = VB_CONFIG_INT, .fallback = "1"},
        {.name = "admin/port", .type = VB_CONFIG_INT, .fallback = "2"},
        {.name = "metrics", .type = VB_CONFIG_STRING},
    };
    vb_config_t *config = vb_config_new (keys, 3);
    cr_assert_not_null (config);
    char *ambiguous[] = {"--port", "5", NULL};
    s_expect_error (config, VB_EINVAL, NULL, ambiguous, "unknown option --port", NULL);
    vb_config_destroy (&config);
    config = vb_config_new (keys, 3);
    char *args[] = {"--admin-port", "7", "--metrics", "127.0.0.1:9100", NULL};
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert_eq (vb_config_int (config, "admin/port"), 7);
    cr_assert_eq (vb_config_int (config, "public/port"), 1);
    cr_assert_str_eq (vb_config_str (config, "metrics"), "127.0.0.1:9100");
    vb_config_destroy (&config);
}

Test (vb_config, help_stops_loading)
{
    char *args[] = {"--workers", "999", "--help", NULL};
    vb_config_t *config = s_new ();
    //  Required keys are not checked and later flags are not read; the bad
    //  value before --help is not checked either, as nothing is applied.
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert (vb_config_help_requested (config));
    vb_config_destroy (&config);
    config = s_new ();
    char *short_help[] = {"-h", NULL};
    cr_assert_eq (s_load (config, NULL, short_help), 0);
    cr_assert (vb_config_help_requested (config));
    vb_config_destroy (&config);
}

Test (vb_config, loads_only_once)
{
    char *args[] = {"--endpoint", "inproc://x", NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, NULL, args), 0);
    cr_assert_eq (s_load (config, NULL, args), VB_ESTATE);
    vb_config_destroy (&config);
}

Test (vb_config, reports_every_unknown_key_in_the_file, .init = s_setup, .fini = s_teardown)
{
    s_write ("router\n"
             "    endpoint = inproc://a\n"
             "    endpont = inproc://typo\n"
             "logging\n"
             "    level = info\n");
    char *args[] = {"--config", s_path, NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, "unknown keys: router/endpont, logging", s_path);
    vb_config_destroy (&config);
}

Test (vb_config, rejects_duplicate_and_misplaced_keys_in_the_file, .init = s_setup,
      .fini = s_teardown)
{
    char *args[] = {"--config", s_path, NULL};
    s_write ("router\n    workers = 2\n    workers = 3\n");
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, "duplicate key router/workers", NULL);
    vb_config_destroy (&config);

    s_write ("router\n    workers\n        deeper = 1\n");
    config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, "router/workers: expected a value", NULL);
    vb_config_destroy (&config);

    s_write ("router/workers = 3\n");
    config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, "router/workers: bad name", NULL);
    vb_config_destroy (&config);
}

Test (vb_config, names_the_file_it_cannot_read, .init = s_setup, .fini = s_teardown)
{
    char missing[PATH_MAX];
    snprintf (missing, sizeof (missing), "%s/absent.cfg", s_dir);
    char *args[] = {"--config", missing, NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EIO, NULL, args, missing, "No such file");
    vb_config_destroy (&config);

    char *dir_args[] = {"--config", s_dir, NULL};
    config = s_new ();
    s_expect_error (config, VB_EIO, NULL, dir_args, s_dir, "not a regular file");
    vb_config_destroy (&config);
}

Test (vb_config, names_a_malformed_file, .init = s_setup, .fini = s_teardown)
{
    //  ZPL indents by exactly four spaces per level; eight at once is a
    //  syntax error for zconfig.
    s_write ("router\n        endpoint = inproc://a\n");
    char *args[] = {"--config", s_path, NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, s_path, "not valid ZPL");
    vb_config_destroy (&config);
}

Test (vb_config, rejects_unknown_flags_and_stray_arguments)
{
    char *unknown[] = {"--endpoint", "inproc://x", "--frobnicate=1", NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, unknown, "unknown option --frobnicate", NULL);
    cr_assert_null (strstr (vb_config_error (config), "=1"));
    vb_config_destroy (&config);

    char *stray[] = {"--endpoint", "inproc://x", "stray", NULL};
    config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, stray, "argument 3 is not an --option", NULL);
    vb_config_destroy (&config);

    char *no_value[] = {"--workers", "--verbose", NULL};
    config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, no_value, "--workers needs a value", NULL);
    vb_config_destroy (&config);
}

Test (vb_config, every_bad_value_error_names_the_key_and_the_source)
{
    struct {
        char *env;
        const char *key;
        const char *fragment;
    } cases[] = {
        {"VB_ROUTER_WORKERS=abc", "router/workers",
         "\"abc\" from environment VB_ROUTER_WORKERS "
         "is not an integer"},
        {"VB_ROUTER_WORKERS=", "router/workers", "is not an integer"},
        {"VB_ROUTER_WORKERS= 5", "router/workers", "is not an integer"},
        {"VB_ROUTER_WORKERS=5x", "router/workers", "is not an integer"},
        {"VB_ROUTER_WORKERS=65", "router/workers", "is out of range 1..64"},
        {"VB_ROUTER_WORKERS=0", "router/workers", "is out of range 1..64"},
        {"VB_ROUTER_WORKERS=99999999999999999999", "router/workers", "is too large"},
        {"VB_ROUTER_VERBOSE=maybe", "router/verbose", "is not a bool"},
        {"VB_ROUTER_HEARTBEAT=5 s", "router/heartbeat", "is not a duration"},
        {"VB_ROUTER_HEARTBEAT=1d", "router/heartbeat", "is not a duration"},
        {"VB_ROUTER_HEARTBEAT=-5s", "router/heartbeat", "is not a duration"},
        {"VB_ROUTER_HEARTBEAT=2m", "router/heartbeat", "is out of range 100..60000 ms"},
        {"VB_ROUTER_HEARTBEAT=99", "router/heartbeat", "is out of range"},
        {"VB_LOG_LEVEL=loud", "log/level", "is not one of: error warning notice info debug"},
        {"VB_LOG_LEVEL=INFO", "log/level", "is not one of"},
        {"VB_ROUTER_ENDPOINT=tcp://host", "router/endpoint", "is not an endpoint"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char *env[] = {cases[i].env, NULL};
        char *args[] = {"--endpoint", "inproc://x", NULL};
        vb_config_t *config = s_new ();
        s_expect_error (config, VB_EINVAL, env, args, cases[i].key, cases[i].fragment);
        vb_config_destroy (&config);
    }
    //  The same checks on the command line say which flag.
    char *args[] = {"--endpoint", "inproc://x", "--workers", "seven", NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, "router/workers: \"seven\"",
                    "from command line --workers");
    vb_config_destroy (&config);
}

Test (vb_config, file_values_are_checked_too, .init = s_setup, .fini = s_teardown)
{
    s_write ("router\n    endpoint = inproc://a\n    verbose = sometimes\n");
    char *args[] = {"--config", s_path, NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, "router/verbose: \"sometimes\" from file",
                    "is not a bool");
    vb_config_destroy (&config);
}

Test (vb_config, errors_never_quote_a_secret_value)
{
    char *env[] = {"VB_VAULT_PIN=hunter2", NULL};
    char *args[] = {"--endpoint", "inproc://x", NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, env, args, "vault/pin", "is not an integer");
    cr_assert_null (strstr (vb_config_error (config), "hunter2"), "%s", vb_config_error (config));
    vb_config_destroy (&config);
}

Test (vb_config, names_a_missing_required_key_and_how_to_set_it)
{
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_ENOTFOUND, NULL, NULL, "router/endpoint: required but not set",
                    "VB_ROUTER_ENDPOINT or --endpoint");
    vb_config_destroy (&config);

    static const vb_config_key_t keys[] = {
        {.name = "name", .type = VB_CONFIG_STRING, .flags = VB_CONFIG_REQUIRED}};
    config = vb_config_new (keys, 1);
    char *env[] = {"VB_NAME=", NULL};
    s_expect_error (config, VB_ENOTFOUND, env, NULL, "name: required", NULL);
    vb_config_destroy (&config);
}

Test (vb_config, parses_numbers_durations_bools_and_endpoints)
{
    static const vb_config_key_t keys[] = {
        {.name = "n", .type = VB_CONFIG_INT},
        {.name = "d", .type = VB_CONFIG_DURATION_MS},
        {.name = "b", .type = VB_CONFIG_BOOL},
        {.name = "e", .type = VB_CONFIG_ENDPOINT},
    };
    struct {
        const char *flag;
        const char *value;
        int64_t number;  //  Expected int, ms, or 0/1
        bool good;
    } cases[] = {
        {"--n", "9223372036854775807", INT64_MAX, true},
        {"--n", "-9223372036854775808", INT64_MIN, true},
        {"--n", "9223372036854775808", 0, false},
        {"--n", "+5", 5, true},
        {"--n", "-0", 0, true},
        {"--n", "-", 0, false},
        {"--d", "250", 250, true},
        {"--d", "250ms", 250, true},
        {"--d", "5s", 5000, true},     //  5 x 1000
        {"--d", "2m", 120000, true},   //  2 x 60 x 1000
        {"--d", "1h", 3600000, true},  //  60 x 60 x 1000
        {"--d", "s", 0, false},
        {"--d", "9223372036854775807h", 0, false},
        {"--b", "TRUE", 1, true},
        {"--b", "on", 1, true},
        {"--b", "Yes", 1, true},
        {"--b", "1", 1, true},
        {"--b", "off", 0, true},
        {"--b", "0", 0, true},
        {"--b", "2", 0, false},
        {"--e", "@tcp://*:5555", 0, true},
        {"--e", ">tcp://127.0.0.1:0", 0, true},
        {"--e", "tcp://[::1]:65535", 0, true},
        {"--e", "tcp://bus.local:*", 0, true},
        {"--e", "ipc:///tmp/venuebus.sock", 0, true},
        {"--e", "inproc://bus", 0, true},
        {"--e", "tcp://host:65536", 0, false},
        {"--e", "tcp://:5", 0, false},
        {"--e", "tcp://host:", 0, false},
        {"--e", "tcp://ho st:5", 0, false},
        {"--e", "udp://host:5", 0, false},
        {"--e", "inproc://", 0, false},
        {"--e", "", 0, false},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        vb_config_t *config = vb_config_new (keys, 4);
        cr_assert_not_null (config);
        char *args[] = {(char *)cases[i].flag, (char *)cases[i].value, NULL};
        char joined[64];
        snprintf (joined, sizeof (joined), "%s=%s", cases[i].flag, cases[i].value);
        char *eq_args[] = {joined, NULL};
        //  "--e" "" would be an empty next argument; use the '=' form always.
        int rc = s_load (config, NULL, *cases[i].value ? args : eq_args);
        if (cases[i].good) {
            cr_assert_eq (rc, 0, "%s %s: %s", cases[i].flag, cases[i].value,
                          vb_config_error (config));
            const char *name = cases[i].flag + 2;
            if (strcmp (name, "b") == 0)
                cr_assert_eq (vb_config_bool (config, name), cases[i].number != 0, "%s",
                              cases[i].value);
            else if (strcmp (name, "e") != 0)
                cr_assert_eq (vb_config_int (config, name), cases[i].number, "%s", cases[i].value);
            cr_assert_str_eq (vb_config_str (config, name), cases[i].value);
        } else
            cr_assert_eq (rc, VB_EINVAL, "%s %s should fail", cases[i].flag, cases[i].value);
        vb_config_destroy (&config);
    }
}

Test (vb_config, print_masks_secrets_and_shows_sources, .init = s_setup, .fini = s_teardown)
{
    s_write ("vault\n    token = \"file-token-XYZ\"\n");
    char *env[] = {"VB_VAULT_PIN=1234", NULL};
    char *args[] = {"--config", s_path, "--endpoint", "inproc://x", "--rest-url", "a b", NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, env, args), 0, "%s", vb_config_error (config));
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cr_assert_not_null (out);
    vb_config_print (config, out);
    fclose (out);
    cr_assert_null (strstr (text, "file-token-XYZ"), "%s", text);
    cr_assert_null (strstr (text, "1234"), "%s", text);
    cr_assert_not_null (strstr (text, "vault/token = *** (file)\n"), "%s", text);
    cr_assert_not_null (strstr (text, "vault/pin = *** (env)\n"), "%s", text);
    cr_assert_not_null (strstr (text, "router/endpoint = inproc://x (argv)\n"), "%s", text);
    cr_assert_not_null (strstr (text, "router/rest_url = \"a b\" (argv)\n"), "%s", text);
    cr_assert_not_null (strstr (text, "router/workers = 2 (default)\n"), "%s", text);
    free (text);

    //  The same through the entry API, as main logs it.
    cr_assert_eq (vb_config_entry_count (config), KEY_COUNT);
    vb_config_entry_t entry;
    cr_assert_eq (vb_config_entry (config, 6, &entry), 0);
    cr_assert_str_eq (entry.name, "vault/token");
    cr_assert_str_eq (entry.value, VB_CONFIG_MASK);
    cr_assert (entry.secret);
    cr_assert_eq (entry.source, VB_CONFIG_FILE);
    cr_assert_eq (vb_config_entry (config, KEY_COUNT, &entry), VB_ENOTFOUND);
    //  The getter still gives the real value to the code that needs it.
    cr_assert_str_eq (vb_config_str (config, "vault/token"), "file-token-XYZ");
    vb_config_destroy (&config);
}

Test (vb_config, help_comes_from_the_table)
{
    vb_config_t *config = s_new ();
    cr_assert_eq (vb_config_add_section (config, "account", s_account_keys, ACCOUNT_KEY_COUNT), 0);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cr_assert_not_null (out);
    vb_config_help (config, out);
    fclose (out);
    const char *expected[] = {
        "--config FILE",
        "--endpoint, --router-endpoint ENDPOINT (required)",
        "ROUTER endpoint for strategies",
        "file: router/endpoint  env: VB_ROUTER_ENDPOINT",
        "--workers, --router-workers INT 1..64 (default 2)",
        "--heartbeat, --router-heartbeat DURATION 100..60000 ms (default 5s)",
        "--level, --log-level error|warning|notice|info|debug (default notice)",
        "--token, --vault-token TEXT (default ***) (secret)",
        "account/<name>/venue binance|kraken (required)",
        "env: VB_ACCOUNT_<NAME>_REST_URL",
    };
    for (size_t i = 0; i < sizeof (expected) / sizeof (expected[0]); i++)
        cr_assert_not_null (strstr (text, expected[i]), "help lacks [%s]:\n%s", expected[i], text);
    cr_assert_null (strstr (text, "dev-token-default"));
    free (text);
    vb_config_destroy (&config);
}

Test (vb_config, reads_section_instances, .init = s_setup, .fini = s_teardown)
{
    s_write ("router\n"
             "    endpoint = inproc://r\n"
             "account\n"
             "    main\n"
             "        venue = binance\n"
             "        rest_url = \"http://127.0.0.1:9001\"\n"
             "        secrets = \"keystore:/run/keys.vbk#main\"\n"
             "    hedge-2\n"
             "        venue = kraken\n"
             "        max_orders = 50\n");
    char *env[] = {"VB_ACCOUNT_MAIN_WS_URL=ws://127.0.0.1:9002", "VB_ACCOUNT_HEDGE_2_MAX_ORDERS=60",
                   NULL};
    char *args[] = {"--config", s_path, NULL};
    vb_config_t *config = s_new ();
    cr_assert_eq (vb_config_add_section (config, "account", s_account_keys, ACCOUNT_KEY_COUNT), 0);
    cr_assert_eq (s_load (config, env, args), 0, "%s", vb_config_error (config));

    cr_assert_eq (vb_config_section_count (config, "account"), 2);
    cr_assert_str_eq (vb_config_section_name (config, "account", 0), "main");
    cr_assert_str_eq (vb_config_section_name (config, "account", 1), "hedge-2");
    cr_assert_null (vb_config_section_name (config, "account", 2));
    cr_assert_eq (vb_config_section_count (config, "nothing"), 0);

    cr_assert_str_eq (vb_config_section_str (config, "account", "main", "venue"), "binance");
    cr_assert_str_eq (vb_config_section_str (config, "account", "main", "rest_url"),
                      "http://127.0.0.1:9001");
    cr_assert_str_eq (vb_config_section_str (config, "account", "main", "ws_url"),
                      "ws://127.0.0.1:9002");
    cr_assert_eq (vb_config_section_int (config, "account", "main", "max_orders"), 10);
    cr_assert_str_eq (vb_config_section_str (config, "account", "hedge-2", "secrets"), "env");
    cr_assert_eq (vb_config_section_int (config, "account", "hedge-2", "max_orders"), 60);
    cr_assert_null (vb_config_section_str (config, "account", "ghost", "venue"));
    cr_assert_eq (vb_config_section_int (config, "account", "ghost", "max_orders"), 0);

    cr_assert_eq (vb_config_entry_count (config), KEY_COUNT + 2 * ACCOUNT_KEY_COUNT);
    vb_config_entry_t entry;
    cr_assert_eq (vb_config_entry (config, KEY_COUNT + ACCOUNT_KEY_COUNT + 4, &entry), 0);
    cr_assert_str_eq (entry.name, "account/hedge-2/max_orders");
    cr_assert_str_eq (entry.value, "60");
    cr_assert_eq (entry.source, VB_CONFIG_ENV);
    vb_config_destroy (&config);
}

Test (vb_config, checks_section_instances, .init = s_setup, .fini = s_teardown)
{
    struct {
        const char *file;
        int rc;
        const char *fragment;
    } cases[] = {
        {"account\n    main\n        venue = binance\n        colour = red\n", VB_EINVAL,
         "unknown key account/main/colour"},
        {"account\n    main\n        rest_url = x\n", VB_ENOTFOUND,
         "account/main/venue: required but not set (set it in the config file or "
         "VB_ACCOUNT_MAIN_VENUE)"},
        {"account\n    main\n        venue = bitfinex\n", VB_EINVAL,
         "account/main/venue: \"bitfinex\" from file"},
        {"account\n    main\n        max_orders = 0\n        venue = kraken\n", VB_EINVAL,
         "account/main/max_orders"},
        {"account\n    bad.name\n        venue = kraken\n", VB_EINVAL,
         "account/bad.name: instance names may hold only"},
        {"account\n    a-b\n        venue = kraken\n    a_b\n        venue = kraken\n", VB_EINVAL,
         "account/a-b and account/a_b share environment variables"},
        {"account\n    main\n        venue = kraken\n    main\n        venue = binance\n",
         VB_EINVAL, "duplicate key account/main"},
        {"account = main\n", VB_EINVAL, "account: expected a section"},
        {"account\n    main = binance\n", VB_EINVAL, "account/main: expected a section"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char text[512];
        snprintf (text, sizeof (text), "router\n    endpoint = inproc://r\n%s", cases[i].file);
        s_write (text);
        char *args[] = {"--config", s_path, NULL};
        vb_config_t *config = s_new ();
        cr_assert_eq (vb_config_add_section (config, "account", s_account_keys, ACCOUNT_KEY_COUNT),
                      0);
        s_expect_error (config, cases[i].rc, NULL, args, cases[i].fragment, NULL);
        vb_config_destroy (&config);
    }
}

Test (vb_config, refuses_bad_tables)
{
    static const char *const no_values[] = {NULL};
    static const vb_config_key_t bad[][2] = {
        {{.name = "a/b", .type = VB_CONFIG_INT}, {.name = "a/b", .type = VB_CONFIG_INT}},
        {{.name = "a/b_c", .type = VB_CONFIG_INT}, {.name = "a/b-c", .type = VB_CONFIG_INT}},
        {{.name = "a", .type = VB_CONFIG_INT}, {.name = "a/b", .type = VB_CONFIG_INT}},
        {{.name = "A/b", .type = VB_CONFIG_INT}, {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "a//b", .type = VB_CONFIG_INT}, {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "a/", .type = VB_CONFIG_INT}, {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "config", .type = VB_CONFIG_STRING}, {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "help", .type = VB_CONFIG_BOOL}, {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "e", .type = VB_CONFIG_ENUM}, {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "e", .type = VB_CONFIG_ENUM, .values = no_values},
         {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "n", .type = VB_CONFIG_INT, .min = 5, .max = 1},
         {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "n", .type = VB_CONFIG_INT, .fallback = "ten"},
         {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "n", .type = VB_CONFIG_INT, .fallback = "0", .min = 1, .max = 9},
         {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = "n", .type = (vb_config_type_t)0}, {.name = "c", .type = VB_CONFIG_INT}},
        {{.name = NULL, .type = VB_CONFIG_INT}, {.name = "c", .type = VB_CONFIG_INT}},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        vb_config_t *config = vb_config_new (bad[i], 2);
        cr_assert_null (config, "table %zu should be refused", i);
    }
    //  "router/config" is fine: its short flag --config is simply not offered.
    static const vb_config_key_t fine[] = {{.name = "router/config", .type = VB_CONFIG_STRING}};
    vb_config_t *config = vb_config_new (fine, 1);
    cr_assert_not_null (config);
    char *args[] = {"--router-config", "x", NULL};
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert_str_eq (vb_config_str (config, "router/config"), "x");
    vb_config_destroy (&config);
}

Test (vb_config, refuses_bad_sections)
{
    vb_config_t *config = s_new ();
    cr_assert_eq (vb_config_add_section (config, "router", s_account_keys, ACCOUNT_KEY_COUNT),
                  VB_EINVAL, "overlaps the router/* keys");
    cr_assert_eq (
        vb_config_add_section (config, "router/endpoint/x", s_account_keys, ACCOUNT_KEY_COUNT),
        VB_EINVAL);
    cr_assert_eq (vb_config_add_section (config, "Account", s_account_keys, ACCOUNT_KEY_COUNT),
                  VB_EINVAL);
    cr_assert_eq (vb_config_add_section (config, "account", NULL, 0), VB_EINVAL);
    static const vb_config_key_t nested[] = {{.name = "a/b", .type = VB_CONFIG_INT}};
    cr_assert_eq (vb_config_add_section (config, "account", nested, 1), VB_EINVAL);
    cr_assert_eq (vb_config_add_section (config, "account", s_account_keys, ACCOUNT_KEY_COUNT), 0);
    cr_assert_eq (vb_config_add_section (config, "account", s_account_keys, ACCOUNT_KEY_COUNT),
                  VB_EINVAL, "declared twice");
    char *args[] = {"--endpoint", "inproc://x", NULL};
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert_eq (vb_config_add_section (config, "other", s_account_keys, ACCOUNT_KEY_COUNT),
                  VB_ESTATE);
    cr_assert_eq (vb_config_section_count (config, "account"), 0);
    vb_config_destroy (&config);
}

Test (vb_config, source_names)
{
    cr_assert_str_eq (vb_config_source_name (VB_CONFIG_DEFAULT), "default");
    cr_assert_str_eq (vb_config_source_name (VB_CONFIG_FILE), "file");
    cr_assert_str_eq (vb_config_source_name (VB_CONFIG_ENV), "env");
    cr_assert_str_eq (vb_config_source_name (VB_CONFIG_ARGV), "argv");
    cr_assert_str_eq (vb_config_source_name (VB_CONFIG_UNSET), "unset");
}

Test (vb_config, reads_empty_files_and_comments, .init = s_setup, .fini = s_teardown)
{
    char *args[] = {"--config", s_path, "--endpoint", "inproc://x", NULL};
    s_write ("");
    vb_config_t *config = s_new ();
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert_eq (vb_config_int (config, "router/workers"), 2);
    vb_config_destroy (&config);

    s_write ("#   Comment lines and trailing comments are ZPL\n"
             "router\n"
             "    workers = 7   # seven\n");
    config = s_new ();
    cr_assert_eq (s_load (config, NULL, args), 0, "%s", vb_config_error (config));
    cr_assert_eq (vb_config_int (config, "router/workers"), 7);
    vb_config_destroy (&config);
}

Test (vb_config, rejects_a_file_holding_a_nul_byte, .init = s_setup, .fini = s_teardown)
{
    FILE *file = fopen (s_path, "w");
    cr_assert_not_null (file);
    fwrite ("router\n    workers = 3\0\n", 1, 25, file);
    fclose (file);
    char *args[] = {"--config", s_path, NULL};
    vb_config_t *config = s_new ();
    s_expect_error (config, VB_EINVAL, NULL, args, s_path, "NUL byte");
    vb_config_destroy (&config);
}
