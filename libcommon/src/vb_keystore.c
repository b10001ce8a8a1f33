/*  vb_keystore.c — the encrypted keystore: format, crypto, locked memory, atomic writes.

    The file format is documented in vb_keystore.h. A load reads the whole
    file (at most VB_KEYSTORE_FILE_MAX bytes), checks the cheap things first
    (mode, magic, version, length, header checksum, scrypt caps) so that no
    hostile file can make scrypt run with large parameters, then derives
    the key, checks the passphrase verifier and decrypts with GCM.

    Every decrypted byte lives in memory from vb_locked_alloc: its own
    anonymous pages, mlock'ed when the limit allows, excluded from core
    dumps, and cleansed before they are unmapped. Each entry owns one such
    region holding its struct and its five strings, so removing an entry
    unlocks only its own pages.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <czmq.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "vb_error.h"
#include "vb_keystore.h"
#include "vb_locked.h"

//  Offsets of the header fields (see the table in vb_keystore.h).
#define S_OFF_VERSION  8
#define S_OFF_LOG2N    10
#define S_OFF_R        11
#define S_OFF_P        15
#define S_OFF_SALT     19
#define S_OFF_NONCE    35
#define S_OFF_LENGTH   47
#define S_OFF_CHECK    51
#define S_OFF_DIGEST   83
#define S_CHECKED_SIZE S_OFF_DIGEST  //  Bytes the header checksum covers

#define S_AES_KEY_SIZE   32  //  K1, the AES-256 key
#define S_MAC_KEY_SIZE   32  //  K2, the verifier key
#define S_DERIVED_SIZE   (S_AES_KEY_SIZE + S_MAC_KEY_SIZE)
#define S_FIELDS         5                    //  Strings per entry
#define S_COUNT_SIZE     4                    //  u32 entry count
#define S_FIELD_LEN_SIZE 2                    //  u16 field length
#define S_SCRYPT_BLOCK   128                  //  Bytes per scrypt block, times r
#define S_KDF_LIMIT_MIN  1024                 //  Smallest memory cap allowed
#define S_TEMP_SUFFIX    ".tmp."              //  Temporary file: <path>.tmp.<hex>
#define S_TEMP_RANDOM    8                    //  Random bytes in the temp name
#define S_TEMP_TRIES     8                    //  Names tried before giving up
#define S_FILE_MODE      0600                 //  Mode of every keystore written
#define S_MODE_FORBIDDEN (S_IRWXG | S_IRWXO)  //  Bits a keystore must not have

//  Index of each string in an entry's field arrays, in file order.
enum { S_VENUE, S_ACCOUNT, S_API_KEY, S_SECRET, S_PASSPHRASE };

struct _vb_keystore_entry_t {
    vb_locked_buf_t region;   //  The mapping holding this struct and its strings
    char *field[S_FIELDS];    //  venue, account, api_key, secret, passphrase
    size_t length[S_FIELDS];  //  Their lengths (passphrase may be 0)
};

struct _vb_keystore_t {
    vb_keystore_entry_t **entries;  //  VB_KEYSTORE_ENTRIES_MAX slots, insertion order
    size_t count;                   //  Entries in use
    size_t cursor;                  //  Next index for vb_keystore_next
    unsigned log2n;                 //  scrypt log2(N) for the next save
    uint32_t r;                     //  scrypt r
    uint32_t p;                     //  scrypt p
    uint64_t kdf_mem_max;           //  Memory cap for scrypt, in bytes
    bool lock_failed;               //  Some secret memory could not be mlock'ed
};

//  --------------------------------------------------------------------------
//  Big-endian helpers for the header and the body.

static void
s_put_u16 (unsigned char *out, uint16_t value)
{
    out[0] = (unsigned char)(value >> 8);
    out[1] = (unsigned char)value;
}

static void
s_put_u32 (unsigned char *out, uint32_t value)
{
    out[0] = (unsigned char)(value >> 24);
    out[1] = (unsigned char)(value >> 16);
    out[2] = (unsigned char)(value >> 8);
    out[3] = (unsigned char)value;
}

static uint16_t
s_get_u16 (const unsigned char *in)
{
    return (uint16_t)((in[0] << 8) | in[1]);
}

static uint32_t
s_get_u32 (const unsigned char *in)
{
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) |
           (uint32_t)in[3];
}

//  --------------------------------------------------------------------------
//  Field rules. Each takes bytes and a length, as they come from add (a C
//  string) or from a decrypted body (which may hold any byte).

static bool
s_valid_venue (const char *text, size_t length)
{
    if (length == 0 || length > VB_KEYSTORE_VENUE_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool
s_valid_account (const char *text, size_t length)
{
    if (length == 0 || length > VB_KEYSTORE_ACCOUNT_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static bool
s_valid_api_key (const char *text, size_t length)
{
    if (length == 0 || length > VB_KEYSTORE_API_KEY_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c > '~')
            return false;
    }
    return true;
}

static bool
s_valid_secret (const char *text, size_t length)
{
    return length > 0 && length <= VB_KEYSTORE_SECRET_MAX && !memchr (text, '\0', length);
}

static bool
s_valid_passphrase (const char *text, size_t length)
{
    if (length > VB_KEYSTORE_PASSPHRASE_MAX)
        return false;
    for (size_t i = 0; i < length; i++)
        if (text[i] == '\0' || text[i] == '\n' || text[i] == '\r')
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Build an entry from five (bytes, length) fields after checking them.
//  Returns the entry, or NULL with *rc_p set to VB_EINVAL or VB_ENOMEM.

static vb_keystore_entry_t *
s_entry_new (const char *field[S_FIELDS], const size_t length[S_FIELDS], int *rc_p)
{
    if (!s_valid_venue (field[S_VENUE], length[S_VENUE]) ||
        !s_valid_account (field[S_ACCOUNT], length[S_ACCOUNT]) ||
        !s_valid_api_key (field[S_API_KEY], length[S_API_KEY]) ||
        !s_valid_secret (field[S_SECRET], length[S_SECRET]) ||
        !s_valid_passphrase (field[S_PASSPHRASE], length[S_PASSPHRASE])) {
        *rc_p = VB_EINVAL;
        return NULL;
    }
    size_t size = sizeof (vb_keystore_entry_t);
    for (int index = 0; index < S_FIELDS; index++)
        size += length[index] + 1;
    vb_locked_buf_t region = {0};
    if (vb_locked_alloc (&region, size) != 0) {
        *rc_p = VB_ENOMEM;
        return NULL;
    }
    vb_keystore_entry_t *self = (vb_keystore_entry_t *)region.data;
    self->region = region;
    char *cursor = (char *)(self + 1);
    for (int index = 0; index < S_FIELDS; index++) {
        self->field[index] = cursor;
        self->length[index] = length[index];
        if (length[index])
            memcpy (cursor, field[index], length[index]);
        cursor[length[index]] = '\0';
        cursor += length[index] + 1;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Wipe and free an entry. Accepts NULL.

static void
s_entry_destroy (vb_keystore_entry_t **self_p)
{
    assert (self_p);
    vb_keystore_entry_t *self = *self_p;
    if (self) {
        //  The struct lives in its own mapping: free through a copy.
        vb_locked_buf_t region = self->region;
        vb_locked_free (&region);
    }
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Free every entry in an array of count entries.

static void
s_entries_clear (vb_keystore_entry_t **entries, size_t count)
{
    for (size_t index = 0; index < count; index++)
        s_entry_destroy (&entries[index]);
}

//  --------------------------------------------------------------------------
//  Index of account in the array, or -1.

static long
s_entries_index (vb_keystore_entry_t **entries, size_t count, const char *account,
                 size_t account_len)
{
    for (size_t index = 0; index < count; index++)
        if (entries[index]->length[S_ACCOUNT] == account_len &&
            memcmp (entries[index]->field[S_ACCOUNT], account, account_len) == 0)
            return (long)index;
    return -1;
}

//  --------------------------------------------------------------------------
//  Check scrypt parameters against the hard caps and a memory cap. Returns
//  0, VB_EINVAL (structurally impossible) or VB_ELIMIT (over a cap).

static int
s_check_kdf (unsigned log2n, uint32_t r, uint32_t p, uint64_t mem_max)
{
    if (log2n < 1 || r < 1 || p < 1)
        return VB_EINVAL;
    if (log2n > VB_KEYSTORE_KDF_LOG2N_MAX || r > VB_KEYSTORE_KDF_R_MAX || p > VB_KEYSTORE_KDF_P_MAX)
        return VB_ELIMIT;
    //  With the caps above, 128 * 64 * 2^24 * 16 < 2^64: no overflow.
    uint64_t memory = (uint64_t)S_SCRYPT_BLOCK * r * ((uint64_t)1 << log2n);
    if (memory > mem_max || memory * p > mem_max * VB_KEYSTORE_KDF_WORK_FACTOR)
        return VB_ELIMIT;
    return 0;
}

//  --------------------------------------------------------------------------
//  Run scrypt with parameters that passed s_check_kdf, writing
//  S_DERIVED_SIZE bytes to out. Returns 0 or VB_EIO.

static int
s_derive (const char *passphrase, size_t passphrase_len, const unsigned char *salt, unsigned log2n,
          uint32_t r, uint32_t p, unsigned char *out)
{
    uint64_t n = (uint64_t)1 << log2n;
    //  OpenSSL needs 128 * r * (N + p + 2) bytes; give it exactly that.
    uint64_t maxmem = (uint64_t)S_SCRYPT_BLOCK * r * (n + p + 2);
    EVP_KDF *kdf = EVP_KDF_fetch (NULL, OSSL_KDF_NAME_SCRYPT, NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new (kdf) : NULL;
    int rc = VB_EIO;
    if (ctx) {
        OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string (
                                   OSSL_KDF_PARAM_PASSWORD, (void *)passphrase, passphrase_len),
                               OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *)salt,
                                                                  VB_KEYSTORE_SALT_SIZE),
                               OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_N, &n),
                               OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_R, &r),
                               OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_P, &p),
                               OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
                               OSSL_PARAM_construct_end ()};
        if (EVP_KDF_derive (ctx, out, S_DERIVED_SIZE, params) == 1)
            rc = 0;
    }
    EVP_KDF_CTX_free (ctx);
    EVP_KDF_free (kdf);
    return rc;
}

//  --------------------------------------------------------------------------
//  The passphrase verifier: HMAC-SHA256 (K2, VB_KEYSTORE_CHECK_LABEL).
//  Returns 0 or VB_EIO.

static int
s_verifier (const unsigned char *derived, unsigned char *out)
{
    unsigned int out_len = 0;
    const char *label = VB_KEYSTORE_CHECK_LABEL;
    if (!HMAC (EVP_sha256 (), derived + S_AES_KEY_SIZE, S_MAC_KEY_SIZE,
               (const unsigned char *)label, strlen (label), out, &out_len) ||
        out_len != VB_KEYSTORE_CHECK_SIZE)
        return VB_EIO;
    return 0;
}

//  --------------------------------------------------------------------------
//  AES-256-GCM over (header as AAD, input). For encryption, tag is written;
//  for decryption it is checked. Returns 0, VB_ETAMPERED (tag mismatch on
//  decrypt) or VB_EIO.

static int
s_gcm (bool encrypt, const unsigned char *key, const unsigned char *header,
       const unsigned char *input, size_t length, unsigned char *output, unsigned char *tag)
{
    if (length > INT_MAX)
        return VB_EIO;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
    if (!ctx)
        return VB_EIO;
    const unsigned char *nonce = header + S_OFF_NONCE;
    int rc = VB_EIO;
    int out_len = 0;
    if (EVP_CipherInit_ex (ctx, EVP_aes_256_gcm (), NULL, NULL, NULL, encrypt ? 1 : 0) == 1 &&
        EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_IVLEN, VB_KEYSTORE_NONCE_SIZE, NULL) == 1 &&
        EVP_CipherInit_ex (ctx, NULL, NULL, key, nonce, encrypt ? 1 : 0) == 1 &&
        EVP_CipherUpdate (ctx, NULL, &out_len, header, VB_KEYSTORE_HEADER_SIZE) == 1 &&
        (length == 0 || EVP_CipherUpdate (ctx, output, &out_len, input, (int)length) == 1)) {
        if (encrypt) {
            if (EVP_CipherFinal_ex (ctx, output + length, &out_len) == 1 &&
                EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, VB_KEYSTORE_TAG_SIZE, tag) == 1)
                rc = 0;
        } else if (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, VB_KEYSTORE_TAG_SIZE, tag) == 1)
            rc = EVP_CipherFinal_ex (ctx, output + length, &out_len) == 1 ? 0 : VB_ETAMPERED;
    }
    EVP_CIPHER_CTX_free (ctx);
    return rc;
}

//  --------------------------------------------------------------------------
//  Read the file at path into a new heap buffer, after checking that it is
//  a regular file with no group or world bits and not too large. Returns 0
//  or VB_ENOTFOUND, VB_ETYPE, VB_EPERM, VB_ELIMIT, VB_EIO.

static int
s_read_file (const char *path, unsigned char **data_p, size_t *size_p)
{
    //  O_NONBLOCK so that a FIFO planted at path cannot hang the open.
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? VB_ENOTFOUND : VB_EIO;
    struct stat info;
    int rc = 0;
    if (fstat (fd, &info) != 0)
        rc = VB_EIO;
    else if (!S_ISREG (info.st_mode))
        rc = VB_ETYPE;
    else if (info.st_mode & S_MODE_FORBIDDEN)
        rc = VB_EPERM;
    else if ((uint64_t)info.st_size > VB_KEYSTORE_FILE_MAX)
        rc = VB_ELIMIT;
    unsigned char *data = NULL;
    size_t size = 0;
    if (rc == 0) {
        size_t capacity = (size_t)info.st_size;
        //  One spare byte shows whether the file grew after fstat.
        data = (unsigned char *)zmalloc (capacity + 1);
        while (size <= capacity) {
            ssize_t got = read (fd, data + size, capacity + 1 - size);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                rc = VB_EIO;
                break;
            }
            if (got == 0)
                break;
            size += (size_t)got;
        }
        if (rc == 0 && size > capacity)
            rc = VB_ELIMIT;  //  Grew while we read: refuse rather than guess
    }
    close (fd);
    if (rc != 0) {
        free (data);
        return rc;
    }
    *data_p = data;
    *size_p = size;
    return 0;
}

//  --------------------------------------------------------------------------
//  Check everything about a file that needs no key: magic, version, length,
//  header checksum and scrypt caps. Returns 0 or the load error.

static int
s_check_header (const unsigned char *data, size_t size, uint64_t mem_max)
{
    if (size < VB_KEYSTORE_MAGIC_SIZE)
        return memcmp (data, VB_KEYSTORE_MAGIC, size) == 0 ? VB_ETRUNC : VB_ETYPE;
    if (memcmp (data, VB_KEYSTORE_MAGIC, VB_KEYSTORE_MAGIC_SIZE) != 0)
        return VB_ETYPE;
    if (size < S_OFF_VERSION + 2)
        return VB_ETRUNC;
    if (s_get_u16 (data + S_OFF_VERSION) != VB_KEYSTORE_VERSION)
        return VB_EVERSION;
    if (size < VB_KEYSTORE_HEADER_SIZE)
        return VB_ETRUNC;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256 (data, S_CHECKED_SIZE, digest);
    if (CRYPTO_memcmp (digest, data + S_OFF_DIGEST, VB_KEYSTORE_DIGEST_SIZE) != 0)
        return VB_ETAMPERED;
    uint64_t expected =
        (uint64_t)VB_KEYSTORE_HEADER_SIZE + s_get_u32 (data + S_OFF_LENGTH) + VB_KEYSTORE_TAG_SIZE;
    if (size < expected)
        return VB_ETRUNC;
    if (size > expected)
        return VB_ETAMPERED;
    return s_check_kdf (data[S_OFF_LOG2N], s_get_u32 (data + S_OFF_R), s_get_u32 (data + S_OFF_P),
                        mem_max) == 0
               ? 0
               : VB_ELIMIT;
}

//  --------------------------------------------------------------------------
//  Parse a decrypted body into new entries. Returns 0 with the entries in
//  entries[0..*count_p), or VB_EINVAL / VB_ENOMEM with none kept.

static int
s_parse_body (const unsigned char *body, size_t size, vb_keystore_entry_t **entries,
              size_t *count_p)
{
    if (size < S_COUNT_SIZE)
        return VB_EINVAL;
    uint32_t count = s_get_u32 (body);
    if (count > VB_KEYSTORE_ENTRIES_MAX)
        return VB_EINVAL;
    size_t offset = S_COUNT_SIZE;
    size_t parsed = 0;
    int rc = 0;
    while (rc == 0 && parsed < count) {
        const char *field[S_FIELDS];
        size_t length[S_FIELDS];
        for (int index = 0; rc == 0 && index < S_FIELDS; index++) {
            if (size - offset < S_FIELD_LEN_SIZE) {
                rc = VB_EINVAL;
                break;
            }
            length[index] = s_get_u16 (body + offset);
            offset += S_FIELD_LEN_SIZE;
            if (size - offset < length[index])
                rc = VB_EINVAL;
            field[index] = (const char *)body + offset;
            offset += rc == 0 ? length[index] : 0;
        }
        if (rc == 0 && s_entries_index (entries, parsed, field[S_ACCOUNT], length[S_ACCOUNT]) >= 0)
            rc = VB_EINVAL;  //  Two entries for one account
        if (rc == 0) {
            entries[parsed] = s_entry_new (field, length, &rc);
            if (entries[parsed])
                parsed++;
        }
    }
    if (rc == 0 && offset != size)
        rc = VB_EINVAL;  //  Bytes after the last entry
    if (rc != 0) {
        s_entries_clear (entries, parsed);
        return rc;
    }
    *count_p = parsed;
    return 0;
}

//  --------------------------------------------------------------------------
//  Create an empty keystore with the default scrypt parameters.

vb_keystore_t *
vb_keystore_new (void)
{
    vb_keystore_t *self = (vb_keystore_t *)zmalloc (sizeof (vb_keystore_t));
    self->entries =
        (vb_keystore_entry_t **)zmalloc (VB_KEYSTORE_ENTRIES_MAX * sizeof (vb_keystore_entry_t *));
    self->log2n = VB_KEYSTORE_KDF_LOG2N_DEFAULT;
    self->r = VB_KEYSTORE_KDF_R_DEFAULT;
    self->p = VB_KEYSTORE_KDF_P_DEFAULT;
    self->kdf_mem_max = VB_KEYSTORE_KDF_MEM_MAX;
    return self;
}

//  --------------------------------------------------------------------------
//  Wipe and free every entry, then the keystore.

void
vb_keystore_destroy (vb_keystore_t **self_p)
{
    assert (self_p);
    vb_keystore_t *self = *self_p;
    if (self) {
        s_entries_clear (self->entries, self->count);
        free (self->entries);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Set the scrypt parameters for the next save.

int
vb_keystore_set_kdf (vb_keystore_t *self, uint64_t n, uint32_t r, uint32_t p)
{
    assert (self);
    if (n < 2 || (n & (n - 1)) != 0)
        return VB_EINVAL;
    unsigned log2n = 0;
    while (((uint64_t)1 << log2n) < n)
        log2n++;
    int rc = s_check_kdf (log2n, r, p, self->kdf_mem_max);
    if (rc == 0) {
        self->log2n = log2n;
        self->r = r;
        self->p = p;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Lower the scrypt memory cap.

int
vb_keystore_set_kdf_limit (vb_keystore_t *self, uint64_t max_mem_bytes)
{
    assert (self);
    if (max_mem_bytes < S_KDF_LIMIT_MIN)
        return VB_EINVAL;
    self->kdf_mem_max =
        max_mem_bytes < VB_KEYSTORE_KDF_MEM_MAX ? max_mem_bytes : VB_KEYSTORE_KDF_MEM_MAX;
    return 0;
}

//  --------------------------------------------------------------------------
//  Report the scrypt parameters.

void
vb_keystore_kdf (vb_keystore_t *self, uint64_t *n_p, uint32_t *r_p, uint32_t *p_p)
{
    assert (self);
    if (n_p)
        *n_p = (uint64_t)1 << self->log2n;
    if (r_p)
        *r_p = self->r;
    if (p_p)
        *p_p = self->p;
}

//  --------------------------------------------------------------------------
//  Read, check, decrypt and parse a keystore file (see the header for the
//  order of the checks). The object changes only on success.

int
vb_keystore_load (vb_keystore_t *self, const char *path, const char *passphrase,
                  size_t passphrase_len)
{
    assert (self);
    if (!path || !passphrase || passphrase_len == 0 || passphrase_len > VB_KEYSTORE_KEY_PASS_MAX)
        return VB_EINVAL;
    unsigned char *file = NULL;
    size_t size = 0;
    unsigned char derived[S_DERIVED_SIZE];
    unsigned char check[VB_KEYSTORE_CHECK_SIZE];
    vb_locked_buf_t body_region = {0};
    unsigned char *body = NULL;
    vb_keystore_entry_t **entries = NULL;
    size_t count = 0;

    int rc = s_read_file (path, &file, &size);
    if (rc == 0)
        rc = s_check_header (file, size, self->kdf_mem_max);
    unsigned log2n = rc == 0 ? file[S_OFF_LOG2N] : 0;
    uint32_t r = rc == 0 ? s_get_u32 (file + S_OFF_R) : 0;
    uint32_t p = rc == 0 ? s_get_u32 (file + S_OFF_P) : 0;
    size_t body_size = rc == 0 ? s_get_u32 (file + S_OFF_LENGTH) : 0;
    if (rc == 0)
        rc = s_derive (passphrase, passphrase_len, file + S_OFF_SALT, log2n, r, p, derived);
    if (rc == 0)
        rc = s_verifier (derived, check);
    if (rc == 0 && CRYPTO_memcmp (check, file + S_OFF_CHECK, VB_KEYSTORE_CHECK_SIZE) != 0)
        rc = VB_EAUTH;
    if (rc == 0) {
        //  GCM writes the final block after the body; keep one spare block.
        if (vb_locked_alloc (&body_region, body_size + VB_KEYSTORE_TAG_SIZE) != 0)
            rc = VB_ENOMEM;
        else if (!body_region.locked)
            self->lock_failed = true;
        body = (unsigned char *)body_region.data;
    }
    if (rc == 0)
        rc = s_gcm (false, derived, file, file + VB_KEYSTORE_HEADER_SIZE, body_size, body,
                    file + VB_KEYSTORE_HEADER_SIZE + body_size);
    if (rc == 0) {
        entries = (vb_keystore_entry_t **)zmalloc (VB_KEYSTORE_ENTRIES_MAX *
                                                   sizeof (vb_keystore_entry_t *));
        rc = s_parse_body (body, body_size, entries, &count);
    }
    if (rc == 0) {
        for (size_t index = 0; index < count; index++)
            if (!entries[index]->region.locked)
                self->lock_failed = true;
        s_entries_clear (self->entries, self->count);
        free (self->entries);
        self->entries = entries;
        entries = NULL;
        self->count = count;
        self->cursor = 0;
        self->log2n = log2n;
        self->r = r;
        self->p = p;
    }
    free (entries);
    vb_locked_free (&body_region);
    OPENSSL_cleanse (derived, sizeof (derived));
    OPENSSL_cleanse (check, sizeof (check));
    free (file);
    return rc;
}

//  --------------------------------------------------------------------------
//  Serialise the entries into region, which must be empty; the body is
//  *size_p bytes at its start. Returns 0 or VB_ENOMEM.

static int
s_serialise (vb_keystore_t *self, vb_locked_buf_t *region, size_t *size_p)
{
    size_t size = S_COUNT_SIZE;
    for (size_t index = 0; index < self->count; index++)
        for (int field = 0; field < S_FIELDS; field++)
            size += S_FIELD_LEN_SIZE + self->entries[index]->length[field];
    //  GCM may write one block past the body; allocate it with the rest.
    if (vb_locked_alloc (region, size + VB_KEYSTORE_TAG_SIZE) != 0)
        return VB_ENOMEM;
    unsigned char *body = (unsigned char *)region->data;
    s_put_u32 (body, (uint32_t)self->count);
    size_t offset = S_COUNT_SIZE;
    for (size_t index = 0; index < self->count; index++)
        for (int field = 0; field < S_FIELDS; field++) {
            const vb_keystore_entry_t *entry = self->entries[index];
            s_put_u16 (body + offset, (uint16_t)entry->length[field]);
            offset += S_FIELD_LEN_SIZE;
            memcpy (body + offset, entry->field[field], entry->length[field]);
            offset += entry->length[field];
        }
    *size_p = size;
    return 0;
}

//  --------------------------------------------------------------------------
//  Write data to a new temporary file beside path, then rename it over
//  path and fsync the directory. Returns 0 or VB_EIO; never leaves the
//  temporary file behind.

static int
s_write_atomic (const char *path, const unsigned char *data, size_t size)
{
    size_t path_len = strlen (path);
    size_t temp_size = path_len + strlen (S_TEMP_SUFFIX) + 2 * S_TEMP_RANDOM + 1;
    char *temp = (char *)zmalloc (temp_size);
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < S_TEMP_TRIES; attempt++) {
        unsigned char random[S_TEMP_RANDOM];
        if (RAND_bytes (random, sizeof (random)) != 1)
            break;
        int written = snprintf (temp, temp_size, "%s%s", path, S_TEMP_SUFFIX);
        for (size_t index = 0; index < S_TEMP_RANDOM; index++)
            written +=
                snprintf (temp + written, temp_size - (size_t)written, "%02x", random[index]);
        fd = open (temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, S_FILE_MODE);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        free (temp);
        return VB_EIO;
    }
    //  The umask may have removed bits; set exactly 0600.
    int rc = fchmod (fd, S_FILE_MODE) == 0 ? 0 : VB_EIO;
    size_t done = 0;
    while (rc == 0 && done < size) {
        ssize_t put = write (fd, data + done, size - done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            rc = VB_EIO;
        else
            done += (size_t)put;
    }
    if (rc == 0 && fsync (fd) != 0)
        rc = VB_EIO;
    if (close (fd) != 0 && rc == 0)
        rc = VB_EIO;
    if (rc == 0 && rename (temp, path) != 0)
        rc = VB_EIO;
    if (rc != 0)
        (void)unlink (temp);
    else {
        //  Make the rename durable: fsync the directory that holds path.
        char *slash = strrchr (temp, '/');
        const char *directory = ".";
        if (slash == temp)
            directory = "/";
        else if (slash) {
            *slash = '\0';
            directory = temp;
        }
        int dir_fd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
            rc = VB_EIO;
        else {
            //  Some file systems cannot fsync a directory (EINVAL); that is not a failure.
            if (fsync (dir_fd) != 0 && errno != EINVAL)
                rc = VB_EIO;
            close (dir_fd);
        }
    }
    free (temp);
    return rc;
}

//  --------------------------------------------------------------------------
//  Encrypt the entries under a fresh salt and nonce and write the file.

int
vb_keystore_save (vb_keystore_t *self, const char *path, const char *passphrase,
                  size_t passphrase_len)
{
    assert (self);
    if (!path || !*path || !passphrase || passphrase_len == 0 ||
        passphrase_len > VB_KEYSTORE_KEY_PASS_MAX)
        return VB_EINVAL;
    int rc = s_check_kdf (self->log2n, self->r, self->p, self->kdf_mem_max);
    vb_locked_buf_t body_region = {0};
    unsigned char *body = NULL;
    size_t body_size = 0;
    unsigned char derived[S_DERIVED_SIZE];
    unsigned char *file = NULL;
    size_t file_size = 0;
    if (rc == 0)
        rc = s_serialise (self, &body_region, &body_size);
    if (rc == 0 && !body_region.locked)
        self->lock_failed = true;
    body = (unsigned char *)body_region.data;
    if (rc == 0) {
        file_size = VB_KEYSTORE_HEADER_SIZE + body_size + VB_KEYSTORE_TAG_SIZE;
        file = (unsigned char *)zmalloc (file_size + VB_KEYSTORE_TAG_SIZE);
        memcpy (file, VB_KEYSTORE_MAGIC, VB_KEYSTORE_MAGIC_SIZE);
        s_put_u16 (file + S_OFF_VERSION, VB_KEYSTORE_VERSION);
        file[S_OFF_LOG2N] = (unsigned char)self->log2n;
        s_put_u32 (file + S_OFF_R, self->r);
        s_put_u32 (file + S_OFF_P, self->p);
        s_put_u32 (file + S_OFF_LENGTH, (uint32_t)body_size);
        if (RAND_bytes (file + S_OFF_SALT, VB_KEYSTORE_SALT_SIZE) != 1 ||
            RAND_bytes (file + S_OFF_NONCE, VB_KEYSTORE_NONCE_SIZE) != 1)
            rc = VB_EIO;
    }
    if (rc == 0)
        rc = s_derive (passphrase, passphrase_len, file + S_OFF_SALT, self->log2n, self->r, self->p,
                       derived);
    if (rc == 0)
        rc = s_verifier (derived, file + S_OFF_CHECK);
    if (rc == 0) {
        SHA256 (file, S_CHECKED_SIZE, file + S_OFF_DIGEST);
        rc = s_gcm (true, derived, file, body, body_size, file + VB_KEYSTORE_HEADER_SIZE,
                    file + VB_KEYSTORE_HEADER_SIZE + body_size);
    }
    if (rc == 0)
        rc = s_write_atomic (path, file, file_size);
    OPENSSL_cleanse (derived, sizeof (derived));
    vb_locked_free (&body_region);
    free (file);
    return rc;
}

//  --------------------------------------------------------------------------
//  Add an entry, unique by account.

int
vb_keystore_add (vb_keystore_t *self, const char *venue, const char *account, const char *api_key,
                 const char *secret, const char *passphrase)
{
    assert (self);
    if (!venue || !account || !api_key || !secret)
        return VB_EINVAL;
    const char *field[S_FIELDS] = {venue, account, api_key, secret, passphrase ? passphrase : ""};
    size_t length[S_FIELDS];
    for (int index = 0; index < S_FIELDS; index++)
        length[index] = strnlen (field[index], VB_KEYSTORE_SECRET_MAX + 1);
    int rc = 0;
    if (!s_valid_account (account, length[S_ACCOUNT]))
        return VB_EINVAL;
    if (s_entries_index (self->entries, self->count, account, length[S_ACCOUNT]) >= 0)
        return VB_EEXIST;
    if (self->count == VB_KEYSTORE_ENTRIES_MAX)
        return VB_ELIMIT;
    vb_keystore_entry_t *entry = s_entry_new (field, length, &rc);
    if (!entry)
        return rc;
    if (!entry->region.locked)
        self->lock_failed = true;
    self->entries[self->count++] = entry;
    return 0;
}

//  --------------------------------------------------------------------------
//  Remove and wipe the entry for account.

int
vb_keystore_remove (vb_keystore_t *self, const char *account)
{
    assert (self);
    if (!account)
        return VB_ENOTFOUND;
    long found = s_entries_index (self->entries, self->count, account, strlen (account));
    if (found < 0)
        return VB_ENOTFOUND;
    size_t index = (size_t)found;
    s_entry_destroy (&self->entries[index]);
    memmove (&self->entries[index], &self->entries[index + 1],
             (self->count - index - 1) * sizeof (vb_keystore_entry_t *));
    self->count--;
    self->entries[self->count] = NULL;
    self->cursor = self->count;  //  Any iteration in progress ends
    return 0;
}

//  --------------------------------------------------------------------------
//  Find the entry for account.

const vb_keystore_entry_t *
vb_keystore_find (vb_keystore_t *self, const char *account)
{
    assert (self);
    if (!account)
        return NULL;
    long found = s_entries_index (self->entries, self->count, account, strlen (account));
    return found < 0 ? NULL : self->entries[found];
}

//  --------------------------------------------------------------------------
//  Number of entries.

size_t
vb_keystore_size (vb_keystore_t *self)
{
    assert (self);
    return self->count;
}

//  --------------------------------------------------------------------------
//  Start an iteration.

const vb_keystore_entry_t *
vb_keystore_first (vb_keystore_t *self)
{
    assert (self);
    self->cursor = 0;
    return vb_keystore_next (self);
}

//  --------------------------------------------------------------------------
//  Continue an iteration.

const vb_keystore_entry_t *
vb_keystore_next (vb_keystore_t *self)
{
    assert (self);
    if (self->cursor >= self->count)
        return NULL;
    return self->entries[self->cursor++];
}

//  --------------------------------------------------------------------------
//  True when no secret memory of this object failed to lock.

bool
vb_keystore_memory_locked (vb_keystore_t *self)
{
    assert (self);
    return !self->lock_failed;
}

//  --------------------------------------------------------------------------
//  Entry accessors.

const char *
vb_keystore_entry_venue (const vb_keystore_entry_t *entry)
{
    assert (entry);
    return entry->field[S_VENUE];
}

const char *
vb_keystore_entry_account (const vb_keystore_entry_t *entry)
{
    assert (entry);
    return entry->field[S_ACCOUNT];
}

const char *
vb_keystore_entry_api_key (const vb_keystore_entry_t *entry)
{
    assert (entry);
    return entry->field[S_API_KEY];
}

const char *
vb_keystore_entry_secret (const vb_keystore_entry_t *entry)
{
    assert (entry);
    return entry->field[S_SECRET];
}

const char *
vb_keystore_entry_passphrase (const vb_keystore_entry_t *entry)
{
    assert (entry);
    return entry->length[S_PASSPHRASE] ? entry->field[S_PASSPHRASE] : NULL;
}

//  --------------------------------------------------------------------------
//  Keystore meaning of the load and save codes.

typedef struct {
    int code;          //  VB_E* value
    const char *text;  //  What it means for a keystore file
} s_keystore_text_t;

static const s_keystore_text_t s_texts[] = {
    {VB_ENOTFOUND, "keystore file not found"},
    {VB_EPERM, "keystore file is group- or world-accessible; it must be mode 0600"},
    {VB_ETYPE, "not a venuebus keystore (bad magic, or not a regular file)"},
    {VB_EVERSION, "keystore has an unknown format version"},
    {VB_ETRUNC, "keystore file is truncated"},
    {VB_ETAMPERED, "keystore file was tampered with or is corrupted"},
    {VB_ELIMIT, "keystore file too large or its scrypt parameters exceed the limits"},
    {VB_EAUTH, "wrong passphrase"},
    {VB_EINVAL, "invalid argument or keystore contents"},
    {VB_EEXIST, "an entry for this account already exists"},
    {VB_ENOMEM, "out of memory"},
    {VB_EIO, "system or crypto library call failed (cannot open, read or write the file)"},
};

const char *
vb_keystore_strerror (int code)
{
    for (size_t index = 0; index < sizeof (s_texts) / sizeof (s_texts[0]); index++)
        if (s_texts[index].code == code)
            return s_texts[index].text;
    return vb_strerror (code);
}
