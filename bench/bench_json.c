/*  bench_json.c — parse + extract of real Binance messages with vb_json.

    Corpus: every depthUpdate (200) and trade (333) line of the real capture
    shared/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt
    (`<recv ns> <raw json>` per line; the bare REST snapshot line and the
    bookTicker lines are skipped). Each message is extracted in full: E, U, u
    (or t, T, m for trades), the symbol, and every price and quantity as an
    exact vb_decimal.

    Same-run baselines, interleaved in each round because the VM is noisy:
    a plain memcpy of the same bytes (the floor: vb_json copies its input
    once into its padded buffer) and, when built with cJSON, cJSON parse +
    extract of the same messages into the same structs. Before timing, the
    two extractions are checked to agree on every message.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_bench.h"
#include "vb_error.h"
#include "vb_json.h"
#ifdef VB_BENCH_CJSON
#include <cjson/cJSON.h>
#endif

#define S_CAPTURE      "/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt"
#define S_MAX_LEVELS   1024  //  Per side; the capture's largest has 227 levels in all
#define S_SYMBOL_MAX   16    //  Symbol bytes kept, with the NUL
#define S_MAX_MESSAGES 4096  //  Per kind
#define S_ROUNDS       3     //  Interleaved rounds of every benchmark
#define S_REPEATS      7     //  Timed runs per benchmark per round
#define S_PASSES       40    //  Times through the corpus per timed run
#define S_NS_PER_S     1e9
#define S_BYTES_PER_MB 1e6

typedef struct {
    vb_decimal_t price;  //  Level price
    vb_decimal_t qty;    //  Level quantity (0 removes the level)
} s_level_t;

//  What both extractors fill: a depth diff or a trade.
typedef struct {
    uint64_t event_ms;          //  E
    uint64_t first;             //  U, or the trade id t
    uint64_t last;              //  u, or the trade time T
    bool maker;                 //  m (trades)
    char symbol[S_SYMBOL_MAX];  //  s
    size_t bid_count;           //  Bids in bids[]
    size_t ask_count;           //  Asks in asks[]
    s_level_t bids[S_MAX_LEVELS];
    s_level_t asks[S_MAX_LEVELS];
    vb_decimal_t price;  //  p (trades)
    vb_decimal_t qty;    //  q (trades)
} s_extract_t;

typedef struct {
    const char *text;  //  Raw JSON
    size_t size;       //  Bytes
} s_message_t;

typedef struct {
    s_message_t *messages;  //  The corpus of one kind
    size_t count;           //  Messages
    size_t bytes;           //  Total bytes
    bool depth;             //  depthUpdate (else trade)
    vb_json_t *json;        //  Reused parser
    char *copy;             //  memcpy target
    s_extract_t *out;       //  Extraction target
} s_corpus_t;

//  Set by s_run for the "levels as text" variant, which splits the JSON
//  cost from the decimal-conversion cost.
static bool s_text_only;

//  --------------------------------------------------------------------------
//  vb_json extraction.

//  A decimal, or in the text-only variant just the string (its length kept
//  as the mantissa so the read is not optimised away).
static int
s_json_number (vb_json_val_t *value, vb_decimal_t *out)
{
    if (!s_text_only)
        return vb_json_decimal (value, out);
    const char *text;
    size_t length;
    int rc = vb_json_string (value, &text, &length);
    out->mantissa = (int64_t)length;
    out->exponent = 0;
    return rc;
}

static int
s_json_levels (vb_json_val_t *data, const char *key, s_level_t *levels, size_t *count)
{
    vb_json_val_t side, level, price, qty;
    vb_json_iter_t levels_iter, pair_iter;
    int rc = vb_json_find (data, key, &side);
    if (rc == 0)
        rc = vb_json_array_begin (&side, &levels_iter);
    *count = 0;
    while (rc == 0 && (rc = vb_json_array_next (&levels_iter, &level)) == 1) {
        if (*count == S_MAX_LEVELS)
            return VB_ELIMIT;
        rc = vb_json_array_begin (&level, &pair_iter);
        if (rc == 0)
            rc = vb_json_array_next (&pair_iter, &price) == 1 ? 0 : VB_EINVAL;
        if (rc == 0)
            rc = s_json_number (&price, &levels[*count].price);
        if (rc == 0)
            rc = vb_json_array_next (&pair_iter, &qty) == 1 ? 0 : VB_EINVAL;
        if (rc == 0)
            rc = s_json_number (&qty, &levels[*count].qty);
        if (rc == 0)
            rc = vb_json_array_next (&pair_iter, &qty) == 0 ? 0 : VB_EINVAL;
        (*count)++;
    }
    return rc;
}

static int
s_json_symbol (vb_json_val_t *data, char *symbol)
{
    vb_json_val_t field;
    const char *text;
    size_t length;
    int rc = vb_json_find (data, "s", &field);
    if (rc == 0)
        rc = vb_json_string (&field, &text, &length);
    if (rc == 0 && length >= S_SYMBOL_MAX)
        rc = VB_ELIMIT;
    if (rc == 0) {
        memcpy (symbol, text, length);
        symbol[length] = '\0';
    }
    return rc;
}

static int
s_json_uint (vb_json_val_t *data, const char *key, uint64_t *out)
{
    vb_json_val_t field;
    int rc = vb_json_find (data, key, &field);
    return rc ? rc : vb_json_uint64 (&field, out);
}

static int
s_json_extract (vb_json_t *json, const s_message_t *message, bool depth, s_extract_t *out)
{
    vb_json_val_t root, data, field;
    int rc = vb_json_parse (json, message->text, message->size, &root);
    if (rc == 0)
        rc = vb_json_find (&root, "data", &data);
    if (rc == 0)
        rc = s_json_uint (&data, "E", &out->event_ms);
    if (rc == 0)
        rc = s_json_symbol (&data, out->symbol);
    if (depth) {
        if (rc == 0)
            rc = s_json_uint (&data, "U", &out->first);
        if (rc == 0)
            rc = s_json_uint (&data, "u", &out->last);
        if (rc == 0)
            rc = s_json_levels (&data, "b", out->bids, &out->bid_count);
        if (rc == 0)
            rc = s_json_levels (&data, "a", out->asks, &out->ask_count);
    } else {
        if (rc == 0)
            rc = s_json_uint (&data, "t", &out->first);
        if (rc == 0)
            rc = vb_json_find (&data, "p", &field);
        if (rc == 0)
            rc = vb_json_decimal (&field, &out->price);
        if (rc == 0)
            rc = vb_json_find (&data, "q", &field);
        if (rc == 0)
            rc = vb_json_decimal (&field, &out->qty);
        if (rc == 0)
            rc = s_json_uint (&data, "T", &out->last);
        if (rc == 0)
            rc = vb_json_find (&data, "m", &field);
        if (rc == 0)
            rc = vb_json_bool (&field, &out->maker);
    }
    return rc;
}

#ifdef VB_BENCH_CJSON
//  --------------------------------------------------------------------------
//  cJSON extraction into the same structs (numbers come back as doubles,
//  exact for these integers below 2^53; decimals still go through text).

static int
s_cjson_decimal (const cJSON *item, vb_decimal_t *out)
{
    if (!cJSON_IsString (item))
        return VB_ETYPE;
    return vb_decimal_parse (item->valuestring, strlen (item->valuestring), out);
}

static int
s_cjson_uint (const cJSON *data, const char *key, uint64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (data, key);
    if (!cJSON_IsNumber (item) || item->valuedouble < 0)
        return VB_ETYPE;
    *out = (uint64_t)item->valuedouble;
    return 0;
}

static int
s_cjson_levels (const cJSON *data, const char *key, s_level_t *levels, size_t *count)
{
    const cJSON *side = cJSON_GetObjectItemCaseSensitive (data, key);
    const cJSON *level;
    if (!cJSON_IsArray (side))
        return VB_ETYPE;
    *count = 0;
    cJSON_ArrayForEach (level, side)
    {
        if (*count == S_MAX_LEVELS)
            return VB_ELIMIT;
        if (!cJSON_IsArray (level) || cJSON_GetArraySize (level) != 2)
            return VB_EINVAL;
        int rc = s_cjson_decimal (level->child, &levels[*count].price);
        if (rc == 0)
            rc = s_cjson_decimal (level->child->next, &levels[*count].qty);
        if (rc)
            return rc;
        (*count)++;
    }
    return 0;
}

static int
s_cjson_extract (const s_message_t *message, bool depth, s_extract_t *out)
{
    cJSON *root = cJSON_ParseWithLength (message->text, message->size);
    if (!root)
        return VB_EINVAL;
    int rc = 0;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive (root, "data");
    const cJSON *symbol = cJSON_GetObjectItemCaseSensitive (data, "s");
    if (!cJSON_IsObject (data) || !cJSON_IsString (symbol) ||
        strlen (symbol->valuestring) >= S_SYMBOL_MAX)
        rc = VB_EINVAL;
    if (rc == 0) {
        strcpy (out->symbol, symbol->valuestring);
        rc = s_cjson_uint (data, "E", &out->event_ms);
    }
    if (depth) {
        if (rc == 0)
            rc = s_cjson_uint (data, "U", &out->first);
        if (rc == 0)
            rc = s_cjson_uint (data, "u", &out->last);
        if (rc == 0)
            rc = s_cjson_levels (data, "b", out->bids, &out->bid_count);
        if (rc == 0)
            rc = s_cjson_levels (data, "a", out->asks, &out->ask_count);
    } else {
        if (rc == 0)
            rc = s_cjson_uint (data, "t", &out->first);
        if (rc == 0)
            rc = s_cjson_decimal (cJSON_GetObjectItemCaseSensitive (data, "p"), &out->price);
        if (rc == 0)
            rc = s_cjson_decimal (cJSON_GetObjectItemCaseSensitive (data, "q"), &out->qty);
        if (rc == 0)
            rc = s_cjson_uint (data, "T", &out->last);
        if (rc == 0) {
            const cJSON *maker = cJSON_GetObjectItemCaseSensitive (data, "m");
            if (!cJSON_IsBool (maker))
                rc = VB_ETYPE;
            else
                out->maker = cJSON_IsTrue (maker);
        }
    }
    cJSON_Delete (root);
    return rc;
}
#endif

//  --------------------------------------------------------------------------
//  Benchmark bodies: `iterations` messages, cycling through the corpus.

static void
s_bench_memcpy (void *arg, size_t iterations)
{
    s_corpus_t *corpus = (s_corpus_t *)arg;
    for (size_t index = 0; index < iterations; index++) {
        const s_message_t *message = &corpus->messages[index % corpus->count];
        memcpy (corpus->copy, message->text, message->size);
        vb_bench_sink ((uint8_t)corpus->copy[message->size / 2]);
    }
}

static void
s_bench_vb_json (void *arg, size_t iterations)
{
    s_corpus_t *corpus = (s_corpus_t *)arg;
    for (size_t index = 0; index < iterations; index++) {
        const s_message_t *message = &corpus->messages[index % corpus->count];
        int rc = s_json_extract (corpus->json, message, corpus->depth, corpus->out);
        vb_bench_sink ((uint64_t)rc + corpus->out->last);
    }
}

#ifdef VB_BENCH_CJSON
static void
s_bench_cjson (void *arg, size_t iterations)
{
    s_corpus_t *corpus = (s_corpus_t *)arg;
    for (size_t index = 0; index < iterations; index++) {
        const s_message_t *message = &corpus->messages[index % corpus->count];
        int rc = s_cjson_extract (message, corpus->depth, corpus->out);
        vb_bench_sink ((uint64_t)rc + corpus->out->last);
    }
}
#endif

//  --------------------------------------------------------------------------
//  Check the extraction of every message (and agreement with cJSON).

static bool
s_same_extract (const s_extract_t *a, const s_extract_t *b)
{
    if (a->event_ms != b->event_ms || a->first != b->first || a->last != b->last ||
        a->maker != b->maker || strcmp (a->symbol, b->symbol) != 0 ||
        a->bid_count != b->bid_count || a->ask_count != b->ask_count ||
        memcmp (&a->price, &b->price, sizeof (a->price)) != 0 ||
        memcmp (&a->qty, &b->qty, sizeof (a->qty)) != 0)
        return false;
    return memcmp (a->bids, b->bids, a->bid_count * sizeof (s_level_t)) == 0 &&
           memcmp (a->asks, b->asks, a->ask_count * sizeof (s_level_t)) == 0;
}

static int
s_verify (s_corpus_t *corpus)
{
    s_extract_t *theirs = calloc (1, sizeof (s_extract_t));
    int rc = theirs ? 0 : VB_ENOMEM;
    for (size_t index = 0; rc == 0 && index < corpus->count; index++) {
        memset (corpus->out, 0, sizeof (s_extract_t));
        rc = s_json_extract (corpus->json, &corpus->messages[index], corpus->depth, corpus->out);
        if (rc == 0 && corpus->depth && corpus->out->bid_count + corpus->out->ask_count == 0)
            rc = VB_EINVAL;
#ifdef VB_BENCH_CJSON
        if (rc == 0) {
            memset (theirs, 0, sizeof (s_extract_t));
            rc = s_cjson_extract (&corpus->messages[index], corpus->depth, theirs);
            if (rc == 0 && !s_same_extract (corpus->out, theirs))
                rc = VB_EINVAL;
        }
#else
        (void)s_same_extract;
#endif
        if (rc)
            fprintf (stderr, "bench_json: message %zu fails extraction: %s\n", index,
                     vb_strerror (rc));
    }
    free (theirs);
    return rc;
}

//  --------------------------------------------------------------------------
//  Load the two corpora from the capture.

static int
s_load (char *capture, s_corpus_t *depth, s_corpus_t *trade)
{
    char *line = capture;
    while (*line) {
        char *end = strchr (line, '\n');
        if (!end)
            end = line + strlen (line);
        char *json = memchr (line, ' ', (size_t)(end - line));
        if (json && json[1] == '{') {  //  "<recv ns> {json}"; the snapshot has no prefix
            json++;
            s_corpus_t *corpus = NULL;
            char saved = *end;
            *end = '\0';  //  Search this line only
            if (strstr (json, "\"e\":\"depthUpdate\""))
                corpus = depth;
            else if (strstr (json, "\"e\":\"trade\""))
                corpus = trade;
            *end = saved;
            if (corpus && corpus->count < S_MAX_MESSAGES) {
                corpus->messages[corpus->count].text = json;
                corpus->messages[corpus->count].size = (size_t)(end - json);
                corpus->bytes += (size_t)(end - json);
                corpus->count++;
            }
        }
        line = *end ? end + 1 : end;
    }
    return depth->count && trade->count ? 0 : VB_ENOTFOUND;
}

//  --------------------------------------------------------------------------
//  Interleaved rounds for one corpus.

static void
s_run (const char *kind, s_corpus_t *corpus)
{
    size_t iterations = corpus->count * S_PASSES;
    double average = (double)corpus->bytes / (double)corpus->count;
    printf ("\n%s: %zu messages, %.0f bytes average\n", kind, corpus->count, average);
    for (int round = 1; round <= S_ROUNDS; round++) {
        printf ("-- round %d\n", round);
        vb_bench_result_t floor =
            vb_bench_run ("memcpy (floor)", s_bench_memcpy, corpus, iterations, S_REPEATS);
        vb_bench_result_t ours =
            vb_bench_run ("vb_json parse+extract", s_bench_vb_json, corpus, iterations, S_REPEATS);
        printf ("%-32s %10.0f MB/s\n", "vb_json throughput",
                average / ours.median_ns * S_NS_PER_S / S_BYTES_PER_MB);
        vb_bench_ratio ("vb_json vs memcpy", ours, floor);
        if (corpus->depth) {
            s_text_only = true;
            vb_bench_result_t text = vb_bench_run ("vb_json, levels as text", s_bench_vb_json,
                                                   corpus, iterations, S_REPEATS);
            s_text_only = false;
            vb_bench_ratio ("levels as text vs vb_json", text, ours);
        }
#ifdef VB_BENCH_CJSON
        vb_bench_result_t theirs =
            vb_bench_run ("cJSON parse+extract", s_bench_cjson, corpus, iterations, S_REPEATS);
        printf ("%-32s %10.0f MB/s\n", "cJSON throughput",
                average / theirs.median_ns * S_NS_PER_S / S_BYTES_PER_MB);
        vb_bench_ratio ("cJSON vs vb_json", theirs, ours);
#endif
    }
}

int
main (void)
{
    const char *path = VB_SHARED_DIR S_CAPTURE;
    size_t size;
    char *capture = vb_bench_slurp (path, &size);
    if (!capture) {
        fprintf (stderr, "bench_json: cannot read %s\n", path);
        return 1;
    }
    s_corpus_t depth = {.depth = true};
    s_corpus_t trade = {.depth = false};
    depth.messages = calloc (S_MAX_MESSAGES, sizeof (s_message_t));
    trade.messages = calloc (S_MAX_MESSAGES, sizeof (s_message_t));
    s_extract_t *out = calloc (1, sizeof (s_extract_t));
    char *copy = malloc (size + 1);
    vb_json_t *json = vb_json_new ();
    int rc = depth.messages && trade.messages && out && copy && json ? 0 : VB_ENOMEM;
    if (rc == 0)
        rc = s_load (capture, &depth, &trade);
    depth.json = trade.json = json;
    depth.out = trade.out = out;
    depth.copy = trade.copy = copy;
    if (rc == 0)
        rc = s_verify (&depth);
    if (rc == 0)
        rc = s_verify (&trade);
    if (rc == 0) {
        printf ("bench_json: %s\n", path);
        vb_bench_calibrate ();
        s_run ("depthUpdate", &depth);
        s_run ("trade", &trade);
    } else
        fprintf (stderr, "bench_json: setup failed: %s\n", vb_strerror (rc));
    vb_json_destroy (&json);
    free (copy);
    free (out);
    free (trade.messages);
    free (depth.messages);
    free (capture);
    return rc ? 1 : 0;
}
