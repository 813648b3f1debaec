#!/usr/bin/env bash
# The Asio layer's examples against real software, once per Asio flavour:
#   asio_interop.sh send   SEND-PROGRAM...    against Postfix (tests/interop/peers)
#   asio_interop.sh server SERVER-PROGRAM...  against swaks
# One PASS/FAIL line a case, then "N passed, M failed".
set -uo pipefail
mode=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/mailwire-asio.XXXXXX)
chmod 755 "$dir"  # the mail daemons run as other users and must enter it
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ "$mode" = send ] && bash "$here/peers/stop.sh" "$dir/peers" >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
passed=0
failed=0
result() {  # name, status (the program's output shown on failure)
  if [ "$2" -eq 0 ]; then echo "PASS $1"; passed=$((passed + 1)); else echo "FAIL $1"; tail -n 25 "$dir/out.log" | sed "s/^/    /"; failed=$((failed + 1)); fi
}

if [ "$mode" = send ]; then
  if ! bash "$here/peers/start.sh" "$dir/peers" --no-aiosmtpd >"$dir/start.log" 2>&1; then
    cat "$dir/start.log"; echo "FAIL peers did not start"; echo "0 passed, 1 failed"; exit 1
  fi
  set -a; . "$dir/peers/peers.env"; set +a
  msg="$dir/msg.eml"
  { printf 'From: %s\r\nTo: %s\r\nSubject: mailwire asio\r\n\r\n.leading dot\r\n' "$TEST_ADDR" "$TEST_ADDR"
    for i in $(seq 1 3000); do printf 'line %d, enough lines for several reads and chunks\r\n' "$i"; done; } >"$msg"
  count() { ls "$MAILDIR/new" 2>/dev/null | wc -l; }
  # A CA that did not sign Postfix's certificate.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -keyout "$dir/other-key.pem" -out "$dir/other-ca.pem" >/dev/null 2>&1
  for send in "$@"; do
    name=$(basename "$send")
    before=$(count)
    timeout 30 "$send" localhost "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" "$TEST_PASS" "$TEST_ADDR" "$TEST_ADDR" \
      <"$msg" >"$dir/out.log" 2>&1
    rc=$?
    for _ in $(seq 1 20); do [ "$(count)" -gt "$before" ] && break; sleep 0.3; done
    # Postfix stores LF line ends and adds headers: the body must end the file.
    newest=$(ls -t "$MAILDIR/new" | head -1)
    sed -e '1,/^\r$/d' -e 's/\r$//' "$msg" >"$dir/body"
    [ $rc -eq 0 ] && [ "$(count)" -eq $((before + 1)) ] && grep -q "^message: 250" "$dir/out.log" &&
      tail -c "$(stat -c %s "$dir/body")" "$MAILDIR/new/$newest" | cmp -s - "$dir/body"
    result "$name: Postfix submission, STARTTLS, AUTH, delivered intact" $?
    timeout 30 "$send" localhost "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" wrong "$TEST_ADDR" "$TEST_ADDR" \
      <"$msg" >"$dir/out.log" 2>&1
    [ $? -eq 1 ] && grep -qi "error" "$dir/out.log"
    result "$name: a wrong password fails, exit 1" $?
    timeout 30 "$send" localhost "$SUBMISSION_PORT" "$dir/other-ca.pem" "$TEST_USER" "$TEST_PASS" "$TEST_ADDR" "$TEST_ADDR" \
      <"$msg" >"$dir/out.log" 2>&1
    [ $? -eq 1 ] && [ "$(count)" -eq $((before + 1)) ]
    result "$name: an untrusted certificate fails before anything is sent, exit 1" $?
  done
else
  command -v swaks >/dev/null || { echo "SKIPPED: swaks not installed"; exit 0; }
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -keyout "$dir/tls.pem" -out "$dir/cert.pem" >/dev/null 2>&1 && cat "$dir/cert.pem" >>"$dir/tls.pem"
  body=$(for i in $(seq 1 2000); do printf 'line %d of the body\n' "$i"; done)
  for server in "$@"; do
    name=$(basename "$server")
    : >"$dir/server.log"
    "$server" 0 example.org "$dir/tls.pem" >"$dir/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 50); do grep -q listening "$dir/server.log" && break; sleep 0.1; done
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$dir/server.log")
    sw() { timeout 30 swaks --server 127.0.0.1 --port "$port" --from a@example.net "$@" >"$dir/out.log" 2>&1; }
    sw --to bob@example.org --body "$body"
    [ $? -eq 0 ] && grep -q "accepted .* for bob$" "$dir/server.log"
    result "$name: swaks, one message" $?
    sw --to eve@elsewhere.test
    [ $? -ne 0 ] && grep -q "<\*\* 550 5.7.1" "$dir/out.log"
    result "$name: swaks, relaying refused (550 5.7.1)" $?
    sw --to carol@example.org --tls --body "$body"
    [ $? -eq 0 ] && grep -q "accepted .* for carol over TLS" "$dir/server.log"
    result "$name: swaks --tls (STARTTLS)" $?
    sw --to dave@example.org,erin@example.org --pipeline --body "$body"
    [ $? -eq 0 ] && grep -q "accepted .* for dave,erin$" "$dir/server.log"
    result "$name: swaks --pipeline, two recipients" $?
    kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
  done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
