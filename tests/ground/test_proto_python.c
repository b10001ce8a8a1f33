/*  test_proto_python.c — a frame packed by vb_msg decodes in Python.

    Encodes envelopes with vb_msg, writes each frame to a temporary file and
    has /usr/bin/python3 split it at the NUL and parse it with the generated
    venuebus_pb2 module (target vb_proto_python, in VB_BINARY_DIR/python).
    The expected text is the values the test put in, printed by Python's own
    protobuf runtime: an independent decoder.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vb_msg.h"
#include "vb_error.h"

#define PYTHON       "/usr/bin/python3"
#define PYTHON_DIR   VB_BINARY_DIR "/python"
#define OUTPUT_MAX   4096
#define FRAME_BUFFER 4096

//  Python side: print "topic|body case|..." with the fields of each case.
static const char *s_script =
    "import sys\n"
    "import venuebus_pb2 as pb\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "topic, nul, payload = data.partition(b'\\0')\n"
    "e = pb.Envelope.FromString(payload)\n"
    "h = e.header\n"
    "body = e.WhichOneof('body')\n"
    "out = [topic.decode(), body, h.venue, h.symbol, str(h.seq), str(h.exchange_ts_ns),\n"
    "       h.producer]\n"
    "if body == 'trade':\n"
    "    t = e.trade\n"
    "    out += [str(t.price.mantissa), str(t.price.exponent), str(t.qty.mantissa),\n"
    "            str(t.qty.exponent), pb.Side.Name(t.side), t.trade_id]\n"
    "elif body == 'book_delta':\n"
    "    b = e.book_delta\n"
    "    out += [str(b.price_exponent), str(b.qty_exponent), ','.join(map(str, b.bid_price)),\n"
    "            ','.join(map(str, b.bid_qty)), ','.join(map(str, b.ask_price)),\n"
    "            ','.join(map(str, b.ask_qty))]\n"
    "elif body == 'execution_report':\n"
    "    r = e.execution_report\n"
    "    out += [pb.OrderState.Name(r.state), r.client_order_id, str(r.filled_qty.mantissa),\n"
    "            str(r.filled_qty.exponent)]\n"
    "print('|'.join(out))\n";

//  --------------------------------------------------------------------------
//  Write frame to a temp file, run the script on it, return its stdout line.

static void
s_python_decode (const uint8_t *frame, size_t size, char *output)
{
    char frame_path[] = "/tmp/vb_proto_frame_XXXXXX";
    int fd = mkstemp (frame_path);
    cr_assert_geq (fd, 0);
    cr_assert_eq (write (fd, frame, size), (ssize_t)size);
    close (fd);
    char script_path[] = "/tmp/vb_proto_script_XXXXXX";
    fd = mkstemp (script_path);
    cr_assert_geq (fd, 0);
    cr_assert_eq (write (fd, s_script, strlen (s_script)), (ssize_t)strlen (s_script));
    close (fd);

    char command[1024];
    snprintf (command, sizeof (command), "PYTHONPATH='%s' %s %s %s 2>&1", PYTHON_DIR, PYTHON,
              script_path, frame_path);
    FILE *pipe = popen (command, "r");
    cr_assert_not_null (pipe);
    size_t length = fread (output, 1, OUTPUT_MAX - 1, pipe);
    output[length] = '\0';
    int status = pclose (pipe);
    unlink (frame_path);
    unlink (script_path);
    cr_assert_eq (status, 0, "python failed (is target vb_proto_python built?): %s", output);
    char *newline = strchr (output, '\n');
    if (newline)
        *newline = '\0';
}

Test (proto_python, python_reads_a_trade_packed_by_vb_msg)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.venue = "binance";
    header.symbol = "BTC-USDT";
    header.seq = 12345678901;
    header.exchange_ts_ns = 1723075200123000000;
    header.producer = "gateway.binance.0";
    Venuebus__Decimal price, qty;
    vb_msg_decimal_set (&price, (vb_decimal_t){6500012, -2});
    vb_msg_decimal_set (&qty, (vb_decimal_t){-15, -8});
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    trade.price = &price;
    trade.qty = &qty;
    trade.side = VENUEBUS__SIDE__SELL;
    trade.trade_id = "3698542117";
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    uint8_t frame[FRAME_BUFFER];
    int length = vb_msg_encode ("md.binance.BTC-USDT.trade", &envelope, frame, sizeof (frame));
    cr_assert_gt (length, 0);

    char output[OUTPUT_MAX];
    s_python_decode (frame, (size_t)length, output);
    cr_assert_str_eq (output, "md.binance.BTC-USDT.trade|trade|binance|BTC-USDT|12345678901|"
                              "1723075200123000000|gateway.binance.0|6500012|-2|-15|-8|SELL|"
                              "3698542117");
}

Test (proto_python, python_reads_packed_book_arrays)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.venue = "kraken";
    header.symbol = "ETH-USD";
    header.seq = 1;
    header.producer = "gateway.kraken.0";
    int64_t bid_price[] = {350012, 350011}, bid_qty[] = {0, 1250000000};
    int64_t ask_price[] = {350013}, ask_qty[] = {-7};
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.price_exponent = -2;
    delta.qty_exponent = -8;
    delta.n_bid_price = delta.n_bid_qty = 2;
    delta.bid_price = bid_price;
    delta.bid_qty = bid_qty;
    delta.n_ask_price = delta.n_ask_qty = 1;
    delta.ask_price = ask_price;
    delta.ask_qty = ask_qty;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    uint8_t frame[FRAME_BUFFER];
    int length = vb_msg_encode ("md.kraken.ETH-USD.book", &envelope, frame, sizeof (frame));
    cr_assert_gt (length, 0);

    char output[OUTPUT_MAX];
    s_python_decode (frame, (size_t)length, output);
    cr_assert_str_eq (output, "md.kraken.ETH-USD.book|book_delta|kraken|ETH-USD|1|0|"
                              "gateway.kraken.0|-2|-8|350012,350011|0,1250000000|350013|-7");
}

Test (proto_python, python_reads_an_execution_report)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.seq = 9;
    header.producer = "router.main";
    Venuebus__Decimal filled;
    vb_msg_decimal_set (&filled, (vb_decimal_t){5, -4});
    Venuebus__ExecutionReport report = VENUEBUS__EXECUTION_REPORT__INIT;
    report.state = VENUEBUS__ORDER_STATE__UNKNOWN;
    report.client_order_id = "vbR1J0000000042";
    report.filled_qty = &filled;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT;
    envelope.execution_report = &report;
    uint8_t frame[FRAME_BUFFER];
    int length = vb_msg_encode ("ex.main.mm-1", &envelope, frame, sizeof (frame));
    cr_assert_gt (length, 0);

    char output[OUTPUT_MAX];
    s_python_decode (frame, (size_t)length, output);
    cr_assert_str_eq (output, "ex.main.mm-1|execution_report|||9|0|router.main|UNKNOWN|"
                              "vbR1J0000000042|5|-4");
}
