/*  test_vb_secrets.c — loading an account's credentials from env, dir, keystore and Vault.

    The env test that checks /proc/<pid>/environ needs the variables in the
    process's original environment block (setenv puts them on the heap,
    where /proc never looks), so it starts this test binary again with them
    in its execve environment; s_child, a constructor, notices the marker
    variable and plays the child's part before Criterion starts.

    Vault tests run against vault_kv2_server.h, a local endpoint speaking
    the KV v2 read API, because no Vault server can be installed here.
    Every secret below is a made-up test value.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "vault_kv2_server.h"
#include "vb_error.h"
#include "vb_keystore.h"
#include "vb_log.h"
#include "vb_secrets.h"

extern char **environ;

#define KEY         "AK-0f9e8d7c6b5a"
#define SECRET      "SK-1a2b3c4d5e6f7a8b9c0d"
#define PASSPHRASE  "PP-77aa99"
#define KS_PASS     "keystore passphrase 3f1e"
#define ERROR_SIZE  1024
#define CHILD_MARK  "VB_SECRETS_TEST_CHILD"
#define ENVIRON_MAX 65536

static char s_dir[64];

static void
s_setup (void)
{
    snprintf (s_dir, sizeof (s_dir), "/tmp/vb-secrets-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    chmod (s_dir, 0700);
}

//  Remove the test directory tree (two levels are all the tests make).
static void
s_remove_tree (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return;
    struct dirent *item;
    while ((item = readdir (dir))) {
        if (strcmp (item->d_name, ".") == 0 || strcmp (item->d_name, "..") == 0)
            continue;
        char child[512];
        snprintf (child, sizeof (child), "%s/%s", path, item->d_name);
        struct stat info;
        if (lstat (child, &info) == 0 && S_ISDIR (info.st_mode)) {
            chmod (child, 0700);
            s_remove_tree (child);
        } else
            unlink (child);
    }
    closedir (dir);
    rmdir (path);
}

static void
s_teardown (void)
{
    s_remove_tree (s_dir);
}

//  Write a file under s_dir with this content and mode.
static void
s_write (const char *name, const char *content, size_t length, mode_t mode)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", s_dir, name);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq (fd, 0, "open %s", path);
    cr_assert_eq (write (fd, content, length), (ssize_t)length);
    close (fd);
    cr_assert_eq (chmod (path, mode), 0);
}

static void
s_write_text (const char *name, const char *content)
{
    s_write (name, content, strlen (content), 0600);
}

//  Read a whole file (e.g. /proc/<pid>/environ) into buffer; returns its size.
static size_t
s_slurp (const char *path, char *buffer, size_t size)
{
    int fd = open (path, O_RDONLY);
    if (fd < 0)
        return 0;
    size_t used = 0;
    ssize_t got;
    while (used < size && (got = read (fd, buffer + used, size - used)) > 0)
        used += (size_t)got;
    close (fd);
    return used;
}

static bool
s_contains (const char *haystack, size_t size, const char *needle)
{
    return memmem (haystack, size, needle, strlen (needle)) != NULL;
}

//  The child's part of env_wipes_values_from_proc_environ. Runs before main
//  when the marker is set: checks that /proc/self/environ shows the secrets
//  first (so the test means something), loads, checks they are gone and
//  the values arrived, tells the parent on stdout, waits for it to check
//  /proc/<pid>/environ from outside, then exits with 0 or a failure step.
__attribute__ ((constructor)) static void
s_child (void)
{
    if (!getenv (CHILD_MARK))
        return;
    static char environ_text[ENVIRON_MAX];
    size_t size = s_slurp ("/proc/self/environ", environ_text, sizeof (environ_text));
    if (!s_contains (environ_text, size, SECRET) || !s_contains (environ_text, size, KEY))
        _exit (10);
    vb_secrets_t *secrets = NULL;
    char error[ERROR_SIZE];
    if (vb_secrets_load ("env", "spot-eu", NULL, &secrets, error, sizeof (error)) != 0) {
        fprintf (stderr, "%s\n", error);
        _exit (11);
    }
    if (strcmp (vb_secrets_api_key (secrets), KEY) != 0 ||
        strcmp (vb_secrets_api_secret (secrets), SECRET) != 0 ||
        strcmp (vb_secrets_passphrase (secrets), PASSPHRASE) != 0)
        _exit (12);
    size = s_slurp ("/proc/self/environ", environ_text, sizeof (environ_text));
    if (s_contains (environ_text, size, KEY) || s_contains (environ_text, size, SECRET) ||
        s_contains (environ_text, size, PASSPHRASE))
        _exit (13);
    if (!s_contains (environ_text, size, CHILD_MARK))
        _exit (14);  //  The rest of the environment is intact
    if (getenv ("VB_ACCOUNT_SPOT_EU_API_KEY"))
        _exit (15);
    if (write (STDOUT_FILENO, "loaded\n", 7) != 7)
        _exit (16);
    char byte;
    while (read (STDIN_FILENO, &byte, 1) > 0)
        ;  //  Until the parent closes our stdin
    vb_secrets_destroy (&secrets);
    _exit (0);
}

TestSuite (vb_secrets, .init = s_setup, .fini = s_teardown);

//  Usage: load an account from a secrets directory, use the values, destroy.
Test (vb_secrets, loads_an_account_from_a_secrets_directory)
{
    s_write_text ("api_key", KEY "\n");
    s_write_text ("api_secret", SECRET "\n");
    s_write_text ("api_passphrase", PASSPHRASE "\n");
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_key (secrets), KEY);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), SECRET);
    cr_assert_str_eq (vb_secrets_passphrase (secrets), PASSPHRASE);
    cr_assert_str_eq (vb_secrets_backend (secrets), "dir");
    cr_assert_null (vb_secrets_venue (secrets));
    cr_assert_eq (vb_log_secret_count (), 3);
    vb_secrets_destroy (&secrets);
    vb_secrets_destroy (&secrets);
    cr_assert_null (secrets);
}

Test (vb_secrets, env_reads_and_unsets_the_account_variables)
{
    //  Name "spot-eu" maps to VB_ACCOUNT_SPOT_EU_* (upper case, '-' -> '_').
    setenv ("VB_ACCOUNT_SPOT_EU_API_KEY", KEY, 1);
    setenv ("VB_ACCOUNT_SPOT_EU_API_SECRET", SECRET, 1);
    vb_secrets_t *secrets = NULL;
    char error[ERROR_SIZE];
    int rc = vb_secrets_load ("env", "spot-eu", NULL, &secrets, error, sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_key (secrets), KEY);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), SECRET);
    cr_assert_null (vb_secrets_passphrase (secrets));
    cr_assert_str_eq (vb_secrets_backend (secrets), "env");
    cr_assert_null (getenv ("VB_ACCOUNT_SPOT_EU_API_KEY"));
    cr_assert_null (getenv ("VB_ACCOUNT_SPOT_EU_API_SECRET"));
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, env_wipes_values_from_proc_environ)
{
    char mark[] = CHILD_MARK "=1";
    char key[] = "VB_ACCOUNT_SPOT_EU_API_KEY=" KEY;
    char secret[] = "VB_ACCOUNT_SPOT_EU_API_SECRET=" SECRET;
    char passphrase[] = "VB_ACCOUNT_SPOT_EU_API_PASSPHRASE=" PASSPHRASE;
    char *child_env[] = {mark, key, secret, passphrase, NULL};
    char exe[] = "/proc/self/exe";
    char *argv[] = {exe, NULL};
    int to_child[2], from_child[2];
    cr_assert_eq (pipe (to_child), 0);
    cr_assert_eq (pipe (from_child), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_adddup2 (&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2 (&actions, from_child[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose (&actions, to_child[1]);
    posix_spawn_file_actions_addclose (&actions, from_child[0]);
    pid_t pid;
    cr_assert_eq (posix_spawn (&pid, exe, &actions, NULL, argv, child_env), 0);
    posix_spawn_file_actions_destroy (&actions);
    close (to_child[0]);
    close (from_child[1]);

    char line[16] = "";
    ssize_t got = read (from_child[0], line, sizeof (line) - 1);
    bool loaded = got == 7 && memcmp (line, "loaded\n", 7) == 0;
    //  Looked at from outside while the child still runs, as an attacker would.
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/environ", (int)pid);
    static char environ_text[ENVIRON_MAX];
    size_t size = loaded ? s_slurp (path, environ_text, sizeof (environ_text)) : 0;
    close (to_child[1]);
    close (from_child[0]);
    int status = 0;
    cr_assert_eq (waitpid (pid, &status, 0), pid);
    cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0,
               "child failed at step %d (see s_child)", WEXITSTATUS (status));
    cr_assert (loaded);
    cr_assert_gt (size, 0);
    cr_assert (s_contains (environ_text, size, CHILD_MARK));
    cr_assert_not (s_contains (environ_text, size, KEY));
    cr_assert_not (s_contains (environ_text, size, SECRET));
    cr_assert_not (s_contains (environ_text, size, PASSPHRASE));
}

Test (vb_secrets, env_names_the_missing_variable_and_still_wipes_the_others)
{
    setenv ("VB_ACCOUNT_MAIN_API_KEY", KEY, 1);
    unsetenv ("VB_ACCOUNT_MAIN_API_SECRET");
    vb_secrets_t *secrets = NULL;
    char error[ERROR_SIZE];
    int rc = vb_secrets_load ("env", "main", NULL, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_ENOTFOUND);
    cr_assert_null (secrets);
    cr_assert_str_eq (error, "account main: secrets env: environment variable "
                             "VB_ACCOUNT_MAIN_API_SECRET is not set");
    cr_assert_null (getenv ("VB_ACCOUNT_MAIN_API_KEY"));
}

Test (vb_secrets, env_refuses_bad_values_without_quoting_them)
{
    setenv ("VB_ACCOUNT_MAIN_API_KEY", "AK with-space", 1);
    setenv ("VB_ACCOUNT_MAIN_API_SECRET", SECRET, 1);
    vb_secrets_t *secrets = NULL;
    char error[ERROR_SIZE];
    int rc = vb_secrets_load ("env", "main", NULL, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_EINVAL);
    cr_assert (strstr (error, "VB_ACCOUNT_MAIN_API_KEY"), "%s", error);
    cr_assert_null (strstr (error, "with-space"));
    cr_assert_null (strstr (error, SECRET));
    cr_assert_eq (vb_log_secret_count (), 0);

    setenv ("VB_ACCOUNT_MAIN_API_KEY", KEY, 1);
    setenv ("VB_ACCOUNT_MAIN_API_SECRET", SECRET, 1);
    setenv ("VB_ACCOUNT_MAIN_API_PASSPHRASE", "two\nlines", 1);
    rc = vb_secrets_load ("env", "main", NULL, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_EINVAL);
    cr_assert (strstr (error, "API passphrase"), "%s", error);
}

Test (vb_secrets, scrub_env_wipes_a_shared_variable)
{
    setenv ("VAULT_TOKEN", KV_TOKEN, 1);
    char *value = getenv ("VAULT_TOKEN");
    cr_assert_eq (vb_secrets_scrub_env ("VAULT_TOKEN"), 0);
    cr_assert_null (getenv ("VAULT_TOKEN"));
    //  setenv's "NAME=value" string is still allocated (glibc keeps it):
    //  its value bytes were overwritten before the unset.
    cr_assert_null (memmem (value, strlen (KV_TOKEN), KV_TOKEN, strlen (KV_TOKEN)));
    cr_assert_eq (vb_secrets_scrub_env ("VAULT_TOKEN"), VB_ENOTFOUND);
    cr_assert_eq (vb_secrets_scrub_env ("A=B"), VB_EINVAL);
    cr_assert_eq (vb_secrets_scrub_env (""), VB_EINVAL);
}

Test (vb_secrets, dir_strips_one_trailing_newline_only)
{
    s_write_text ("api_key", KEY "\r\n");
    //  A PEM-style secret keeps its inner newlines.
    s_write_text ("api_secret", "-----BEGIN-----\nAAAA\n-----END-----\n");
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_key (secrets), KEY);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), "-----BEGIN-----\nAAAA\n-----END-----");
    cr_assert_null (vb_secrets_passphrase (secrets));
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, dir_names_a_missing_file)
{
    s_write_text ("api_key", KEY);
    char spec[128], error[ERROR_SIZE], expected[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_ENOTFOUND);
    cr_assert_null (secrets);
    snprintf (expected, sizeof (expected),
              "account main: secrets dir:%s: file %s/api_secret does not exist", s_dir, s_dir);
    cr_assert_str_eq (error, expected);

    snprintf (spec, sizeof (spec), "dir:%s/absent", s_dir);
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)),
                  VB_ENOTFOUND);
    cr_assert (strstr (error, "does not exist"));
}

Test (vb_secrets, dir_refuses_group_or_world_writable_files)
{
    s_write ("api_key", KEY, strlen (KEY), 0620);
    s_write_text ("api_secret", SECRET);
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_EPERM);
    cr_assert (strstr (error, "api_key is group- or world-writable (mode 0620)"), "%s", error);
    s_write ("api_key", KEY, strlen (KEY), 0602);
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_EPERM);
    //  Readable by all (Docker's default 0444) is fine.
    s_write ("api_key", KEY, strlen (KEY), 0444);
    s_write ("api_secret", SECRET, strlen (SECRET), 0444);
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), 0, "%s",
                  error);
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, dir_refuses_a_writable_directory)
{
    s_write_text ("api_key", KEY);
    s_write_text ("api_secret", SECRET);
    cr_assert_eq (chmod (s_dir, 0777), 0);
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_EPERM);
    cr_assert (strstr (error, "directory"), "%s", error);
    chmod (s_dir, 0700);
}

Test (vb_secrets, dir_refuses_files_that_are_not_regular)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/api_key", s_dir);
    cr_assert_eq (mkfifo (path, 0600), 0);
    s_write_text ("api_secret", SECRET);
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_ETYPE);
    cr_assert (strstr (error, "api_key is not a regular file"), "%s", error);
    snprintf (spec, sizeof (spec), "dir:%s/api_secret", s_dir);
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_ETYPE);
    cr_assert (strstr (error, "is not a directory"), "%s", error);
}

Test (vb_secrets, dir_bounds_file_sizes)
{
    //  Exactly VB_SECRETS_API_KEY_MAX bytes plus a newline is accepted...
    static char key[VB_SECRETS_API_KEY_MAX + 2];
    memset (key, 'k', VB_SECRETS_API_KEY_MAX);
    key[VB_SECRETS_API_KEY_MAX] = '\n';
    s_write ("api_key", key, VB_SECRETS_API_KEY_MAX + 1, 0600);
    s_write_text ("api_secret", SECRET);
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), 0, "%s",
                  error);
    cr_assert_eq (strlen (vb_secrets_api_key (secrets)), VB_SECRETS_API_KEY_MAX);
    vb_secrets_destroy (&secrets);
    //  ...one byte more is not.
    key[VB_SECRETS_API_KEY_MAX] = 'k';
    s_write ("api_key", key, VB_SECRETS_API_KEY_MAX + 1, 0600);
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_ELIMIT);
    cr_assert (strstr (error, "larger than 1024 bytes"), "%s", error);
    //  A huge secret file is refused from its size alone.
    static char big[1 << 20];
    memset (big, 's', sizeof (big));
    s_write ("api_key", KEY, strlen (KEY), 0600);
    s_write ("api_secret", big, sizeof (big), 0600);
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_ELIMIT);
}

Test (vb_secrets, dir_follows_kubernetes_symlinks)
{
    //  Kubernetes mounts <dir>/api_key -> ..data/api_key -> ..2024_x/api_key.
    char path[256], target[256];
    snprintf (path, sizeof (path), "%s/..2024_01", s_dir);
    cr_assert_eq (mkdir (path, 0755), 0);
    s_write_text ("..2024_01/api_key", KEY);
    s_write_text ("..2024_01/api_secret", SECRET);
    snprintf (path, sizeof (path), "%s/..data", s_dir);
    cr_assert_eq (symlink ("..2024_01", path), 0);
    const char *names[] = {"api_key", "api_secret"};
    for (size_t index = 0; index < 2; index++) {
        snprintf (path, sizeof (path), "%s/%s", s_dir, names[index]);
        snprintf (target, sizeof (target), "..data/%s", names[index]);
        cr_assert_eq (symlink (target, path), 0);
    }
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), 0, "%s",
                  error);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), SECRET);
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, dir_expands_systemd_credentials_directory)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/binance", s_dir);
    cr_assert_eq (mkdir (path, 0700), 0);
    s_write_text ("binance/api_key", KEY);
    s_write_text ("binance/api_secret", SECRET);
    setenv ("CREDENTIALS_DIRECTORY", s_dir, 1);
    vb_secrets_t *secrets = NULL;
    char error[ERROR_SIZE];
    int rc = vb_secrets_load ("dir:$CREDENTIALS_DIRECTORY/binance", "main", NULL, &secrets, error,
                              sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_key (secrets), KEY);
    vb_secrets_destroy (&secrets);

    unsetenv ("CREDENTIALS_DIRECTORY");
    rc = vb_secrets_load ("dir:$CREDENTIALS_DIRECTORY", "main", NULL, &secrets, error,
                          sizeof (error));
    cr_assert_eq (rc, VB_ENOTFOUND);
    cr_assert (strstr (error, "CREDENTIALS_DIRECTORY is not set"), "%s", error);
}

//  Build keys.vbks in s_dir with one entry, with cheap scrypt parameters
//  (N=16, r=1, p=1; the file records them, so the load uses them too).
static void
s_make_keystore (char *path, size_t size)
{
    snprintf (path, size, "%s/keys.vbks", s_dir);
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_set_kdf (keystore, 16, 1, 1), 0);
    cr_assert_eq (vb_keystore_add (keystore, "okx", "main", KEY, SECRET, PASSPHRASE), 0);
    cr_assert_eq (vb_keystore_save (keystore, path, KS_PASS, strlen (KS_PASS)), 0);
    vb_keystore_destroy (&keystore);
}

Test (vb_secrets, keystore_round_trip_with_passphrase_file)
{
    char keystore[256], spec[300], error[ERROR_SIZE];
    s_make_keystore (keystore, sizeof (keystore));
    s_write_text ("pass", KS_PASS "\n");
    char pass_file[256];
    snprintf (pass_file, sizeof (pass_file), "%s/pass", s_dir);
    vb_secrets_options_t options = {.keystore_passphrase_file = pass_file};
    snprintf (spec, sizeof (spec), "keystore:%s#main", keystore);
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load (spec, "okx-main", &options, &secrets, error, sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_key (secrets), KEY);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), SECRET);
    cr_assert_str_eq (vb_secrets_passphrase (secrets), PASSPHRASE);
    cr_assert_str_eq (vb_secrets_venue (secrets), "okx");
    cr_assert_str_eq (vb_secrets_backend (secrets), "keystore");
    //  The keystore passphrase is registered with the logger too.
    cr_assert_eq (vb_log_secret_count (), 4);
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, keystore_passphrase_from_a_named_variable)
{
    char keystore[256], spec[300], error[ERROR_SIZE];
    s_make_keystore (keystore, sizeof (keystore));
    setenv ("VB_TEST_KS_PASS", KS_PASS, 1);
    vb_secrets_options_t options = {.keystore_passphrase_env = "VB_TEST_KS_PASS"};
    snprintf (spec, sizeof (spec), "keystore:%s#main", keystore);
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load (spec, "main", &options, &secrets, error, sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), SECRET);
    //  Shared by accounts: kept until the caller scrubs it.
    cr_assert_str_eq (getenv ("VB_TEST_KS_PASS"), KS_PASS);
    cr_assert_eq (vb_secrets_scrub_env ("VB_TEST_KS_PASS"), 0);
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, keystore_errors_name_the_problem)
{
    char keystore[256], spec[300], error[ERROR_SIZE];
    s_make_keystore (keystore, sizeof (keystore));
    s_write_text ("pass", "not the passphrase");
    char pass_file[256];
    snprintf (pass_file, sizeof (pass_file), "%s/pass", s_dir);
    vb_secrets_options_t options = {.keystore_passphrase_file = pass_file};
    snprintf (spec, sizeof (spec), "keystore:%s#main", keystore);
    vb_secrets_t *secrets = NULL;
    cr_assert_eq (vb_secrets_load (spec, "main", &options, &secrets, error, sizeof (error)),
                  VB_EAUTH);
    cr_assert (strstr (error, "wrong passphrase"), "%s", error);
    cr_assert_null (strstr (error, "not the passphrase"));

    s_write_text ("pass", KS_PASS);
    snprintf (spec, sizeof (spec), "keystore:%s#other", keystore);
    cr_assert_eq (vb_secrets_load (spec, "main", &options, &secrets, error, sizeof (error)),
                  VB_ENOTFOUND);
    cr_assert (strstr (error, "has no entry other"), "%s", error);

    snprintf (spec, sizeof (spec), "keystore:%s", keystore);
    cr_assert_eq (vb_secrets_load (spec, "main", &options, &secrets, error, sizeof (error)),
                  VB_EINVAL);
    snprintf (spec, sizeof (spec), "keystore:%s#main", keystore);
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), VB_EINVAL);
    cr_assert (strstr (error, "no keystore passphrase"), "%s", error);
    s_write ("pass", KS_PASS, strlen (KS_PASS), 0666);
    cr_assert_eq (vb_secrets_load (spec, "main", &options, &secrets, error, sizeof (error)),
                  VB_EPERM);
    cr_assert_null (secrets);
}

Test (vb_secrets, refuses_unknown_backends_and_bad_account_names)
{
    vb_secrets_t *secrets = NULL;
    char error[ERROR_SIZE];
    cr_assert_eq (vb_secrets_load ("file:/x", "main", NULL, &secrets, error, sizeof (error)),
                  VB_EINVAL);
    cr_assert (strstr (error, "unknown backend"), "%s", error);
    cr_assert_eq (vb_secrets_load ("envx", "main", NULL, &secrets, error, sizeof (error)),
                  VB_EINVAL);
    cr_assert_eq (vb_secrets_load ("", "main", NULL, &secrets, error, sizeof (error)), VB_EINVAL);
    cr_assert_eq (vb_secrets_load (NULL, "main", NULL, &secrets, error, sizeof (error)), VB_EINVAL);
    cr_assert_eq (vb_secrets_load ("env", "a/b", NULL, &secrets, error, sizeof (error)), VB_EINVAL);
    cr_assert_eq (vb_secrets_load ("env", "", NULL, &secrets, error, sizeof (error)), VB_EINVAL);
    cr_assert_eq (vb_secrets_load ("env", NULL, NULL, &secrets, NULL, 0), VB_EINVAL);
    cr_assert_null (secrets);
}

Test (vb_secrets, loaded_secrets_never_reach_a_log_line)
{
    s_write_text ("api_key", KEY);
    s_write_text ("api_secret", SECRET);
    s_write_text ("api_passphrase", PASSPHRASE);
    char spec[128], error[ERROR_SIZE];
    snprintf (spec, sizeof (spec), "dir:%s", s_dir);
    vb_secrets_t *secrets = NULL;
    cr_assert_eq (vb_secrets_load (spec, "main", NULL, &secrets, error, sizeof (error)), 0, "%s",
                  error);
    FILE *sink = tmpfile ();
    cr_assert_not_null (sink);
    vb_log_set_sink (sink);
    vb_log_notice ("oops key=%s secret=%s passphrase=%s", vb_secrets_api_key (secrets),
                   vb_secrets_api_secret (secrets), vb_secrets_passphrase (secrets));
    vb_log_set_sink (NULL);
    char text[4096];
    rewind (sink);
    size_t size = fread (text, 1, sizeof (text) - 1, sink);
    fclose (sink);
    text[size] = '\0';
    cr_assert (strstr (text, "oops key=*** secret=*** passphrase=***"), "%s", text);
    cr_assert_null (strstr (text, KEY));
    cr_assert_null (strstr (text, SECRET));
    cr_assert_null (strstr (text, PASSPHRASE));
    vb_secrets_destroy (&secrets);
}

//  Vault options for the local KV v2 server, token from a file.
static void
s_vault_options (const kv_server_t *server, vb_secrets_options_t *options, char *addr,
                 size_t addr_size, char *token_file, size_t token_size)
{
    kv_server_addr (server, addr, addr_size);
    snprintf (token_file, token_size, "%s/token", s_dir);
    s_write_text ("token", KV_TOKEN "\n");
    memset (options, 0, sizeof (*options));
    options->vault_addr = addr;
    options->vault_token_file = token_file;
    options->allow_insecure_http = true;  //  The local endpoint is plain HTTP
}

Test (vb_secrets, vault_reads_the_account_from_kv2)
{
    kv_server_t server;
    cr_assert_eq (kv_server_start (&server), 0);
    vb_secrets_options_t options;
    char addr[64], token_file[256], error[ERROR_SIZE];
    s_vault_options (&server, &options, addr, sizeof (addr), token_file, sizeof (token_file));
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load ("vault:secret/venuebus/main", "main", &options, &secrets, error,
                              sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_key (secrets), KV_API_KEY);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), KV_API_SECRET);
    cr_assert_str_eq (vb_secrets_passphrase (secrets), KV_PASSPHRASE);
    cr_assert_str_eq (vb_secrets_backend (secrets), "vault");
    kv_server_stop (&server);
    cr_assert_str_eq (server.last_path, "/v1/secret/data/venuebus/main");
    cr_assert_str_eq (server.last_token, KV_TOKEN);

    //  The token and every value are masked in the log.
    FILE *sink = tmpfile ();
    vb_log_set_sink (sink);
    vb_log_notice ("token=%s key=%s secret=%s", KV_TOKEN, vb_secrets_api_key (secrets),
                   vb_secrets_api_secret (secrets));
    vb_log_set_sink (NULL);
    char text[4096];
    rewind (sink);
    size_t size = fread (text, 1, sizeof (text) - 1, sink);
    fclose (sink);
    text[size] = '\0';
    cr_assert (strstr (text, "token=*** key=*** secret=***"), "%s", text);
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, vault_takes_token_and_address_from_the_environment)
{
    kv_server_t server;
    cr_assert_eq (kv_server_start (&server), 0);
    char addr[64], error[ERROR_SIZE];
    kv_server_addr (&server, addr, sizeof (addr));
    setenv ("VAULT_ADDR", addr, 1);
    setenv ("VAULT_TOKEN", KV_TOKEN, 1);
    vb_secrets_options_t options = {.allow_insecure_http = true, .vault_mount = "kv/team"};
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load ("vault:venuebus/nopass", "main", &options, &secrets, error,
                              sizeof (error));
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_str_eq (vb_secrets_api_secret (secrets), KV_API_SECRET);
    cr_assert_null (vb_secrets_passphrase (secrets));
    kv_server_stop (&server);
    cr_assert_str_eq (server.last_path, "/v1/kv/team/data/venuebus/nopass");
    vb_secrets_destroy (&secrets);
}

Test (vb_secrets, vault_refuses_plain_http_without_the_test_option)
{
    kv_server_t server;
    cr_assert_eq (kv_server_start (&server), 0);
    vb_secrets_options_t options;
    char addr[64], token_file[256], error[ERROR_SIZE];
    s_vault_options (&server, &options, addr, sizeof (addr), token_file, sizeof (token_file));
    options.allow_insecure_http = false;
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load ("vault:secret/venuebus/main", "main", &options, &secrets, error,
                              sizeof (error));
    cr_assert_eq (rc, VB_EINVAL);
    cr_assert (strstr (error, "account main: secrets vault:secret/venuebus/main: "), "%s", error);
    cr_assert (strstr (error, "only https:// is accepted"), "%s", error);
    kv_server_stop (&server);
    cr_assert_eq (server.requests, 0);
}

Test (vb_secrets, vault_errors_name_account_and_path)
{
    kv_server_t server;
    cr_assert_eq (kv_server_start (&server), 0);
    vb_secrets_options_t options;
    char addr[64], token_file[256], error[ERROR_SIZE];
    s_vault_options (&server, &options, addr, sizeof (addr), token_file, sizeof (token_file));
    vb_secrets_t *secrets = NULL;
    int rc = vb_secrets_load ("vault:secret/venuebus/absent", "main", &options, &secrets, error,
                              sizeof (error));
    cr_assert_eq (rc, VB_ENOTFOUND);
    cr_assert (strstr (error, "account main: secrets vault:secret/venuebus/absent: no Vault "
                              "secret at secret/venuebus/absent"),
               "%s", error);
    s_write_text ("token", "hvs.bad-token");
    rc = vb_secrets_load ("vault:secret/venuebus/main", "main", &options, &secrets, error,
                          sizeof (error));
    cr_assert_eq (rc, VB_EPERM);
    cr_assert_null (strstr (error, "hvs.bad-token"));
    rc = vb_secrets_load ("vault:secret/badkey", "main", &options, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_EPERM);  //  Still the bad token
    s_write_text ("token", KV_TOKEN);
    rc = vb_secrets_load ("vault:secret/badkey", "main", &options, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_EINVAL);
    cr_assert (strstr (error, "Vault field api_key"), "%s", error);
    rc = vb_secrets_load ("vault:nomount", "main", &options, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_EINVAL);
    rc = vb_secrets_load ("vault:secret/../sys", "main", &options, &secrets, error, sizeof (error));
    cr_assert_eq (rc, VB_EINVAL);
    unsetenv ("VAULT_TOKEN");
    options.vault_token_file = NULL;
    rc = vb_secrets_load ("vault:secret/venuebus/main", "main", &options, &secrets, error,
                          sizeof (error));
    cr_assert_eq (rc, VB_ENOTFOUND);
    cr_assert (strstr (error, "no Vault token"), "%s", error);
    kv_server_stop (&server);
    cr_assert_null (secrets);
}
