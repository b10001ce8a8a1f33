#!/usr/bin/python3
# strategy.py — a venuebus strategy in Python: books and trades from the bus,
# gap recovery through the gateway's snapshot endpoint, orders through the router.
#
# Bus frames are ONE ZeroMQ frame "<topic>\0<Envelope>" (proto/README.md);
# router frames are a bare Envelope over DEALER with header.strategy set.
# Decimals are decimal.Decimal end to end: mantissa x 10^exponent, never float.
#
# Exit codes: 0 done (with --place: the order reached CANCELED), 1 reject,
# timeout or failure, 2 bad arguments.
# SPDX-License-Identifier: MPL-2.0

import argparse
import decimal
import os
import secrets
import signal
import sys
import time

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
SNAPSHOT_TIMEOUT_S = 2.0     # a snapshot request unanswered this long is sent again
SNAPSHOT_RETRY_S = 0.5       # pause after an ERROR reply before asking again
BUFFER_MAX = 10000           # deltas kept while a book recovers
ROUTER_HWM = 10000
LINGER_MS = 1000
POLL_MS = 200
FAR_FACTOR = decimal.Decimal("0.5")   # --place buys at half the best bid


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description="venuebus example strategy: market data from the bus, orders via the router")
    parser.add_argument("--bus", required=True, help="bus backend (XPUB) endpoint")
    parser.add_argument("--snapshot", default="", help="gateway snapshot endpoint (ROUTER)")
    parser.add_argument("--router", default="", help="router strategy endpoint (ROUTER)")
    parser.add_argument("--venue", default="binance")
    parser.add_argument("--symbol", default="BTC-USDT", help="normalised BASE-QUOTE")
    parser.add_argument("--account", default="main")
    parser.add_argument("--strategy", default="strategy-py", help="strategy id (header.strategy)")
    parser.add_argument("--place", action="store_true",
                        help="place one limit buy far below the market, cancel it, exit 0 on "
                             "CANCELED (1 on reject or timeout)")
    parser.add_argument("--price", default="",
                        help="with --place: limit price (default: half the best bid, on the tick)")
    parser.add_argument("--qty", default="0.001", help="with --place: order quantity")
    parser.add_argument("--tick", default="0.01", help="price tick for the default --place price")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="run time; with --place the timeout (0: forever without --place)")
    parser.add_argument("--proto-dir", default=os.environ.get(
        "VB_PYTHON_DIR", os.path.join(here, "..", "..", "build", "python")),
        help="directory of the generated venuebus_pb2 (env VB_PYTHON_DIR)")
    args = parser.parse_args(argv)
    if args.place and not args.router:
        parser.error("--place needs --router")
    for name in ("qty", "tick", "price"):
        text = getattr(args, name)
        if name == "price" and not text:
            continue
        try:
            value = decimal.Decimal(text)
        except decimal.InvalidOperation:
            parser.error("--%s is not a decimal: %r" % (name, text))
        if not value.is_finite() or value <= 0:
            parser.error("--%s must be a positive decimal" % name)
    if args.seconds < 0:
        parser.error("--seconds must be >= 0")
    if args.place and args.seconds == 0:
        parser.error("--place needs a timeout: --seconds greater than 0")
    return args


def log(phrase, **fields):
    """One line per event on stdout: a phrase, then key=value pairs."""
    parts = [phrase] + ["%s=%s" % (k, format(v, "f") if isinstance(v, decimal.Decimal) else v)
                        for k, v in fields.items()]
    print(" ".join(parts), flush=True)


def to_decimal(message):
    """A venuebus.Decimal as decimal.Decimal (exact)."""
    return decimal.Decimal(message.mantissa).scaleb(message.exponent)


def set_decimal(message, value):
    """Fill a venuebus.Decimal from decimal.Decimal (exact; the scale is kept)."""
    sign, digits, exponent = value.as_tuple()
    mantissa = int("".join(map(str, digits)) or "0")
    message.mantissa = -mantissa if sign else mantissa
    message.exponent = exponent


class Book:
    """One L2 book: price -> qty per side, exact decimals."""

    def __init__(self):
        self.bids = {}
        self.asks = {}

    @staticmethod
    def _levels(prices, qtys, price_exp, qty_exp):
        if len(prices) != len(qtys):
            raise ValueError("misaligned book arrays")
        return [(decimal.Decimal(p).scaleb(price_exp), decimal.Decimal(q).scaleb(qty_exp))
                for p, q in zip(prices, qtys)]

    def install(self, snap):
        self.bids = dict(self._levels(snap.bid_price, snap.bid_qty, snap.price_exponent,
                                      snap.qty_exponent))
        self.asks = dict(self._levels(snap.ask_price, snap.ask_qty, snap.price_exponent,
                                      snap.qty_exponent))

    def apply(self, delta):
        for side, prices, qtys in ((self.bids, delta.bid_price, delta.bid_qty),
                                   (self.asks, delta.ask_price, delta.ask_qty)):
            for price, qty in self._levels(prices, qtys, delta.price_exponent,
                                           delta.qty_exponent):
                if qty == 0:
                    side.pop(price, None)
                else:
                    side[price] = qty

    def best(self):
        bid = max(self.bids) if self.bids else None
        ask = min(self.asks) if self.asks else None
        return bid, ask


class MarketData:
    """SUB on the bus for one symbol's book, trade and status topics, with
    per-topic sequence tracking and book recovery (the Clone pattern)."""

    def __init__(self, zmq, pb, context, args):
        self.zmq = zmq
        self.pb = pb
        prefix = "md.%s.%s." % (args.venue, args.symbol)
        self.book_topic = prefix + "book"
        self.topics = [prefix + "book", prefix + "trade", prefix + "status"]
        self.sub = context.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.RCVHWM, 100000)
        for topic in self.topics:
            # The NUL makes the subscription exact (proto/README.md "Subscribing").
            self.sub.setsockopt(zmq.SUBSCRIBE, topic.encode() + b"\0")
        self.sub.connect(args.bus)
        self.snapshot = None
        if args.snapshot:
            self.snapshot = context.socket(zmq.DEALER)
            self.snapshot.setsockopt(zmq.LINGER, 0)
            self.snapshot.connect(args.snapshot)
        self.last_seq = {}
        self.book = Book()
        self.in_sync = False
        self.recovering = False
        self.request_at = 0.0        # when the last snapshot request went out (0: none out)
        self.retry_at = 0.0          # when to ask again
        self.buffer = []             # (seq, envelope) deltas kept while recovering
        self.bad_frames = 0
        self.gaps = 0

    def sockets(self):
        return [s for s in (self.sub, self.snapshot) if s is not None]

    # -- bus ---------------------------------------------------------------

    def on_bus(self):
        try:
            frames = self.sub.recv_multipart(self.zmq.NOBLOCK)
        except self.zmq.Again:
            return
        if len(frames) != 1:
            self.bad_frames += 1
            return
        topic_bytes, nul, payload = frames[0].partition(b"\0")
        if not nul:
            self.bad_frames += 1
            return
        try:
            topic = topic_bytes.decode("ascii")
            envelope = self.pb.Envelope.FromString(payload)
        except Exception:  # hostile frame: count it and go on
            self.bad_frames += 1
            return
        if topic not in self.topics or not envelope.HasField("header"):
            self.bad_frames += 1
            return
        seq = envelope.header.seq
        if seq == 0:
            self.bad_frames += 1
            return
        last = self.last_seq.get(topic)
        if last is not None and seq <= last and seq != 1:
            return  # duplicate, or older than an installed snapshot
        if (last is None and seq > 1) or (last is not None and seq > last + 1) or \
                (last is not None and seq == 1):
            self.gaps += 1
            log("gap", topic=topic, expected=(last + 1) if last is not None else 0, received=seq)
            if topic == self.book_topic:
                self.start_recovery("gap")
        self.last_seq[topic] = seq
        kind = envelope.WhichOneof("body")
        if topic == self.book_topic:
            self.on_book(seq, envelope, kind)
        elif kind == "trade":
            trade = envelope.trade
            log("trade", topic=topic, seq=seq, price=to_decimal(trade.price),
                qty=to_decimal(trade.qty), side=self.pb.Side.Name(trade.side)
                if trade.side in self.pb.Side.values() else trade.side, id=trade.trade_id)
        elif kind == "status":
            state = envelope.status.book_state
            log("status", topic=topic, book_state=self.pb.BookState.Name(state)
                if state in self.pb.BookState.values() else state, reason=envelope.status.reason)
            if state in (self.pb.RESYNCING, self.pb.STALE):
                self.in_sync = False
                self.start_recovery("status")

    def on_book(self, seq, envelope, kind):
        try:
            if kind == "book_snapshot":
                # A snapshot on the bus installs at once and ends any recovery.
                self.book.install(envelope.book_snapshot)
                self.finish_recovery(seq, "bus snapshot")
            elif kind == "book_delta":
                if self.recovering:
                    if len(self.buffer) >= BUFFER_MAX:
                        self.buffer = []
                        self.request_at = 0.0  # ask again
                    self.buffer.append((seq, envelope))
                    return
                self.book.apply(envelope.book_delta)
            else:
                self.bad_frames += 1
                return
        except ValueError:
            self.bad_frames += 1
            self.start_recovery("bad book")
            return
        if self.in_sync:
            self.print_top(seq)

    def print_top(self, seq):
        bid, ask = self.book.best()
        log("book", topic=self.book_topic, seq=seq, bid=bid, ask=ask)

    # -- recovery ----------------------------------------------------------

    def start_recovery(self, reason):
        self.in_sync = False
        if self.recovering:
            return
        self.recovering = True
        self.buffer = []
        self.request_at = 0.0
        self.retry_at = 0.0
        log("book resyncing", topic=self.book_topic, reason=reason,
            snapshot="yes" if self.snapshot is not None else "no")

    def finish_recovery(self, seq, source):
        self.recovering = False
        self.request_at = 0.0
        self.last_seq[self.book_topic] = seq
        self.in_sync = True
        log("book in sync", topic=self.book_topic, seq=seq, source=source)

    def housekeeping(self, now):
        """Send (or resend) the snapshot request when one is due."""
        if not self.recovering or self.snapshot is None:
            return
        if self.request_at and now - self.request_at < SNAPSHOT_TIMEOUT_S:
            return
        if now < self.retry_at:
            return
        try:
            self.snapshot.send(("SNAPSHOT " + self.book_topic).encode(), self.zmq.NOBLOCK)
            self.request_at = now
        except self.zmq.Again:
            self.retry_at = now + SNAPSHOT_RETRY_S

    def on_snapshot_reply(self):
        """Reply: "<topic>\\0<Envelope>" (book_snapshot, header.seq = the last
        seq published on the topic) or "ERROR <reason> <detail>"."""
        try:
            frames = self.snapshot.recv_multipart(self.zmq.NOBLOCK)
        except self.zmq.Again:
            return
        reply = frames[-1]
        if reply.startswith(b"ERROR "):
            log("snapshot refused", topic=self.book_topic,
                reply=reply.decode("utf-8", "replace"))
            self.request_at = 0.0
            self.retry_at = time.monotonic() + SNAPSHOT_RETRY_S
            return
        topic_bytes, nul, payload = reply.partition(b"\0")
        if not nul or topic_bytes.decode("ascii", "replace") != self.book_topic \
                or not self.recovering:
            return  # a late reply, or one for another topic
        try:
            envelope = self.pb.Envelope.FromString(payload)
            if envelope.WhichOneof("body") != "book_snapshot":
                raise ValueError("not a book_snapshot")
            book = Book()
            book.install(envelope.book_snapshot)
            seq = envelope.header.seq
            # Apply the buffered deltas after the snapshot; they must follow it
            # without a hole, else ask again.
            expected = seq + 1
            for delta_seq, delta in sorted(self.buffer, key=lambda item: item[0]):
                if delta_seq <= seq:
                    continue
                if delta_seq != expected:
                    raise ValueError("buffered deltas do not follow the snapshot")
                book.apply(delta.book_delta)
                expected += 1
        except Exception as error:  # bad reply: ask again later
            log("snapshot unusable", topic=self.book_topic, error=error)
            self.request_at = 0.0
            self.retry_at = time.monotonic() + SNAPSHOT_RETRY_S
            return
        self.book = book
        self.buffer = []
        self.finish_recovery(expected - 1, "snapshot")
        self.print_top(expected - 1)


class Orders:
    """DEALER to the router; every frame a bare Envelope with header.strategy."""

    def __init__(self, zmq, pb, context, args):
        self.zmq = zmq
        self.pb = pb
        self.args = args
        self.seq = 0
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.ROUTING_ID,
                               ("%s-%s" % (args.strategy, secrets.token_hex(8))).encode())
        self.socket.setsockopt(zmq.LINGER, LINGER_MS)
        self.socket.setsockopt(zmq.SNDHWM, ROUTER_HWM)
        self.socket.setsockopt(zmq.RCVHWM, ROUTER_HWM)
        # Refuse (rather than queue) requests while no router is connected.
        self.socket.setsockopt(zmq.IMMEDIATE, 1)
        self.socket.connect(args.router)

    def send(self, envelope):
        """Returns True when the request was queued to a connected router."""
        self.seq += 1
        header = envelope.header
        header.strategy = self.args.strategy
        header.account = self.args.account
        header.producer = self.args.strategy
        header.seq = self.seq
        header.publish_ts_ns = time.time_ns()
        try:
            self.socket.send(envelope.SerializeToString(), self.zmq.NOBLOCK)
            return True
        except self.zmq.Again:
            return False

    def place(self, tag, price, qty):
        envelope = self.pb.Envelope()
        order = envelope.new_order
        order.client_tag = tag
        order.account = self.args.account
        order.symbol = self.args.symbol
        order.side = self.pb.BUY
        order.type = self.pb.LIMIT
        order.time_in_force = self.pb.GTC
        order.post_only = True
        set_decimal(order.price, price)
        set_decimal(order.qty, qty)
        return self.send(envelope)

    def cancel(self, tag):
        envelope = self.pb.Envelope()
        envelope.cancel.client_tag = tag
        envelope.cancel.account = self.args.account
        envelope.cancel.symbol = self.args.symbol
        return self.send(envelope)

    def recv(self):
        """The next reply as (kind, message), or None when none is waiting or
        the frame is unusable (printed and skipped)."""
        try:
            frames = self.socket.recv_multipart(self.zmq.NOBLOCK)
        except self.zmq.Again:
            return None
        if len(frames) != 1:
            log("router frame skipped", reason="multipart")
            return None
        try:
            envelope = self.pb.Envelope.FromString(frames[0])
        except Exception:
            log("router frame skipped", reason="not an Envelope")
            return None
        kind = envelope.WhichOneof("body")
        if envelope.header.strategy and envelope.header.strategy != self.args.strategy:
            log("router frame skipped", reason="other strategy", strategy=envelope.header.strategy)
            return None
        if kind == "ack":
            ack = envelope.ack
            log("ack", tag=ack.client_tag, client_order_id=ack.client_order_id,
                journal_seq=ack.journal_seq)
        elif kind == "execution_report":
            report = envelope.execution_report
            state = self.pb.OrderState.Name(report.state) \
                if report.state in self.pb.OrderState.values() else str(report.state)
            fields = dict(tag=report.client_tag, client_order_id=report.client_order_id,
                          state=state, filled=to_decimal(report.filled_qty))
            if report.HasField("last_fill_qty") and to_decimal(report.last_fill_qty) > 0:
                fields.update(fill_price=to_decimal(report.last_fill_price),
                              fill_qty=to_decimal(report.last_fill_qty),
                              trade_id=report.venue_trade_id)
            log("execution_report", **fields)
        elif kind == "reject":
            reject = envelope.reject
            reason = self.pb.RejectReason.Name(reject.reason) \
                if reject.reason in self.pb.RejectReason.values() else str(reject.reason)
            log("reject", tag=reject.client_tag, client_order_id=reject.client_order_id,
                reason=reason, venue_code=reject.venue_code,
                venue_text='"%s"' % reject.venue_text, detail='"%s"' % reject.detail)
        elif kind == "balances":
            for balance in envelope.balances.balance:
                log("balance", asset=balance.asset, free=to_decimal(balance.free),
                    locked=to_decimal(balance.locked))
        else:
            log("router frame skipped", reason="unexpected body", body=kind)
            return None
        return kind, getattr(envelope, kind)


def far_price(args, market):
    """The --place price: --price, or half the best bid rounded down to the tick."""
    if args.price:
        return decimal.Decimal(args.price)
    bid, _ = market.book.best()
    if not market.in_sync or bid is None:
        return None
    tick = decimal.Decimal(args.tick)
    price = (bid * FAR_FACTOR / tick).to_integral_value(rounding=decimal.ROUND_FLOOR) * tick
    return price if price > 0 else None


def run(args, zmq, pb):
    context = zmq.Context.instance()
    market = MarketData(zmq, pb, context, args)
    orders = Orders(zmq, pb, context, args) if args.router else None
    # A late joiner asks for the book at once (the Clone pattern).
    market.start_recovery("start")
    poller = zmq.Poller()
    for sock in market.sockets():
        poller.register(sock, zmq.POLLIN)
    if orders:
        poller.register(orders.socket, zmq.POLLIN)

    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    tag = "py-%x" % time.time_ns()
    placed = canceled = False
    deadline = time.monotonic() + args.seconds if args.seconds > 0 else None
    log("strategy started", bus=args.bus, router=args.router or "none",
        strategy=args.strategy, topic=market.book_topic, place="yes" if args.place else "no")
    code = EXIT_OK
    while stop["signal"] is None:
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            if args.place:
                log("timeout", seconds=args.seconds, placed=placed, cancel_sent=canceled)
                code = EXIT_FAILURE
            break
        market.housekeeping(now)
        if args.place and not placed:
            price = far_price(args, market)
            if price is not None:
                if orders.place(tag, price, decimal.Decimal(args.qty)):
                    placed = True
                    log("order sent", tag=tag, side="BUY", price=price, qty=args.qty)
        try:
            ready = dict(poller.poll(POLL_MS))
        except zmq.ZMQError:
            continue  # interrupted by a signal: the loop checks stop
        if market.sub in ready:
            market.on_bus()
        if market.snapshot is not None and market.snapshot in ready:
            market.on_snapshot_reply()
        if orders and orders.socket in ready:
            reply = orders.recv()
            if reply is None or not args.place:
                continue
            kind, message = reply
            if kind == "reject" and message.client_tag == tag:
                code = EXIT_FAILURE
                break
            if kind == "execution_report" and message.client_tag == tag:
                if message.state == pb.CANCELED:
                    break
                if message.state in (pb.REJECTED, pb.EXPIRED, pb.FILLED):
                    code = EXIT_FAILURE
                    break
                if message.state in (pb.NEW, pb.PARTIALLY_FILLED) and not canceled:
                    canceled = orders.cancel(tag)
                    if canceled:
                        log("cancel sent", tag=tag)
    if stop["signal"] is not None:
        log("strategy stopping", reason="signal")
        if args.place and placed:
            orders.cancel(tag)
            code = EXIT_FAILURE
    log("strategy stopped", exit=code, gaps=market.gaps, bad_frames=market.bad_frames)
    context.destroy(linger=LINGER_MS)
    return code


def main(argv):
    args = parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.proto_dir))
    try:
        import zmq
        import venuebus_pb2 as pb
    except ImportError as error:
        print("cannot import %s (proto dir %s; build the vb_proto_python target or set "
              "VB_PYTHON_DIR)" % (error.name, args.proto_dir), file=sys.stderr)
        return EXIT_USAGE
    return run(args, zmq, pb)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
