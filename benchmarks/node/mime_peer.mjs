// Node's mailparser (simpleParser) and postal-mime as peers of
// mailwire-bench-mime. Run from a directory whose node_modules has them
// (benchmarks/mime_peers.sh copies it next to an `npm ci` of this folder):
//
//   node mime_peer.mjs mailparser|postal-mime CORPUS_DIR REPS
//
// Reads every *.eml into memory, then, REPS times, parses each message
// into the library's message object: every part decoded (text and HTML as
// strings, attachments, nested messages included, as bytes), Subject and
// From decoded. mailparser is asked not to derive extra forms (HTML to text,
// text to HTML, links), which are not parsing. Prints the best pass as
//   result SECONDS MESSAGES BYTES LEAVES DECODED HEADER_TEXT
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [which, dir, repsArg] = process.argv.slice(2);
const reps = Number(repsArg || 1);

const size = (s) => (typeof s === 'string' ? Buffer.byteLength(s) : 0);

// Counts a parsed message: its text and HTML (strings), attachments
// (bytes), Subject and the From names.
function count(m, w, attachmentSize, fromNames) {
  for (const text of [m.text, m.html]) {
    if (typeof text === 'string') {
      w.leaves += 1;
      w.decoded += size(text);
    }
  }
  for (const a of m.attachments) {
    w.leaves += 1;
    w.decoded += attachmentSize(a);
  }
  w.text += size(m.subject);
  for (const name of fromNames) w.text += size(name);
}

async function parser() {
  if (which === 'mailparser') {
    const { simpleParser } = await import('mailparser');
    const options = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true };
    return async (buf, w) => {
      const m = await simpleParser(buf, options);
      count(m, w, (a) => a.content.length, ((m.from && m.from.value) || []).map((a) => a.name));
    };
  }
  if (which === 'postal-mime') {
    const { default: PostalMime } = await import('postal-mime');
    return async (buf, w) => {
      const m = await PostalMime.parse(buf);
      count(m, w, (a) => a.content.byteLength, [m.from && m.from.name]);
    };
  }
  throw new Error(`unknown parser ${which}`);
}

const parse = await parser();
const messages = readdirSync(dir)
  .filter((n) => n.endsWith('.eml'))
  .sort()
  .map((n) => readFileSync(join(dir, n)));
let best = Infinity;
let work;
for (let i = 0; i < reps; ++i) {
  const w = { leaves: 0, decoded: 0, text: 0 };
  const t0 = process.hrtime.bigint();
  for (const m of messages) await parse(m, w);
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  work = w;
}
const bytes = messages.reduce((n, m) => n + m.length, 0);
console.log(`result ${best.toFixed(6)} ${messages.length} ${bytes} ${work.leaves} ${work.decoded} ${work.text}`);
