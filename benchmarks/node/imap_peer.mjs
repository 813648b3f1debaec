// imapflow's response parser as a peer of mailwire-bench-imap. Run from a
// directory whose node_modules has imapflow (benchmarks/imap_peers.sh copies
// it next to an `npm ci` of this folder):
//
//   node imap_peer.mjs parse|fetch STREAM_FILE REPS [FEED_BYTES]
//
// Reads the response stream into memory, then, REPS times, runs it through
// the pipeline ImapFlow runs on what its socket reads (imap-flow.js): the
// bytes written FEED_BYTES (16 KiB) at a time into an ImapStream
// (lib/handler/imap-stream.js: lines and literals framed into one item per
// response), each item given to the parser (lib/handler/imap-handler.js's
// `parser`, that is imap-parser.js) with its literals, and released with
// item.next() as ImapFlow's reader does. `fetch` also turns each untagged
// FETCH into the message object ImapFlow.fetch() yields
// (lib/tools.js formatMessageResponse: uid, flags, envelope, bodyStructure,
// size, internalDate...), as its FETCH handler does. Prints the best pass as
//   result SECONDS FETCHES BYTES ITEMS COMPLETED
// (FETCHES: untagged FETCH responses; ITEMS: their data items; COMPLETED:
// 1 when the tagged A1 OK was parsed). Each message object is dropped once
// made, as a consumer of fetch()'s async iterator would.
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { ImapStream } from 'imapflow/lib/handler/imap-stream.js';
import { parser } from 'imapflow/lib/handler/imap-handler.js';
import { formatMessageResponse } from 'imapflow/lib/tools.js';

const [mode, file, repsArg, feedArg] = process.argv.slice(2);
if (mode !== 'parse' && mode !== 'fetch') throw new Error(`unknown mode ${mode}`);
const reps = Number(repsArg || 1);
const feed = Number(feedArg || 16384);

// ImapStream logs only with logRaw; a silent logger keeps pino out of it.
const noop = () => {};
const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => logger };

async function pass(bytes) {
  const w = { fetches: 0, items: 0, completed: 0, fields: 0 };
  const stream = new ImapStream({ logger });
  const mailbox = { path: 'INBOX', uidValidity: 1n };
  const consumer = (async () => {
    for await (const item of stream) {
      const parsed = await parser(item.payload, { literals: item.literals });
      // ImapFlow's test for an untagged FETCH: a number, then the FETCH atom.
      const attrs = parsed.attributes;
      if (parsed.tag === '*' && /^\d+$/.test(parsed.command || '') && attrs && attrs[0] && attrs[0].value === 'FETCH') {
        w.fetches += 1;
        w.items += (attrs[1] || []).length / 2;
        if (mode === 'fetch') w.fields += Object.keys(await formatMessageResponse(parsed, mailbox, 'md5', null)).length;
      } else if (parsed.tag === 'A1' && parsed.command === 'OK') {
        w.completed = 1;
      }
      item.next();
    }
  })();
  for (let at = 0; at < bytes.length; at += feed) {
    if (!stream.write(bytes.subarray(at, at + feed))) await once(stream, 'drain');
  }
  stream.end();
  await consumer;
  return w;
}

const bytes = readFileSync(file);
let best = Infinity;
let work;
for (let i = 0; i < reps; ++i) {
  const t0 = process.hrtime.bigint();
  work = await pass(bytes);
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
console.log(`result ${best.toFixed(6)} ${work.fetches} ${bytes.length} ${work.items} ${work.completed}`);
