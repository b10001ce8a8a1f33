/*  vb_order_client.c — a strategy's side of the order path: DEALER to the router.

    Requests are built as protobuf-c structs on the stack and sent through
    vb_msg (the only protobuf-c caller); replies are decoded by vb_msg into
    its arena, checked field by field, copied into a vb_order_event_t and
    folded into the local view (orders, positions, seen fills).
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include "vb_order_client.h"
#include "vb_clock.h"
#include "vb_error.h"

//  Random bytes in the routing id suffix (printed as hex).
#define S_ROUTING_RANDOM_BYTES 8
//  Longest routing id: the strategy, '-', the hex suffix and a NUL.
#define S_ROUTING_ID_MAX (VB_ORDER_CLIENT_NAME_MAX + 1 + 2 * S_ROUTING_RANDOM_BYTES + 1)
//  Longest position key "<account>.<symbol>" with its NUL.
#define S_POSITION_KEY_MAX (VB_ORDER_CLIENT_NAME_MAX + 1 + VB_ORDER_CLIENT_SYMBOL_MAX + 1)
//  Longest fill key "<account>.<symbol>.<venue_trade_id>" with its NUL.
#define S_FILL_KEY_MAX (S_POSITION_KEY_MAX + 1 + VB_ORDER_CLIENT_ID_MAX)
//  Largest valid OrderState value (UNKNOWN).
#define S_STATE_LAST VENUEBUS__ORDER_STATE__UNKNOWN
//  Largest valid RejectReason value (OTHER).
#define S_REASON_LAST VENUEBUS__REJECT_REASON__OTHER
//  First and last printable ASCII byte other than space.
#define S_PRINTABLE_FIRST 0x21
#define S_PRINTABLE_LAST  0x7e

//  One tracked order.
typedef struct {
    vb_order_view_t view;   //  What vb_order_client_order copies out
    bool cancel_requested;  //  A cancel naming it was sent
    void *handle;           //  Its place in self->orders (insertion order)
} s_order_t;

struct _vb_order_client_t {
    zsock_t *socket;                              //  DEALER to the router
    vb_msg_t *decoder;                            //  Reply decoder (owns the last envelope)
    char strategy[VB_ORDER_CLIENT_NAME_MAX + 1];  //  Strategy id (header.strategy)
    char routing_id[S_ROUTING_ID_MAX];            //  "<strategy>-<hex>"
    int send_flags;                               //  ZMQ_DONTWAIT, or 0 with a send timeout
    size_t orders_max;                            //  Most orders tracked
    uint64_t seq;                                 //  header.seq of the last request
    zlistx_t *orders;                             //  s_order_t, oldest first; owns them
    zhashx_t *by_tag;                             //  client_tag -> s_order_t (borrowed)
    zhashx_t *by_id;                              //  client_order_id -> s_order_t (borrowed)
    size_t open_count;                            //  Orders not terminal
    zhashx_t *positions;                          //  "<account>.<symbol>" -> vb_decimal_t
    zhashx_t *fills_seen;                         //  Fill keys counted (values unused)
    zlistx_t *fills_order;                        //  The same keys, oldest first
    vb_order_balance_t *balances;                 //  Last Balances reply
    size_t balances_size;                         //  Entries allocated in balances
    vb_order_client_stats_t stats;                //  Counters
};

//  --------------------------------------------------------------------------
//  True if text is 1..max bytes of [A-Za-z0-9_-] (a topic component).

static bool
s_name_valid (const char *text, size_t max)
{
    if (!text)
        return false;
    size_t length = strnlen (text, max + 1);
    if (length == 0 || length > max)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  True if text is a client_tag: 1..VB_ORDER_CLIENT_TAG_MAX of [A-Za-z0-9_.:-].

static bool
s_tag_valid (const char *text)
{
    if (!text)
        return false;
    size_t length = strnlen (text, VB_ORDER_CLIENT_TAG_MAX + 1);
    if (length == 0 || length > VB_ORDER_CLIENT_TAG_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  True if text is a client_order_id: 1..VB_ORDER_CLIENT_ID_MAX printable
//  ASCII bytes without spaces.

static bool
s_id_valid (const char *text)
{
    if (!text)
        return false;
    size_t length = strnlen (text, VB_ORDER_CLIENT_ID_MAX + 1);
    if (length == 0 || length > VB_ORDER_CLIENT_ID_MAX)
        return false;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)text[i] < S_PRINTABLE_FIRST || (unsigned char)text[i] > S_PRINTABLE_LAST)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  True if text is a normalised BASE-QUOTE symbol that fits the buffers.

static bool
s_symbol_valid (const char *text)
{
    if (!text || strnlen (text, VB_ORDER_CLIENT_SYMBOL_MAX + 1) > VB_ORDER_CLIENT_SYMBOL_MAX)
        return false;
    //  vb_topic_md checks the symbol's grammar; the venue is a placeholder.
    char topic[VB_TOPIC_MAX + 1];
    return vb_topic_md (topic, sizeof (topic), "x", text, VB_TOPIC_KIND_BOOK, NULL) > 0;
}

//  --------------------------------------------------------------------------
//  True if value is > 0 with an exponent the wire and the formatter accept.

static bool
s_decimal_positive (vb_decimal_t value)
{
    return value.exponent >= VB_DECIMAL_EXPONENT_MIN && value.exponent <= VB_DECIMAL_EXPONENT_MAX &&
           value.mantissa > 0;
}

//  --------------------------------------------------------------------------
//  Copy a received string into a fixed buffer. Returns false (and leaves an
//  empty string) when it does not fit.

static bool
s_copy (char *buffer, size_t size, const char *text)
{
    buffer[0] = '\0';
    if (!text)
        return true;
    size_t length = strnlen (text, size);
    if (length >= size)
        return false;
    memcpy (buffer, text, length + 1);
    return true;
}

//  --------------------------------------------------------------------------
//  Read an optional decimal. Returns 0 (present or not, per *has), or -1
//  when it is present but unusable.

static int
s_decimal_read (const Venuebus__Decimal *in, vb_decimal_t *out, bool *has)
{
    *out = (vb_decimal_t){0, 0};
    *has = false;
    int rc = vb_msg_decimal_get (in, out);
    if (rc == VB_ENOTFOUND)
        return 0;
    if (rc != 0)
        return -1;
    *has = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Free one tracked order (zlistx destructor).

static void
s_order_destroy (void **item_p)
{
    if (*item_p) {
        free (*item_p);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Free a heap string (zlistx destructor).

static void
s_string_destroy (void **item_p)
{
    zstr_free ((char **)item_p);
}

//  --------------------------------------------------------------------------
//  Free a heap decimal (zhashx destructor).

static void
s_decimal_destroy (void **item_p)
{
    if (*item_p) {
        free (*item_p);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Set the routing id "<strategy>-<random hex>".

static void
s_routing_id_make (vb_order_client_t *self)
{
    uint8_t random[S_ROUTING_RANDOM_BYTES];
    if (getrandom (random, sizeof (random), GRND_NONBLOCK) != (ssize_t)sizeof (random)) {
        //  No entropy yet (early boot): the clock and the address still make
        //  a collision between two live clients unlikely.
        uint64_t mix = (uint64_t)vb_clock_now_real_ns () ^ (uint64_t)(uintptr_t)self;
        memcpy (random, &mix, sizeof (random));
    }
    int length = snprintf (self->routing_id, sizeof (self->routing_id), "%s-", self->strategy);
    for (size_t i = 0; i < sizeof (random); i++)
        length += snprintf (self->routing_id + length, sizeof (self->routing_id) - (size_t)length,
                            "%02x", random[i]);
}

//  --------------------------------------------------------------------------
//  Check the options and fill in defaults. Returns 0 or -1.

static int
s_options_resolve (const vb_order_client_options_t *in, vb_order_client_options_t *out)
{
    *out = in ? *in : (vb_order_client_options_t){0};
    if (out->sndhwm < 0 || out->rcvhwm < 0 || out->linger_ms < -1 ||
        out->linger_ms > VB_ORDER_CLIENT_LINGER_MS_MAX || out->send_timeout_ms < 0 ||
        out->send_timeout_ms > VB_ORDER_CLIENT_SEND_TIMEOUT_MS_MAX ||
        out->orders_max > VB_ORDER_CLIENT_ORDERS_MAX_MAX)
        return -1;
    if (out->sndhwm == 0)
        out->sndhwm = VB_ORDER_CLIENT_HWM_DEFAULT;
    if (out->rcvhwm == 0)
        out->rcvhwm = VB_ORDER_CLIENT_HWM_DEFAULT;
    if (out->linger_ms == 0)
        out->linger_ms = VB_ORDER_CLIENT_LINGER_MS_DEFAULT;
    else if (out->linger_ms == -1)
        out->linger_ms = 0;
    if (out->orders_max == 0)
        out->orders_max = VB_ORDER_CLIENT_ORDERS_MAX_DEFAULT;
    return 0;
}

//  --------------------------------------------------------------------------
//  Constructor

vb_order_client_t *
vb_order_client_new (const char *endpoint, const char *strategy,
                     const vb_order_client_options_t *options)
{
    vb_order_client_options_t resolved;
    if (!endpoint || !*endpoint || !s_name_valid (strategy, VB_ORDER_CLIENT_NAME_MAX) ||
        s_options_resolve (options, &resolved) != 0)
        return NULL;
    vb_order_client_t *self = (vb_order_client_t *)zmalloc (sizeof (vb_order_client_t));
    if (!self)
        return NULL;
    snprintf (self->strategy, sizeof (self->strategy), "%s", strategy);
    s_routing_id_make (self);
    self->orders_max = resolved.orders_max;
    self->send_flags = resolved.send_timeout_ms > 0 ? 0 : ZMQ_DONTWAIT;
    self->decoder = vb_msg_new ();
    self->orders = zlistx_new ();
    self->by_tag = zhashx_new ();
    self->by_id = zhashx_new ();
    self->positions = zhashx_new ();
    self->fills_seen = zhashx_new ();
    self->fills_order = zlistx_new ();
    self->socket = zsock_new (ZMQ_DEALER);
    if (!self->decoder || !self->orders || !self->by_tag || !self->by_id || !self->positions ||
        !self->fills_seen || !self->fills_order || !self->socket)
        goto failed;
    zlistx_set_destructor (self->orders, s_order_destroy);
    zlistx_set_destructor (self->fills_order, s_string_destroy);
    zhashx_set_destructor (self->positions, s_decimal_destroy);
    zsock_set_identity (self->socket, self->routing_id);
    zsock_set_sndhwm (self->socket, resolved.sndhwm);
    zsock_set_rcvhwm (self->socket, resolved.rcvhwm);
    zsock_set_linger (self->socket, resolved.linger_ms);
    zsock_set_immediate (self->socket, resolved.queue_unconnected ? 0 : 1);
    if (resolved.send_timeout_ms > 0)
        zsock_set_sndtimeo (self->socket, resolved.send_timeout_ms);
    //  A czmq endpoint list: "@" binds (tests), anything else connects.
    if (zsock_attach (self->socket, endpoint, false) != 0)
        goto failed;
    return self;
failed:
    vb_order_client_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Destructor

void
vb_order_client_destroy (vb_order_client_t **self_p)
{
    assert (self_p);
    vb_order_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->socket);
    vb_msg_destroy (&self->decoder);
    zhashx_destroy (&self->by_tag);
    zhashx_destroy (&self->by_id);
    zlistx_destroy (&self->orders);
    zhashx_destroy (&self->positions);
    zhashx_destroy (&self->fills_seen);
    zlistx_destroy (&self->fills_order);
    free (self->balances);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Send one request with the header every request carries. Returns 0,
//  VB_EAGAIN or VB_EIO.

static int
s_send (vb_order_client_t *self, Venuebus__Envelope *envelope, const char *account)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.strategy = self->strategy;
    header.producer = self->strategy;
    header.account = (char *)account;
    header.seq = self->seq + 1;
    header.publish_ts_ns = vb_clock_now_real_ns ();
    envelope->header = &header;
    int rc = vb_msg_send_bare (self->socket, envelope, self->send_flags);
    envelope->header = NULL;
    if (rc == 0) {
        self->seq++;
        self->stats.sent++;
        return 0;
    }
    //  Encoding cannot fail for checked input; anything else is the socket.
    return rc == VB_EAGAIN ? VB_EAGAIN : VB_EIO;
}

//  --------------------------------------------------------------------------
//  Forget the oldest terminal order. Returns 0, or -1 when none is terminal.

static int
s_forget_oldest_terminal (vb_order_client_t *self)
{
    for (s_order_t *order = (s_order_t *)zlistx_first (self->orders); order;
         order = (s_order_t *)zlistx_next (self->orders)) {
        if (!order->view.terminal)
            continue;
        if (*order->view.client_tag &&
            zhashx_lookup (self->by_tag, order->view.client_tag) == order)
            zhashx_delete (self->by_tag, order->view.client_tag);
        if (*order->view.client_order_id &&
            zhashx_lookup (self->by_id, order->view.client_order_id) == order)
            zhashx_delete (self->by_id, order->view.client_order_id);
        zlistx_delete (self->orders, order->handle);
        self->stats.orders_forgotten++;
        return 0;
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  Start tracking an order (its view filled by the caller). Returns the
//  order or NULL when none can be added (full of open orders, no memory).

static s_order_t *
s_order_track (vb_order_client_t *self, const vb_order_view_t *view)
{
    if (zlistx_size (self->orders) >= self->orders_max && s_forget_oldest_terminal (self) != 0)
        return NULL;
    s_order_t *order = (s_order_t *)zmalloc (sizeof (s_order_t));
    if (!order)
        return NULL;
    order->view = *view;
    order->handle = zlistx_add_end (self->orders, order);
    if (!order->handle) {
        free (order);
        return NULL;
    }
    if (*view->client_tag)
        zhashx_insert (self->by_tag, view->client_tag, order);
    if (*view->client_order_id)
        zhashx_insert (self->by_id, view->client_order_id, order);
    if (!view->terminal)
        self->open_count++;
    return order;
}

//  --------------------------------------------------------------------------
//  Move an order to a new state; terminal states are final.

static void
s_order_set_state (vb_order_client_t *self, s_order_t *order, Venuebus__OrderState state)
{
    if (order->view.terminal || state == VENUEBUS__ORDER_STATE__ORDER_STATE_UNSPECIFIED)
        return;
    order->view.state = state;
    if (vb_order_client_state_terminal (state)) {
        order->view.terminal = true;
        assert (self->open_count > 0);
        self->open_count--;
    }
}

//  --------------------------------------------------------------------------
//  Give a tracked order its client_order_id once it is known.

static void
s_order_set_id (vb_order_client_t *self, s_order_t *order, const char *client_order_id)
{
    if (*order->view.client_order_id || !*client_order_id ||
        zhashx_lookup (self->by_id, client_order_id))
        return;
    snprintf (order->view.client_order_id, sizeof (order->view.client_order_id), "%s",
              client_order_id);
    zhashx_insert (self->by_id, client_order_id, order);
}

//  --------------------------------------------------------------------------
//  Find a tracked order by id first, then by tag. Either may be "".

static s_order_t *
s_order_find (vb_order_client_t *self, const char *client_tag, const char *client_order_id)
{
    s_order_t *order = NULL;
    if (*client_order_id)
        order = (s_order_t *)zhashx_lookup (self->by_id, client_order_id);
    if (!order && *client_tag)
        order = (s_order_t *)zhashx_lookup (self->by_tag, client_tag);
    return order;
}

//  --------------------------------------------------------------------------
//  Public: place

int
vb_order_client_place (vb_order_client_t *self, const char *account, const char *symbol,
                       Venuebus__Side side, Venuebus__OrderType type,
                       Venuebus__TimeInForce time_in_force, const vb_decimal_t *price,
                       vb_decimal_t qty, bool post_only, const char *client_tag)
{
    assert (self);
    if (!s_name_valid (account, VB_ORDER_CLIENT_NAME_MAX) || !s_symbol_valid (symbol) ||
        !s_tag_valid (client_tag) || !s_decimal_positive (qty))
        return VB_EINVAL;
    if (side != VENUEBUS__SIDE__BUY && side != VENUEBUS__SIDE__SELL)
        return VB_EINVAL;
    if (time_in_force != VENUEBUS__TIME_IN_FORCE__GTC &&
        time_in_force != VENUEBUS__TIME_IN_FORCE__IOC &&
        time_in_force != VENUEBUS__TIME_IN_FORCE__FOK)
        return VB_EINVAL;
    if (type == VENUEBUS__ORDER_TYPE__LIMIT) {
        if (!price || !s_decimal_positive (*price))
            return VB_EINVAL;
    } else if (type == VENUEBUS__ORDER_TYPE__MARKET) {
        if (price || post_only)
            return VB_EINVAL;
    } else
        return VB_EINVAL;
    if (post_only && time_in_force != VENUEBUS__TIME_IN_FORCE__GTC)
        return VB_EINVAL;
    if (zhashx_lookup (self->by_tag, client_tag))
        return VB_EEXIST;
    if (zlistx_size (self->orders) >= self->orders_max && self->open_count >= self->orders_max)
        return VB_ELIMIT;

    Venuebus__Decimal price_msg = VENUEBUS__DECIMAL__INIT;
    Venuebus__Decimal qty_msg = VENUEBUS__DECIMAL__INIT;
    Venuebus__NewOrder new_order = VENUEBUS__NEW_ORDER__INIT;
    new_order.client_tag = (char *)client_tag;
    new_order.account = (char *)account;
    new_order.symbol = (char *)symbol;
    new_order.side = side;
    new_order.type = type;
    new_order.time_in_force = time_in_force;
    if (price) {
        vb_msg_decimal_set (&price_msg, *price);
        new_order.price = &price_msg;
    }
    vb_msg_decimal_set (&qty_msg, qty);
    new_order.qty = &qty_msg;
    new_order.post_only = post_only;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_NEW_ORDER;
    envelope.new_order = &new_order;
    int rc = s_send (self, &envelope, account);
    if (rc != 0)
        return rc;

    vb_order_view_t view = {.side = side, .qty = qty, .has_price = price != NULL};
    snprintf (view.account, sizeof (view.account), "%s", account);
    snprintf (view.symbol, sizeof (view.symbol), "%s", symbol);
    snprintf (view.client_tag, sizeof (view.client_tag), "%s", client_tag);
    if (price)
        view.price = *price;
    //  Room was checked above, so only memory can fail here; the order is
    //  already on its way, and its reports will adopt it.
    if (!s_order_track (self, &view))
        return VB_ENOMEM;
    return 0;
}

//  --------------------------------------------------------------------------
//  Check the way a request names an order (exactly one of tag and id).

static bool
s_naming_valid (const char *client_tag, const char *client_order_id)
{
    if (client_tag && client_order_id)
        return false;
    if (client_tag)
        return s_tag_valid (client_tag);
    return s_id_valid (client_order_id);
}

//  --------------------------------------------------------------------------
//  The symbol a Cancel or QueryOrder carries: the caller's, else the
//  tracked order's, else "".

static const char *
s_naming_symbol (vb_order_client_t *self, const char *symbol, const char *client_tag,
                 const char *client_order_id)
{
    if (symbol)
        return symbol;
    s_order_t *order =
        s_order_find (self, client_tag ? client_tag : "", client_order_id ? client_order_id : "");
    return order ? order->view.symbol : "";
}

//  --------------------------------------------------------------------------
//  Public: cancel

int
vb_order_client_cancel (vb_order_client_t *self, const char *account, const char *symbol,
                        const char *client_tag, const char *client_order_id)
{
    assert (self);
    if (!s_name_valid (account, VB_ORDER_CLIENT_NAME_MAX) || (symbol && !s_symbol_valid (symbol)) ||
        !s_naming_valid (client_tag, client_order_id))
        return VB_EINVAL;
    Venuebus__Cancel cancel = VENUEBUS__CANCEL__INIT;
    cancel.client_tag = client_tag ? (char *)client_tag : "";
    cancel.client_order_id = client_order_id ? (char *)client_order_id : "";
    cancel.account = (char *)account;
    cancel.symbol = (char *)s_naming_symbol (self, symbol, client_tag, client_order_id);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANCEL;
    envelope.cancel = &cancel;
    int rc = s_send (self, &envelope, account);
    if (rc == 0) {
        s_order_t *order = s_order_find (self, cancel.client_tag, cancel.client_order_id);
        if (order)
            order->cancel_requested = true;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Public: cancel every order of an account (or of one symbol)

int
vb_order_client_cancel_all (vb_order_client_t *self, const char *account, const char *symbol)
{
    assert (self);
    if (!s_name_valid (account, VB_ORDER_CLIENT_NAME_MAX) || (symbol && !s_symbol_valid (symbol)))
        return VB_EINVAL;
    Venuebus__CancelAll cancel_all = VENUEBUS__CANCEL_ALL__INIT;
    cancel_all.account = (char *)account;
    cancel_all.symbol = symbol ? (char *)symbol : "";
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANCEL_ALL;
    envelope.cancel_all = &cancel_all;
    int rc = s_send (self, &envelope, account);
    if (rc == 0)
        for (s_order_t *order = (s_order_t *)zlistx_first (self->orders); order;
             order = (s_order_t *)zlistx_next (self->orders))
            if (!order->view.terminal && streq (order->view.account, account) &&
                (!symbol || streq (order->view.symbol, symbol)))
                order->cancel_requested = true;
    return rc;
}

//  --------------------------------------------------------------------------
//  Public: ask for one order's state

int
vb_order_client_query_order (vb_order_client_t *self, const char *account, const char *symbol,
                             const char *client_tag, const char *client_order_id)
{
    assert (self);
    if (!s_name_valid (account, VB_ORDER_CLIENT_NAME_MAX) || (symbol && !s_symbol_valid (symbol)) ||
        !s_naming_valid (client_tag, client_order_id))
        return VB_EINVAL;
    Venuebus__QueryOrder query = VENUEBUS__QUERY_ORDER__INIT;
    query.client_tag = client_tag ? (char *)client_tag : "";
    query.client_order_id = client_order_id ? (char *)client_order_id : "";
    query.account = (char *)account;
    query.symbol = (char *)s_naming_symbol (self, symbol, client_tag, client_order_id);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_QUERY_ORDER;
    envelope.query_order = &query;
    return s_send (self, &envelope, account);
}

//  --------------------------------------------------------------------------
//  Public: ask for an account's balances

int
vb_order_client_query_balances (vb_order_client_t *self, const char *account)
{
    assert (self);
    if (!s_name_valid (account, VB_ORDER_CLIENT_NAME_MAX))
        return VB_EINVAL;
    Venuebus__QueryBalances query = VENUEBUS__QUERY_BALANCES__INIT;
    query.account = (char *)account;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_QUERY_BALANCES;
    envelope.query_balances = &query;
    return s_send (self, &envelope, account);
}

//  --------------------------------------------------------------------------
//  The position slot of (account, symbol), created at zero when create is
//  set. Returns NULL when absent (or when it cannot be created).

static vb_decimal_t *
s_position (vb_order_client_t *self, const char *account, const char *symbol, bool create)
{
    char key[S_POSITION_KEY_MAX];
    snprintf (key, sizeof (key), "%s.%s", account, symbol);
    vb_decimal_t *position = (vb_decimal_t *)zhashx_lookup (self->positions, key);
    if (position || !create || zhashx_size (self->positions) >= VB_ORDER_CLIENT_POSITIONS_MAX)
        return position;
    position = (vb_decimal_t *)zmalloc (sizeof (vb_decimal_t));
    if (position && zhashx_insert (self->positions, key, position) != 0) {
        free (position);
        position = NULL;
    }
    return position;
}

//  --------------------------------------------------------------------------
//  Remember a venue trade id as counted. Returns false if it already was.

static bool
s_fill_first_time (vb_order_client_t *self, const char *key)
{
    if (zhashx_lookup (self->fills_seen, key))
        return false;
    char *copy = strdup (key);
    if (!copy)
        return true;  //  Cannot remember it; count it rather than lose it.
    zhashx_insert (self->fills_seen, key, (void *)self);
    zlistx_add_end (self->fills_order, copy);
    if (zlistx_size (self->fills_order) > VB_ORDER_CLIENT_FILLS_MAX) {
        char *oldest = (char *)zlistx_first (self->fills_order);
        zhashx_delete (self->fills_seen, oldest);
        zlistx_delete (self->fills_order, zlistx_cursor (self->fills_order));
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Count the fill an execution report carries into its position. order may
//  be NULL (an order the client could not track).

static void
s_count_fill (vb_order_client_t *self, vb_order_event_t *event, const s_order_t *order)
{
    if ((event->side != VENUEBUS__SIDE__BUY && event->side != VENUEBUS__SIDE__SELL) ||
        !*event->symbol || !*event->account) {
        self->stats.position_errors++;
        return;
    }
    if (*event->venue_trade_id) {
        char key[S_FILL_KEY_MAX];
        snprintf (key, sizeof (key), "%s.%s.%s", event->account, event->symbol,
                  event->venue_trade_id);
        if (!s_fill_first_time (self, key)) {
            self->stats.duplicate_fills++;
            return;
        }
    } else if (!order) {
        //  No trade id and no order to compare filled_qty with: nothing
        //  tells a new fill from a repeat.
        self->stats.position_errors++;
        return;
    } else if (!event->has_filled_qty ||
               vb_decimal_cmp (event->filled_qty, order->view.filled_qty) <= 0) {
        self->stats.duplicate_fills++;
        return;
    }
    vb_decimal_t *position = s_position (self, event->account, event->symbol, true);
    vb_decimal_t updated;
    int rc = !position ? VB_ELIMIT
             : event->side == VENUEBUS__SIDE__BUY
                 ? vb_decimal_add (*position, event->last_fill_qty, &updated)
                 : vb_decimal_sub (*position, event->last_fill_qty, &updated);
    if (rc != 0) {
        self->stats.position_errors++;
        return;
    }
    *position = updated;
    event->fill_counted = true;
    self->stats.fills++;
}

//  --------------------------------------------------------------------------
//  Handle an Ack. Returns 0, or -1 when it is malformed.

static int
s_on_ack (vb_order_client_t *self, const Venuebus__Ack *ack, vb_order_event_t *event)
{
    if (!s_copy (event->client_tag, sizeof (event->client_tag), ack->client_tag) ||
        !s_copy (event->client_order_id, sizeof (event->client_order_id), ack->client_order_id) ||
        (!*event->client_tag && !*event->client_order_id))
        return -1;
    event->type = VB_ORDER_EVENT_ACK;
    event->journal_seq = ack->journal_seq;
    s_order_t *order = s_order_find (self, event->client_tag, event->client_order_id);
    if (!order) {
        self->stats.unknown_orders++;
        return 0;
    }
    order->view.acked = true;
    s_order_set_id (self, order, event->client_order_id);
    if (order->view.state == VENUEBUS__ORDER_STATE__ORDER_STATE_UNSPECIFIED)
        s_order_set_state (self, order, VENUEBUS__ORDER_STATE__PENDING_NEW);
    event->state = order->view.state;
    snprintf (event->symbol, sizeof (event->symbol), "%s", order->view.symbol);
    event->side = order->view.side;
    if (!*event->account)
        snprintf (event->account, sizeof (event->account), "%s", order->view.account);
    return 0;
}

//  --------------------------------------------------------------------------
//  Read an execution report's fields into the event. Returns 0 or -1.

static int
s_report_read (const Venuebus__ExecutionReport *report, vb_order_event_t *event)
{
    bool has_last_price = false, has_last_qty = false;
    if (!s_copy (event->client_tag, sizeof (event->client_tag), report->client_tag) ||
        !s_copy (event->client_order_id, sizeof (event->client_order_id),
                 report->client_order_id) ||
        (!*event->client_tag && !*event->client_order_id) ||
        !s_copy (event->symbol, sizeof (event->symbol), report->symbol) ||
        !s_copy (event->venue_trade_id, sizeof (event->venue_trade_id), report->venue_trade_id) ||
        !s_copy (event->venue_order_id, sizeof (event->venue_order_id), report->venue_order_id) ||
        !s_copy (event->fee_asset, sizeof (event->fee_asset), report->fee_asset) ||
        s_decimal_read (report->filled_qty, &event->filled_qty, &event->has_filled_qty) ||
        s_decimal_read (report->last_fill_price, &event->last_fill_price, &has_last_price) ||
        s_decimal_read (report->last_fill_qty, &event->last_fill_qty, &has_last_qty) ||
        s_decimal_read (report->price, &event->price, &event->has_price) ||
        s_decimal_read (report->qty, &event->qty, &event->has_qty) ||
        s_decimal_read (report->fee, &event->fee, &event->has_fee))
        return -1;
    if (report->account && *report->account) {
        if (!s_name_valid (report->account, VB_ORDER_CLIENT_NAME_MAX))
            return -1;
        snprintf (event->account, sizeof (event->account), "%s", report->account);
    }
    //  A symbol, when given, must be one a position can be keyed by.
    if (*event->symbol && !s_symbol_valid (event->symbol))
        return -1;
    if ((event->has_filled_qty && vb_decimal_is_negative (event->filled_qty)) ||
        (has_last_qty && vb_decimal_is_negative (event->last_fill_qty)) ||
        (has_last_price && vb_decimal_is_negative (event->last_fill_price)) ||
        (event->has_price && vb_decimal_is_negative (event->price)) ||
        (event->has_qty && vb_decimal_is_negative (event->qty)))
        return -1;
    event->has_fill = has_last_qty && !vb_decimal_is_zero (event->last_fill_qty);
    //  A fill at no price, or at price zero, is not a fill we can trust.
    if (event->has_fill && (!has_last_price || vb_decimal_is_zero (event->last_fill_price)))
        return -1;
    //  Values this build does not know are treated as unspecified.
    event->state = report->state >= 0 && report->state <= S_STATE_LAST
                       ? report->state
                       : VENUEBUS__ORDER_STATE__ORDER_STATE_UNSPECIFIED;
    event->side = (report->side == VENUEBUS__SIDE__BUY || report->side == VENUEBUS__SIDE__SELL)
                      ? report->side
                      : VENUEBUS__SIDE__SIDE_UNSPECIFIED;
    return 0;
}

//  --------------------------------------------------------------------------
//  Handle an ExecutionReport. Returns 0, or -1 when it is malformed.

static int
s_on_report (vb_order_client_t *self, const Venuebus__ExecutionReport *report,
             vb_order_event_t *event)
{
    if (s_report_read (report, event) != 0)
        return -1;
    event->type = VB_ORDER_EVENT_EXECUTION_REPORT;
    s_order_t *order = s_order_find (self, event->client_tag, event->client_order_id);
    if (!order) {
        self->stats.unknown_orders++;
        vb_order_view_t view = {.side = event->side,
                                .price = event->price,
                                .has_price = event->has_price,
                                .qty = event->qty};
        snprintf (view.account, sizeof (view.account), "%s", event->account);
        snprintf (view.symbol, sizeof (view.symbol), "%s", event->symbol);
        snprintf (view.client_tag, sizeof (view.client_tag), "%s", event->client_tag);
        snprintf (view.client_order_id, sizeof (view.client_order_id), "%s",
                  event->client_order_id);
        //  A tag or id that already names another order is not reused.
        if (*view.client_tag && zhashx_lookup (self->by_tag, view.client_tag))
            view.client_tag[0] = '\0';
        if (*view.client_order_id && zhashx_lookup (self->by_id, view.client_order_id))
            view.client_order_id[0] = '\0';
        if (*view.client_tag || *view.client_order_id)
            order = s_order_track (self, &view);
    } else
        s_order_set_id (self, order, event->client_order_id);
    //  Fill in from the order what the report left out.
    if (order) {
        if (!*event->symbol)
            snprintf (event->symbol, sizeof (event->symbol), "%s", order->view.symbol);
        if (!*event->account)
            snprintf (event->account, sizeof (event->account), "%s", order->view.account);
        if (event->side == VENUEBUS__SIDE__SIDE_UNSPECIFIED)
            event->side = order->view.side;
        if (!*order->view.symbol)
            snprintf (order->view.symbol, sizeof (order->view.symbol), "%s", event->symbol);
        if (order->view.side == VENUEBUS__SIDE__SIDE_UNSPECIFIED)
            order->view.side = event->side;
    }
    if (event->has_fill)
        s_count_fill (self, event, order);
    if (order) {
        if (event->has_filled_qty && vb_decimal_cmp (event->filled_qty, order->view.filled_qty) > 0)
            order->view.filled_qty = event->filled_qty;
        s_order_set_state (self, order, event->state);
    }
    if (*event->account && *event->symbol) {
        vb_decimal_t *position = s_position (self, event->account, event->symbol, false);
        if (position)
            event->position = *position;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Handle a Reject. It refuses the named order when the order is not yet
//  live in the router's word (no state, or PENDING_NEW) and no cancel was
//  sent for it; otherwise it may be the answer to a cancel or a query, and
//  the order's state is left alone. Returns 0, or -1 when it is malformed.

static int
s_on_reject (vb_order_client_t *self, const Venuebus__Reject *reject, vb_order_event_t *event)
{
    if (!s_copy (event->client_tag, sizeof (event->client_tag), reject->client_tag) ||
        !s_copy (event->client_order_id, sizeof (event->client_order_id),
                 reject->client_order_id) ||
        !s_copy (event->venue_code, sizeof (event->venue_code), reject->venue_code) ||
        !s_copy (event->venue_text, sizeof (event->venue_text), reject->venue_text) ||
        !s_copy (event->detail, sizeof (event->detail), reject->detail))
        return -1;
    event->type = VB_ORDER_EVENT_REJECT;
    event->reason = reject->reason >= 0 && reject->reason <= S_REASON_LAST
                        ? reject->reason
                        : VENUEBUS__REJECT_REASON__REJECT_REASON_UNSPECIFIED;
    s_order_t *order = s_order_find (self, event->client_tag, event->client_order_id);
    if (!order)
        return 0;  //  A reject of a query or cancel-all may name no order.
    s_order_set_id (self, order, event->client_order_id);
    if (!order->cancel_requested &&
        (order->view.state == VENUEBUS__ORDER_STATE__ORDER_STATE_UNSPECIFIED ||
         order->view.state == VENUEBUS__ORDER_STATE__PENDING_NEW))
        s_order_set_state (self, order, VENUEBUS__ORDER_STATE__REJECTED);
    event->state = order->view.state;
    snprintf (event->symbol, sizeof (event->symbol), "%s", order->view.symbol);
    event->side = order->view.side;
    if (!*event->account)
        snprintf (event->account, sizeof (event->account), "%s", order->view.account);
    return 0;
}

//  --------------------------------------------------------------------------
//  Handle a Balances reply. Returns 0, or -1 when it is malformed.

static int
s_on_balances (vb_order_client_t *self, const Venuebus__Balances *balances, vb_order_event_t *event)
{
    if (balances->n_balance > VB_ORDER_CLIENT_BALANCES_MAX)
        return -1;
    if (balances->account && *balances->account) {
        if (!s_name_valid (balances->account, VB_ORDER_CLIENT_NAME_MAX))
            return -1;
        snprintf (event->account, sizeof (event->account), "%s", balances->account);
    }
    if (balances->n_balance > self->balances_size) {
        vb_order_balance_t *grown = (vb_order_balance_t *)realloc (
            self->balances, balances->n_balance * sizeof (vb_order_balance_t));
        if (!grown)
            return -1;
        self->balances = grown;
        self->balances_size = balances->n_balance;
    }
    for (size_t i = 0; i < balances->n_balance; i++) {
        const Venuebus__Balance *in = balances->balance[i];
        vb_order_balance_t *out = &self->balances[i];
        bool has_free, has_locked;
        if (!in || !s_copy (out->asset, sizeof (out->asset), in->asset) || !*out->asset ||
            s_decimal_read (in->free, &out->free, &has_free) ||
            s_decimal_read (in->locked, &out->locked, &has_locked) ||
            vb_decimal_is_negative (out->free) || vb_decimal_is_negative (out->locked))
            return -1;
    }
    event->type = VB_ORDER_EVENT_BALANCES;
    event->balances = self->balances;
    event->balance_count = balances->n_balance;
    return 0;
}

//  --------------------------------------------------------------------------
//  Turn one decoded envelope into an event. Returns 0 with an event, or -1
//  when the envelope is skipped (counted here).

static int
s_handle (vb_order_client_t *self, const Venuebus__Envelope *envelope, vb_order_event_t *event)
{
    memset (event, 0, sizeof (*event));
    const Venuebus__Header *header = envelope->header;
    if (header->strategy && *header->strategy && !streq (header->strategy, self->strategy)) {
        self->stats.misrouted++;
        return -1;
    }
    if (header->account && *header->account) {
        if (!s_name_valid (header->account, VB_ORDER_CLIENT_NAME_MAX)) {
            self->stats.malformed++;
            return -1;
        }
        snprintf (event->account, sizeof (event->account), "%s", header->account);
    }
    int rc;
    switch (envelope->body_case) {
        case VENUEBUS__ENVELOPE__BODY_ACK:
            rc = s_on_ack (self, envelope->ack, event);
            break;
        case VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT:
            rc = s_on_report (self, envelope->execution_report, event);
            break;
        case VENUEBUS__ENVELOPE__BODY_REJECT:
            rc = s_on_reject (self, envelope->reject, event);
            break;
        case VENUEBUS__ENVELOPE__BODY_BALANCES:
            rc = s_on_balances (self, envelope->balances, event);
            break;
        default:
            self->stats.unexpected++;
            return -1;
    }
    if (rc != 0) {
        self->stats.malformed++;
        memset (event, 0, sizeof (*event));
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Drop the remaining parts of a multipart message.

static void
s_drain_parts (vb_order_client_t *self)
{
    void *socket = zsock_resolve (self->socket);
    while (zsock_rcvmore (self->socket)) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        int rc = zmq_msg_recv (&part, socket, ZMQ_DONTWAIT);
        zmq_msg_close (&part);
        if (rc < 0)
            break;
    }
}

//  --------------------------------------------------------------------------
//  Public: receive the next event

int
vb_order_client_recv (vb_order_client_t *self, vb_order_event_t *event, int timeout_ms)
{
    assert (self);
    assert (event);
    int64_t deadline = timeout_ms > 0 ? zclock_mono () + timeout_ms : 0;
    while (true) {
        int rc = vb_msg_recv_bare (self->decoder, self->socket, ZMQ_DONTWAIT);
        if (rc == VB_EAGAIN) {
            int wait_ms = -1;
            if (timeout_ms == 0)
                return VB_EAGAIN;
            if (timeout_ms > 0) {
                int64_t left = deadline - zclock_mono ();
                if (left <= 0)
                    return VB_EAGAIN;
                wait_ms = (int)left;
            }
            zmq_pollitem_t item = {zsock_resolve (self->socket), 0, ZMQ_POLLIN, 0};
            if (zmq_poll (&item, 1, wait_ms) < 0)
                return zmq_errno () == EINTR ? VB_EAGAIN : VB_EIO;
            continue;
        }
        if (rc == VB_EIO)
            return VB_EIO;
        self->stats.received++;
        if (zsock_rcvmore (self->socket)) {
            s_drain_parts (self);
            self->stats.malformed++;
            continue;
        }
        if (rc != 0) {
            self->stats.malformed++;
            continue;
        }
        if (s_handle (self, vb_msg_envelope (self->decoder), event) == 0) {
            self->stats.events++;
            return 0;
        }
    }
}

//  --------------------------------------------------------------------------
//  Public: accessors

zsock_t *
vb_order_client_socket (vb_order_client_t *self)
{
    assert (self);
    return self->socket;
}

int
vb_order_client_fd (vb_order_client_t *self)
{
    assert (self);
    return zsock_fd (self->socket);
}

const char *
vb_order_client_routing_id (vb_order_client_t *self)
{
    assert (self);
    return self->routing_id;
}

const char *
vb_order_client_strategy (vb_order_client_t *self)
{
    assert (self);
    return self->strategy;
}

//  --------------------------------------------------------------------------
//  Public: the local view of one order

int
vb_order_client_order (vb_order_client_t *self, const char *client_tag, const char *client_order_id,
                       vb_order_view_t *view)
{
    assert (self);
    assert (view);
    if ((client_tag == NULL) == (client_order_id == NULL))
        return VB_EINVAL;
    s_order_t *order = client_tag ? (s_order_t *)zhashx_lookup (self->by_tag, client_tag)
                                  : (s_order_t *)zhashx_lookup (self->by_id, client_order_id);
    if (!order)
        return VB_ENOTFOUND;
    *view = order->view;
    return 0;
}

size_t
vb_order_client_order_count (vb_order_client_t *self)
{
    assert (self);
    return zlistx_size (self->orders);
}

size_t
vb_order_client_open_count (vb_order_client_t *self)
{
    assert (self);
    return self->open_count;
}

//  --------------------------------------------------------------------------
//  Public: net position of (account, symbol)

int
vb_order_client_position (vb_order_client_t *self, const char *account, const char *symbol,
                          vb_decimal_t *position)
{
    assert (self);
    assert (position);
    if (!account || !symbol || strlen (account) > VB_ORDER_CLIENT_NAME_MAX ||
        strlen (symbol) > VB_ORDER_CLIENT_SYMBOL_MAX)
        return VB_EINVAL;
    vb_decimal_t *found = s_position (self, account, symbol, false);
    *position = found ? *found : (vb_decimal_t){0, 0};
    return 0;
}

void
vb_order_client_stats (vb_order_client_t *self, vb_order_client_stats_t *stats)
{
    assert (self);
    assert (stats);
    *stats = self->stats;
}

//  --------------------------------------------------------------------------
//  Public: state names and terminal states

const char *
vb_order_client_state_name (Venuebus__OrderState state)
{
    static const char *const names[] = {
        "UNSPECIFIED",    "PENDING_NEW", "NEW",      "PARTIALLY_FILLED", "FILLED",
        "PENDING_CANCEL", "CANCELED",    "REJECTED", "EXPIRED",          "UNKNOWN",
    };
    if ((unsigned)state >= sizeof (names) / sizeof (names[0]))
        return names[0];
    return names[state];
}

bool
vb_order_client_state_terminal (Venuebus__OrderState state)
{
    return state == VENUEBUS__ORDER_STATE__FILLED || state == VENUEBUS__ORDER_STATE__CANCELED ||
           state == VENUEBUS__ORDER_STATE__REJECTED || state == VENUEBUS__ORDER_STATE__EXPIRED;
}
