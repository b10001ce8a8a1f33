/*  test_keytool_cli.c — venuebus-keytool end to end: the real binary, a passphrase file,
    secrets on stdin.

    Each run forks the binary with pipes on stdin, stdout and stderr, in a new session
    (so it has no terminal to prompt on), and captures /proc/<pid>/cmdline once exec has
    happened. Every test checks that no secret reaches stdout, stderr or the cmdline; one
    also reads /proc/<pid>/environ after the keytool has consumed a passphrase variable.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "vb_error.h"
#include "vb_keystore.h"

#define OUTPUT_MAX 16384
#define ARGS_MAX   16
#define ENV_MAX    256

//  The secrets used by these tests. None may ever be printed.
#define KS_PASS       "keystore-pass-0451"
#define KS_NEW_PASS   "rotated-pass-9917"
#define BN_KEY        "BNKEYabcdef0123456789"
#define BN_SECRET     "bn-secret-s3cr3t-Zq9"
#define OKX_KEY       "okx-key-00112233445566"
#define OKX_SECRET    "okx-secret-Vb7Yk2"
#define OKX_PASS      "okx-api-pass-Lp4"
#define BN_KEY_MASKED "BNKE***"

extern char **environ;

typedef struct {
    int status;                //  Exit status, or -1 if it did not exit normally
    char out[OUTPUT_MAX];      //  stdout
    char err[OUTPUT_MAX];      //  stderr
    char cmdline[OUTPUT_MAX];  //  /proc/<pid>/cmdline with NULs turned to spaces
} run_t;

static char s_dir[64];
static char s_keystore[128];
static char s_pass_file[128];
static char s_new_pass_file[128];

static const char *s_secrets[] = {KS_PASS,  KS_NEW_PASS, BN_SECRET, OKX_SECRET,
                                  OKX_PASS, BN_KEY,      OKX_KEY};

static void
s_write_file (const char *path, const char *text, mode_t mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq (fd, 0);
    cr_assert_eq (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    cr_assert_eq (fchmod (fd, mode), 0);
    close (fd);
}

static void
s_setup (void)
{
    snprintf (s_dir, sizeof (s_dir), "/tmp/vb-keytool-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    snprintf (s_keystore, sizeof (s_keystore), "%s/keys.vbks", s_dir);
    snprintf (s_pass_file, sizeof (s_pass_file), "%s/pass", s_dir);
    snprintf (s_new_pass_file, sizeof (s_new_pass_file), "%s/new-pass", s_dir);
    s_write_file (s_pass_file, KS_PASS "\n", 0600);
    s_write_file (s_new_pass_file, KS_NEW_PASS "\n", 0600);
}

static void
s_teardown (void)
{
    const char *names[] = {"keys.vbks", "pass", "new-pass"};
    char path[160];
    for (size_t index = 0; index < sizeof (names) / sizeof (names[0]); index++) {
        snprintf (path, sizeof (path), "%s/%s", s_dir, names[index]);
        unlink (path);
    }
    rmdir (s_dir);
}

TestSuite (keytool, .init = s_setup, .fini = s_teardown);

//  Read what is available on fd into buffer; returns false at EOF.
static bool
s_drain (int fd, char *buffer, size_t *length)
{
    char chunk[4096];
    ssize_t got = read (fd, chunk, sizeof (chunk));
    if (got < 0 && errno == EINTR)
        return true;
    if (got <= 0)
        return false;
    size_t room = OUTPUT_MAX - 1 - *length;
    size_t take = (size_t)got < room ? (size_t)got : room;
    memcpy (buffer + *length, chunk, take);
    *length += take;
    buffer[*length] = '\0';
    return true;
}

//  Called once exec has happened and before stdin is written.
typedef void (hook_fn) (pid_t pid, void *arg);

//  Run the keytool with args (NULL-terminated), feed input on stdin, add
//  extra_env ("NAME=value" strings, NULL-terminated, or NULL) to the
//  environment, and call hook (if any) while the process runs.
static void
s_run_hooked (run_t *run, const char *const *args, const char *input, const char *const *extra_env,
              hook_fn *hook, void *hook_arg)
{
    memset (run, 0, sizeof (*run));
    int in[2], out[2], err[2], sync[2];
    cr_assert_eq (pipe2 (in, O_CLOEXEC), 0);
    cr_assert_eq (pipe2 (out, O_CLOEXEC), 0);
    cr_assert_eq (pipe2 (err, O_CLOEXEC), 0);
    cr_assert_eq (pipe2 (sync, O_CLOEXEC), 0);

    char *argv[ARGS_MAX];
    int argc = 0;
    argv[argc++] = (char *)VB_KEYTOOL_BIN;
    for (; args[argc - 1] && argc < ARGS_MAX - 1; argc++)
        argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    char *envp[ENV_MAX];
    int envc = 0;
    for (char **item = environ; *item && envc < ENV_MAX - 2; item++)
        envp[envc++] = *item;
    for (; extra_env && *extra_env && envc < ENV_MAX - 1; extra_env++)
        envp[envc++] = (char *)*extra_env;
    envp[envc] = NULL;

    pid_t pid = fork ();
    cr_assert_geq (pid, 0);
    if (pid == 0) {
        //  A new session has no controlling terminal: /dev/tty cannot be opened.
        setsid ();
        dup2 (in[0], STDIN_FILENO);
        dup2 (out[1], STDOUT_FILENO);
        dup2 (err[1], STDERR_FILENO);
        execve (VB_KEYTOOL_BIN, argv, envp);
        int code = errno;
        ssize_t ignored = write (sync[1], &code, sizeof (code));
        (void)ignored;
        _exit (127);
    }
    close (in[0]);
    close (out[1]);
    close (err[1]);
    close (sync[1]);
    //  The close-on-exec pipe reaches EOF exactly when exec succeeded.
    int code = 0;
    cr_assert_eq (read (sync[0], &code, sizeof (code)), 0, "exec failed: %s", strerror (code));
    close (sync[0]);

    //  The process is now the keytool (alive, or a zombie until we reap it).
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/cmdline", (int)pid);
    int fd = open (path, O_RDONLY);
    cr_assert_geq (fd, 0);
    ssize_t got = read (fd, run->cmdline, OUTPUT_MAX - 1);
    close (fd);
    for (ssize_t index = 0; index < got; index++)
        if (run->cmdline[index] == '\0')
            run->cmdline[index] = ' ';

    if (hook)
        hook (pid, hook_arg);
    if (input) {
        size_t length = strlen (input);
        //  Small inputs fit the pipe buffer; a process that exits early gives EPIPE.
        signal (SIGPIPE, SIG_IGN);
        ssize_t written = write (in[1], input, length);
        (void)written;
    }
    close (in[1]);

    size_t out_length = 0, err_length = 0;
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        cr_assert_geq (poll (fds, 2, 60000), 1, "keytool timed out");
        if (fds[0].revents && !s_drain (out[0], run->out, &out_length)) {
            fds[0].fd = -1;
            open_fds--;
        }
        if (fds[1].revents && !s_drain (err[0], run->err, &err_length)) {
            fds[1].fd = -1;
            open_fds--;
        }
    }
    close (out[0]);
    close (err[0]);
    int status;
    cr_assert_eq (waitpid (pid, &status, 0), pid);
    run->status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    for (size_t index = 0; index < sizeof (s_secrets) / sizeof (s_secrets[0]); index++) {
        cr_assert_null (strstr (run->out, s_secrets[index]), "secret on stdout: %s", run->out);
        cr_assert_null (strstr (run->err, s_secrets[index]), "secret on stderr: %s", run->err);
        cr_assert_null (strstr (run->cmdline, s_secrets[index]), "secret in cmdline");
    }
}

//  Run without a hook, with at most one extra environment variable.
static void
s_run (run_t *run, const char *const *args, const char *input, const char *extra_env)
{
    const char *envs[] = {extra_env, NULL};
    s_run_hooked (run, args, input, envs, NULL, NULL);
}

//  The error output is exactly one line.
static void
s_assert_one_line (const run_t *run)
{
    size_t length = strlen (run->err);
    cr_assert_gt (length, 0);
    cr_assert_eq (run->err[length - 1], '\n');
    cr_assert_null (memchr (run->err, '\n', length - 1), "more than one line: %s", run->err);
}

static void
s_init (void)
{
    run_t run;
    s_run (
        &run,
        (const char *[]){"init", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 0, "init: %s", run.err);
}

static void
s_add_binance (void)
{
    run_t run;
    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "binance", "--account", "main", NULL},
           BN_KEY "\n" BN_SECRET "\n", NULL);
    cr_assert_eq (run.status, 0, "add: %s", run.err);
}

Test (keytool, manages_a_keystore_from_init_to_rotation)
{
    run_t run;
    s_run (
        &run,
        (const char *[]){"init", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 0, "init: %s", run.err);
    struct stat info;
    cr_assert_eq (stat (s_keystore, &info), 0);
    cr_assert_eq (info.st_mode & 0777, 0600);

    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "binance", "--account", "main", NULL},
           BN_KEY "\n" BN_SECRET "\n", NULL);
    cr_assert_eq (run.status, 0, "add: %s", run.err);
    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "okx", "--account", "okx-1", NULL},
           OKX_KEY "\r\n" OKX_SECRET "\r\n" OKX_PASS "\r\n", NULL);
    cr_assert_eq (run.status, 0, "add okx: %s", run.err);

    s_run (
        &run,
        (const char *[]){"list", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 0, "list: %s", run.err);
    cr_assert_not_null (strstr (run.out, "binance"));
    cr_assert_not_null (strstr (run.out, "main"));
    cr_assert_not_null (strstr (run.out, BN_KEY_MASKED));
    cr_assert_not_null (strstr (run.out, "okx-1"));
    cr_assert_not_null (strstr (run.out, "okx-***"));

    s_run (&run,
           (const char *[]){"verify", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 0, "verify: %s", run.err);
    cr_assert_not_null (strstr (run.out, "2 entries"));

    s_run (&run,
           (const char *[]){"remove", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--account", "main", NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 0, "remove: %s", run.err);

    s_run (&run,
           (const char *[]){"rotate-passphrase", "--keystore", s_keystore, "--passphrase-file",
                            s_pass_file, "--new-passphrase-file", s_new_pass_file, NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 0, "rotate: %s", run.err);

    //  The old passphrase no longer opens it; the new one does.
    s_run (
        &run,
        (const char *[]){"list", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "wrong passphrase"), "%s", run.err);
    s_assert_one_line (&run);
    s_run (&run,
           (const char *[]){"list", "--keystore", s_keystore, "--passphrase-file", s_new_pass_file,
                            NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 0, "list: %s", run.err);
    cr_assert_null (strstr (run.out, "binance"));
    cr_assert_not_null (strstr (run.out, "okx-1"));

    //  The keystore holds exactly what was typed, with "\r\n" line ends stripped.
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_keystore, KS_NEW_PASS, strlen (KS_NEW_PASS)), 0);
    const vb_keystore_entry_t *entry = vb_keystore_find (keystore, "okx-1");
    cr_assert_not_null (entry);
    cr_assert_str_eq (vb_keystore_entry_api_key (entry), OKX_KEY);
    cr_assert_str_eq (vb_keystore_entry_secret (entry), OKX_SECRET);
    cr_assert_str_eq (vb_keystore_entry_passphrase (entry), OKX_PASS);
    vb_keystore_destroy (&keystore);
}

Test (keytool, takes_the_passphrase_from_a_named_environment_variable)
{
    run_t run;
    s_run (&run,
           (const char *[]){"init", "--keystore", s_keystore, "--passphrase-env", "VB_TEST_KS_PASS",
                            NULL},
           NULL, "VB_TEST_KS_PASS=" KS_PASS);
    cr_assert_eq (run.status, 0, "init: %s", run.err);
    s_run (
        &run,
        (const char *[]){"list", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 0, "list: %s", run.err);
    s_run (&run,
           (const char *[]){"list", "--keystore", s_keystore, "--passphrase-env",
                            "VB_TEST_UNSET_VARIABLE", NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "VB_TEST_UNSET_VARIABLE is not set"), "%s", run.err);
    s_assert_one_line (&run);
}

Test (keytool, reports_a_missing_keystore)
{
    run_t run;
    s_run (
        &run,
        (const char *[]){"list", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "keystore file not found"), "%s", run.err);
    cr_assert_not_null (strstr (run.err, s_keystore));
    s_assert_one_line (&run);
}

Test (keytool, refuses_a_group_readable_keystore)
{
    s_init ();
    cr_assert_eq (chmod (s_keystore, 0644), 0);
    run_t run;
    s_run (&run,
           (const char *[]){"verify", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "must be mode 0600"), "%s", run.err);
    cr_assert_not_null (strstr (run.err, s_keystore));
    s_assert_one_line (&run);
}

Test (keytool, reports_a_tampered_keystore)
{
    s_init ();
    s_add_binance ();
    int fd = open (s_keystore, O_RDWR);
    cr_assert_geq (fd, 0);
    unsigned char byte;
    cr_assert_eq (pread (fd, &byte, 1, 130), 1);  //  A body byte
    byte ^= 0x40;
    cr_assert_eq (pwrite (fd, &byte, 1, 130), 1);
    close (fd);
    run_t run;
    s_run (&run,
           (const char *[]){"verify", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "tampered"), "%s", run.err);
    s_assert_one_line (&run);
}

Test (keytool, init_refuses_to_overwrite)
{
    s_init ();
    run_t run;
    s_run (
        &run,
        (const char *[]){"init", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "already exists"), "%s", run.err);
    s_assert_one_line (&run);
}

Test (keytool, refuses_a_duplicate_account_and_a_missing_one)
{
    s_init ();
    s_add_binance ();
    run_t run;
    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "kraken", "--account", "main", NULL},
           BN_KEY "\n" BN_SECRET "\n", NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "account main already exists"), "%s", run.err);
    s_assert_one_line (&run);
    s_run (&run,
           (const char *[]){"remove", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--account", "nobody", NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "no entry for account nobody"), "%s", run.err);
    s_assert_one_line (&run);
}

Test (keytool, add_fails_cleanly_when_stdin_ends_early)
{
    s_init ();
    run_t run;
    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "binance", "--account", "main", NULL},
           BN_KEY "\n", NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "API secret from stdin: missing"), "%s", run.err);
    s_assert_one_line (&run);
    //  OKX keys need their passphrase line.
    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "okx", "--account", "o", NULL},
           OKX_KEY "\n" OKX_SECRET "\n", NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "API passphrase from stdin: missing"), "%s", run.err);
    //  Nothing was added.
    s_run (&run,
           (const char *[]){"verify", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 0, "%s", run.err);
    cr_assert_not_null (strstr (run.out, "0 entries"), "%s", run.out);
}

Test (keytool, never_takes_secrets_from_the_command_line)
{
    run_t run;
    s_run (
        &run,
        (const char *[]){"init", "--keystore", s_keystore, "--passphrase", "hunter2hunter2", NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 2);
    cr_assert_null (strstr (run.err, "hunter2"), "%s", run.err);
    cr_assert_not_null (strstr (run.err, "never taken from the command line"), "%s", run.err);
    s_run (&run, (const char *[]){"add", "hunter2hunter2", "--keystore", s_keystore, NULL}, NULL,
           NULL);
    cr_assert_eq (run.status, 2);
    cr_assert_null (strstr (run.err, "hunter2"), "%s", run.err);
    cr_assert_eq (access (s_keystore, F_OK), -1);
}

Test (keytool, needs_a_passphrase_source_without_a_terminal)
{
    run_t run;
    s_run (&run, (const char *[]){"init", "--keystore", s_keystore, NULL}, NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "no terminal"), "%s", run.err);
    cr_assert_not_null (strstr (run.err, "--passphrase-file"), "%s", run.err);
    s_assert_one_line (&run);
    cr_assert_eq (access (s_keystore, F_OK), -1);
}

Test (keytool, refuses_usage_errors)
{
    run_t run;
    s_init ();
    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "mtgox", "--account", "a", NULL},
           BN_KEY "\n" BN_SECRET "\n", NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "unknown venue mtgox"), "%s", run.err);
    s_run (
        &run,
        (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file, NULL},
        NULL, NULL);
    cr_assert_eq (run.status, 2);
    cr_assert_not_null (strstr (run.err, "--venue is required"), "%s", run.err);
    s_assert_one_line (&run);
    s_run (&run, (const char *[]){"frobnicate", "--keystore", s_keystore, NULL}, NULL, NULL);
    cr_assert_eq (run.status, 2);
    cr_assert_not_null (strstr (run.err, "unknown command"), "%s", run.err);
    s_assert_one_line (&run);
    s_run (&run, (const char *[]){"list", "--keystore", s_keystore, "--account", "x", NULL}, NULL,
           NULL);
    cr_assert_eq (run.status, 2);
    cr_assert_not_null (strstr (run.err, "--account does not apply to list"), "%s", run.err);
    s_assert_one_line (&run);
    s_run (&run, (const char *[]){"--help", NULL}, NULL, NULL);
    cr_assert_eq (run.status, 0);
    cr_assert_not_null (strstr (run.out, "rotate-passphrase"));
}

Test (keytool, refuses_a_short_new_passphrase_and_an_unchanged_one)
{
    s_init ();
    s_write_file (s_new_pass_file, "short\n", 0600);
    run_t run;
    s_run (&run,
           (const char *[]){"rotate-passphrase", "--keystore", s_keystore, "--passphrase-file",
                            s_pass_file, "--new-passphrase-file", s_new_pass_file, NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "at least 8 characters"), "%s", run.err);
    s_run (&run,
           (const char *[]){"rotate-passphrase", "--keystore", s_keystore, "--passphrase-file",
                            s_pass_file, "--new-passphrase-file", s_pass_file, NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "same as the old"), "%s", run.err);
    //  The keystore still opens with the original passphrase.
    s_run (&run,
           (const char *[]){"verify", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 0, "%s", run.err);
}

Test (keytool, verify_names_an_incomplete_entry)
{
    //  Built with the library: an OKX entry without its API passphrase.
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_set_kdf (keystore, 16, 1, 1), 0);
    cr_assert_eq (vb_keystore_add (keystore, "okx", "okx-bare", OKX_KEY, OKX_SECRET, NULL), 0);
    cr_assert_eq (vb_keystore_save (keystore, s_keystore, KS_PASS, strlen (KS_PASS)), 0);
    vb_keystore_destroy (&keystore);
    run_t run;
    s_run (&run,
           (const char *[]){"verify", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            NULL},
           NULL, NULL);
    cr_assert_eq (run.status, 1);
    cr_assert_not_null (strstr (run.err, "account okx-bare (okx) has no API passphrase"), "%s",
                        run.err);
    s_assert_one_line (&run);
}

Test (keytool, stores_a_coinbase_pem_key_given_with_escaped_newlines)
{
    s_init ();
    run_t run;
    s_run (&run,
           (const char *[]){"add", "--keystore", s_keystore, "--passphrase-file", s_pass_file,
                            "--venue", "coinbase", "--account", "cb", NULL},
           "organizations/o1/apiKeys/k1\n"
           "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----\\n\n",
           NULL);
    cr_assert_eq (run.status, 0, "%s", run.err);
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_keystore, KS_PASS, strlen (KS_PASS)), 0);
    cr_assert_str_eq (vb_keystore_entry_secret (vb_keystore_find (keystore, "cb")),
                      "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n");
    vb_keystore_destroy (&keystore);
}

//  Runs while rotate-passphrase waits on the FIFO that carries its new passphrase: by
//  then it has read (and must have wiped) the variable holding the old one.
static void
s_check_environ (pid_t pid, void *arg)
{
    //  Opening a FIFO for writing blocks until the keytool opens it for reading.
    int fifo = open ((const char *)arg, O_WRONLY | O_CLOEXEC);
    cr_assert_geq (fifo, 0);
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/environ", (int)pid);
    int fd = open (path, O_RDONLY);
    cr_assert_geq (fd, 0, "cannot read %s", path);
    static char environ_text[OUTPUT_MAX * 4];
    size_t length = 0;
    ssize_t got;
    while ((got = read (fd, environ_text + length, sizeof (environ_text) - length)) > 0)
        length += (size_t)got;
    close (fd);
    cr_assert_not_null (memmem (environ_text, length, "VB_TEST_MARKER=visible", 22),
                        "the environment was not readable");
    cr_assert_null (memmem (environ_text, length, KS_PASS, strlen (KS_PASS)),
                    "the passphrase is still in /proc/<pid>/environ");
    cr_assert_eq (write (fifo, KS_NEW_PASS "\n", strlen (KS_NEW_PASS) + 1),
                  (ssize_t)strlen (KS_NEW_PASS) + 1);
    close (fifo);
}

Test (keytool, wipes_the_passphrase_variable_from_its_environment, .timeout = 120)
{
    s_init ();
    char fifo[160];
    snprintf (fifo, sizeof (fifo), "%s/new-pass", s_dir);
    unlink (fifo);
    cr_assert_eq (mkfifo (fifo, 0600), 0);
    const char *envs[] = {"VB_TEST_KS_PASS=" KS_PASS, "VB_TEST_MARKER=visible", NULL};
    run_t run;
    s_run_hooked (&run,
                  (const char *[]){"rotate-passphrase", "--keystore", s_keystore,
                                   "--passphrase-env", "VB_TEST_KS_PASS", "--new-passphrase-file",
                                   fifo, NULL},
                  NULL, envs, s_check_environ, fifo);
    cr_assert_eq (run.status, 0, "rotate: %s", run.err);
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_keystore, KS_NEW_PASS, strlen (KS_NEW_PASS)), 0);
    vb_keystore_destroy (&keystore);
}
