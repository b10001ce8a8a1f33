/*  bench_hmac.c — request signing: keyed vb_hmac signer vs OpenSSL one-shot HMAC().

    Signs a 155-byte Binance query string with a 64-byte key, as in
    performance.md 3.7, and reports median ns per signature for the keyed
    signer (hex, as Binance sends it) against a same-run baseline of OpenSSL's
    one-shot HMAC() plus the same hex encoding. The SHA-512 pair shows the
    HMAC part of Kraken's API-Sign.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include "vb_bench.h"
#include "vb_hmac.h"

//  A 155-byte signed Binance order query string.
static const char s_message[] =
    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00100000&"
    "price=65000.10&newClientOrderId=vbr1-0000042&"
    "recvWindow=5000&timestamp=1700000000000";
#define S_MESSAGE_SIZE  (sizeof (s_message) - 1)
#define S_EXPECTED_SIZE 155

//  A 64-byte secret (the published Binance example, venues.md 1.5).
static const char s_key[] = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
#define S_KEY_SIZE (sizeof (s_key) - 1)

#define S_ITERATIONS 200000
#define S_REPEATS    7

typedef struct {
    vb_hmac_t *signer;  //  Keyed signer, or NULL for the one-shot baseline
    const EVP_MD *md;   //  Digest for the one-shot baseline
} s_case_t;

//  --------------------------------------------------------------------------
//  Keyed signer, hex output.

static void
s_keyed (void *arg, size_t iterations)
{
    s_case_t *bench_case = (s_case_t *)arg;
    char text[VB_HMAC_TEXT_MAX];
    uint64_t sink = 0;
    for (size_t index = 0; index < iterations; index++) {
        int rc =
            vb_hmac_sign_hex (bench_case->signer, s_message, S_MESSAGE_SIZE, text, sizeof (text));
        sink += (uint64_t)rc + (uint8_t)text[0];
    }
    vb_bench_sink (sink);
}

//  --------------------------------------------------------------------------
//  OpenSSL one-shot HMAC(), the same hex output.

static void
s_one_shot (void *arg, size_t iterations)
{
    s_case_t *bench_case = (s_case_t *)arg;
    unsigned char raw[EVP_MAX_MD_SIZE];
    char text[VB_HMAC_TEXT_MAX];
    uint64_t sink = 0;
    for (size_t index = 0; index < iterations; index++) {
        unsigned int raw_size = 0;
        HMAC (bench_case->md, s_key, (int)S_KEY_SIZE, (const unsigned char *)s_message,
              S_MESSAGE_SIZE, raw, &raw_size);
        int rc = vb_hex_encode (raw, raw_size, text, sizeof (text));
        sink += (uint64_t)rc + (uint8_t)text[0];
    }
    vb_bench_sink (sink);
}

//  --------------------------------------------------------------------------
//  Check both methods give the same signature before timing them.

static int
s_check (s_case_t *bench_case)
{
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int raw_size = 0;
    char expected[VB_HMAC_TEXT_MAX];
    char actual[VB_HMAC_TEXT_MAX];
    HMAC (bench_case->md, s_key, (int)S_KEY_SIZE, (const unsigned char *)s_message, S_MESSAGE_SIZE,
          raw, &raw_size);
    vb_hex_encode (raw, raw_size, expected, sizeof (expected));
    vb_hmac_sign_hex (bench_case->signer, s_message, S_MESSAGE_SIZE, actual, sizeof (actual));
    return strcmp (expected, actual) == 0 ? 0 : -1;
}

int
main (void)
{
    static_assert (S_MESSAGE_SIZE == S_EXPECTED_SIZE, "the message must be 155 bytes");
    vb_bench_calibrate ();
    printf ("message=%zu bytes key=%zu bytes iterations=%d repeats=%d\n", S_MESSAGE_SIZE,
            S_KEY_SIZE, S_ITERATIONS, S_REPEATS);

    s_case_t sha256 = {vb_hmac_new (VB_HMAC_SHA256, s_key, S_KEY_SIZE), EVP_sha256 ()};
    s_case_t sha512 = {vb_hmac_new (VB_HMAC_SHA512, s_key, S_KEY_SIZE), EVP_sha512 ()};
    if (!sha256.signer || !sha512.signer || s_check (&sha256) || s_check (&sha512)) {
        fprintf (stderr, "bench_hmac: signer setup or cross-check failed\n");
        vb_hmac_destroy (&sha256.signer);
        vb_hmac_destroy (&sha512.signer);
        return 1;
    }
    //  Baseline and candidate alternate, so drift on a noisy VM hits both.
    vb_bench_result_t base256 =
        vb_bench_run ("sha256 one-shot HMAC() + hex", s_one_shot, &sha256, S_ITERATIONS, S_REPEATS);
    vb_bench_result_t keyed256 =
        vb_bench_run ("sha256 vb_hmac keyed + hex", s_keyed, &sha256, S_ITERATIONS, S_REPEATS);
    vb_bench_result_t base512 =
        vb_bench_run ("sha512 one-shot HMAC() + hex", s_one_shot, &sha512, S_ITERATIONS, S_REPEATS);
    vb_bench_result_t keyed512 =
        vb_bench_run ("sha512 vb_hmac keyed + hex", s_keyed, &sha512, S_ITERATIONS, S_REPEATS);
    vb_bench_ratio ("sha256 vb_hmac keyed", keyed256, base256);
    vb_bench_ratio ("sha512 vb_hmac keyed", keyed512, base512);
    printf ("sha256 speed-up over one-shot: %.2fx\n", base256.median_ns / keyed256.median_ns);
    printf ("sha512 speed-up over one-shot: %.2fx\n", base512.median_ns / keyed512.median_ns);
    vb_hmac_destroy (&sha256.signer);
    vb_hmac_destroy (&sha512.signer);
    return 0;
}
