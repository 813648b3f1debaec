#!/usr/bin/env bash
# mailwire-smtp-send (the SMTP client machine) against real servers: Postfix
# with Dovecot's SASL (tests/interop/peers) and aiosmtpd.
#   smtp_send_interop.sh PATH/TO/mailwire-smtp-send
# Postfix offers PIPELINING and CHUNKING (so messages go as BDAT chunks);
# aiosmtpd offers neither (DATA, dot-stuffed). One PASS/FAIL line a case,
# then "N passed, M failed".
set -uo pipefail
send=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/mailwire-send.XXXXXX)
chmod 755 "$dir"  # the mail daemons run as other users and must enter it
trap 'bash "$here/peers/stop.sh" "$dir/peers" >/dev/null 2>&1; rm -rf "$dir"' EXIT
if ! bash "$here/peers/start.sh" "$dir/peers" >"$dir/start.log" 2>&1; then
  cat "$dir/start.log"
  echo "FAIL peers did not start"
  echo "0 passed, 1 failed"
  exit 1
fi
set -a
. "$dir/peers/peers.env"
set +a

passed=0
failed=0
result() {  # name, condition-status (the client output shown on failure)
  if [ "$2" -eq 0 ]; then echo "PASS $1"; passed=$((passed + 1)); else echo "FAIL $1"; sed "s/^/    /" "$dir/out.log"; failed=$((failed + 1)); fi
}
count() { ls "$MAILDIR/new" 2>/dev/null | wc -l; }
# Postfix stores messages with LF line ends and adds headers (Received,
# Date, Message-Id): the body we sent, with CRLF as LF, must end the newest
# file exactly.
delivered_intact() {
  local newest
  newest=$(ls -t "$MAILDIR/new" | head -1)
  sed -e '1,/^\r$/d' -e 's/\r$//' "$1" >"$dir/expected"
  tail -c "$(stat -c %s "$dir/expected")" "$MAILDIR/new/$newest" | cmp -s - "$dir/expected"
}
run() { timeout 30 "$send" "$@" >"$dir/out.log" 2>&1; }

# A message that exercises stuffing, long lines and a bare LF the client repairs.
msg="$dir/msg.eml"
{
  printf 'From: %s\r\nTo: %s\r\nSubject: mailwire interop\r\n\r\n' "$TEST_ADDR" "$TEST_ADDR"
  printf '.leading dot\r\n..two dots\r\n.\r\n'
  for i in $(seq 1 2000); do printf 'line %d of a body long enough to need several chunks and reads\r\n' "$i"; done
} >"$msg"

for mech in PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256; do
  before=$(count)
  run --server "127.0.0.1:$SUBMISSION_PORT" --starttls --ca "$CA_FILE" --auth "$TEST_USER:$TEST_PASS" \
    --mech "$mech" --from "$TEST_ADDR" --to "$TEST_ADDR" "$msg"
  rc=$?
  sleep 0.3
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(count)" -gt "$before" ] && break; sleep 0.3; done
  grep -q "AUTH $mech: 235" "$dir/out.log" && [ $rc -eq 0 ] && [ "$(count)" -eq $((before + 1)) ] && delivered_intact "$msg"
  result "postfix submission STARTTLS AUTH $mech, delivered intact" $?
done

run --server "127.0.0.1:$SUBMISSION_PORT" --starttls --ca "$CA_FILE" --auth "$TEST_USER:wrong" \
  --mech SCRAM-SHA-256 --from "$TEST_ADDR" --to "$TEST_ADDR" "$msg"
[ $? -eq 1 ] && grep -q "535" "$dir/out.log"
result "postfix refuses a wrong password (535), exit 1" $?

before=$(count)
run --server "localhost:$SMTPS_PORT" --implicit-tls --ca "$CA_FILE" --auth "$TEST_USER:$TEST_PASS" \
  --from "$TEST_ADDR" --to "$TEST_ADDR" "$msg" "$msg"
rc=$?
for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(count)" -ge $((before + 2)) ] && break; sleep 0.3; done
[ $rc -eq 0 ] && grep -q "AUTH SCRAM-SHA-256: 235" "$dir/out.log" && [ "$(count)" -eq $((before + 2)) ]
result "postfix smtps (implicit TLS), strongest mechanism chosen, two messages in one session" $?

run --server "127.0.0.1:$SUBMISSION_PORT" --from "$TEST_ADDR" --to "$TEST_ADDR" --auth "$TEST_USER:$TEST_PASS" "$msg"
[ $? -eq 1 ]
result "no PLAIN/LOGIN without TLS: nothing usable offered in clear, exit 1" $?

run --server "127.0.0.1:$SMTP_PORT" --ca "$CA_FILE" --from "$TEST_ADDR" --to "$TEST_ADDR" --to "nobody@$TEST_DOMAIN" "$msg"
[ $? -eq 1 ] && grep -q "RCPT nobody@$TEST_DOMAIN: 550" "$dir/out.log" && grep -q "RCPT $TEST_ADDR: 250" "$dir/out.log"
result "postfix port 25, opportunistic TLS: per-recipient results, exit 1 when one is refused" $?

rm -f "$AIOSMTPD_INBOX"/*
run --server "127.0.0.1:$AIOSMTPD_PORT" --ca "$CA_FILE" --from a@example.com --to b@example.org "$msg" "$msg"
[ $? -eq 0 ] && cmp -s "$AIOSMTPD_INBOX/000001.eml" "$msg" && cmp -s "$AIOSMTPD_INBOX/000002.eml" "$msg"
result "aiosmtpd (DATA, dot-stuffed): two messages byte for byte" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
