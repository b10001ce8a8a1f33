#!/usr/bin/python3
"""demo_watch.py — a live view of the bus for `make demo`.

Subscribes to every md.*, ex.* and sys.* topic on the bus backend, decodes each
frame (topic, NUL, venuebus.Envelope) with the generated venuebus_pb2 module,
checks that every topic's sequence is gap-free, prints each book state change and
each order report from the router (ex.<account>.<strategy>) as it comes, and once
a second: per symbol the best bid/ask from the bbo topic and the book state from
the status topic, the message counts, the open orders, and the router's rate-limit
buckets in use (sys.router.ratelimit). Usage: demo_watch.py BACKEND_ENDPOINT
"""
import sys
import time

import zmq

import venuebus_pb2


def decimal_text(d):
    """Exact text of a venuebus.Decimal (mantissa x 10^exponent), no floats."""
    digits = str(abs(d.mantissa))
    sign = "-" if d.mantissa < 0 else ""
    if d.exponent >= 0:
        return sign + digits + "0" * d.exponent
    places = -d.exponent
    digits = digits.rjust(places + 1, "0")
    return sign + digits[:-places] + "." + digits[-places:]


def main():
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.connect(sys.argv[1])
    for prefix in (b"md.", b"ex.", b"sys."):
        sub.setsockopt(zmq.SUBSCRIBE, prefix)
    last_seq, gaps, counts, tops, states = {}, 0, {}, {}, {}
    limits, open_orders = {}, {}
    terminal = {venuebus_pb2.FILLED, venuebus_pb2.CANCELED, venuebus_pb2.REJECTED,
                venuebus_pb2.EXPIRED}
    next_print = time.monotonic() + 1
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    while True:
        for _ in poller.poll(200):
            frame = sub.recv()
            topic, _, payload = frame.partition(b"\0")
            topic = topic.decode()
            envelope = venuebus_pb2.Envelope()
            try:
                envelope.ParseFromString(payload)
            except Exception as error:  # a hostile or broken frame: report, keep going
                print(f"watch: undecodable frame on {topic}: {error}")
                continue
            seq = envelope.header.seq
            previous = last_seq.get(topic)
            if previous is not None and seq != previous + 1:
                gaps += 1
                print(f"watch: sequence gap on {topic}: expected {previous + 1} got {seq}")
            last_seq[topic] = seq
            kind = envelope.WhichOneof("body")
            counts[kind] = counts.get(kind, 0) + 1
            key = f"{envelope.header.venue}:{envelope.header.symbol}"
            if kind == "bbo":
                bbo = envelope.bbo
                tops[key] = (f"{decimal_text(bbo.bid_qty)} @ {decimal_text(bbo.bid_price)} / "
                             f"{decimal_text(bbo.ask_price)} x {decimal_text(bbo.ask_qty)}")
            elif kind == "status":
                state = venuebus_pb2.BookState.Name(envelope.status.book_state)
                if states.get(key) != state:
                    print(f"watch: {key} book {state} reason={envelope.status.reason}")
                states[key] = state
            elif kind == "rate_limit":
                limit = envelope.rate_limit
                limits[limit.bucket] = (limit.used, limit.limit, limit.utilisation_permille)
            elif kind == "execution_report":
                report = envelope.execution_report
                state = venuebus_pb2.OrderState.Name(report.state) \
                    if report.state in venuebus_pb2.OrderState.values() else str(report.state)
                side = venuebus_pb2.Side.Name(report.side) \
                    if report.side in venuebus_pb2.Side.values() else str(report.side)
                fill = ""
                if report.HasField("last_fill_qty") and report.last_fill_qty.mantissa > 0:
                    fill = (f" fill {decimal_text(report.last_fill_qty)} @ "
                            f"{decimal_text(report.last_fill_price)}")
                print(f"watch: order {envelope.header.strategy} {report.client_order_id} "
                      f"{report.symbol} {side} {decimal_text(report.qty)} @ "
                      f"{decimal_text(report.price)} {state}{fill}")
                if report.state in terminal:
                    open_orders.pop(report.client_order_id, None)
                else:
                    open_orders[report.client_order_id] = state
        if time.monotonic() >= next_print:
            next_print += 1
            rows = [f"{key:22} {states.get(key, '?'):9} {top}" for key, top in sorted(tops.items())]
            total = sum(counts.values())
            print(f"--- {total} msgs {dict(sorted(counts.items()))} gaps={gaps}")
            for row in rows:
                print("   " + row)
            print(f"   open orders: {len(open_orders)}")
            used = [f"{bucket} {u}/{c} ({p // 10}.{p % 10}%)"
                    for bucket, (u, c, p) in sorted(limits.items()) if u > 0]
            if used:
                print("   rate limits: " + ", ".join(used))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
