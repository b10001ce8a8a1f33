/*  fuzz_keystore.c — libFuzzer target: arbitrary bytes loaded as a keystore file.

    The first input byte picks how the rest is used, so that the fuzzer reaches
    every layer of vb_keystore_load and not just the magic check:
      0  the bytes are the file, as they are;
      1  the bytes are the file, with the header checksum recomputed (as an
         attacker could), so hostile scrypt parameters, lengths, verifiers
         and GCM tags are exercised;
      2  the bytes are a decrypted body, sealed into a valid file with the
         fixed passphrase and the cheapest parameters (N=2, r=1, p=1), so
         the body parser sees hostile authenticated input.
    The file is written mode 0600 and loaded with a fixed passphrase. The
    loader's memory cap is lowered to 64 KiB: a hostile header must be
    refused by the caps before scrypt runs, and any run that is let through
    costs at most 256 KiB of scrypt work, which keeps every execution fast.
    SPDX-License-Identifier: MPL-2.0
*/
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include "vb_keystore.h"

#define FUZZ_PASS      "fuzz passphrase"
#define FUZZ_PASS_LEN  (sizeof (FUZZ_PASS) - 1)
#define FUZZ_MEM_LIMIT (64 * 1024)
#define FUZZ_BODY_MAX  (64 * 1024)
#define OFF_LOG2N      10
#define OFF_R          11
#define OFF_P          15
#define OFF_SALT       19
#define OFF_NONCE      35
#define OFF_LENGTH     47
#define OFF_CHECK      51
#define OFF_DIGEST     83

static char s_path[64];
static unsigned char s_derived[64];  //  scrypt output for the fixed salt, computed once

static void
s_remove_file (void)
{
    unlink (s_path);
}

static void
s_put_u32 (unsigned char *out, uint32_t value)
{
    out[0] = (unsigned char)(value >> 24);
    out[1] = (unsigned char)(value >> 16);
    out[2] = (unsigned char)(value >> 8);
    out[3] = (unsigned char)value;
}

static void
s_write (const unsigned char *data, size_t size)
{
    int fd = open (s_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort ();
    if (size && write (fd, data, size) != (ssize_t)size)
        abort ();
    close (fd);
}

//  Seal body into a complete version 1 file (see vb_keystore.h) in out.
static size_t
s_seal (const unsigned char *body, size_t body_size, unsigned char *out)
{
    memset (out, 0, VB_KEYSTORE_HEADER_SIZE);
    memcpy (out, VB_KEYSTORE_MAGIC, VB_KEYSTORE_MAGIC_SIZE);
    out[9] = VB_KEYSTORE_VERSION;
    out[OFF_LOG2N] = 1;
    s_put_u32 (out + OFF_R, 1);
    s_put_u32 (out + OFF_P, 1);
    memset (out + OFF_SALT, 0x11, VB_KEYSTORE_SALT_SIZE);
    memset (out + OFF_NONCE, 0x22, VB_KEYSTORE_NONCE_SIZE);
    s_put_u32 (out + OFF_LENGTH, (uint32_t)body_size);
    const char *label = VB_KEYSTORE_CHECK_LABEL;
    unsigned int mac_len = 0;
    HMAC (EVP_sha256 (), s_derived + 32, 32, (const unsigned char *)label, strlen (label),
          out + OFF_CHECK, &mac_len);
    SHA256 (out, OFF_DIGEST, out + OFF_DIGEST);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
    int out_len = 0;
    unsigned char *cipher = out + VB_KEYSTORE_HEADER_SIZE;
    if (!ctx ||
        EVP_EncryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, s_derived, out + OFF_NONCE) != 1 ||
        EVP_EncryptUpdate (ctx, NULL, &out_len, out, VB_KEYSTORE_HEADER_SIZE) != 1 ||
        (body_size && EVP_EncryptUpdate (ctx, cipher, &out_len, body, (int)body_size) != 1) ||
        EVP_EncryptFinal_ex (ctx, cipher + body_size, &out_len) != 1 ||
        EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, VB_KEYSTORE_TAG_SIZE, cipher + body_size) !=
            1)
        abort ();
    EVP_CIPHER_CTX_free (ctx);
    return VB_KEYSTORE_HEADER_SIZE + body_size + VB_KEYSTORE_TAG_SIZE;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf (s_path, sizeof (s_path), "/tmp/fuzz-keystore-%d.vbks", (int)getpid ());
    atexit (s_remove_file);
    unsigned char salt[VB_KEYSTORE_SALT_SIZE];
    memset (salt, 0x11, sizeof (salt));
    if (EVP_PBE_scrypt (FUZZ_PASS, FUZZ_PASS_LEN, salt, sizeof (salt), 2, 1, 1, 0, s_derived,
                        sizeof (s_derived)) != 1)
        abort ();
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > FUZZ_BODY_MAX)
        return 0;
    uint8_t mode = data[0] % 3;
    data++;
    size--;
    unsigned char *file = malloc (VB_KEYSTORE_HEADER_SIZE + size + 2 * VB_KEYSTORE_TAG_SIZE + 1);
    size_t file_size = size;
    if (mode == 2)
        file_size = s_seal (data, size, file);
    else {
        if (size)
            memcpy (file, data, size);
        if (mode == 1 && size >= VB_KEYSTORE_HEADER_SIZE)
            SHA256 (file, OFF_DIGEST, file + OFF_DIGEST);
    }
    s_write (file, file_size);
    free (file);

    vb_keystore_t *keystore = vb_keystore_new ();
    if (vb_keystore_set_kdf_limit (keystore, FUZZ_MEM_LIMIT) != 0)
        abort ();
    int rc = vb_keystore_load (keystore, s_path, FUZZ_PASS, FUZZ_PASS_LEN);
    if (rc == 0) {
        //  Whatever loaded must be walkable and well formed.
        size_t count = 0;
        for (const vb_keystore_entry_t *entry = vb_keystore_first (keystore); entry;
             entry = vb_keystore_next (keystore), count++) {
            if (!vb_keystore_find (keystore, vb_keystore_entry_account (entry)))
                abort ();
            if (!*vb_keystore_entry_venue (entry) || !*vb_keystore_entry_api_key (entry) ||
                !*vb_keystore_entry_secret (entry))
                abort ();
        }
        if (count != vb_keystore_size (keystore))
            abort ();
    } else if (rc > 0)
        abort ();
    vb_keystore_destroy (&keystore);
    return 0;
}
