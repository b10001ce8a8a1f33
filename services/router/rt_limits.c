/*  rt_limits.c — the router's rate-limit authority: one vb_ratelimit_t per venue.

    Each venue keeps its limiter, the adapter's table (to check later
    accounts against it) and, per limiter bucket, what rt_limits_usage
    reports: the sustained limit, the window, the owning account and the
    last alert state. A table index maps to a limiter bucket per account:
    ip-scope entries share the venue's bucket, account-scope entries get
    the account's own "<bucket>@<account>".

    Queued users are wrapped in entries (user, tag, venue) handed to
    vb_ratelimit as its user pointer. Entries come from a free list grown
    in chunks and never shrunk, so a warm authority queues without
    allocating.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <string.h>

#include "rt_limits.h"
#include "vb_error.h"
#include "vb_ratelimit.h"

#define S_VENUE_NAME_MAX   32    //  Size of rt_limits_usage_t.venue, with its NUL
#define S_ACCOUNT_NAME_MAX 64    //  Longest account name kept, with its NUL
#define S_ENTRY_CHUNK      256   //  Queue entries allocated at once
#define S_PERMILLE         1000  //  Per mille of a whole
#define S_SCOPE_IP         "ip"
#define S_SCOPE_ACCOUNT    "account"
#define S_SCOPE_PREFIX     "account:"
#define S_NO_BUCKET        (-1)  //  A table has no ip-scope bucket

//  One bucket of a venue's limiter, as rt_limits_usage reports it.
typedef struct {
    uint32_t limit;     //  Sustained units per window
    int64_t period_ns;  //  The window
    int account;        //  Owning account, or -1 for an ip-scope bucket
    bool alerting;      //  Last reported alert state
} s_meta_t;

//  One entry of the adapter's table, copied.
typedef struct {
    char name[RT_LIMITS_NAME_MAX];  //  "binance.ip.request_weight_1m"
    bool ip;                        //  Scope "ip" (else "account")
    int64_t limit;                  //  As declared
    int64_t period_ns;
    int64_t burst;
} s_def_t;

//  One venue: its limiter and the adapter's table.
typedef struct {
    char name[S_VENUE_NAME_MAX];       //  "binance"
    vb_ratelimit_t *limiter;           //  Every bucket of the venue
    s_def_t table[VB_RL_BUCKETS_MAX];  //  The adapter's table
    size_t table_count;                //  Entries in table
    int first_ip;                      //  Table index of the first ip bucket, or S_NO_BUCKET
    int ip_bucket[VB_RL_BUCKETS_MAX];  //  Table index -> limiter bucket, ip entries only
    s_meta_t meta[VB_RL_BUCKETS_MAX];  //  Per limiter bucket
    int64_t blocked_until_ns;          //  Venue stopped until (monotonic), 0: never
    bool banned;                       //  The stop is a ban
    size_t accounts;                   //  Accounts declared on the venue
} s_venue_t;

//  One account.
typedef struct {
    char name[S_ACCOUNT_NAME_MAX];  //  "main"
    int venue;                      //  Index into venues
    int bucket[VB_RL_BUCKETS_MAX];  //  Table index -> limiter bucket
} s_account_t;

//  A queued request, as vb_ratelimit sees it.
typedef struct _s_entry_t s_entry_t;
struct _s_entry_t {
    void *user;       //  The caller's pointer
    int tag;          //  The caller's tag
    int venue;        //  Whose limiter holds it
    s_entry_t *prev;  //  In use: the queued list; free: unused
    s_entry_t *next;  //  In use: the queued list; free: the free list
};

struct _rt_limits_t {
    vb_clock_t *clock;                             //  Borrowed; NULL: system
    size_t queue_capacity;                         //  Per lane per venue
    uint32_t alert_permille;                       //  Alert threshold
    s_venue_t *venues[RT_LIMITS_VENUES_MAX];       //  Declared venues
    size_t venue_count;                            //  In use
    s_account_t accounts[RT_LIMITS_ACCOUNTS_MAX];  //  Declared accounts
    size_t account_count;                          //  In use
    size_t next_venue;                             //  Round-robin start of rt_limits_next
    s_entry_t *queued;                             //  Entries held by limiters
    s_entry_t *free_entries;                       //  Entries ready for reuse
    zlist_t *chunks;                               //  Entry allocations, for destroy
};

//  --------------------------------------------------------------------------
//  Create the authority.

rt_limits_t *
rt_limits_new (vb_clock_t *clock, size_t queue_capacity, uint32_t alert_permille)
{
    if (queue_capacity == 0 || alert_permille > S_PERMILLE)
        return NULL;
    rt_limits_t *self = (rt_limits_t *)zmalloc (sizeof (rt_limits_t));
    self->clock = clock;
    self->queue_capacity = queue_capacity;
    self->alert_permille = alert_permille ? alert_permille : RT_LIMITS_ALERT_DEFAULT;
    self->chunks = zlist_new ();
    if (!self->chunks)
        rt_limits_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the authority.

void
rt_limits_destroy (rt_limits_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        rt_limits_t *self = *self_p;
        for (size_t i = 0; i < self->venue_count; i++) {
            vb_ratelimit_destroy (&self->venues[i]->limiter);
            free (self->venues[i]);
        }
        if (self->chunks) {
            void *chunk;
            while ((chunk = zlist_pop (self->chunks)))
                free (chunk);
            zlist_destroy (&self->chunks);
        }
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Look a venue up by name; -1 when absent.

static int
s_venue_find (rt_limits_t *self, const char *venue)
{
    if (!venue)
        return -1;
    for (size_t i = 0; i < self->venue_count; i++)
        if (streq (self->venues[i]->name, venue))
            return (int)i;
    return -1;
}

//  --------------------------------------------------------------------------
//  True for a text that fits size with its NUL and has only printable
//  ASCII; '@' is refused when at is false (account names).

static bool
s_name_valid (const char *name, size_t size, bool at)
{
    if (!name || !*name)
        return false;
    size_t length = strnlen (name, size);
    if (length >= size)
        return false;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c > '~' || (!at && c == '@'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Check an adapter's table against vb_ratelimit's ranges and the names
//  this account will add. Returns 0 or VB_EINVAL.

static int
s_table_check (const char *account, const vb_exec_bucket_t *buckets, size_t count)
{
    if (!buckets || count == 0 || count > VB_RL_BUCKETS_MAX)
        return VB_EINVAL;
    size_t account_length = strlen (account);
    for (size_t i = 0; i < count; i++) {
        const vb_exec_bucket_t *bucket = &buckets[i];
        if (!s_name_valid (bucket->name, RT_LIMITS_NAME_MAX, true) || !bucket->scope)
            return VB_EINVAL;
        bool ip = streq (bucket->scope, S_SCOPE_IP);
        if (!ip && !streq (bucket->scope, S_SCOPE_ACCOUNT))
            return VB_EINVAL;
        //  "<bucket>@<account>" and its NUL must fit
        if (!ip && strlen (bucket->name) + 1 + account_length >= RT_LIMITS_NAME_MAX)
            return VB_EINVAL;
        if (bucket->limit < 1 || bucket->limit > VB_RL_LIMIT_MAX || bucket->period_ns < 1 ||
            bucket->period_ns > VB_RL_PERIOD_MAX_NS || bucket->burst < 0 ||
            bucket->burst > VB_RL_LIMIT_MAX)
            return VB_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (streq (buckets[j].name, bucket->name))
                return VB_EINVAL;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  True when two tables declare the same buckets.

static bool
s_table_same (const s_venue_t *venue, const vb_exec_bucket_t *buckets, size_t count)
{
    if (count != venue->table_count)
        return false;
    for (size_t i = 0; i < count; i++) {
        const s_def_t *mine = &venue->table[i];
        if (!streq (mine->name, buckets[i].name) ||
            mine->ip != streq (buckets[i].scope, S_SCOPE_IP) || mine->limit != buckets[i].limit ||
            mine->period_ns != buckets[i].period_ns || mine->burst != buckets[i].burst)
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Add one bucket of the table to the venue's limiter under `name`.
//  Returns its limiter index or a negative code.

static int
s_bucket_add (s_venue_t *venue, const vb_exec_bucket_t *bucket, const char *name, int account)
{
    vb_rl_bucket_def_t def = {.name = name,
                              .limit = (uint32_t)bucket->limit,
                              .period_ns = bucket->period_ns,
                              .burst = (uint32_t)bucket->burst,
                              .scope = bucket->scope};
    int index = vb_ratelimit_add_bucket (venue->limiter, &def);
    if (index < 0)
        return index;
    venue->meta[index] = (s_meta_t){
        .limit = (uint32_t)bucket->limit, .period_ns = bucket->period_ns, .account = account};
    //  A bucket added while the venue is stopped is stopped too
    if (venue->blocked_until_ns)
        vb_ratelimit_block_until (venue->limiter, index, venue->blocked_until_ns);
    return index;
}

//  --------------------------------------------------------------------------
//  Create a venue with its ip-scope buckets. Returns its index or a
//  negative code (nothing kept).

static int
s_venue_add (rt_limits_t *self, const char *name, const vb_exec_bucket_t *buckets, size_t count)
{
    s_venue_t *venue = (s_venue_t *)zmalloc (sizeof (s_venue_t));
    snprintf (venue->name, sizeof (venue->name), "%s", name);
    venue->limiter = vb_ratelimit_new (self->clock, self->queue_capacity);
    if (!venue->limiter) {
        free (venue);
        return VB_ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        venue->table[i] = (s_def_t){.ip = streq (buckets[i].scope, S_SCOPE_IP),
                                    .limit = buckets[i].limit,
                                    .period_ns = buckets[i].period_ns,
                                    .burst = buckets[i].burst};
    for (size_t i = 0; i < count; i++)
        snprintf (venue->table[i].name, sizeof (venue->table[i].name), "%s", buckets[i].name);
    venue->table_count = count;
    venue->first_ip = S_NO_BUCKET;
    for (size_t i = 0; i < count; i++) {
        venue->ip_bucket[i] = S_NO_BUCKET;
        if (!streq (buckets[i].scope, S_SCOPE_IP))
            continue;
        int index = s_bucket_add (venue, &buckets[i], buckets[i].name, -1);
        if (index < 0) {
            vb_ratelimit_destroy (&venue->limiter);
            free (venue);
            return index;
        }
        venue->ip_bucket[i] = index;
        if (venue->first_ip == S_NO_BUCKET)
            venue->first_ip = (int)i;
    }
    self->venues[self->venue_count] = venue;
    return (int)self->venue_count++;
}

//  --------------------------------------------------------------------------
//  Declare an account of a venue.

int
rt_limits_add_account (rt_limits_t *self, const char *venue, const char *account,
                       const vb_exec_bucket_t *buckets, size_t count)
{
    assert (self);
    if (!s_name_valid (venue, S_VENUE_NAME_MAX, true) ||
        !s_name_valid (account, S_ACCOUNT_NAME_MAX, false))
        return VB_EINVAL;
    for (size_t i = 0; i < self->account_count; i++)
        if (streq (self->accounts[i].name, account))
            return VB_EEXIST;
    int rc = s_table_check (account, buckets, count);
    if (rc)
        return rc;
    if (self->account_count == RT_LIMITS_ACCOUNTS_MAX)
        return VB_ELIMIT;
    size_t account_buckets = 0;
    for (size_t i = 0; i < count; i++)
        if (!streq (buckets[i].scope, S_SCOPE_IP))
            account_buckets++;
    int venue_index = s_venue_find (self, venue);
    if (venue_index >= 0) {
        if (!s_table_same (self->venues[venue_index], buckets, count))
            return VB_EINVAL;
        //  All of the account's buckets must fit, or none is added
        if (vb_ratelimit_bucket_count (self->venues[venue_index]->limiter) + account_buckets >
            VB_RL_BUCKETS_MAX)
            return VB_ELIMIT;
    } else {
        if (self->venue_count == RT_LIMITS_VENUES_MAX)
            return VB_ELIMIT;
        size_t ip_buckets = count - account_buckets;
        if (ip_buckets + account_buckets > VB_RL_BUCKETS_MAX)
            return VB_ELIMIT;
        venue_index = s_venue_add (self, venue, buckets, count);
        if (venue_index < 0)
            return venue_index;
    }
    s_venue_t *state = self->venues[venue_index];
    int handle = (int)self->account_count;
    s_account_t *record = &self->accounts[handle];
    memset (record, 0, sizeof (*record));
    snprintf (record->name, sizeof (record->name), "%s", account);
    record->venue = venue_index;
    for (size_t i = 0; i < count; i++) {
        if (streq (buckets[i].scope, S_SCOPE_IP)) {
            record->bucket[i] = state->ip_bucket[i];
            continue;
        }
        char name[RT_LIMITS_NAME_MAX];
        snprintf (name, sizeof (name), "%s@%s", buckets[i].name, account);
        int index = s_bucket_add (state, &buckets[i], name, handle);
        //  Checked above: the names are new and fit, the ranges are good
        if (index < 0)
            return index;
        record->bucket[i] = index;
    }
    state->accounts++;
    self->account_count++;
    return handle;
}

//  --------------------------------------------------------------------------
//  Take an entry from the free list, growing it by a chunk when empty.

static s_entry_t *
s_entry_get (rt_limits_t *self)
{
    if (!self->free_entries) {
        s_entry_t *chunk = (s_entry_t *)zmalloc (S_ENTRY_CHUNK * sizeof (s_entry_t));
        if (zlist_append (self->chunks, chunk) != 0) {
            free (chunk);
            return NULL;
        }
        for (size_t i = 0; i < S_ENTRY_CHUNK; i++) {
            chunk[i].next = self->free_entries;
            self->free_entries = &chunk[i];
        }
    }
    s_entry_t *entry = self->free_entries;
    self->free_entries = entry->next;
    memset (entry, 0, sizeof (*entry));
    return entry;
}

//  Link an entry into the queued list.
static void
s_entry_link (rt_limits_t *self, s_entry_t *entry)
{
    entry->prev = NULL;
    entry->next = self->queued;
    if (self->queued)
        self->queued->prev = entry;
    self->queued = entry;
}

//  Unlink an entry from the queued list and return it to the free list.
static void
s_entry_release (rt_limits_t *self, s_entry_t *entry)
{
    if (entry->prev)
        entry->prev->next = entry->next;
    else
        self->queued = entry->next;
    if (entry->next)
        entry->next->prev = entry->prev;
    entry->prev = NULL;
    entry->user = NULL;
    entry->next = self->free_entries;
    self->free_entries = entry;
}

//  Put an entry back on the free list without linking (never queued).
static void
s_entry_unused (rt_limits_t *self, s_entry_t *entry)
{
    entry->next = self->free_entries;
    self->free_entries = entry;
}

//  --------------------------------------------------------------------------
//  Take a request now or queue it: 0, 1, or a negative code.

static int
s_submit (rt_limits_t *self, int venue, vb_rl_priority_t priority, const vb_rl_request_t *request,
          int tag, void *user)
{
    vb_ratelimit_t *limiter = self->venues[venue]->limiter;
    int rc = vb_ratelimit_try (limiter, request);
    if (rc != VB_EAGAIN)
        return rc;  //  0: taken now; VB_ELIMIT or VB_EINVAL
    s_entry_t *entry = s_entry_get (self);
    if (!entry)
        return VB_ENOMEM;
    entry->user = user;
    entry->tag = tag;
    entry->venue = venue;
    rc = vb_ratelimit_enqueue (limiter, priority, request, entry);
    if (rc != 0) {
        s_entry_unused (self, entry);
        return rc;
    }
    s_entry_link (self, entry);
    return 1;
}

//  --------------------------------------------------------------------------
//  Take a request of an account now, or queue it.

int
rt_limits_submit (rt_limits_t *self, int account, vb_exec_priority_t priority,
                  const vb_exec_cost_t *costs, size_t count, int tag, void *user)
{
    assert (self);
    if (account < 0 || (size_t)account >= self->account_count || !user || !costs || count == 0 ||
        count > VB_RL_REQUEST_BUCKETS_MAX || (int)priority < VB_RL_PRIO_CANCEL ||
        (int)priority > VB_RL_PRIO_MARKET_DATA)
        return VB_EINVAL;
    const s_account_t *record = &self->accounts[account];
    const s_venue_t *venue = self->venues[record->venue];
    vb_rl_request_t request = {.count = count};
    for (size_t i = 0; i < count; i++) {
        if (costs[i].bucket >= venue->table_count || costs[i].weight < 1)
            return VB_EINVAL;
        if (costs[i].weight > VB_RL_LIMIT_MAX)
            return VB_ELIMIT;  //  Above any burst vb_ratelimit accepts
        request.bucket[i] = record->bucket[costs[i].bucket];
        request.weight[i] = (uint32_t)costs[i].weight;
    }
    //  vb_exec_priority_t and vb_rl_priority_t share their numbering
    return s_submit (self, record->venue, (vb_rl_priority_t)priority, &request, tag, user);
}

//  --------------------------------------------------------------------------
//  A gateway's grant on the venue's first ip bucket.

int
rt_limits_submit_grant (rt_limits_t *self, const char *venue, uint32_t weight, int tag, void *user)
{
    assert (self);
    if (!user || weight == 0)
        return VB_EINVAL;
    int index = s_venue_find (self, venue);
    if (index < 0 || self->venues[index]->first_ip == S_NO_BUCKET)
        return VB_ENOTFOUND;
    if (weight > VB_RL_LIMIT_MAX)
        return VB_ELIMIT;
    const s_venue_t *state = self->venues[index];
    vb_rl_request_t request = {
        .count = 1, .bucket = {state->ip_bucket[state->first_ip]}, .weight = {weight}};
    return s_submit (self, index, VB_RL_PRIO_MARKET_DATA, &request, tag, user);
}

//  --------------------------------------------------------------------------
//  The next queued user that may go, across venues (round robin).

void *
rt_limits_next (rt_limits_t *self, int *tag_p)
{
    assert (self);
    for (size_t step = 0; step < self->venue_count; step++) {
        size_t index = (self->next_venue + step) % self->venue_count;
        s_entry_t *entry = (s_entry_t *)vb_ratelimit_next (self->venues[index]->limiter);
        if (!entry)
            continue;
        self->next_venue = (index + 1) % self->venue_count;
        void *user = entry->user;
        if (tag_p)
            *tag_p = entry->tag;
        s_entry_release (self, entry);
        return user;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Nanoseconds until something may go; -1 when nothing is queued.

int64_t
rt_limits_wait_ns (rt_limits_t *self)
{
    assert (self);
    int64_t best = -1;
    for (size_t i = 0; i < self->venue_count; i++) {
        int64_t wait_ns = vb_ratelimit_wait_ns (self->venues[i]->limiter);
        if (wait_ns >= 0 && (best < 0 || wait_ns < best))
            best = wait_ns;
    }
    return best;
}

//  --------------------------------------------------------------------------
//  Remove a queued user.

int
rt_limits_remove (rt_limits_t *self, void *user)
{
    assert (self);
    if (!user)
        return VB_ENOTFOUND;
    //  The oldest entry of this user: the list is newest first
    s_entry_t *found = NULL;
    for (s_entry_t *entry = self->queued; entry; entry = entry->next)
        if (entry->user == user)
            found = entry;
    if (!found)
        return VB_ENOTFOUND;
    int rc = vb_ratelimit_remove (self->venues[found->venue]->limiter, found);
    assert (rc == 0);  //  Every linked entry is queued in its limiter
    s_entry_release (self, found);
    return rc;
}

//  --------------------------------------------------------------------------
//  Correct a bucket from the venue's usage header.

//  --------------------------------------------------------------------------
//  A venue's count in its current fixed window, as GCRA units in use now.
//  The venue counts `used` since the window began (Binance: wall-clock
//  aligned windows of the bucket's period) and forgets it all at the
//  window's end; GCRA forgets continuously. Taking the count as units in
//  use now would admit only `burst` per window. Instead subtract what GCRA
//  would have drained since the window began (elapsed x limit / period):
//  GCRA then admits at most burst + limit - used more in the window, and
//  the venue allows ceiling - used, so this is safe exactly when the
//  adapter declared burst + limit <= the venue's ceiling (vb_exec.h).

static uint64_t
s_window_used (rt_limits_t *self, const s_def_t *def, int64_t used)
{
    int64_t now = vb_clock_real_ns (self->clock);
    if (def->period_ns <= 0 || now < 0)
        return (uint64_t)used;
    int64_t elapsed = now % def->period_ns;
    //  Rounded down (never more drained than GCRA really drained); the
    //  product needs 128 bits (period < 2^52 ns, limit < 2^30)
    int64_t drained = (int64_t)((__int128)elapsed * def->limit / def->period_ns);
    if (drained >= used)
        return 0;
    return (uint64_t)(used - drained);
}

int
rt_limits_correct (rt_limits_t *self, int account, size_t bucket, int64_t used)
{
    assert (self);
    if (account < 0 || (size_t)account >= self->account_count || used < 0)
        return VB_EINVAL;
    const s_account_t *record = &self->accounts[account];
    s_venue_t *venue = self->venues[record->venue];
    if (bucket >= venue->table_count)
        return VB_EINVAL;
    return vb_ratelimit_correct (venue->limiter, record->bucket[bucket],
                                 s_window_used (self, &venue->table[bucket], used));
}

int
rt_limits_correct_venue (rt_limits_t *self, const char *venue, int64_t used)
{
    assert (self);
    int index = s_venue_find (self, venue);
    if (index < 0 || self->venues[index]->first_ip == S_NO_BUCKET)
        return VB_ENOTFOUND;
    if (used < 0)
        return VB_EINVAL;
    s_venue_t *state = self->venues[index];
    return vb_ratelimit_correct (state->limiter, state->ip_bucket[state->first_ip],
                                 s_window_used (self, &state->table[state->first_ip], used));
}

//  --------------------------------------------------------------------------
//  Forget a stop that has ended.

static void
s_venue_unblock_if_over (rt_limits_t *self, s_venue_t *venue)
{
    if (venue->blocked_until_ns && vb_clock_mono_ns (self->clock) >= venue->blocked_until_ns) {
        venue->blocked_until_ns = 0;
        venue->banned = false;
    }
}

//  --------------------------------------------------------------------------
//  Stop every bucket of a venue for duration_ns.

static int
s_venue_block (rt_limits_t *self, s_venue_t *venue, int64_t duration_ns, bool banned)
{
    if (duration_ns < 0)
        return VB_EINVAL;
    s_venue_unblock_if_over (self, venue);
    int64_t now = vb_clock_mono_ns (self->clock);
    int64_t until = duration_ns > INT64_MAX - now ? INT64_MAX : now + duration_ns;
    if (until <= now)
        return 0;  //  Nothing to stop
    int rc = vb_ratelimit_block_until (venue->limiter, VB_RL_ALL, until);
    if (rc)
        return rc;
    if (until > venue->blocked_until_ns)
        venue->blocked_until_ns = until;
    //  A ban inside a longer stop still makes the stop a ban
    if (banned)
        venue->banned = true;
    return 0;
}

int
rt_limits_block (rt_limits_t *self, int account, int64_t duration_ns, bool banned)
{
    assert (self);
    if (account < 0 || (size_t)account >= self->account_count)
        return VB_EINVAL;
    return s_venue_block (self, self->venues[self->accounts[account].venue], duration_ns, banned);
}

int
rt_limits_block_venue (rt_limits_t *self, const char *venue, int64_t duration_ns, bool banned)
{
    assert (self);
    int index = s_venue_find (self, venue);
    if (index < 0)
        return VB_ENOTFOUND;
    return s_venue_block (self, self->venues[index], duration_ns, banned);
}

//  --------------------------------------------------------------------------
//  Buckets across every venue.

size_t
rt_limits_bucket_count (rt_limits_t *self)
{
    assert (self);
    size_t count = 0;
    for (size_t i = 0; i < self->venue_count; i++)
        count += vb_ratelimit_bucket_count (self->venues[i]->limiter);
    return count;
}

//  --------------------------------------------------------------------------
//  Find the venue and limiter bucket of a global index. Returns false
//  past the end.

static bool
s_locate (rt_limits_t *self, size_t index, size_t *venue_p, int *bucket_p)
{
    for (size_t i = 0; i < self->venue_count; i++) {
        size_t count = vb_ratelimit_bucket_count (self->venues[i]->limiter);
        if (index < count) {
            *venue_p = i;
            *bucket_p = (int)index;
            return true;
        }
        index -= count;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Fill a usage record for one limiter bucket.

static void
s_usage_fill (rt_limits_t *self, size_t venue_index, int bucket, rt_limits_usage_t *usage)
{
    s_venue_t *venue = self->venues[venue_index];
    const s_meta_t *meta = &venue->meta[bucket];
    s_venue_unblock_if_over (self, venue);
    memset (usage, 0, sizeof (*usage));
    snprintf (usage->bucket, sizeof (usage->bucket), "%s",
              vb_ratelimit_bucket_name (venue->limiter, bucket));
    snprintf (usage->venue, sizeof (usage->venue), "%s", venue->name);
    if (meta->account >= 0)
        snprintf (usage->scope, sizeof (usage->scope), "%s%s", S_SCOPE_PREFIX,
                  self->accounts[meta->account].name);
    else
        snprintf (usage->scope, sizeof (usage->scope), "%s", S_SCOPE_IP);
    vb_ratelimit_usage (venue->limiter, bucket, &usage->used, &usage->capacity);
    usage->limit = meta->limit;
    usage->window_ns = meta->period_ns;
    usage->permille =
        usage->capacity ? (uint32_t)((uint64_t)usage->used * S_PERMILLE / usage->capacity) : 0;
    for (int lane = VB_RL_PRIO_CANCEL; lane <= VB_RL_PRIO_MARKET_DATA; lane++)
        usage->queue_depth += vb_ratelimit_depth (venue->limiter, (vb_rl_priority_t)lane);
    usage->blocked_until_ns = venue->blocked_until_ns;
    usage->banned = venue->blocked_until_ns && venue->banned;
    usage->alerting = usage->permille >= self->alert_permille;
}

//  --------------------------------------------------------------------------
//  The usage of one bucket.

int
rt_limits_usage (rt_limits_t *self, size_t index, rt_limits_usage_t *usage)
{
    assert (self);
    size_t venue;
    int bucket;
    if (!usage || !s_locate (self, index, &venue, &bucket))
        return VB_EINVAL;
    s_usage_fill (self, venue, bucket, usage);
    return 0;
}

//  --------------------------------------------------------------------------
//  Report every bucket whose alert state changed since the last call.

size_t
rt_limits_alerts (rt_limits_t *self, void (*fn) (void *ctx, const rt_limits_usage_t *usage),
                  void *ctx)
{
    assert (self);
    size_t calls = 0;
    for (size_t i = 0; i < self->venue_count; i++) {
        s_venue_t *venue = self->venues[i];
        size_t count = vb_ratelimit_bucket_count (venue->limiter);
        for (size_t bucket = 0; bucket < count; bucket++) {
            rt_limits_usage_t usage;
            s_usage_fill (self, i, (int)bucket, &usage);
            if (usage.alerting == venue->meta[bucket].alerting)
                continue;
            venue->meta[bucket].alerting = usage.alerting;
            if (fn)
                fn (ctx, &usage);
            calls++;
        }
    }
    return calls;
}

//  --------------------------------------------------------------------------
//  True while the account's venue is stopped.

bool
rt_limits_blocked (rt_limits_t *self, int account, int64_t *until_ns_p)
{
    assert (self);
    if (account < 0 || (size_t)account >= self->account_count)
        return false;
    s_venue_t *venue = self->venues[self->accounts[account].venue];
    s_venue_unblock_if_over (self, venue);
    if (until_ns_p)
        *until_ns_p = venue->blocked_until_ns;
    return venue->blocked_until_ns != 0;
}

//  --------------------------------------------------------------------------
//  Time left of a venue's stop (by name).

int64_t
rt_limits_venue_stop_ns (rt_limits_t *self, const char *venue, bool *banned_p)
{
    assert (self);
    if (banned_p)
        *banned_p = false;
    int index = s_venue_find (self, venue);
    if (index < 0)
        return 0;
    s_venue_t *state = self->venues[index];
    s_venue_unblock_if_over (self, state);
    if (!state->blocked_until_ns)
        return 0;
    if (banned_p)
        *banned_p = state->banned;
    return state->blocked_until_ns - vb_clock_mono_ns (self->clock);
}
