// imapflow as the client of benchmarks/imap_server_e2e.sh: logs in, opens
// INBOX read-only (EXAMINE) and fetches every message's source (UID FETCH
// 1:* BODY.PEEK[], as ImapFlow.fetch() with { source: true } asks), the
// way an application downloading a mailbox with imapflow would. Run from a
// directory whose node_modules has imapflow (node_peers.sh installs it):
//
//   node imapflow_fetch.mjs PORT USER PASS starttls|none [CA_FILE]
//
// starttls: STARTTLS required, the certificate checked against CA_FILE for
// the name "localhost". Prints "result MESSAGES BYTES" (BYTES: the sources'
// sizes, as served).
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';

const [port, user, pass, tls, ca] = process.argv.slice(2);
const client = new ImapFlow({
  host: '127.0.0.1',
  port: Number(port),
  secure: false,
  doSTARTTLS: tls === 'starttls',
  servername: 'localhost',
  tls: tls === 'starttls' ? { ca: [readFileSync(ca)] } : {},
  auth: { user, pass },
  logger: false,
});
await client.connect();
const lock = await client.getMailboxLock('INBOX', { readOnly: true });
let messages = 0;
let bytes = 0;
try {
  for await (const m of client.fetch('1:*', { uid: true, source: true })) {
    messages += 1;
    bytes += m.source.length;
  }
} finally {
  lock.release();
}
await client.logout();
console.log(`result ${messages} ${bytes}`);
