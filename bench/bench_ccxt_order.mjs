// bench_ccxt_order.mjs — ccxt binance createOrder round trips against venuebus-sim, the
// baseline bench_router compares the order router with (issue 5 "Speed").
//
// Usage: node bench/bench_ccxt_order.mjs --ccxt <dir of the ccxt package> --port P
//            --keys KEY:SECRET,KEY:SECRET,... [--orders N] [--slot-ms MS]
//            [--price 1000.00] [--amount 0.01] [--warmup N]
//
// ccxt is changed in one way only, as in tests/interop/interop.mjs: every host in
// exchange.urls['api'] becomes the sim's 127.0.0.1:PORT. One keyed exchange per
// account (one sim account per key); markets are loaded once without keys
// (spot only) and given to every instance with setMarkets, so createOrder sends
// exactly one signed POST /api/v3/order. Orders are resting limit buys far from
// the market; they go one at a time, account after account, one every
// --slot-ms (the same pacing bench_router uses, below the venue's ORDERS limit
// for each account), and are left resting (bench_router cancels them).
// The time of one round trip is performance.now () around `await createOrder`:
// ccxt's own work (checks, signing, request, JSON parse, parseOrder) included.
// Output: one line "S <ns>" per timed order, then "CCXT orders <n> ok".
// SPDX-License-Identifier: MPL-2.0

import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SYMBOL = 'BTC/USDT';

function parseArgs (argv) {
    const args = {
        ccxt: undefined, port: undefined, keys: undefined,
        orders: 300, 'slot-ms': 200, price: '1000.00', amount: '0.01', warmup: 10,
    };
    for (let i = 2; i < argv.length; i += 2) {
        const key = argv[i].replace (/^--/, '');
        if (!(key in args) || i + 1 >= argv.length)
            throw new Error ('unknown or incomplete option ' + argv[i]);
        args[key] = argv[i + 1];
    }
    for (const required of ['ccxt', 'port', 'keys'])
        if (args[required] === undefined)
            throw new Error ('--' + required + ' is required');
    for (const number of ['port', 'orders', 'slot-ms', 'warmup']) {
        args[number] = Number (args[number]);
        if (!Number.isInteger (args[number]) || args[number] < 0)
            throw new Error ('--' + number + ' must be a non-negative integer');
    }
    args.keys = args.keys.split (',').map ((pair) => {
        const colon = pair.indexOf (':');
        if (colon <= 0)
            throw new Error ('--keys wants KEY:SECRET pairs');
        return { apiKey: pair.slice (0, colon), secret: pair.slice (colon + 1) };
    });
    return args;
}

function rewriteUrls (node, base) {
    if (typeof node === 'string')
        return node.replace (/^https:\/\/[^/]+/, base).replace (/^wss:\/\/[^/]+/, base.replace ('http', 'ws'));
    if (node && typeof node === 'object') {
        const out = Array.isArray (node) ? [] : {};
        for (const [key, value] of Object.entries (node))
            out[key] = rewriteUrls (value, base);
        return out;
    }
    return node;
}

function sleep (ms) {
    return new Promise ((resolve) => setTimeout (resolve, ms));
}

async function main () {
    const args = parseArgs (process.argv);
    const module = await import (pathToFileURL (path.join (path.resolve (args.ccxt), 'js', 'ccxt.js')).href);
    const ccxt = module.default ?? module;
    const base = 'http://127.0.0.1:' + args.port;
    const make = (keys) => {
        const exchange = new ccxt.binance (keys);
        exchange.urls['api'] = rewriteUrls (exchange.urls['api'], base);
        return exchange;
    };
    const keyless = make ({});
    keyless.options['fetchMarkets'] = { 'types': ['spot'] };
    const markets = await keyless.loadMarkets ();
    const exchanges = args.keys.map ((keys) => {
        const exchange = make (keys);
        exchange.setMarkets (markets);
        return exchange;
    });
    const price = Number (args.price), amount = Number (args.amount);
    const total = args.warmup + args.orders;
    let next = performance.now ();
    for (let i = 0; i < total; i++) {
        const wait = next - performance.now ();
        if (wait > 0)
            await sleep (wait);
        next += args['slot-ms'];
        const exchange = exchanges[i % exchanges.length];
        const start = performance.now ();
        const order = await exchange.createOrder (SYMBOL, 'limit', 'buy', amount, price);
        const elapsed = performance.now () - start;
        if (order.status !== 'open')
            throw new Error ('order ' + order.id + ' is ' + order.status + ', expected open');
        if (i >= args.warmup)
            console.log ('S ' + Math.round (elapsed * 1e6));
    }
    console.log ('CCXT orders ' + args.orders + ' ok');
}

main ().catch ((error) => {
    console.error ('bench_ccxt_order: ' + (error && error.stack ? error.stack : error));
    process.exit (1);
});
