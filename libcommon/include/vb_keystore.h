/*  vb_keystore.h — the encrypted keystore: venue API keys in one file.

    A keystore holds entries (venue, account, API key, secret, optional
    passphrase), unique by account name. On disk it is one file, mode 0600,
    encrypted with AES-256-GCM under a key derived from a passphrase by
    scrypt. The whole file is authenticated: the header is the GCM
    additional data, the body is the ciphertext.

    File format, version 1 (all integers big-endian):

        offset  size  field
        0       8     magic "VBKSTORE"
        8       2     version, 1
        10      1     scrypt log2(N), N = 2^log2n
        11      4     scrypt r
        15      4     scrypt p
        19      16    salt (random per save)
        35      12    GCM nonce (random per save)
        47      4     ciphertext length in bytes
        51      32    passphrase verifier: HMAC-SHA256 (K2, VB_KEYSTORE_CHECK_LABEL)
        83      32    header checksum: SHA-256 of bytes 0..82
        115     n     ciphertext of the body
        115+n   16    GCM tag

    scrypt (passphrase, salt, N, r, p) yields 64 bytes: K1 (the first 32) is
    the AES-256 key, K2 (the last 32) keys the verifier. The header checksum
    is unkeyed; it only tells an altered header ("tampered") apart from a
    wrong passphrase, which the verifier detects. The GCM tag, keyed by K1
    over header and body, is what protects the file against an attacker.

    The body, once decrypted, is a u32 entry count followed by that many
    entries; each entry is five fields (venue, account, API key, secret,
    passphrase), each a u16 length then that many bytes (a passphrase of
    length 0 means none).

    Decrypted strings live in page-aligned memory that is mlock'ed where the
    system allows it, excluded from core dumps, and wiped with
    OPENSSL_cleanse before it is freed. The class never logs.

    An object is used by one thread at a time.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_KEYSTORE_H_INCLUDED
#define VB_KEYSTORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  File format constants, public so that tools and tests can build files.
#define VB_KEYSTORE_MAGIC       "VBKSTORE"  //  First 8 bytes of every keystore
#define VB_KEYSTORE_MAGIC_SIZE  8
#define VB_KEYSTORE_VERSION     1
#define VB_KEYSTORE_SALT_SIZE   16
#define VB_KEYSTORE_NONCE_SIZE  12
#define VB_KEYSTORE_CHECK_SIZE  32  //  HMAC-SHA256 verifier
#define VB_KEYSTORE_DIGEST_SIZE 32  //  SHA-256 header checksum
#define VB_KEYSTORE_TAG_SIZE    16
#define VB_KEYSTORE_HEADER_SIZE 115
#define VB_KEYSTORE_CHECK_LABEL "venuebus keystore v1 passphrase check"

//  Default scrypt cost: N = 2^15, r = 8, p = 1, which needs 32 MiB (a load
//  took 0.44 s on the shared build machine).
#define VB_KEYSTORE_KDF_LOG2N_DEFAULT 15
#define VB_KEYSTORE_KDF_R_DEFAULT     8
#define VB_KEYSTORE_KDF_P_DEFAULT     1

//  Hard caps a file's scrypt parameters must pass before scrypt runs, so a
//  hostile header cannot make a load eat memory or time. Memory is
//  128 * r * N bytes; work is memory times p.
#define VB_KEYSTORE_KDF_LOG2N_MAX   24
#define VB_KEYSTORE_KDF_R_MAX       64
#define VB_KEYSTORE_KDF_P_MAX       16
#define VB_KEYSTORE_KDF_MEM_MAX     (128ULL * 1024 * 1024)
#define VB_KEYSTORE_KDF_WORK_FACTOR 2  //  Work may be at most 2 x the memory cap

//  Entry limits, checked on add and on load.
#define VB_KEYSTORE_ENTRIES_MAX    1024
#define VB_KEYSTORE_VENUE_MAX      32    //  [a-z0-9_-], at least 1 byte
#define VB_KEYSTORE_ACCOUNT_MAX    64    //  [A-Za-z0-9_.-], at least 1 byte
#define VB_KEYSTORE_API_KEY_MAX    1024  //  Printable ASCII, no spaces
#define VB_KEYSTORE_SECRET_MAX     8192  //  Any bytes but NUL (PEM keys have newlines)
#define VB_KEYSTORE_PASSPHRASE_MAX 256   //  Any bytes but NUL and newlines
#define VB_KEYSTORE_FILE_MAX       (16ULL * 1024 * 1024)
#define VB_KEYSTORE_KEY_PASS_MAX   4096  //  Longest keystore passphrase accepted

typedef struct _vb_keystore_t vb_keystore_t;
typedef struct _vb_keystore_entry_t vb_keystore_entry_t;

//  Create an empty keystore with the default scrypt parameters. Never NULL
//  (zmalloc aborts on out-of-memory).
vb_keystore_t *vb_keystore_new (void);

//  Wipe every secret, unlock and free its memory, free the keystore and set
//  *self_p to NULL. Safe to call twice and on NULL.
void vb_keystore_destroy (vb_keystore_t **self_p);

//  Set the scrypt parameters the next save uses: n is N (a power of two,
//  at least 2), r and p at least 1; they must pass the hard caps above and
//  the limit set by vb_keystore_set_kdf_limit. Returns 0, or VB_EINVAL for
//  a malformed value, or VB_ELIMIT when over a cap. A load replaces them
//  with the file's parameters.
int vb_keystore_set_kdf (vb_keystore_t *self, uint64_t n, uint32_t r, uint32_t p);

//  Lower the memory cap for the scrypt parameters of loads and saves from
//  this object (for small machines and the fuzzer). max_mem_bytes must be
//  at least 1024 and is clamped to VB_KEYSTORE_KDF_MEM_MAX; work stays at
//  most VB_KEYSTORE_KDF_WORK_FACTOR times the cap. Returns 0 or VB_EINVAL.
int vb_keystore_set_kdf_limit (vb_keystore_t *self, uint64_t max_mem_bytes);

//  Report the current scrypt parameters (any pointer may be NULL).
void vb_keystore_kdf (vb_keystore_t *self, uint64_t *n_p, uint32_t *r_p, uint32_t *p_p);

//  Read, check and decrypt the keystore at path with the passphrase (bytes,
//  not NUL-terminated; at least 1, at most VB_KEYSTORE_KEY_PASS_MAX). On
//  success the file's entries replace this object's, its scrypt parameters
//  become the object's, and 0 is returned. On failure the object is
//  unchanged and the result is one of:
//      VB_ENOTFOUND   no file at path
//      VB_EPERM       the file is group- or world-accessible (must be 0600)
//      VB_ETYPE       not a keystore (bad magic), or not a regular file
//      VB_EVERSION    a keystore of an unknown format version
//      VB_ETRUNC      the file ends early
//      VB_ETAMPERED   the header checksum or the GCM tag fails, or bytes
//                     follow the tag: the file was altered or corrupted
//      VB_ELIMIT      scrypt parameters over the caps, or file too large
//      VB_EAUTH       wrong passphrase
//      VB_EINVAL      bad arguments, or an authentic body that breaks the
//                     entry rules
//      VB_ENOMEM      no memory for the decrypted body or an entry
//      VB_EIO         a system call or the crypto library failed
//  Codes are checked in that order, and no scrypt runs before the caps pass.
int vb_keystore_load (vb_keystore_t *self, const char *path, const char *passphrase,
                      size_t passphrase_len);

//  Encrypt the entries with the passphrase under a fresh salt and nonce and
//  write them to path atomically: a temporary file in the same directory,
//  created 0600 with O_EXCL, written, fsync'ed, renamed over path, and the
//  directory fsync'ed. path is replaced if it exists; the temporary file
//  is removed on failure. Returns 0, VB_EINVAL (bad arguments), VB_ELIMIT
//  (scrypt parameters over the limit) or VB_EIO.
int vb_keystore_save (vb_keystore_t *self, const char *path, const char *passphrase,
                      size_t passphrase_len);

//  Add an entry. venue, account, api_key and secret are required NUL-
//  terminated strings; passphrase may be NULL (or "") for none. The strings
//  are copied into locked memory; the caller still owns and should wipe its
//  copies. Returns 0, VB_EINVAL (a field empty, too long or with a
//  forbidden byte), VB_EEXIST (the account is already present) or
//  VB_ELIMIT (VB_KEYSTORE_ENTRIES_MAX reached).
int vb_keystore_add (vb_keystore_t *self, const char *venue, const char *account,
                     const char *api_key, const char *secret, const char *passphrase);

//  Remove and wipe the entry for account. Returns 0 or VB_ENOTFOUND.
//  Invalidates borrowed entries and any iteration in progress.
int vb_keystore_remove (vb_keystore_t *self, const char *account);

//  Return the entry for account, or NULL if there is none. The entry is
//  borrowed: valid until it is removed, the next load, or destroy.
const vb_keystore_entry_t *vb_keystore_find (vb_keystore_t *self, const char *account);

//  Number of entries.
size_t vb_keystore_size (vb_keystore_t *self);

//  Iterate over the entries in the order they were added: first returns
//  the first entry or NULL when empty, next the following one or NULL at
//  the end. Entries are borrowed, as for vb_keystore_find.
const vb_keystore_entry_t *vb_keystore_first (vb_keystore_t *self);
const vb_keystore_entry_t *vb_keystore_next (vb_keystore_t *self);

//  True when every secret this object holds sits in mlock'ed memory; false
//  if mlock was refused (RLIMIT_MEMLOCK) for any of it, in which case the
//  secrets may reach swap. Never a reason to fail; callers may warn.
bool vb_keystore_memory_locked (vb_keystore_t *self);

//  Entry accessors. Strings are borrowed, NUL-terminated and never NULL,
//  except the passphrase, which is NULL when the entry has none.
const char *vb_keystore_entry_venue (const vb_keystore_entry_t *entry);
const char *vb_keystore_entry_account (const vb_keystore_entry_t *entry);
const char *vb_keystore_entry_api_key (const vb_keystore_entry_t *entry);
const char *vb_keystore_entry_secret (const vb_keystore_entry_t *entry);
const char *vb_keystore_entry_passphrase (const vb_keystore_entry_t *entry);

//  Return what a code from vb_keystore_load or _save means for a keystore
//  file, e.g. VB_EAUTH -> "wrong passphrase", VB_EPERM -> "file is group- or
//  world-accessible; it must be mode 0600". The string is static. Codes with
//  no keystore meaning get vb_strerror's text.
const char *vb_keystore_strerror (int code);

#ifdef __cplusplus
}
#endif
#endif
