// nodemailer's smtp-server (npm) as a peer for mailwire-smtp-send, run by
// tests/interop/smtp_send_nodemailer.py.
//
//   node smtp_server_peer.js NODE_MODULES INBOX CERT KEY USER PASS
//
// Three listeners on 127.0.0.1, ports picked by the kernel, printed as one
// JSON line {"starttls": P, "plain": P, "lmtp": P} once all listen:
//   starttls  SMTP, STARTTLS with CERT/KEY, AUTH PLAIN LOGIN CRAM-MD5 for
//             USER/PASS (only after STARTTLS), mail accepted without AUTH too
//   plain     SMTP, no STARTTLS, no AUTH
//   lmtp      LMTP (one reply per recipient after DATA), no STARTTLS, no AUTH
// All three: SIZE 1000000 enforced (552 after the data), a recipient whose
// local part starts with "refused" gets 550 5.1.1, PIPELINING, 8BITMIME,
// SMTPUTF8. Each accepted message is saved as INBOX/NNNNNN.eml (the data
// stream smtp-server hands to onData: dot-unstuffed, nothing added) after
// INBOX/NNNNNN.json (envelope, BODY, SMTPUTF8, AUTH user, TLS, and the
// plaintext packets the connection received before the data, which show
// whether commands came pipelined). SIGTERM or SIGINT: close and exit 0.
'use strict';

const fs = require('fs');
const path = require('path');

const [modules, inbox, certFile, keyFile, user, pass] = process.argv.slice(2);
if (!pass) {
  console.error('usage: node smtp_server_peer.js NODE_MODULES INBOX CERT KEY USER PASS');
  process.exit(2);
}
const { SMTPServer } = require(path.join(modules, 'smtp-server'));
const SIZE = 1000000;
let saved = 0;

function refusal(message, code) {
  const err = new Error(message);
  err.responseCode = code;
  return err;
}

function onAuth(auth, session, callback) {
  const ok = auth.username === user &&
    (auth.method === 'CRAM-MD5' ? auth.validatePassword(pass) : auth.password === pass);
  if (!ok) return callback(refusal('Error: Invalid username or password', 535));
  callback(null, { user: auth.username });
}

function onRcptTo(address, session, callback) {
  if (/^refused/.test(address.address)) return callback(refusal('5.1.1 No such user here', 550));
  callback();
}

function makeServer(name, extra, packets) {
  const options = Object.assign({
    banner: 'smtp-server peer (' + name + ')',
    size: SIZE,
    rejectOversized: true,
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    onRcptTo,
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        // smtp-server answers 552 itself (rejectOversized): keep nothing.
        if (stream.sizeExceeded) return callback();
        saved += 1;
        const stem = path.join(inbox, String(saved).padStart(6, '0'));
        const env = session.envelope;
        const meta = {
          server: name,
          mail_from: env.mailFrom && env.mailFrom.address,
          mail_args: env.mailFrom && env.mailFrom.args,
          rcpt_to: env.rcptTo.map((r) => r.address),
          body_type: env.bodyType,
          smtputf8: env.smtpUtf8,
          user: session.user || null,
          tls: !!session.secure,
          transmission: session.transmissionType,
          packets: packets.get(session.id) || [],
        };
        // .json first: a test that waits for the .eml finds both
        fs.writeFileSync(stem + '.json', JSON.stringify(meta, null, 1));
        fs.writeFileSync(stem + '.eml.tmp', Buffer.concat(chunks));
        fs.renameSync(stem + '.eml.tmp', stem + '.eml');
        callback(null, 'Ok: saved as ' + String(saved).padStart(6, '0'));
      });
    },
  }, extra);
  const server = new SMTPServer(options);
  // Record the plaintext packets of each connection, up to STARTTLS (after
  // it the bytes are TLS records, and smtp-server moves to a TLS socket).
  const connect = server.connect.bind(server);
  server.connect = (socket, socketOptions) => {
    const seen = [];
    const record = (chunk) => {
      const text = chunk.toString('latin1');
      seen.push(text.length > 300 ? text.slice(0, 300) + '...' : text);
      if (/^STARTTLS\r?$/mi.test(text) || seen.length >= 100) socket.removeListener('data', record);
    };
    socket.on('data', record);
    const before = new Set(server.connections);
    connect(socket, socketOptions);
    for (const c of server.connections) if (!before.has(c)) packets.set(c.id, seen);
  };
  server.on('error', (e) => console.error(name + ': ' + (e && e.message)));
  return server;
}

const packets = new Map();
const servers = {
  starttls: makeServer('starttls', {
    key: fs.readFileSync(keyFile),
    cert: fs.readFileSync(certFile),
    authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    onAuth,
  }, packets),
  plain: makeServer('plain', { hideSTARTTLS: true, disabledCommands: ['AUTH', 'STARTTLS'] }, packets),
  lmtp: makeServer('lmtp', { lmtp: true, hideSTARTTLS: true, disabledCommands: ['AUTH', 'STARTTLS'] }, packets),
};

fs.mkdirSync(inbox, { recursive: true });
const ports = {};
let pending = Object.keys(servers).length;
for (const [name, server] of Object.entries(servers)) {
  server.listen(0, '127.0.0.1', () => {
    ports[name] = server.server.address().port;
    if (--pending === 0) console.log(JSON.stringify(ports));
  });
}

function stop() {
  let open = Object.keys(servers).length;
  for (const server of Object.values(servers)) server.close(() => { if (--open === 0) process.exit(0); });
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
