// Node's mailparser (simpleParser) as a reader of mailwire-compose's output
// (tests/interop/compose_readers.py).
//
//   node mailparser_reader.js NODE_MODULES FILE...
//
// Prints one JSON line per FILE: {"subject", "from", "to", "cc", "text",
// "html", "attachments"}: the addresses as [{"name", "address"}] (groups
// flattened), the text and HTML bodies as mailparser gives them (strings,
// or null), and per attachment {"filename", "contentType",
// "contentDisposition", "cid", "related", "size", "sha256"} of the bytes it
// decoded. A file that cannot be parsed prints {"error": "..."}.
'use strict';

const path = require('path');
const fs = require('fs');
const crypto = require('crypto');

const modules = process.argv[2];
const { simpleParser } = require(path.join(modules, 'mailparser'));

function addresses(field) {
  const out = [];
  const walk = (list) => {
    for (const a of list || []) {
      if (a.group) walk(a.group);
      else out.push({ name: a.name, address: a.address });
    }
  };
  for (const f of Array.isArray(field) ? field : field ? [field] : []) walk(f.value);
  return out;
}

async function main() {
  for (const file of process.argv.slice(3)) {
    let line;
    try {
      const m = await simpleParser(fs.readFileSync(file), { skipImageLinks: true, skipTextLinks: true });
      line = {
        subject: m.subject === undefined ? null : m.subject,
        from: addresses(m.from),
        to: addresses(m.to),
        cc: addresses(m.cc),
        text: m.text === undefined ? null : m.text,
        html: m.html === false || m.html === undefined ? null : m.html,
        attachments: (m.attachments || []).map((a) => ({
          filename: a.filename === undefined ? null : a.filename,
          contentType: a.contentType,
          contentDisposition: a.contentDisposition,
          cid: a.cid === undefined ? null : a.cid,
          related: !!a.related,
          size: a.content.length,
          sha256: crypto.createHash('sha256').update(a.content).digest('hex'),
        })),
      };
    } catch (e) {
      line = { error: String(e) };
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  }
}

main();
