/*  test_vb_log.c — levels, line format, secret redaction and thread safety.

    Expected encodings of secrets are worked out by hand in comments (ASCII
    codes and the base64 bit groups of RFC 4648), never by the code under test.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_error.h"
#include "vb_log.h"

//  Captured output: every line the callback sink received, concatenated.
#define CAPTURE_MAX (1 << 20)
static char s_captured[CAPTURE_MAX];
static size_t s_captured_size;
static int s_lines;
static vb_log_level_t s_last_level;

static void
s_capture (vb_log_level_t level, const char *line, size_t length, void *arg)
{
    (void)arg;
    cr_assert_lt (s_captured_size + length, CAPTURE_MAX);
    cr_assert_eq (strlen (line), length, "line is NUL-terminated at its length");
    memcpy (s_captured + s_captured_size, line, length);
    s_captured_size += length;
    s_captured[s_captured_size] = '\0';
    s_lines++;
    s_last_level = level;
}

static void
s_setup (void)
{
    s_captured_size = 0;
    s_captured[0] = '\0';
    s_lines = 0;
    vb_log_init ("test-svc", VB_LOG_DEBUG);
    vb_log_set_callback (s_capture, NULL);
}

//  The message part of the single captured line: after "<ident>: ".
static const char *
s_body (void)
{
    const char *body = strstr (s_captured, "test-svc: ");
    cr_assert_not_null (body, "no line captured: [%s]", s_captured);
    return body + strlen ("test-svc: ");
}

//  Expect exactly one line whose message is `expected`.
static void
s_expect_body (const char *expected)
{
    cr_assert_eq (s_lines, 1, "expected one line, got %d", s_lines);
    char want[VB_LOG_LINE_MAX + 2];
    snprintf (want, sizeof (want), "%s\n", expected);
    cr_assert_str_eq (s_body (), want);
}

static bool
s_matches (const char *text, const char *pattern)
{
    regex_t regex;
    cr_assert_eq (regcomp (&regex, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool matched = regexec (&regex, text, 0, NULL, 0) == 0;
    regfree (&regex);
    return matched;
}

Test (vb_log, usage_example, .init = s_setup)
{
    //  main: name the service, choose a level, register loaded secrets.
    vb_log_init ("test-svc", VB_LOG_NOTICE);
    const char *api_secret = "s3cr3t-K3Y-value";
    cr_assert_eq (vb_log_add_secret (api_secret, strlen (api_secret)), 0);

    vb_log_notice ("venue connected venue=%s key=%s", "binance", api_secret);
    vb_log_debug ("frame received size=%d", 42);  //  Off at notice

    cr_assert_eq (s_lines, 1);
    //  "<UTC time with ms> <level> <ident>: <phrase> key=value ...\n"
    cr_assert (s_matches (s_captured, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                      "\\.[0-9]{3}Z notice test-svc: venue connected "
                                      "venue=binance key=\\*\\*\\*\n$"),
               "line: [%s]", s_captured);
    cr_assert_eq (s_last_level, VB_LOG_NOTICE);
}

static int s_evaluations;

static int
s_count_evaluation (void)
{
    return ++s_evaluations;
}

Test (vb_log, writes_only_levels_at_or_above_the_threshold, .init = s_setup)
{
    vb_log_set_level (VB_LOG_WARNING);
    vb_log_error ("e");
    vb_log_warning ("w");
    vb_log_notice ("n");
    vb_log_info ("i");
    vb_log_debug ("d");
    cr_assert_eq (s_lines, 2);
    cr_assert (s_matches (s_captured, " error test-svc: e\n.* warning test-svc: w\n$"), "[%s]",
               s_captured);
    cr_assert (vb_log_enabled (VB_LOG_ERROR));
    cr_assert_not (vb_log_enabled (VB_LOG_NOTICE));
}

Test (vb_log, debug_arguments_are_not_evaluated_when_debug_is_off, .init = s_setup)
{
    vb_log_set_level (VB_LOG_INFO);
    s_evaluations = 0;
    vb_log_debug ("count=%d", s_count_evaluation ());
    cr_assert_eq (s_evaluations, 0);
    cr_assert_eq (s_lines, 0);
    vb_log_set_level (VB_LOG_DEBUG);
    vb_log_debug ("count=%d", s_count_evaluation ());
    cr_assert_eq (s_evaluations, 1);
    s_expect_body ("count=1");
}

Test (vb_log, level_names_round_trip_and_levels_clamp)
{
    const char *names[] = {"error", "warning", "notice", "info", "debug"};
    for (int level = VB_LOG_ERROR; level <= VB_LOG_DEBUG; level++) {
        cr_assert_str_eq (vb_log_level_name ((vb_log_level_t)level), names[level - 1]);
        cr_assert_eq (vb_log_level_from_name (names[level - 1]), level);
    }
    cr_assert_eq (vb_log_level_from_name ("DEBUG"), VB_EINVAL);
    cr_assert_eq (vb_log_level_from_name ("verbose"), VB_EINVAL);
    cr_assert_eq (vb_log_level_from_name (NULL), VB_EINVAL);
    cr_assert_str_eq (vb_log_level_name ((vb_log_level_t)9), "unknown");
    vb_log_set_level ((vb_log_level_t)0);
    cr_assert_eq (vb_log_level (), VB_LOG_ERROR);
    vb_log_set_level ((vb_log_level_t)99);
    cr_assert_eq (vb_log_level (), VB_LOG_DEBUG);
    cr_assert_not (vb_log_enabled ((vb_log_level_t)0));
}

Test (vb_log, redacts_a_secret_anywhere_in_the_line, .init = s_setup)
{
    const char *secret = "TOPSECRET";
    cr_assert_eq (vb_log_add_secret (secret, strlen (secret)), 0);
    struct {
        const char *message;
        const char *expected;
    } cases[] = {
        {"TOPSECRET leaked at start", "*** leaked at start"},
        {"in the middle TOPSECRET here", "in the middle *** here"},
        {"at the end TOPSECRET", "at the end ***"},
        {"TOPSECRET", "***"},
        {"twice TOPSECRET and TOPSECRET", "twice *** and ***"},
        {"glued xTOPSECRETTOPSECRETy", "glued x******y"},
        {"key=TOPSECRET&sig=1", "key=***&sig=1"},
        {"almost TOPSECRE T not", "almost TOPSECRE T not"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        s_setup ();
        vb_log_info ("%s", cases[i].message);
        s_expect_body (cases[i].expected);
    }
}

Test (vb_log, redacts_secrets_that_come_from_format_arguments, .init = s_setup)
{
    const char *secret = "hunter2hunter2";
    cr_assert_eq (vb_log_add_secret (secret, strlen (secret)), 0);
    //  Split over two arguments: redaction runs on the formatted text.
    vb_log_warning ("login failed user=%s pass=%s%s tries=%d", "bob", "hunter2", "hunter2", 3);
    s_expect_body ("login failed user=bob pass=*** tries=3");
}

Test (vb_log, redacts_the_obvious_encodings_of_a_secret, .init = s_setup)
{
    //  "ab+/" is 0x61 0x62 0x2b 0x2f, so:
    //  hex "61622b2f" / "61622B2F";
    //  base64: 011000 010110 001000 101011 | 001011 110000 -> "YWIr" "Lw==";
    //  percent-encoding (RFC 3986 keeps only unreserved): "ab%2B%2F".
    const char *secret = "ab+/";
    cr_assert_eq (vb_log_add_secret (secret, strlen (secret)), 0);
    const char *forms[] = {"ab+/", "61622b2f", "61622B2F", "YWIrLw==", "ab%2B%2F"};
    for (size_t i = 0; i < sizeof (forms) / sizeof (forms[0]); i++) {
        s_setup ();
        vb_log_info ("form=%s end", forms[i]);
        s_expect_body ("form=*** end");
    }
    //  JSON escaping: pa"ss\word is written pa\"ss\\word inside a JSON string.
    const char *quoted = "pa\"ss\\word";
    cr_assert_eq (vb_log_add_secret (quoted, strlen (quoted)), 0);
    s_setup ();
    vb_log_info ("body={\"password\":\"%s\"}", "pa\\\"ss\\\\word");
    s_expect_body ("body={\"password\":\"***\"}");
}

Test (vb_log, redacts_a_binary_secret_printed_in_hex, .init = s_setup)
{
    const unsigned char key[] = {0x01, 0xff, 0x00, 0x10, 0xab};
    cr_assert_eq (vb_log_add_secret (key, sizeof (key)), 0);
    char hex[2 * sizeof (key) + 1];
    for (size_t i = 0; i < sizeof (key); i++)
        snprintf (hex + 2 * i, 3, "%02x", key[i]);
    cr_assert_str_eq (hex, "01ff0010ab");
    vb_log_info ("key=%s", hex);
    s_expect_body ("key=***");
    s_setup ();
    vb_log_info ("key=%s", "01FF0010AB");
    s_expect_body ("key=***");
}

Test (vb_log, escapes_control_characters_so_an_event_stays_one_line, .init = s_setup)
{
    vb_log_error ("venue said msg=%s", "bad\nfake line\r\tx\x01y");
    s_expect_body ("venue said msg=bad\\nfake line\\r\\tx\\x01y");
}

Test (vb_log, cuts_long_lines_with_a_mark, .init = s_setup)
{
    size_t length = 3 * VB_LOG_LINE_MAX;
    char *text = malloc (length + 1);
    cr_assert_not_null (text);
    memset (text, 'x', length);
    text[length] = '\0';
    vb_log_info ("%s", text);
    free (text);
    cr_assert_eq (s_lines, 1);
    cr_assert_leq (s_captured_size, VB_LOG_LINE_MAX);
    cr_assert_eq (strchr (s_captured, '\n'), s_captured + s_captured_size - 1);
    const char *tail = s_captured + s_captured_size - 1 - strlen (VB_LOG_TRUNCATED_MARK);
    cr_assert_eq (strncmp (tail, VB_LOG_TRUNCATED_MARK, strlen (VB_LOG_TRUNCATED_MARK)), 0);
    cr_assert_eq (tail[-1], 'x');
}

//  Log a line of `length` 'x' with the secret written at `offset`, and check
//  that the message part holds only 'x', the mask and the cut mark: not one
//  byte of the secret (whose letters are all upper case) may appear.
static void
s_check_straddle (const char *secret, size_t length, size_t offset)
{
    s_setup ();
    char *text = malloc (length + 1);
    cr_assert_not_null (text);
    memset (text, 'x', length);
    memcpy (text + offset, secret, strlen (secret));
    text[length] = '\0';
    vb_log_info ("%s", text);
    free (text);
    cr_assert_eq (s_lines, 1);
    const char *body = s_body ();
    cr_assert_eq (strspn (body, "x*.\n"), strlen (body), "secret at %zu of %zu leaked: %s", offset,
                  length, body + (strlen (body) > 60 ? strlen (body) - 60 : 0));
}

Test (vb_log, a_secret_straddling_the_cut_is_masked, .init = s_setup)
{
    const char *secret = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    cr_assert_eq (vb_log_add_secret (secret, strlen (secret)), 0);
    //  Messages shorter than VB_LOG_MESSAGE_MAX are redacted whole, then cut:
    //  move the secret across every position near the end of the line.
    for (size_t offset = VB_LOG_LINE_MAX - 100; offset < VB_LOG_LINE_MAX + 10; offset++)
        s_check_straddle (secret, 2 * VB_LOG_LINE_MAX, offset);
}

Test (vb_log, a_secret_straddling_the_cut_of_a_huge_message_is_masked, .init = s_setup)
{
    const char *secret = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    cr_assert_eq (vb_log_add_secret (secret, strlen (secret)), 0);
    //  Past VB_LOG_MESSAGE_MAX only the first VB_LOG_LINE_MAX - 1 bytes are
    //  formatted, so the secret can be cut before redaction sees it whole.
    for (size_t offset = VB_LOG_LINE_MAX - 40; offset < VB_LOG_LINE_MAX + 2; offset++)
        s_check_straddle (secret, VB_LOG_MESSAGE_MAX + 10, offset);
}

Test (vb_log, withholds_a_line_that_redaction_cannot_clean, .init = s_setup)
{
    //  "**x" + "x": the first three bytes become "***", and "***" followed by
    //  the literal "x" spells the secret again.
    cr_assert_eq (vb_log_add_secret ("**x", 3), 0);
    vb_log_info ("%s", "**xx");
    s_expect_body (VB_LOG_WITHHELD);
}

Test (vb_log, forgets_secrets, .init = s_setup)
{
    cr_assert_eq (vb_log_add_secret ("passphrase-1", 12), 0);
    cr_assert_eq (vb_log_add_secret ("passphrase-1", 12), 0);
    cr_assert_eq (vb_log_secret_count (), 1, "the same secret twice is kept once");
    vb_log_info ("p=%s", "passphrase-1");
    s_expect_body ("p=***");
    vb_log_forget_secrets ();
    cr_assert_eq (vb_log_secret_count (), 0);
    s_setup ();
    vb_log_info ("p=%s", "passphrase-1");
    s_expect_body ("p=passphrase-1");
}

Test (vb_log, rejects_bad_secrets_and_too_many)
{
    char big[VB_LOG_SECRET_MAX + 1];
    memset (big, 'q', sizeof (big));
    cr_assert_eq (vb_log_add_secret (NULL, 4), VB_EINVAL);
    cr_assert_eq (vb_log_add_secret ("abc", 0), VB_EINVAL);
    cr_assert_eq (vb_log_add_secret (big, sizeof (big)), VB_EINVAL);
    cr_assert_eq (vb_log_add_secret (big, VB_LOG_SECRET_MAX), 0);
    for (int i = 1; i < VB_LOG_SECRETS_MAX; i++) {
        char secret[32];
        int length = snprintf (secret, sizeof (secret), "secret-number-%d", i);
        cr_assert_eq (vb_log_add_secret (secret, (size_t)length), 0);
    }
    cr_assert_eq (vb_log_secret_count (), VB_LOG_SECRETS_MAX);
    cr_assert_eq (vb_log_add_secret ("one-too-many", 12), VB_ELIMIT);
    vb_log_forget_secrets ();
    cr_assert_eq (vb_log_add_secret ("one-too-many", 12), 0);
}

Test (vb_log, bridges_preformatted_lines, .init = s_setup)
{
    cr_assert_eq (vb_log_add_secret ("tok-123456", 10), 0);
    vb_log_line (VB_LOG_WARNING, "curl: auth header tok-123456 rejected\r\n");
    s_expect_body ("curl: auth header *** rejected");
    cr_assert_eq (s_last_level, VB_LOG_WARNING);
    s_setup ();
    vb_log_line (VB_LOG_INFO, NULL);
    vb_log_set_level (VB_LOG_NOTICE);
    vb_log_line (VB_LOG_INFO, "dropped");
    cr_assert_eq (s_lines, 0);
}

Test (vb_log, maps_libwebsockets_levels, .init = s_setup)
{
    //  lws-logs.h: LLL_ERR 1, LLL_WARN 2, LLL_NOTICE 4, LLL_INFO 8,
    //  LLL_DEBUG 16, LLL_PARSER 32, LLL_USER 1024.
    struct {
        int lws;
        vb_log_level_t level;
    } cases[] = {{1, VB_LOG_ERROR}, {2, VB_LOG_WARNING}, {4, VB_LOG_NOTICE}, {1024, VB_LOG_NOTICE},
                 {8, VB_LOG_INFO},  {16, VB_LOG_DEBUG},  {32, VB_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        s_setup ();
        vb_log_lws_emit (cases[i].lws, "lws says hi\n");
        s_expect_body ("lws says hi");
        cr_assert_eq (s_last_level, cases[i].level, "lws level %d", cases[i].lws);
    }
}

Test (vb_log, writes_to_a_stream_sink)
{
    FILE *sink = tmpfile ();
    cr_assert_not_null (sink);
    vb_log_init ("stream-svc", VB_LOG_INFO);
    vb_log_set_sink (sink);
    vb_log_info ("hello n=%d", 1);
    vb_log_set_sink (NULL);
    rewind (sink);
    char line[VB_LOG_LINE_MAX];
    cr_assert_not_null (fgets (line, sizeof (line), sink));
    cr_assert (s_matches (line, " info stream-svc: hello n=1\n$"), "[%s]", line);
    fclose (sink);
}

#define THREADS          4
#define LINES_PER_THREAD 250

static void *
s_writer (void *arg)
{
    int id = *(int *)arg;
    for (int i = 0; i < LINES_PER_THREAD; i++)
        vb_log_info ("thread line thread=%d index=%d secret=SHAREDSECRET padding=%0200d", id, i, 0);
    return NULL;
}

Test (vb_log, lines_from_several_threads_never_interleave)
{
    FILE *sink = tmpfile ();
    cr_assert_not_null (sink);
    vb_log_init ("threads", VB_LOG_INFO);
    vb_log_set_sink (sink);
    cr_assert_eq (vb_log_add_secret ("SHAREDSECRET", 12), 0);
    pthread_t threads[THREADS];
    int ids[THREADS];
    for (int t = 0; t < THREADS; t++) {
        ids[t] = t;
        cr_assert_eq (pthread_create (&threads[t], NULL, s_writer, &ids[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join (threads[t], NULL);
    vb_log_set_sink (NULL);
    rewind (sink);
    char line[VB_LOG_LINE_MAX];
    int count = 0;
    int next[THREADS] = {0};
    while (fgets (line, sizeof (line), sink)) {
        int thread, index;
        cr_assert (s_matches (line, "^[0-9T:.Z-]+ info threads: thread line thread=[0-9] "
                                    "index=[0-9]+ secret=\\*\\*\\* padding=0{200}\n$"),
                   "mangled line: [%s]", line);
        cr_assert_eq (sscanf (strstr (line, "thread="), "thread=%d index=%d", &thread, &index), 2);
        cr_assert_eq (index, next[thread]++, "each thread's lines arrive in order");
        count++;
    }
    cr_assert_eq (count, THREADS * LINES_PER_THREAD);
    fclose (sink);
}
