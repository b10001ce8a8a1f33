/*  fuzz_config.c — libFuzzer target for vb_config: hostile ZPL files,
    environment and command lines.

    Input layout: the bytes before the first "\0\0" are the ZPL file; the rest
    is split on '\0' into tokens, those starting with "VB_" go to the
    environment and the others to argv. Every path through load, the getters,
    print and help must be free of crashes, leaks and undefined behaviour.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <czmq.h>
#include "vb_config.h"

//  Most argv and environment tokens taken from one input.
#define FUZZ_TOKENS_MAX 32

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};

static const vb_config_key_t s_keys[] = {
    {.name = "router/endpoint", .type = VB_CONFIG_ENDPOINT, .flags = VB_CONFIG_REQUIRED},
    {.name = "router/workers", .type = VB_CONFIG_INT, .fallback = "2", .min = 1, .max = 64},
    {.name = "router/verbose", .type = VB_CONFIG_BOOL, .fallback = "false"},
    {.name = "router/heartbeat", .type = VB_CONFIG_DURATION_MS, .fallback = "5s"},
    {.name = "router/rest_url", .type = VB_CONFIG_STRING},
    {.name = "log/level", .type = VB_CONFIG_ENUM, .fallback = "notice", .values = s_levels},
    {.name = "vault/token", .type = VB_CONFIG_STRING, .flags = VB_CONFIG_SECRET},
    {.name = "metrics", .type = VB_CONFIG_STRING},
};

static const vb_config_key_t s_account_keys[] = {
    {.name = "venue", .type = VB_CONFIG_ENUM, .values = s_levels, .flags = VB_CONFIG_REQUIRED},
    {.name = "max_orders", .type = VB_CONFIG_INT, .fallback = "10", .min = 1, .max = 100},
    {.name = "live", .type = VB_CONFIG_BOOL},
};

static char s_path[] = "/tmp/fuzz_config.XXXXXX";
static FILE *s_null;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_null) {
        s_null = fopen ("/dev/null", "w");
        int fd = mkstemp (s_path);
        if (!s_null || fd < 0)
            abort ();
        close (fd);
        //  zconfig reports syntax errors through czmq's log; keep it quiet.
        zsys_set_logstream (s_null);
        zsys_set_logsystem (false);
    }
    const uint8_t *split = NULL;
    for (size_t i = 0; i + 1 < size && !split; i++)
        if (data[i] == 0 && data[i + 1] == 0)
            split = data + i;
    size_t file_size = split ? (size_t)(split - data) : size;
    FILE *file = fopen (s_path, "w");
    if (!file)
        abort ();
    fwrite (data, 1, file_size, file);
    fclose (file);

    //  Tokens: a NUL-terminated copy of the tail.
    size_t tail_size = split ? size - file_size - 2 : 0;
    char *tail = (char *)calloc (tail_size + 1, 1);
    if (!tail)
        abort ();
    if (tail_size)
        memcpy (tail, split + 2, tail_size);
    char *argv[FUZZ_TOKENS_MAX + 3] = {"fuzz", "--config", s_path};
    char *envp[FUZZ_TOKENS_MAX + 1] = {NULL};
    int argc = 3;
    int envc = 0;
    for (size_t at = 0; at < tail_size && argc + envc < FUZZ_TOKENS_MAX;) {
        char *token = tail + at;
        at += strlen (token) + 1;
        if (strncmp (token, "--config", 8) == 0)
            continue;  //  Keep the fuzzer out of the rest of the file system
        if (strncmp (token, "VB_", 3) == 0)
            envp[envc++] = token;
        else
            argv[argc++] = token;
    }
    argv[argc] = NULL;

    vb_config_t *config = vb_config_new (s_keys, sizeof (s_keys) / sizeof (s_keys[0]));
    if (!config || vb_config_add_section (config, "account", s_account_keys,
                                          sizeof (s_account_keys) / sizeof (s_account_keys[0])))
        abort ();
    int rc = vb_config_load (config, argc, argv, envp);
    if (strlen (vb_config_error (config)) >= VB_CONFIG_ERROR_MAX)
        abort ();
    if (rc == 0 && !vb_config_help_requested (config)) {
        if (!vb_config_has (config, "router/endpoint"))
            abort ();  //  REQUIRED and load succeeded
        (void)vb_config_int (config, "router/workers");
        (void)vb_config_bool (config, "router/verbose");
        size_t count = vb_config_section_count (config, "account");
        for (size_t i = 0; i < count; i++) {
            const char *name = vb_config_section_name (config, "account", i);
            if (!vb_config_section_str (config, "account", name, "venue"))
                abort ();
            (void)vb_config_section_int (config, "account", name, "max_orders");
            (void)vb_config_section_bool (config, "account", name, "live");
        }
        vb_config_print (config, s_null);
    }
    vb_config_help (config, s_null);
    vb_config_destroy (&config);
    free (tail);
    return 0;
}
