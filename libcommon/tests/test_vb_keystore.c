/*  test_vb_keystore.c — the encrypted keystore: round trip, every load error, rotation,
    atomic writes and hostile headers.

    Most tests use scrypt N=16, r=1, p=1 (vb_keystore_set_kdf) so the suite stays fast;
    the file records the parameters, so loads use them too. Expected error codes come
    from the format and error table in vb_keystore.h; the file built "by hand" below
    uses OpenSSL directly (EVP_PBE_scrypt, not the class's EVP_KDF path) from that
    documented format, so it checks the class against the documentation.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <czmq.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include "vb_error.h"
#include "vb_keystore.h"

#define PASS     "correct horse battery staple"
#define PASS_LEN (sizeof (PASS) - 1)
#define CHEAP_N  16
#define CHEAP_R  1
#define CHEAP_P  1

//  Header offsets, restated from the table in vb_keystore.h.
#define OFF_VERSION 8
#define OFF_LOG2N   10
#define OFF_R       11
#define OFF_P       15
#define OFF_SALT    19
#define OFF_NONCE   35
#define OFF_LENGTH  47
#define OFF_CHECK   51
#define OFF_DIGEST  83

static char s_dir[64];
static char s_path[128];

static void
s_setup (void)
{
    snprintf (s_dir, sizeof (s_dir), "/tmp/vb-keystore-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    snprintf (s_path, sizeof (s_path), "%s/keys.vbks", s_dir);
}

static void
s_teardown (void)
{
    DIR *dir = opendir (s_dir);
    if (!dir)
        return;
    struct dirent *item;
    char path[512];
    while ((item = readdir (dir)) != NULL) {
        if (strcmp (item->d_name, ".") == 0 || strcmp (item->d_name, "..") == 0)
            continue;
        snprintf (path, sizeof (path), "%s/%s", s_dir, item->d_name);
        if (rmdir (path) != 0)
            unlink (path);
    }
    closedir (dir);
    rmdir (s_dir);
}

TestSuite (vb_keystore, .init = s_setup, .fini = s_teardown);

//  A keystore with two entries and the cheap KDF.
static vb_keystore_t *
s_sample (void)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_set_kdf (keystore, CHEAP_N, CHEAP_R, CHEAP_P), 0);
    cr_assert_eq (
        vb_keystore_add (keystore, "binance", "main", "BINANCEKEY1234", "binance-secret", NULL), 0);
    cr_assert_eq (
        vb_keystore_add (keystore, "okx", "okx-sub.1", "okx-key-5678", "okx-secret", "okx-pass"),
        0);
    return keystore;
}

static void
s_save_sample (void)
{
    vb_keystore_t *keystore = s_sample ();
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    vb_keystore_destroy (&keystore);
}

static int
s_load (const char *passphrase)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    int rc = vb_keystore_load (keystore, s_path, passphrase, strlen (passphrase));
    vb_keystore_destroy (&keystore);
    return rc;
}

static unsigned char *
s_read (size_t *size_p)
{
    FILE *file = fopen (s_path, "rb");
    cr_assert_not_null (file);
    unsigned char *data = malloc (1 << 16);
    *size_p = fread (data, 1, 1 << 16, file);
    fclose (file);
    return data;
}

static void
s_write (const unsigned char *data, size_t size, mode_t mode)
{
    unlink (s_path);
    int fd = open (s_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq (fd, 0);
    cr_assert_eq (write (fd, data, size), (ssize_t)size);
    cr_assert_eq (fchmod (fd, mode), 0);
    close (fd);
}

static void
s_put_u32 (unsigned char *out, uint32_t value)
{
    out[0] = (unsigned char)(value >> 24);
    out[1] = (unsigned char)(value >> 16);
    out[2] = (unsigned char)(value >> 8);
    out[3] = (unsigned char)value;
}

//  Recompute the unkeyed header checksum after an edit, as an attacker could.
static void
s_fix_digest (unsigned char *data)
{
    SHA256 (data, OFF_DIGEST, data + OFF_DIGEST);
}

static int
s_count_files (void)
{
    DIR *dir = opendir (s_dir);
    cr_assert_not_null (dir);
    int count = 0;
    struct dirent *item;
    while ((item = readdir (dir)) != NULL)
        if (strcmp (item->d_name, ".") != 0 && strcmp (item->d_name, "..") != 0)
            count++;
    closedir (dir);
    return count;
}

Test (vb_keystore, round_trips_entries_through_an_encrypted_file)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    //  Cheap scrypt for the test; production keeps the default (N=2^15, r=8, p=1).
    cr_assert_eq (vb_keystore_set_kdf (keystore, CHEAP_N, CHEAP_R, CHEAP_P), 0);
    cr_assert_eq (
        vb_keystore_add (keystore, "binance", "main", "BINANCEKEY1234", "binance-secret", NULL), 0);
    cr_assert_eq (
        vb_keystore_add (keystore, "okx", "okx-sub.1", "okx-key-5678", "okx-secret", "okx-pass"),
        0);
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    vb_keystore_destroy (&keystore);
    cr_assert_null (keystore);
    vb_keystore_destroy (&keystore);  //  Safe twice

    struct stat info;
    cr_assert_eq (stat (s_path, &info), 0);
    cr_assert_eq (info.st_mode & 0777, 0600);

    keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_path, PASS, PASS_LEN), 0);
    cr_assert_eq (vb_keystore_size (keystore), 2);
    const vb_keystore_entry_t *entry = vb_keystore_find (keystore, "main");
    cr_assert_not_null (entry);
    cr_assert_str_eq (vb_keystore_entry_venue (entry), "binance");
    cr_assert_str_eq (vb_keystore_entry_account (entry), "main");
    cr_assert_str_eq (vb_keystore_entry_api_key (entry), "BINANCEKEY1234");
    cr_assert_str_eq (vb_keystore_entry_secret (entry), "binance-secret");
    cr_assert_null (vb_keystore_entry_passphrase (entry));
    entry = vb_keystore_find (keystore, "okx-sub.1");
    cr_assert_not_null (entry);
    cr_assert_str_eq (vb_keystore_entry_passphrase (entry), "okx-pass");

    //  Iteration follows insertion order.
    entry = vb_keystore_first (keystore);
    cr_assert_str_eq (vb_keystore_entry_account (entry), "main");
    entry = vb_keystore_next (keystore);
    cr_assert_str_eq (vb_keystore_entry_account (entry), "okx-sub.1");
    cr_assert_null (vb_keystore_next (keystore));

    //  The file's scrypt parameters become the object's.
    uint64_t n;
    uint32_t r, p;
    vb_keystore_kdf (keystore, &n, &r, &p);
    cr_assert_eq (n, CHEAP_N);
    cr_assert_eq (r, CHEAP_R);
    cr_assert_eq (p, CHEAP_P);
    (void)vb_keystore_memory_locked (keystore);  //  Depends on RLIMIT_MEMLOCK; never fails
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, defaults_to_the_documented_scrypt_cost)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    uint64_t n;
    uint32_t r, p;
    vb_keystore_kdf (keystore, &n, &r, &p);
    //  The task fixes the default at N = 2^15, r = 8, p = 1.
    cr_assert_eq (n, 32768);
    cr_assert_eq (r, 8);
    cr_assert_eq (p, 1);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, default_cost_round_trips)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_add (keystore, "kraken", "k1", "KEY", "c2VjcmV0", NULL), 0);
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    vb_keystore_destroy (&keystore);
    size_t size;
    unsigned char *data = s_read (&size);
    cr_assert_eq (data[OFF_LOG2N], 15);
    free (data);
    cr_assert_eq (s_load (PASS), 0);
    cr_assert_eq (s_load ("not it"), VB_EAUTH);
}

Test (vb_keystore, loads_a_file_built_from_the_documented_format)
{
    //  Body: count 1, then venue, account, api key, secret, passphrase as u16 length + bytes.
    const char *fields[] = {"bybit", "by1", "BYKEY", "by-secret", ""};
    unsigned char body[128];
    size_t body_size = 4;
    s_put_u32 (body, 1);
    for (int index = 0; index < 5; index++) {
        size_t length = strlen (fields[index]);
        body[body_size] = (unsigned char)(length >> 8);
        body[body_size + 1] = (unsigned char)length;
        memcpy (body + body_size + 2, fields[index], length);
        body_size += 2 + length;
    }
    unsigned char file[512] = {0};
    memcpy (file, "VBKSTORE", 8);
    file[OFF_VERSION + 1] = 1;
    file[OFF_LOG2N] = 4;  //  N = 16
    s_put_u32 (file + OFF_R, 1);
    s_put_u32 (file + OFF_P, 1);
    memset (file + OFF_SALT, 0x5a, 16);
    memset (file + OFF_NONCE, 0xa5, 12);
    s_put_u32 (file + OFF_LENGTH, (uint32_t)body_size);
    unsigned char derived[64];
    cr_assert_eq (EVP_PBE_scrypt (PASS, PASS_LEN, file + OFF_SALT, 16, 16, 1, 1, 0, derived, 64),
                  1);
    const char *label = "venuebus keystore v1 passphrase check";
    unsigned int mac_len = 0;
    cr_assert_not_null (HMAC (EVP_sha256 (), derived + 32, 32, (const unsigned char *)label,
                              strlen (label), file + OFF_CHECK, &mac_len));
    s_fix_digest (file);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
    int out_len = 0;
    cr_assert_eq (EVP_EncryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, derived, file + OFF_NONCE), 1);
    cr_assert_eq (EVP_EncryptUpdate (ctx, NULL, &out_len, file, 115), 1);
    cr_assert_eq (EVP_EncryptUpdate (ctx, file + 115, &out_len, body, (int)body_size), 1);
    cr_assert_eq (EVP_EncryptFinal_ex (ctx, file + 115 + body_size, &out_len), 1);
    cr_assert_eq (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, 16, file + 115 + body_size), 1);
    EVP_CIPHER_CTX_free (ctx);
    s_write (file, 115 + body_size + 16, 0600);

    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_path, PASS, PASS_LEN), 0);
    const vb_keystore_entry_t *entry = vb_keystore_find (keystore, "by1");
    cr_assert_not_null (entry);
    cr_assert_str_eq (vb_keystore_entry_venue (entry), "bybit");
    cr_assert_str_eq (vb_keystore_entry_api_key (entry), "BYKEY");
    cr_assert_str_eq (vb_keystore_entry_secret (entry), "by-secret");
    cr_assert_null (vb_keystore_entry_passphrase (entry));
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, refuses_a_wrong_passphrase)
{
    s_save_sample ();
    cr_assert_eq (s_load ("correct horse battery stapl"), VB_EAUTH);
    cr_assert_eq (s_load ("x"), VB_EAUTH);
    cr_assert_str_eq (vb_keystore_strerror (VB_EAUTH), "wrong passphrase");
}

Test (vb_keystore, failed_load_leaves_the_object_unchanged)
{
    s_save_sample ();
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_add (keystore, "kraken", "kept", "KEY", "SECRET", NULL), 0);
    cr_assert_eq (vb_keystore_load (keystore, s_path, "wrong", 5), VB_EAUTH);
    cr_assert_eq (vb_keystore_size (keystore), 1);
    cr_assert_not_null (vb_keystore_find (keystore, "kept"));
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, detects_a_flipped_byte_anywhere)
{
    s_save_sample ();
    size_t size;
    unsigned char *data = s_read (&size);
    for (size_t offset = 0; offset < size; offset++) {
        data[offset] ^= 0x01;
        s_write (data, size, 0600);
        int rc = s_load (PASS);
        //  Magic bytes make it "not a keystore", version bytes an unknown version;
        //  every other byte of header, body and tag is caught as tampering.
        int expected = offset < OFF_VERSION       ? VB_ETYPE
                       : offset < OFF_VERSION + 2 ? VB_EVERSION
                                                  : VB_ETAMPERED;
        cr_assert_eq (rc, expected, "offset %zu: got %d (%s)", offset, rc,
                      vb_keystore_strerror (rc));
        data[offset] ^= 0x01;
    }
    free (data);
}

Test (vb_keystore, gcm_catches_header_edits_that_fix_the_checksum)
{
    //  The header checksum is unkeyed: an attacker can recompute it. The GCM tag,
    //  which covers the header as additional data, must still fail.
    s_save_sample ();
    size_t size;
    unsigned char *data = s_read (&size);
    data[OFF_NONCE] ^= 0x80;
    s_fix_digest (data);
    s_write (data, size, 0600);
    cr_assert_eq (s_load (PASS), VB_ETAMPERED);
    free (data);
}

Test (vb_keystore, refuses_a_truncated_file_at_every_length)
{
    s_save_sample ();
    size_t size;
    unsigned char *data = s_read (&size);
    for (size_t length = 0; length < size; length++) {
        s_write (data, length, 0600);
        int rc = s_load (PASS);
        cr_assert_eq (rc, VB_ETRUNC, "length %zu of %zu: got %d", length, size, rc);
    }
    free (data);
}

Test (vb_keystore, refuses_bytes_after_the_tag)
{
    s_save_sample ();
    size_t size;
    unsigned char *data = s_read (&size);
    data[size] = 0;
    s_write (data, size + 1, 0600);
    cr_assert_eq (s_load (PASS), VB_ETAMPERED);
    free (data);
}

Test (vb_keystore, refuses_group_or_world_access)
{
    s_save_sample ();
    const mode_t refused[] = {0644, 0640, 0604, 0660, 0606, 0610, 0601, 0666};
    for (size_t index = 0; index < sizeof (refused) / sizeof (refused[0]); index++) {
        cr_assert_eq (chmod (s_path, refused[index]), 0);
        cr_assert_eq (s_load (PASS), VB_EPERM, "mode %o", refused[index]);
    }
    cr_assert_eq (chmod (s_path, 0400), 0);
    cr_assert_eq (s_load (PASS), 0);
    cr_assert_eq (chmod (s_path, 0600), 0);
    cr_assert_eq (s_load (PASS), 0);
    cr_assert_str_eq (vb_keystore_strerror (VB_EPERM),
                      "keystore file is group- or world-accessible; it must be mode 0600");
}

Test (vb_keystore, refuses_an_unknown_version)
{
    s_save_sample ();
    size_t size;
    unsigned char *data = s_read (&size);
    const uint16_t versions[] = {0, 2, 0x0100, 0xffff};
    for (size_t index = 0; index < sizeof (versions) / sizeof (versions[0]); index++) {
        data[OFF_VERSION] = (unsigned char)(versions[index] >> 8);
        data[OFF_VERSION + 1] = (unsigned char)versions[index];
        s_fix_digest (data);
        s_write (data, size, 0600);
        cr_assert_eq (s_load (PASS), VB_EVERSION, "version %u", versions[index]);
    }
    //  A future version may have a shorter header: version is checked before length.
    s_write (data, 10, 0600);
    cr_assert_eq (s_load (PASS), VB_EVERSION);
    free (data);
}

Test (vb_keystore, refuses_a_file_that_is_not_a_keystore)
{
    const char *text = "[account/main]\nsecret = hunter2\n";
    s_write ((const unsigned char *)text, strlen (text), 0600);
    cr_assert_eq (s_load (PASS), VB_ETYPE);
    s_write ((const unsigned char *)"VBK", 3, 0600);  //  Prefix of the magic: truncated
    cr_assert_eq (s_load (PASS), VB_ETRUNC);
    s_write ((const unsigned char *)"VBX", 3, 0600);
    cr_assert_eq (s_load (PASS), VB_ETYPE);
    //  A directory is not a keystore either.
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (chmod (s_dir, 0700), 0);
    cr_assert_eq (vb_keystore_load (keystore, s_dir, PASS, PASS_LEN), VB_ETYPE);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, reports_a_missing_file)
{
    cr_assert_eq (s_load (PASS), VB_ENOTFOUND);
    cr_assert_str_eq (vb_keystore_strerror (VB_ENOTFOUND), "keystore file not found");
}

Test (vb_keystore, refuses_a_duplicate_account_and_reports_missing_entries)
{
    vb_keystore_t *keystore = s_sample ();
    cr_assert_eq (vb_keystore_add (keystore, "kraken", "main", "OTHER", "other", NULL), VB_EEXIST);
    cr_assert_eq (vb_keystore_size (keystore), 2);
    cr_assert_str_eq (vb_keystore_entry_venue (vb_keystore_find (keystore, "main")), "binance");
    cr_assert_null (vb_keystore_find (keystore, "nobody"));
    cr_assert_eq (vb_keystore_remove (keystore, "nobody"), VB_ENOTFOUND);
    cr_assert_eq (vb_keystore_remove (keystore, "main"), 0);
    cr_assert_eq (vb_keystore_remove (keystore, "main"), VB_ENOTFOUND);
    cr_assert_eq (vb_keystore_size (keystore), 1);
    cr_assert_str_eq (vb_keystore_entry_account (vb_keystore_first (keystore)), "okx-sub.1");
    //  Re-adding a removed account is fine.
    cr_assert_eq (vb_keystore_add (keystore, "kraken", "main", "OTHER", "other", NULL), 0);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, rejects_malformed_fields)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_add (keystore, "", "a", "K", "S", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "Binance", "a", "K", "S", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "binance", "", "K", "S", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "binance", "my acct", "K", "S", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "binance", "a#b", "K", "S", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "binance", "a", "", "S", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "binance", "a", "K K", "S", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "binance", "a", "K", "", NULL), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, "okx", "a", "K", "S", "pass\nword"), VB_EINVAL);
    cr_assert_eq (vb_keystore_add (keystore, NULL, "a", "K", "S", NULL), VB_EINVAL);
    char *long_secret = malloc (VB_KEYSTORE_SECRET_MAX + 2);
    memset (long_secret, 's', VB_KEYSTORE_SECRET_MAX + 1);
    long_secret[VB_KEYSTORE_SECRET_MAX + 1] = '\0';
    cr_assert_eq (vb_keystore_add (keystore, "binance", "a", "K", long_secret, NULL), VB_EINVAL);
    long_secret[VB_KEYSTORE_SECRET_MAX] = '\0';
    cr_assert_eq (vb_keystore_add (keystore, "binance", "a", "K", long_secret, NULL), 0);
    free (long_secret);
    //  A PEM secret keeps its newlines (Coinbase CDP keys).
    cr_assert_eq (vb_keystore_add (keystore, "coinbase", "cb", "organizations/x/apiKeys/y",
                                   "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE "
                                   "KEY-----\n",
                                   NULL),
                  0);
    cr_assert_eq (vb_keystore_size (keystore), 2);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, rotating_the_passphrase_retires_the_old_one)
{
    s_save_sample ();
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_path, PASS, PASS_LEN), 0);
    cr_assert_eq (vb_keystore_save (keystore, s_path, "new passphrase", 14), 0);
    vb_keystore_destroy (&keystore);

    cr_assert_eq (s_load (PASS), VB_EAUTH);
    keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_path, "new passphrase", 14), 0);
    cr_assert_eq (vb_keystore_size (keystore), 2);
    cr_assert_str_eq (vb_keystore_entry_secret (vb_keystore_find (keystore, "okx-sub.1")),
                      "okx-secret");
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, every_save_uses_a_fresh_salt_and_nonce)
{
    vb_keystore_t *keystore = s_sample ();
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    size_t size_a, size_b;
    unsigned char *first = s_read (&size_a);
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    unsigned char *second = s_read (&size_b);
    cr_assert_eq (size_a, size_b);
    cr_assert_neq (memcmp (first + OFF_SALT, second + OFF_SALT, 16), 0);
    cr_assert_neq (memcmp (first + OFF_NONCE, second + OFF_NONCE, 12), 0);
    cr_assert_neq (memcmp (first + 115, second + 115, size_a - 115), 0);
    free (first);
    free (second);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, atomic_write_leaves_only_the_keystore)
{
    vb_keystore_t *keystore = s_sample ();
    mode_t old_umask = umask (0);  //  The file must still be 0600, not 0666 & ~umask
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    umask (old_umask);
    cr_assert_eq (s_count_files (), 1);
    struct stat info;
    cr_assert_eq (stat (s_path, &info), 0);
    cr_assert_eq (info.st_mode & 0777, 0600);

    //  A failed rename (the target is a directory) removes the temporary file.
    char target[160];
    snprintf (target, sizeof (target), "%s/sub", s_dir);
    cr_assert_eq (mkdir (target, 0700), 0);
    cr_assert_eq (vb_keystore_save (keystore, target, PASS, PASS_LEN), VB_EIO);
    cr_assert_eq (s_count_files (), 2);  //  keys.vbks and sub/, nothing else

    //  A missing directory fails cleanly.
    snprintf (target, sizeof (target), "%s/missing/keys.vbks", s_dir);
    cr_assert_eq (vb_keystore_save (keystore, target, PASS, PASS_LEN), VB_EIO);
    cr_assert_eq (s_count_files (), 2);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, round_trips_an_empty_keystore)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_set_kdf (keystore, CHEAP_N, CHEAP_R, CHEAP_P), 0);
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), 0);
    cr_assert_eq (vb_keystore_load (keystore, s_path, PASS, PASS_LEN), 0);
    cr_assert_eq (vb_keystore_size (keystore), 0);
    cr_assert_null (vb_keystore_first (keystore));
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, refuses_hostile_kdf_parameters_before_running_scrypt)
{
    s_save_sample ();
    size_t size;
    unsigned char *data = s_read (&size);
    struct {
        unsigned log2n;
        uint32_t r;
        uint32_t p;
    } hostile[] = {
        {63, 1, 1},          //  N = 2^63
        {25, 1, 1},          //  log2 N over the cap of 24
        {24, 8, 1},          //  2 GiB of memory
        {20, 8, 1},          //  1 GiB of memory
        {4, 0xffffffff, 1},  //  r absurd
        {4, 1, 0xffffffff},  //  p absurd
        {18, 8, 1},          //  256 MiB of memory
        {17, 8, 4},          //  128 MiB but 512 MiB of work
        {0, 1, 1},           //  N = 1
        {4, 0, 1},           //  r = 0
        {4, 1, 0},           //  p = 0
    };
    int64_t started = zclock_mono ();
    for (size_t index = 0; index < sizeof (hostile) / sizeof (hostile[0]); index++) {
        data[OFF_LOG2N] = (unsigned char)hostile[index].log2n;
        s_put_u32 (data + OFF_R, hostile[index].r);
        s_put_u32 (data + OFF_P, hostile[index].p);
        s_fix_digest (data);
        s_write (data, size, 0600);
        cr_assert_eq (s_load (PASS), VB_ELIMIT, "case %zu", index);
    }
    //  Had scrypt run even once with these, it would take seconds and gigabytes.
    cr_assert_lt (zclock_mono () - started, 1000);

    //  A caller can lower the cap: 1 MiB of scrypt memory is refused under 64 KiB.
    data[OFF_LOG2N] = 10;
    s_put_u32 (data + OFF_R, 8);
    s_put_u32 (data + OFF_P, 1);
    s_fix_digest (data);
    s_write (data, size, 0600);
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_set_kdf_limit (keystore, 64 * 1024), 0);
    cr_assert_eq (vb_keystore_load (keystore, s_path, PASS, PASS_LEN), VB_ELIMIT);
    vb_keystore_destroy (&keystore);
    free (data);
}

Test (vb_keystore, set_kdf_validates_its_parameters)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_set_kdf (keystore, 0, 1, 1), VB_EINVAL);
    cr_assert_eq (vb_keystore_set_kdf (keystore, 1, 1, 1), VB_EINVAL);
    cr_assert_eq (vb_keystore_set_kdf (keystore, 3, 1, 1), VB_EINVAL);
    cr_assert_eq (vb_keystore_set_kdf (keystore, 16, 0, 1), VB_EINVAL);
    cr_assert_eq (vb_keystore_set_kdf (keystore, 16, 1, 0), VB_EINVAL);
    cr_assert_eq (vb_keystore_set_kdf (keystore, 1ULL << 40, 1, 1), VB_ELIMIT);
    cr_assert_eq (vb_keystore_set_kdf (keystore, 1ULL << 20, 8, 1), VB_ELIMIT);
    cr_assert_eq (vb_keystore_set_kdf (keystore, 1ULL << 17, 8, 2), 0);
    cr_assert_eq (vb_keystore_set_kdf_limit (keystore, 10), VB_EINVAL);
    cr_assert_eq (vb_keystore_set_kdf_limit (keystore, 4096), 0);
    //  Parameters set before a lower limit are refused at save time.
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, PASS_LEN), VB_ELIMIT);
    cr_assert_eq (access (s_path, F_OK), -1);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, refuses_bad_arguments)
{
    vb_keystore_t *keystore = vb_keystore_new ();
    cr_assert_eq (vb_keystore_load (keystore, s_path, PASS, 0), VB_EINVAL);
    cr_assert_eq (vb_keystore_load (keystore, NULL, PASS, PASS_LEN), VB_EINVAL);
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, 0), VB_EINVAL);
    cr_assert_eq (vb_keystore_save (keystore, "", PASS, PASS_LEN), VB_EINVAL);
    cr_assert_eq (vb_keystore_save (keystore, s_path, PASS, VB_KEYSTORE_KEY_PASS_MAX + 1),
                  VB_EINVAL);
    vb_keystore_destroy (&keystore);
}

Test (vb_keystore, names_each_load_error_distinctly)
{
    const int codes[] = {VB_ENOTFOUND, VB_EPERM,  VB_ETYPE, VB_EVERSION, VB_ETRUNC,
                         VB_ETAMPERED, VB_ELIMIT, VB_EAUTH, VB_EEXIST};
    const size_t count = sizeof (codes) / sizeof (codes[0]);
    for (size_t a = 0; a < count; a++) {
        cr_assert_str_neq (vb_keystore_strerror (codes[a]), "unknown error");
        for (size_t b = a + 1; b < count; b++)
            cr_assert_str_neq (vb_keystore_strerror (codes[a]), vb_keystore_strerror (codes[b]));
    }
    cr_assert_str_eq (vb_strerror (VB_ETAMPERED), "data tampered or corrupted");
    cr_assert_str_eq (vb_strerror (VB_EEXIST), "already exists");
}
