/*  sim.c — the Kraken Spot protocol personality of venuebus-sim.

    Lists BTC-USD (XBT/USD) and ETH-USD with Kraken's precisions, keeps the
    state Kraken shows but the engine does not (userref, oflags, which
    cl_ord_id came from the client, REST and trading rate counters, WS
    tokens), and routes requests, WS messages and engine events to
    sim_rest.c and sim_ws.c. Also holds the text helpers both use. See
    sim.h for the layout and venues.md section 3 for the protocol.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <time.h>
#include "vb_decimal.h"
#include "vb_error.h"
#include "auth.h"
#include "sim.h"

//  Instruments, with AssetPairs' numbers: XBT/USD pair_decimals 1,
//  lot_decimals 8, tick 0.1, ordermin 0.00005, costmin 0.5; ETH/USD
//  pair_decimals 2, lot_decimals 8, tick 0.01, ordermin 0.002, costmin 0.5.
//  min_notional is costmin at 10^(price_exponent + qty_exponent).
static const vb_sim_instrument_t s_instruments[] = {
    {.symbol = "BTC-USD",
     .base = "BTC",
     .quote = "USD",
     .price_exponent = -1,
     .qty_exponent = -8,
     .tick = 1,
     .lot = 1,
     .min_qty = 5000,                    //  0.00005 BTC
     .max_qty = INT64_C (100000000000),  //  1000 BTC
     .min_notional = 500000000,          //  0.5 USD at 10^-9
     .start_price = 650000},             //  65000.0
    {.symbol = "ETH-USD",
     .base = "ETH",
     .quote = "USD",
     .price_exponent = -2,
     .qty_exponent = -8,
     .tick = 1,
     .lot = 1,
     .min_qty = 200000,                     //  0.002 ETH
     .max_qty = INT64_C (1000000000000),    //  10000 ETH
     .min_notional = INT64_C (5000000000),  //  0.5 USD at 10^-10
     .start_price = 300000},                //  3000.00
};

#define S_INSTRUMENT_COUNT (sizeof (s_instruments) / sizeof (s_instruments[0]))

//  HTTP statuses the http_status fault may inject
#define S_HTTP_FORBIDDEN       403
#define S_HTTP_NOT_FOUND       404
#define S_HTTP_TEAPOT          418
#define S_HTTP_TOO_MANY        429
#define S_HTTP_SERVER_ERROR    500
#define S_HTTP_BAD_GATEWAY     502
#define S_HTTP_UNAVAILABLE     503
#define S_HTTP_GATEWAY_TIMEOUT 504

//  Id derivation: an invertible 64-bit mix (odd multipliers, xor-shift by
//  half the word), plus 16 check bits, in Kraken's base32 alphabet.
#define S_MIX_ONE     UINT64_C (0x9E3779B97F4A7C15)
#define S_MIX_TWO     UINT64_C (0xBF58476D1CE4E5B9)
#define S_MIX_CHECK   UINT64_C (0x94D049BB133111EB)
#define S_MIX_SHIFT   32
#define S_CHECK_BITS  16
#define S_ID_CHARS    16  //  Base32 characters after the prefix (80 bits)
#define S_BASE32_BITS 5
static const char s_base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

//  Longest time a counter decays in one step (keeps products in range).
#define S_DECAY_MAX_NS (86400 * VB_KSIM_NS_PER_S)
#define S_PERCENT      100

//  Token derivation label.
#define S_TOKEN_LABEL "venuebus-sim kraken ws token"

//  --------------------------------------------------------------------------
//  Grow the buffer to hold `extra` more bytes and a NUL.

static void
s_buf_reserve (vb_ksim_buf_t *self, size_t extra)
{
    if (self->length + extra + 1 <= self->size)
        return;
    size_t size = self->size ? self->size : 256;
    while (size < self->length + extra + 1)
        size *= 2;
    char *data = (char *)zmalloc (size);
    if (self->data) {
        memcpy (data, self->data, self->length + 1);
        free (self->data);
    }
    self->data = data;
    self->size = size;
}

//  --------------------------------------------------------------------------
//  Empty the buffer (keeps its memory) / free it.

void
vb_ksim_buf_reset (vb_ksim_buf_t *self)
{
    s_buf_reserve (self, 0);
    self->length = 0;
    self->data[0] = 0;
}

void
vb_ksim_buf_free (vb_ksim_buf_t *self)
{
    free (self->data);
    self->data = NULL;
    self->length = self->size = 0;
}

//  --------------------------------------------------------------------------
//  Append bytes / formatted text.

void
vb_ksim_buf_add (vb_ksim_buf_t *self, const char *text, size_t length)
{
    s_buf_reserve (self, length);
    memcpy (self->data + self->length, text, length);
    self->length += length;
    self->data[self->length] = 0;
}

void
vb_ksim_buf_printf (vb_ksim_buf_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    va_list again;
    va_copy (again, args);
    int needed = vsnprintf (NULL, 0, format, args);
    va_end (args);
    if (needed > 0) {
        s_buf_reserve (self, (size_t)needed);
        vsnprintf (self->data + self->length, (size_t)needed + 1, format, again);
        self->length += (size_t)needed;
    }
    va_end (again);
}

//  --------------------------------------------------------------------------
//  Append a JSON string literal.

void
vb_ksim_buf_string (vb_ksim_buf_t *self, const char *text, size_t length)
{
    VB_KSIM_ADD (self, "\"");
    for (size_t index = 0; index < length; index++) {
        unsigned char byte = (unsigned char)text[index];
        if (byte == '"' || byte == '\\') {
            char escaped[2] = {'\\', (char)byte};
            vb_ksim_buf_add (self, escaped, 2);
        } else if (byte < 0x20)
            vb_ksim_buf_printf (self, "\\u%04x", byte);
        else
            vb_ksim_buf_add (self, (const char *)&byte, 1);
    }
    VB_KSIM_ADD (self, "\"");
}

//  --------------------------------------------------------------------------
//  value x 10^exponent as text with `decimals` fraction digits (truncated).

void
vb_ksim_buf_decimal (vb_ksim_buf_t *self, int64_t value, int32_t exponent, int decimals)
{
    char text[VB_DECIMAL_TEXT_MAX];
    int32_t shift = exponent + decimals;  //  > 0: multiply; < 0: divide
    int64_t scaled = value;
    bool ok = true;
    for (int32_t step = 0; step < shift && ok; step++) {
        if (scaled > INT64_MAX / 10 || scaled < INT64_MIN / 10)
            ok = false;
        else
            scaled *= 10;
    }
    for (int32_t step = shift; step < 0; step++)
        scaled /= 10;
    vb_decimal_t decimal = {scaled, -decimals};
    if (!ok || vb_decimal_format (decimal, text, sizeof (text)) < 0)
        snprintf (text, sizeof (text), "0");
    vb_ksim_buf_add (self, text, strlen (text));
}

//  --------------------------------------------------------------------------
//  The same with trailing zeros trimmed to at least min_decimals.

void
vb_ksim_buf_decimal_trim (vb_ksim_buf_t *self, int64_t value, int32_t exponent, int decimals,
                          int min_decimals)
{
    size_t start = self->length;
    vb_ksim_buf_decimal (self, value, exponent, decimals);
    char *dot = memchr (self->data + start, '.', self->length - start);
    if (!dot)
        return;
    size_t keep = (size_t)(dot - self->data) + 1 + (size_t)min_decimals;
    while (self->length > keep && self->data[self->length - 1] == '0')
        self->length--;
    if (self->data[self->length - 1] == '.')
        self->length--;
    self->data[self->length] = 0;
}

//  --------------------------------------------------------------------------
//  RFC 3339 UTC time with 6 or 9 fraction digits.

void
vb_ksim_buf_rfc3339 (vb_ksim_buf_t *self, int64_t ns, bool nanoseconds)
{
    time_t seconds = (time_t)(ns / VB_KSIM_NS_PER_S);
    int64_t fraction = ns % VB_KSIM_NS_PER_S;
    if (fraction < 0) {
        fraction += VB_KSIM_NS_PER_S;
        seconds--;
    }
    struct tm utc;
    gmtime_r (&seconds, &utc);
    char text[64];
    strftime (text, sizeof (text), "%Y-%m-%dT%H:%M:%S", &utc);
    vb_ksim_buf_add (self, text, strlen (text));
    if (nanoseconds)
        vb_ksim_buf_printf (self, ".%09" PRId64 "Z", fraction);
    else
        vb_ksim_buf_printf (self, ".%06" PRId64 "Z", fraction / VB_KSIM_NS_PER_US);
}

//  --------------------------------------------------------------------------
//  Unix seconds with VB_KSIM_TIME_DECIMALS decimals.

void
vb_ksim_buf_seconds (vb_ksim_buf_t *self, int64_t ns)
{
    vb_ksim_buf_decimal (self, ns, -9, VB_KSIM_TIME_DECIMALS);
}

//  --------------------------------------------------------------------------
//  The invertible mix, its inverse, and a modular inverse (Newton).

static uint64_t
s_inverse (uint64_t odd)
{
    uint64_t inverse = odd;  //  Correct to 3 bits; each step doubles that
    for (int step = 0; step < 5; step++)
        inverse *= 2 - odd * inverse;
    return inverse;
}

static uint64_t
s_mix (uint64_t value)
{
    value *= S_MIX_ONE;
    value ^= value >> S_MIX_SHIFT;
    value *= S_MIX_TWO;
    value ^= value >> S_MIX_SHIFT;
    return value;
}

static uint64_t
s_unmix (uint64_t value)
{
    value ^= value >> S_MIX_SHIFT;
    value *= s_inverse (S_MIX_TWO);
    value ^= value >> S_MIX_SHIFT;
    value *= s_inverse (S_MIX_ONE);
    return value;
}

//  --------------------------------------------------------------------------
//  Format a prefix and 80 bits (mixed value + check) as "PXXXXX-XXXXX-XXXXXX".

static void
s_format_id (char prefix, uint64_t mixed, char out[VB_KSIM_TXID_SIZE])
{
    uint64_t check = (mixed * S_MIX_CHECK) >> (64 - S_CHECK_BITS);
    char digits[S_ID_CHARS];
    for (int index = S_ID_CHARS - 1; index >= 0; index--) {
        //  Take 5 bits at a time from the low end of check:mixed (80 bits).
        digits[index] = s_base32[mixed & 31];
        mixed = (mixed >> S_BASE32_BITS) | (check << (64 - S_BASE32_BITS));
        check >>= S_BASE32_BITS;
    }
    size_t at = 0;
    out[at++] = prefix;
    for (int index = 0; index < S_ID_CHARS; index++) {
        if (index == 5 || index == 10)
            out[at++] = '-';
        out[at++] = digits[index];
    }
    out[at] = 0;
}

void
vb_ksim_order_txid (uint64_t order_id, char out[VB_KSIM_TXID_SIZE])
{
    s_format_id ('O', s_mix (order_id), out);
}

void
vb_ksim_trade_txid (uint64_t serial, char prefix, char out[VB_KSIM_TXID_SIZE])
{
    s_format_id (prefix, s_mix (serial ^ UINT64_C (0x5bd1e995)), out);
}

void
vb_ksim_fill_txid (vb_ksim_t *self, const vb_sim_fill_t *fill, char out[VB_KSIM_TXID_SIZE])
{
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_instrument (self, fill->instrument);
    uint64_t pair_index = pair ? (uint64_t)(pair - self->pairs) : 0;
    uint64_t serial = (pair_index << 56) ^ (fill->trade_id << 1) ^ (fill->maker ? 1 : 0);
    vb_ksim_trade_txid (serial, 'T', out);
}

//  --------------------------------------------------------------------------
//  Parse an order txid back to the engine order id; 0 if not one of ours.

uint64_t
vb_ksim_order_id (const char *txid, size_t length)
{
    if (!txid || length != VB_KSIM_TXID_SIZE - 1 || txid[0] != 'O' || txid[6] != '-' ||
        txid[12] != '-')
        return 0;
    uint64_t high = 0;  //  Top 16 bits (check)
    uint64_t low = 0;   //  Low 64 bits (mixed value)
    for (size_t at = 1; at < length; at++) {
        if (at == 6 || at == 12)
            continue;
        const char *found = memchr (s_base32, txid[at], 32);
        if (!found || txid[at] == 0)
            return 0;
        uint64_t digit = (uint64_t)(found - s_base32);
        high = ((high << S_BASE32_BITS) | (low >> (64 - S_BASE32_BITS))) & 0xFFFF;
        low = (low << S_BASE32_BITS) | digit;
    }
    if (high != (low * S_MIX_CHECK) >> (64 - S_CHECK_BITS))
        return 0;
    return s_unmix (low);
}

//  --------------------------------------------------------------------------
//  Pair lookups.

const vb_ksim_pair_t *
vb_ksim_pair_by_instrument (vb_ksim_t *self, const vb_sim_instrument_t *instrument)
{
    if (!instrument)
        return NULL;
    for (size_t index = 0; index < self->pair_count; index++)
        if (self->pairs[index].instrument == instrument ||
            strcmp (self->pairs[index].instrument->symbol, instrument->symbol) == 0)
            return &self->pairs[index];
    return NULL;
}

const vb_ksim_pair_t *
vb_ksim_pair_by_rest (vb_ksim_t *self, const char *name)
{
    const vb_kraken_pair_t *names = vb_kraken_pair_find (name);
    for (size_t index = 0; names && index < self->pair_count; index++)
        if (self->pairs[index].names == names)
            return &self->pairs[index];
    return NULL;
}

const vb_ksim_pair_t *
vb_ksim_pair_by_ws (vb_ksim_t *self, const char *symbol, size_t length)
{
    const vb_kraken_pair_t *names = vb_kraken_pair_find_ws (symbol, length);
    for (size_t index = 0; names && index < self->pair_count; index++)
        if (self->pairs[index].names == names)
            return &self->pairs[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Order extras by engine order id.

vb_ksim_meta_t *
vb_ksim_meta (vb_ksim_t *self, uint64_t order_id)
{
    char key[24];
    snprintf (key, sizeof (key), "%" PRIu64, order_id);
    return (vb_ksim_meta_t *)zhashx_lookup (self->metas, key);
}

vb_ksim_meta_t *
vb_ksim_meta_ensure (vb_ksim_t *self, uint64_t order_id)
{
    vb_ksim_meta_t *meta = vb_ksim_meta (self, order_id);
    if (meta)
        return meta;
    meta = (vb_ksim_meta_t *)zmalloc (sizeof (vb_ksim_meta_t));
    meta->order_id = order_id;
    char key[24];
    snprintf (key, sizeof (key), "%" PRIu64, order_id);
    zhashx_insert (self->metas, key, meta);
    return meta;
}

//  --------------------------------------------------------------------------
//  Per-key state: the signer is keyed on first use.

vb_ksim_key_state_t *
vb_ksim_key_state (vb_ksim_t *self, const vb_sim_key_t *key)
{
    vb_ksim_key_state_t *state = (vb_ksim_key_state_t *)zhashx_lookup (self->keys, key->api_key);
    if (!state) {
        state = (vb_ksim_key_state_t *)zmalloc (sizeof (vb_ksim_key_state_t));
        state->signer = vb_kraken_signer_new (key->secret);
        zhashx_insert (self->keys, key->api_key, state);
    }
    return state;
}

static void
s_key_state_destroy (void **item_p)
{
    vb_ksim_key_state_t *state = (vb_ksim_key_state_t *)*item_p;
    if (state) {
        vb_hmac_destroy (&state->signer);
        free (state);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Decaying counters, in nano-units, on the engine clock.

bool
vb_ksim_counter_take (vb_ksim_counter_t *counter, int64_t now_ns, int64_t rate_per_100s,
                      int64_t cost, int64_t max, bool force)
{
    int64_t elapsed = now_ns - counter->updated_ns;
    if (counter->updated_ns == 0 || elapsed > S_DECAY_MAX_NS)
        elapsed = S_DECAY_MAX_NS;
    if (elapsed < 0)
        elapsed = 0;  //  Clock stepped back (clock_skew): no decay
    int64_t decay = elapsed * rate_per_100s / S_PERCENT;
    counter->value = counter->value > decay ? counter->value - decay : 0;
    counter->updated_ns = now_ns;
    int64_t add = cost * VB_KSIM_NS_PER_S;
    if (!force && counter->value + add > max * VB_KSIM_NS_PER_S)
        return false;
    counter->value += add;
    return true;
}

vb_ksim_counter_t *
vb_ksim_trade_counter (vb_ksim_t *self, const char *account, const vb_sim_instrument_t *instrument)
{
    char key[2 * VB_SIM_NAME_MAX + 2];
    snprintf (key, sizeof (key), "%s\x1f%s", account, instrument->symbol);
    vb_ksim_counter_t *counter = (vb_ksim_counter_t *)zhashx_lookup (self->trade_counters, key);
    if (!counter) {
        counter = (vb_ksim_counter_t *)zmalloc (sizeof (vb_ksim_counter_t));
        zhashx_insert (self->trade_counters, key, counter);
    }
    return counter;
}

//  --------------------------------------------------------------------------
//  Rolling 24 h and today's statistics from minute candles.

#define S_MINUTE_S 60
#define S_DAY_S    86400

void
vb_ksim_stats (vb_ksim_t *self, const vb_sim_instrument_t *instrument, int64_t now_ns,
               vb_ksim_stats_t *stats)
{
    memset (stats, 0, sizeof (*stats));
    int64_t minute_ns = S_MINUTE_S * VB_KSIM_NS_PER_S;
    int64_t day_ns = S_DAY_S * VB_KSIM_NS_PER_S;
    int64_t to_ns = now_ns - now_ns % minute_ns + minute_ns;
    int64_t from_ns = to_ns - day_ns;
    int64_t midnight_ns = now_ns - now_ns % day_ns;
    size_t count = vb_sim_engine_candles (self->engine, instrument, S_MINUTE_S, from_ns, to_ns,
                                          self->candles, VB_KSIM_CANDLES_MAX);
    for (size_t index = 0; index < count; index++) {
        const vb_sim_candle_t *candle = &self->candles[index];
        if (candle->trades == 0)
            continue;
        if (!stats->any_24h) {
            stats->any_24h = true;
            stats->open_24h = candle->open;
            stats->high_24h = candle->high;
            stats->low_24h = candle->low;
        }
        if (candle->high > stats->high_24h)
            stats->high_24h = candle->high;
        if (candle->low < stats->low_24h)
            stats->low_24h = candle->low;
        stats->volume_24h += candle->volume;
        stats->notional_24h += candle->notional;
        stats->trades_24h += candle->trades;
        if (candle->open_ns >= midnight_ns) {
            if (!stats->any_today) {
                stats->any_today = true;
                stats->open_today = candle->open;
            }
            stats->volume_today += candle->volume;
            stats->notional_today += candle->notional;
            stats->trades_today += candle->trades;
        }
    }
}

//  --------------------------------------------------------------------------
//  WS tokens: 43 base64 characters derived from a counter (deterministic).

const char *
vb_ksim_token_issue (vb_ksim_t *self, const char *account, const char *api_key)
{
    vb_ksim_token_t *token = (vb_ksim_token_t *)zmalloc (sizeof (vb_ksim_token_t));
    uint64_t serial = ++self->token_counter;
    uint8_t digest[VB_SHA256_SIZE];
    vb_bytes_t parts[3] = {{S_TOKEN_LABEL, strlen (S_TOKEN_LABEL)},
                           {&serial, sizeof (serial)},
                           {api_key, strlen (api_key)}};
    char text[VB_BASE64_SIZE (VB_SHA256_SIZE)];
    if (vb_sha256_parts (parts, 3, digest) < 0 ||
        vb_base64_encode (digest, sizeof (digest), text, sizeof (text)) < 0)
        snprintf (text, sizeof (text), "T%042" PRIu64, serial);
    char *pad = strchr (text, '=');
    if (pad)
        *pad = 0;
    snprintf (token->token, sizeof (token->token), "%s", text);
    snprintf (token->account, sizeof (token->account), "%s", account);
    token->issued_ns = vb_sim_engine_now_ns (self->engine);
    zlistx_add_end (self->tokens, token);
    return token->token;
}

vb_ksim_token_t *
vb_ksim_token_find (vb_ksim_t *self, const char *token, size_t length)
{
    int64_t now = vb_sim_engine_now_ns (self->engine);
    vb_ksim_token_t *entry = (vb_ksim_token_t *)zlistx_first (self->tokens);
    while (entry) {
        if (strlen (entry->token) == length && memcmp (entry->token, token, length) == 0) {
            if (entry->subscriptions > 0 || now - entry->issued_ns < VB_KSIM_TOKEN_TTL_NS)
                return entry;
            return NULL;
        }
        entry = (vb_ksim_token_t *)zlistx_next (self->tokens);
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Forget tokens that expired unused.

static void
s_expire_tokens (vb_ksim_t *self, int64_t now_ns)
{
    //  The list is short; restart after each removal so no cursor is stale.
    bool removed = true;
    while (removed) {
        removed = false;
        vb_ksim_token_t *entry = (vb_ksim_token_t *)zlistx_first (self->tokens);
        while (entry) {
            if (entry->subscriptions == 0 && now_ns - entry->issued_ns >= VB_KSIM_TOKEN_TTL_NS) {
                zlistx_delete (self->tokens, zlistx_cursor (self->tokens));
                removed = true;
                break;
            }
            entry = (vb_ksim_token_t *)zlistx_next (self->tokens);
        }
    }
}

//  --------------------------------------------------------------------------
//  Free an item of a hash or list that owns plain zmalloc'd items.

static void
s_free_item (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  --------------------------------------------------------------------------
//  The instruments this venue lists.

static const vb_sim_instrument_t *
s_list_instruments (size_t *count)
{
    *count = S_INSTRUMENT_COUNT;
    return s_instruments;
}

//  --------------------------------------------------------------------------
//  Destroy the personality.

static void
s_destroy (vb_sim_venue_t **self_p)
{
    assert (self_p);
    vb_ksim_t *self = (vb_ksim_t *)*self_p;
    if (self) {
        vb_ksim_ws_destroy_all (self);
        zlistx_destroy (&self->conns);
        zlistx_destroy (&self->tokens);
        zhashx_destroy (&self->metas);
        zhashx_destroy (&self->trade_counters);
        zhashx_destroy (&self->keys);
        vb_json_destroy (&self->json);
        vb_ksim_buf_free (&self->scratch);
        free (self->candles);
        vb_ksim_replay_destroy (&self->replay);
        free (self);
        *self_p = NULL;
    }
}

extern const vb_sim_venue_ops_t vb_kraken_sim_ops;

//  --------------------------------------------------------------------------
//  Create the personality once the engine and server exist.

static vb_sim_venue_t *
s_create (vb_sim_engine_t *engine, vb_sim_server_t *server)
{
    vb_ksim_t *self = (vb_ksim_t *)zmalloc (sizeof (vb_ksim_t));
    self->base.ops = &vb_kraken_sim_ops;
    self->engine = engine;
    self->server = server;
    self->json = vb_json_new ();
    self->keys = zhashx_new ();
    self->trade_counters = zhashx_new ();
    self->metas = zhashx_new ();
    self->tokens = zlistx_new ();
    self->conns = zlistx_new ();
    self->candles = (vb_sim_candle_t *)zmalloc (VB_KSIM_CANDLES_MAX * sizeof (vb_sim_candle_t));
    vb_sim_venue_t *base = &self->base;
    if (!self->json || !self->keys || !self->trade_counters || !self->metas || !self->tokens ||
        !self->conns) {
        s_destroy (&base);
        return NULL;
    }
    zhashx_set_destructor (self->keys, s_key_state_destroy);
    zhashx_set_destructor (self->trade_counters, s_free_item);
    zhashx_set_destructor (self->metas, s_free_item);
    zlistx_set_destructor (self->tokens, s_free_item);
    size_t count = vb_sim_engine_instrument_count (engine);
    for (size_t index = 0; index < count && self->pair_count < VB_KSIM_PAIRS_MAX; index++) {
        const vb_sim_instrument_t *instrument = vb_sim_engine_instrument_at (engine, index);
        const vb_kraken_pair_t *names =
            instrument ? vb_kraken_pair_find_normalised (instrument->symbol) : NULL;
        if (!names)
            continue;  //  An instrument Kraken has no name for is not served
        vb_ksim_pair_t *pair = &self->pairs[self->pair_count++];
        pair->instrument = instrument;
        pair->names = names;
        pair->price_decimals = -instrument->price_exponent;
        pair->qty_decimals = -instrument->qty_exponent;
    }
    vb_ksim_buf_reset (&self->scratch);
    const char *replay = vb_sim_server_replay_path (server);
    if (replay && !(self->replay = vb_ksim_replay_new (replay))) {
        s_destroy (&base);  //  Replay mode (sim_replay.c): why was logged
        return NULL;
    }
    return base;
}

//  --------------------------------------------------------------------------
//  Route one HTTP request.

static void
s_http (vb_sim_venue_t *base, const vb_sim_request_t *request, vb_sim_response_t *response)
{
    vb_ksim_rest ((vb_ksim_t *)base, request, response);
}

//  --------------------------------------------------------------------------
//  WS open, message and close.

static int
s_ws_open (vb_sim_venue_t *base, vb_sim_conn_t *conn, const char *path, const char *query)
{
    return vb_ksim_ws_open ((vb_ksim_t *)base, conn, path, query);
}

static void
s_ws_message (vb_sim_venue_t *base, vb_sim_conn_t *conn, const char *text, size_t length)
{
    vb_ksim_ws_message ((vb_ksim_t *)base, conn, text, length);
}

static void
s_ws_close (vb_sim_venue_t *base, vb_sim_conn_t *conn)
{
    vb_ksim_ws_close ((vb_ksim_t *)base, conn);
}

//  --------------------------------------------------------------------------
//  An engine event: tag orders being placed, then stream.

static void
s_event (vb_sim_venue_t *base, const vb_sim_event_t *event)
{
    vb_ksim_t *self = (vb_ksim_t *)base;
    if (event->kind == VB_SIM_EVENT_ORDER && event->order && self->placing.active &&
        !vb_ksim_meta (self, event->order->order_id)) {
        vb_ksim_meta_t *meta = vb_ksim_meta_ensure (self, event->order->order_id);
        meta->userref = self->placing.userref;
        meta->client_given = self->placing.client_given;
        snprintf (meta->oflags, sizeof (meta->oflags), "%s", self->placing.oflags);
    }
    vb_ksim_ws_event (self, event);
}

//  --------------------------------------------------------------------------
//  Timer: heartbeats and token expiry.

static void
s_tick (vb_sim_venue_t *base, int64_t now_ns)
{
    vb_ksim_t *self = (vb_ksim_t *)base;
    s_expire_tokens (self, now_ns);
    vb_ksim_replay_tick (self);
    vb_ksim_ws_tick (self, now_ns);
}

//  --------------------------------------------------------------------------
//  The venue's answer to a status the core injects (fault http_status):
//  Kraken's {"error":[...]} with the string its clients map for that status
//  (venues.md 3.7: rate limit, status unknown, unknown method).

static void
s_error_response (vb_sim_venue_t *base, int status, vb_sim_response_t *response)
{
    (void)base;
    const char *text = "EGeneral:Invalid arguments";
    if (status == S_HTTP_TEAPOT || status == S_HTTP_TOO_MANY)
        text = "EAPI:Rate limit exceeded";
    else if (status == S_HTTP_NOT_FOUND)
        text = "EGeneral:Unknown method";
    else if (status == S_HTTP_FORBIDDEN)
        text = "EGeneral:Permission denied";
    else if (status == S_HTTP_UNAVAILABLE)
        text = "EService:Unavailable";
    else if (status == S_HTTP_BAD_GATEWAY || status == S_HTTP_GATEWAY_TIMEOUT)
        text = "EService:Busy";
    else if (status >= S_HTTP_SERVER_ERROR)
        text = "EGeneral:Internal error";
    vb_sim_response_printf (response, status, "{\"error\":[\"%s\"]}", text);
}

const vb_sim_venue_ops_t vb_kraken_sim_ops = {
    .name = "kraken",
    .instruments = s_list_instruments,
    .create = s_create,
    .destroy = s_destroy,
    .http = s_http,
    .ws_open = s_ws_open,
    .ws_message = s_ws_message,
    .ws_close = s_ws_close,
    .event = s_event,
    .tick_ms = 100,
    .tick = s_tick,
    .error_response = s_error_response,
    .fee_policy = VB_SIM_FEE_SPENT,  //  AddOrder oflags: fcib default if selling, fciq if buying
};
