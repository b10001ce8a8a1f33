// bench_ccxt.mjs — ccxt pro binance handleMessage on the real Binance capture,
// the baseline bench_gateway compares the gateway with (performance.md §3.10).
//
// Usage: node bench/bench_ccxt.mjs --ccxt <dir of the ccxt package>
//            [--capture <file>] [--repeats N] [--passes N] [--warmup N]
//
// Corpus: the frames of shared/fixtures/real/binance/hftbacktest/spot/
// btcusdt_20240808.head.txt that come after its REST snapshot line (the same
// frames bench_gateway times), as the exact text the combined stream sent.
// Per message we time JSON.parse + exchange.handleMessage, as ccxt's ws
// client does. Before every pass the order book is reset from the capture's
// own REST snapshot and the diffs buffered before it are applied (untimed,
// as the gateway does in rest_done), so every depth diff bridges and is applied
// (U/u continue exactly as in the capture) and the book stays maintained.
// Markets are injected with setMarkets (no network). CPU is
// process.cpuUsage() (user + system, every thread of the process: JIT and GC
// included), the same measure as getrusage (RUSAGE_SELF) on the C side.
// Output: one line per kind,
//   CCXT <kind> <messages> <median cpu ns/msg> <min> <max> <median wall ns/msg>
// SPDX-License-Identifier: MPL-2.0

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SNAPSHOT_PREFIX = '{"lastUpdateId"';
const SYMBOL = 'BTC/USDT';

function parseArgs (argv) {
    const args = {
        capture: '/work/shared/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt',
        repeats: 5,
        passes: 5,
        warmup: 3,
        ccxt: undefined,
    };
    for (let i = 2; i < argv.length; i += 2) {
        const key = argv[i].replace (/^--/, '');
        if (!(key in args) || i + 1 >= argv.length)
            throw new Error ('unknown or incomplete option ' + argv[i]);
        args[key] = (key === 'capture' || key === 'ccxt') ? argv[i + 1] : Number (argv[i + 1]);
    }
    if (!args.ccxt)
        throw new Error ('--ccxt <dir of the ccxt package> is required');
    return args;
}

// The capture: "<recv ns> <frame>" per line. Returns the snapshot body and the
// frames after it, each tagged with its kind.
function loadCapture (file) {
    const lines = readFileSync (file, 'utf8').split ('\n');
    let snapshot;
    const frames = [], early = [];
    for (const line of lines) {
        const space = line.indexOf (' ');
        if (space < 0)
            continue;
        const text = line.slice (space + 1);
        if (text.startsWith (SNAPSHOT_PREFIX)) {
            snapshot = text;
            continue;
        }
        if (snapshot === undefined) {
            //  Before the snapshot: the untimed prefix on both sides; its
            //  depth diffs that the snapshot does not cover (the bridging
            //  one) are applied right after the reset.
            if (text.includes ('"stream":"btcusdt@depth'))
                early.push (text);
            continue;
        }
        let kind;
        if (text.includes ('"stream":"btcusdt@depth'))
            kind = 'depth';
        else if (text.includes ('"stream":"btcusdt@trade"'))
            kind = 'trade';
        else if (text.includes ('"stream":"btcusdt@bookTicker"'))
            kind = 'bbo';
        else
            throw new Error ('unexpected frame: ' + text.slice (0, 80));
        frames.push ({ kind, text });
    }
    if (snapshot === undefined)
        throw new Error ('no REST snapshot line in ' + file);
    return { snapshot, frames, early };
}

function makeExchange (ccxt) {
    const exchange = new ccxt.pro.binance ({ options: { defaultType: 'spot' } });
    exchange.setMarkets ([{
        id: 'BTCUSDT', symbol: SYMBOL, base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT',
        type: 'spot', spot: true, margin: false, swap: false, future: false, option: false,
        contract: false, active: true, linear: undefined, inverse: undefined,
        precision: { amount: 0.00001, price: 0.01 },
        limits: { amount: {}, price: {}, cost: {}, leverage: {} }, info: {},
    }]);
    return exchange;
}

async function main () {
    const args = parseArgs (process.argv);
    //  The package's ESM entry (its package.json "exports" "import").
    const module = await import (pathToFileURL (path.join (path.resolve (args.ccxt), 'js', 'ccxt.js')).href);
    const ccxt = module.default ?? module;
    const { snapshot, frames, early } = loadCapture (args.capture);
    const exchange = makeExchange (ccxt);
    const snapshotBook = exchange.parseOrderBook (JSON.parse (snapshot), SYMBOL);
    snapshotBook.nonce = JSON.parse (snapshot).lastUpdateId;
    // The ws client stub: spot URL, resolve does what the real one does when
    // nobody awaits (nothing), rejections throw so a broken book is seen.
    const client = {
        url: 'wss://stream.binance.com:9443/stream',
        subscriptions: {},
        futures: {},
        resolve () {},
        reject (error) { throw error; },
    };
    const corpora = {
        mix: frames,
        depth: frames.filter ((f) => f.kind === 'depth'),
        trade: frames.filter ((f) => f.kind === 'trade'),
        bbo: frames.filter ((f) => f.kind === 'bbo'),
    };
    const lastU = (() => {
        const last = corpora.depth[corpora.depth.length - 1].text;
        return Number (/"u":(\d+)/.exec (last)[1]);
    }) ();

    // One pass: reset the book and apply the diffs buffered before the
    // snapshot (untimed, as the gateway's rest_done is), then every frame.
    function pass (corpus) {
        const book = exchange.orderBook ({});
        book.reset (snapshotBook);
        exchange.orderbooks[SYMBOL] = book;
        for (const text of early)
            exchange.handleMessage (client, JSON.parse (text));
        const cpu0 = process.cpuUsage ();
        const wall0 = process.hrtime.bigint ();
        for (let i = 0; i < corpus.length; i++)
            exchange.handleMessage (client, JSON.parse (corpus[i].text));
        const wall = Number (process.hrtime.bigint () - wall0);
        const cpu = process.cpuUsage (cpu0);
        // Every diff applied: the book ends at the capture's last u.
        if (corpus === corpora.mix || corpus === corpora.depth)
            if (exchange.orderbooks[SYMBOL].nonce !== lastU)
                throw new Error ('ccxt book not maintained: nonce ' + exchange.orderbooks[SYMBOL].nonce
                                 + ' expected ' + lastU);
        return { cpu: (cpu.user + cpu.system) * 1000, wall };
    }

    const results = {};
    for (const kind of Object.keys (corpora)) {
        const corpus = corpora[kind];
        for (let i = 0; i < args.warmup * args.passes; i++)
            pass (corpus);
        const cpus = [], walls = [];
        for (let r = 0; r < args.repeats; r++) {
            let cpu = 0, wall = 0;
            for (let p = 0; p < args.passes; p++) {
                const one = pass (corpus);
                cpu += one.cpu;
                wall += one.wall;
            }
            cpus.push (cpu / (args.passes * corpus.length));
            walls.push (wall / (args.passes * corpus.length));
        }
        const sorted = (a) => [...a].sort ((x, y) => x - y);
        const median = (a) => sorted (a)[Math.floor (a.length / 2)];
        results[kind] = { messages: corpus.length, cpu: median (cpus), min: Math.min (...cpus),
                          max: Math.max (...cpus), wall: median (walls) };
        console.log (['CCXT', kind, corpus.length, results[kind].cpu.toFixed (0),
                      results[kind].min.toFixed (0), results[kind].max.toFixed (0),
                      results[kind].wall.toFixed (0)].join (' '));
    }
    console.log ('ccxt ' + ccxt.version + ' node ' + process.version + ': CPU ns per message, median of '
                 + args.repeats + ' repeats of ' + args.passes + ' passes');
}

await main ();
