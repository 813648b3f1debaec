#!/usr/bin/env bash
# smoke.sh [--keep]
#
# Self-test of the interop peers with real clients: start.sh in a new temp
# DIR, then swaks, gsasl, curl and Python's smtplib against Postfix, Dovecot
# and the aiosmtpd sink, then stop.sh, and a check that nothing is left
# running. Prints 'PASS name' or 'FAIL name: why' per check and a final
# 'N passed, M failed' line; exits 1 if any check failed. The temp DIR is
# removed unless a check failed or --keep is given. Needs root and
# install.sh's packages. Every client runs under a timeout.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
keep=0
[ "${1:-}" = --keep ] && keep=1

passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
short() { tr -d '\r' | tail -n "${2:-3}" | tr '\n' ' ' | cut -c1-"${1:-200}"; }

[ "$(id -u)" = 0 ] || { fail setup "must run as root"; finish; }
if ! out=$("$here/install.sh" --check 2>&1); then
  fail packages "$out (run $here/install.sh)"
  finish
fi

DIR=$(mktemp -d /tmp/mailwire-peers-smoke.XXXXXX)
started=0
cleanup() { [ $started = 1 ] && "$here/stop.sh" "$DIR" >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- start ----
t0=$(date +%s%N)
if out=$(timeout 60 "$here/start.sh" "$DIR" 2>&1); then
  started=1
  pass "start.sh ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
  started=1
  fail start.sh "$(echo "$out" | short 400 8)"
  finish
fi
# shellcheck disable=SC1091
. "$DIR/peers.env"
missing=
for v in SMTP_PORT SMTP_AUTH_CLEAR_PORT SUBMISSION_PORT SMTPS_PORT IMAP_PORT IMAPS_PORT POP3_PORT POP3S_PORT \
         AIOSMTPD_PORT CA_FILE TEST_USER TEST_PASS TEST_ADDR MAILDIR DOVECOT_PID_FILE POSTFIX_PID_FILE AIOSMTPD_PID_FILE; do
  [ -n "${!v:-}" ] || missing="$missing $v"
done
if [ -z "$missing" ]; then pass "peers.env complete"; else fail "peers.env complete" "empty:$missing"; fi
masters=$(cat "$DOVECOT_PID_FILE" "$POSTFIX_PID_FILE" "$AIOSMTPD_PID_FILE" 2>/dev/null | tr '\n' ' ')
ports="$SMTP_PORT $SMTP_AUTH_CLEAR_PORT $SUBMISSION_PORT $SMTPS_PORT $IMAP_PORT $IMAPS_PORT $POP3_PORT $POP3S_PORT $AIOSMTPD_PORT"
# the greeting on every port; the implicit-TLS ones with the certificate
# checked against CA_FILE for the name localhost
out=$(timeout 30 /usr/bin/python3 - "$CA_FILE" $SMTP_PORT $SMTP_AUTH_CLEAR_PORT $SUBMISSION_PORT $IMAP_PORT \
        $POP3_PORT $AIOSMTPD_PORT tls:$SMTPS_PORT tls:$IMAPS_PORT tls:$POP3S_PORT <<'PY' 2>&1
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
bad = []
for arg in sys.argv[2:]:
    tls, port = arg.startswith("tls:"), int(arg.rsplit(":", 1)[-1])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            s = ctx.wrap_socket(raw, server_hostname="localhost") if tls else raw
            line = s.makefile("rb").readline().decode(errors="replace").strip()
    except Exception as e:
        line = repr(e)
    if not line.startswith(("220 ", "* OK", "+OK")):
        bad.append("%s: %s" % (arg, line))
print("; ".join(bad) or "ok")
PY
)
if [ "$out" = ok ]; then pass "greetings on all 9 ports (implicit TLS ones verified against CA_FILE)"
else fail "greetings" "$(short 300 <<<"$out")"; fi

SW=(timeout 30 swaks --timeout 15 --server 127.0.0.1)
tag=smoke-$$-$(date +%s)

# ---- SMTP: Postfix with SASL through Dovecot ----
out=$("${SW[@]}" --port "$SUBMISSION_PORT" --tls --tls-ca-path "$CA_FILE" --auth PLAIN --auth-user "$TEST_USER" \
        --auth-password "$TEST_PASS" --from "$TEST_ADDR" --to "$TEST_ADDR" --header "Subject: $tag" 2>&1)
if grep -q '235 2.7.0' <<<"$out" && grep -q '250 2.0.0 Ok: queued' <<<"$out"; then
  pass "swaks submission STARTTLS AUTH PLAIN, queued"
else
  fail "swaks submission STARTTLS AUTH PLAIN" "$(short <<<"$out")"
fi
delivered=
for _ in $(seq 1 100); do
  delivered=$(grep -l "^Subject: $tag" "$MAILDIR"/new/* "$MAILDIR"/cur/* 2>/dev/null | head -n1)
  [ -n "$delivered" ] && break
  sleep 0.1
done
if [ -n "$delivered" ]; then pass "delivered into MAILDIR ($(basename "$(dirname "$delivered")")/)"
else fail "delivered into MAILDIR" "no message with Subject: $tag after 10 s; see $POSTFIX_LOG"; fi

out=$("${SW[@]}" --port "$SUBMISSION_PORT" --tls --auth CRAM-MD5 --auth-user "$TEST_USER" --auth-password "$TEST_PASS" \
        --from "$TEST_ADDR" --to "$TEST_ADDR" --quit-after AUTH 2>&1)
if grep -q '235 2.7.0' <<<"$out"; then pass "swaks submission STARTTLS AUTH CRAM-MD5"
else fail "swaks submission STARTTLS AUTH CRAM-MD5" "$(short <<<"$out")"; fi

out=$("${SW[@]}" --port "$SMTP_AUTH_CLEAR_PORT" --auth CRAM-MD5 --auth-user "$TEST_USER" --auth-password "$TEST_PASS" \
        --from "$TEST_ADDR" --to "$TEST_ADDR" --quit-after AUTH 2>&1)
if grep -q '235 2.7.0' <<<"$out"; then pass "swaks cleartext AUTH CRAM-MD5 on SMTP_AUTH_CLEAR_PORT"
else fail "swaks cleartext AUTH CRAM-MD5 on SMTP_AUTH_CLEAR_PORT" "$(short <<<"$out")"; fi

out=$("${SW[@]}" --port "$SMTPS_PORT" --tls-on-connect --auth LOGIN --auth-user "$TEST_USER" --auth-password "$TEST_PASS" \
        --from "$TEST_ADDR" --to "$TEST_ADDR" 2>&1)
if grep -q '235 2.7.0' <<<"$out" && grep -q '250 2.0.0 Ok: queued' <<<"$out"; then pass "swaks smtps AUTH LOGIN, queued"
else fail "swaks smtps AUTH LOGIN" "$(short <<<"$out")"; fi

out=$("${SW[@]}" --port "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user "$TEST_USER" --auth-password wrong \
        --from "$TEST_ADDR" --to "$TEST_ADDR" 2>&1)
if grep -q '535 5.7.8' <<<"$out"; then pass "wrong password refused (535 5.7.8)"
else fail "wrong password refused" "$(short <<<"$out")"; fi

out=$("${SW[@]}" --port "$SMTP_PORT" --quit-after EHLO 2>&1)
if grep -q 'STARTTLS' <<<"$out" && ! grep -q 'AUTH' <<<"$out"; then pass "SMTP_PORT offers STARTTLS, no AUTH before TLS"
else fail "SMTP_PORT EHLO" "$(grep '250' <<<"$out" | short 200 20)"; fi

# APOP is in Dovecot's auth_mechanisms for POP3; Postfix must not offer it
out=$("${SW[@]}" --port "$SUBMISSION_PORT" --tls --quit-after EHLO 2>&1)
auth=$(tr -d '\r' <<<"$out" | sed -n 's/^<~ *250[- ]AUTH //p' | head -n1)
if [ "$auth" = "$SASL_MECHS" ]; then pass "submission EHLO AUTH is exactly SASL_MECHS (no APOP)"
else fail "submission EHLO AUTH" "got '$auth', expected '$SASL_MECHS'"; fi

out=$("${SW[@]}" --port "$SUBMISSION_PORT" --from "$TEST_ADDR" --to "$TEST_ADDR" --quit-after MAIL 2>&1)
if grep -q '530 5.7.0' <<<"$out"; then pass "submission without STARTTLS refused (530 5.7.0)"
else fail "submission without STARTTLS refused" "$(short <<<"$out")"; fi

out=$("${SW[@]}" --port "$SMTP_PORT" --from alice@example.org --to bob@elsewhere.example --quit-after RCPT 2>&1)
if grep -q '554 5.7.1.*Relay access denied' <<<"$out"; then pass "relay refused, unauthenticated (554 5.7.1)"
else fail "relay refused, unauthenticated" "$(short <<<"$out")"; fi
out=$("${SW[@]}" --port "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user "$TEST_USER" --auth-password "$TEST_PASS" \
        --from "$TEST_ADDR" --to bob@elsewhere.example --quit-after RCPT 2>&1)
if grep -q '235 2.7.0' <<<"$out" && grep -q '554 5.7.1.*Relay access denied' <<<"$out"; then
  pass "relay refused, authenticated (554 5.7.1)"
else fail "relay refused, authenticated" "$(short <<<"$out")"; fi

# gsasl 2.2: a SCRAM client over TLS fails ("mechanism error: Error
# authenticating user") unless told --no-cb; neither Postfix nor Dovecot 2.3
# offers SCRAM-*-PLUS, so no channel binding is used anyway.
gs() { timeout 20 gsasl --hostname localhost -a "$TEST_USER" -d "$@" < /dev/null 2>&1; }
for m in SCRAM-SHA-1 SCRAM-SHA-256; do
  out=$(gs --connect "127.0.0.1:$SUBMISSION_PORT" --smtp --starttls --x509-ca-file "$CA_FILE" --no-cb -m "$m" -p "$TEST_PASS"); rc=$?
  if [ $rc = 0 ] && grep -q '^235 ' <<<"$out" && grep -q "^AUTH $m" <<<"$out"; then pass "gsasl submission STARTTLS AUTH $m"
  else fail "gsasl submission STARTTLS AUTH $m" "rc=$rc $(short <<<"$out")"; fi
done
out=$(gs --connect "127.0.0.1:$SMTP_AUTH_CLEAR_PORT" --smtp --no-starttls -m SCRAM-SHA-256 -p "$TEST_PASS"); rc=$?
if [ $rc = 0 ] && grep -q '^235 ' <<<"$out"; then pass "gsasl cleartext AUTH SCRAM-SHA-256 on SMTP_AUTH_CLEAR_PORT"
else fail "gsasl cleartext AUTH SCRAM-SHA-256" "rc=$rc $(short <<<"$out")"; fi
out=$(gs --connect "127.0.0.1:$SUBMISSION_PORT" --smtp --starttls --x509-ca-file "$CA_FILE" --no-cb -m SCRAM-SHA-256 -p wrong); rc=$?
if [ $rc != 0 ] && grep -q '^535 ' <<<"$out"; then pass "gsasl SCRAM-SHA-256 wrong password refused (535)"
else fail "gsasl SCRAM-SHA-256 wrong password refused" "rc=$rc $(short <<<"$out")"; fi
for m in SCRAM-SHA-1 SCRAM-SHA-256 CRAM-MD5; do
  out=$(gs --connect "127.0.0.1:$IMAP_PORT" --imap --starttls --x509-ca-file "$CA_FILE" --no-cb -m "$m" -p "$TEST_PASS"); rc=$?
  if [ $rc = 0 ] && grep -q '^\. OK .*Logged in' <<<"$out"; then pass "gsasl IMAP STARTTLS AUTHENTICATE $m (Dovecot)"
  else fail "gsasl IMAP AUTHENTICATE $m" "rc=$rc $(short <<<"$out")"; fi
done

out=$(timeout 20 /usr/bin/python3 - "$SUBMISSION_PORT" "$CA_FILE" "$TEST_USER" "$TEST_PASS" <<'PY' 2>&1
import smtplib, ssl, sys
port, ca, user, password = sys.argv[1:]
with smtplib.SMTP("127.0.0.1", int(port), timeout=15) as s:
    # the certificate names IP 127.0.0.1 too, so the host name check passes
    s.starttls(context=ssl.create_default_context(cafile=ca))
    s.ehlo()
    assert "CRAM-MD5" in s.esmtp_features["auth"].split(), s.esmtp_features["auth"]
    s.user, s.password = user, password
    code, resp = s.auth("CRAM-MD5", s.auth_cram_md5)
    print(code, resp.decode())
PY
); rc=$?
if [ $rc = 0 ] && grep -q '^235 ' <<<"$out"; then pass "python3 smtplib STARTTLS AUTH CRAM-MD5"
else fail "python3 smtplib STARTTLS AUTH CRAM-MD5" "rc=$rc $(short <<<"$out")"; fi

# ---- IMAP / POP3: Dovecot serves what Postfix delivered ----
C=(timeout 30 curl -sS --max-time 15 --cacert "$CA_FILE" -u "$TEST_USER:$TEST_PASS")
out=$("${C[@]}" --ssl-reqd "imap://localhost:$IMAP_PORT/INBOX" -X "UID SEARCH SUBJECT $tag" 2>&1); rc=$?
uid=$(tr -d '\r' <<<"$out" | sed -n 's/^\* SEARCH \([0-9][0-9]*\).*/\1/p' | head -n1)
if [ $rc = 0 ] && [ -n "$uid" ]; then
  out=$("${C[@]}" --ssl-reqd "imap://localhost:$IMAP_PORT/INBOX;UID=$uid" 2>&1); rc=$?
  if [ $rc = 0 ] && grep -q "^Subject: $tag" <<<"$out" && grep -q "by mail.$TEST_DOMAIN (Postfix) with ESMTPSA" <<<"$out"; then
    pass "curl IMAP STARTTLS fetch of the delivered message (UID $uid)"
  else fail "curl IMAP fetch" "rc=$rc $(short <<<"$out")"; fi
else
  fail "curl IMAP UID SEARCH" "rc=$rc $(short <<<"$out")"
fi
out=$("${C[@]}" "imaps://localhost:$IMAPS_PORT/INBOX" -X "EXAMINE INBOX" 2>&1); rc=$?
if [ $rc = 0 ] && grep -q 'EXISTS' <<<"$out"; then pass "curl IMAPS EXAMINE"
else fail "curl IMAPS EXAMINE" "rc=$rc $(short <<<"$out")"; fi
out=$("${C[@]}" "pop3s://localhost:$POP3S_PORT/" 2>&1); rc=$?
if [ $rc = 0 ] && grep -Eq '^1 [0-9]+' <<<"$out"; then pass "curl POP3S LIST"
else fail "curl POP3S LIST" "rc=$rc $(short <<<"$out")"; fi
out=$("${C[@]}" --ssl-reqd "pop3://localhost:$POP3_PORT/1" 2>&1); rc=$?
if [ $rc = 0 ] && grep -q '^Subject: ' <<<"$out"; then pass "curl POP3 STLS RETR 1"
else fail "curl POP3 STLS RETR 1" "rc=$rc $(short <<<"$out")"; fi

# ---- POP3 clients against Dovecot (each keeps the mail: nothing is deleted) ----
# Python poplib: APOP (the greeting carries a <timestamp>; no password on the wire)
out=$(timeout 20 /usr/bin/python3 - "$POP3_PORT" "$TEST_USER" "$TEST_PASS" "$tag" <<'PY' 2>&1
import poplib, re, sys
port, user, password, tag = sys.argv[1:]
p = poplib.POP3("127.0.0.1", int(port), timeout=15)
assert re.search(rb"<[^<>@]+@[^<>]+>", p.getwelcome()), p.getwelcome()
print(p.apop(user, password).decode())
n = p.stat()[0]
assert any(("Subject: " + tag).encode() in p.top(i, 0)[1] for i in range(1, n + 1)), "no message with the tag"
p.quit()
PY
); rc=$?
if [ $rc = 0 ] && grep -q '^+OK' <<<"$out"; then pass "python3 poplib POP3 APOP, TOP"
else fail "python3 poplib POP3 APOP" "rc=$rc $(short <<<"$out")"; fi
pop3dir=$DIR/pop3-clients
mkdir -p "$pop3dir"/{fetchmail,mpop,getmail}/{cur,new,tmp}
chmod 700 "$pop3dir"
has_tag() { [ -n "$(grep -l "^Subject: $tag" "$1"/new/* 2>/dev/null)" ]; }
# fetchmail: STLS with the certificate checked, keep, each message through an
# MDA that writes one file (fetchmail has no Maildir delivery of its own)
printf '#!/bin/sh\nf=$(mktemp "%s/fetchmail/new/m.XXXXXX") && cat > "$f"\n' "$pop3dir" > "$pop3dir/store"
chmod 755 "$pop3dir/store"
cat > "$pop3dir/fetchmailrc" <<EOF
set no syslog
set invisible
poll 127.0.0.1 service $POP3_PORT protocol pop3 auth password timeout 15:
  user "$TEST_USER" there with password "$TEST_PASS" is "$(id -un)" here
  sslproto 'tls1.2+' sslcertck sslcertfile "$CA_FILE" sslcommonname localhost
  keep fetchall no rewrite no stripcr
  mda "$pop3dir/store"
EOF
chmod 600 "$pop3dir/fetchmailrc"
out=$(FETCHMAILHOME=$pop3dir timeout 30 fetchmail -f "$pop3dir/fetchmailrc" -i "$pop3dir/fetchids" 2>&1); rc=$?
if [ $rc = 0 ] && has_tag "$pop3dir/fetchmail"; then pass "fetchmail POP3 STLS (certificate checked), keep"
else fail "fetchmail POP3 STLS" "rc=$rc $(short <<<"$out")"; fi
# mpop: STLS, SCRAM-SHA-256, keep, Maildir delivery
cat > "$pop3dir/mpoprc" <<EOF
account smoke
host 127.0.0.1
port $POP3_PORT
user $TEST_USER
password $TEST_PASS
auth scram-sha-256
tls on
tls_trust_file $CA_FILE
tls_host_override localhost
timeout 15
keep on
uidls_file $pop3dir/mpop-uidls
delivery maildir $pop3dir/mpop
EOF
chmod 600 "$pop3dir/mpoprc"
out=$(timeout 30 mpop -C "$pop3dir/mpoprc" smoke 2>&1); rc=$?
if [ $rc = 0 ] && has_tag "$pop3dir/mpop"; then pass "mpop POP3 STLS AUTH SCRAM-SHA-256, keep, Maildir"
else fail "mpop POP3 STLS SCRAM-SHA-256" "rc=$rc $(short <<<"$out")"; fi
# getmail6 (no STLS for POP3): POP3S with the certificate checked, keep,
# Maildir delivery; as root it delivers only as another user (nobody)
getmail_user=
if [ "$(id -u)" = 0 ]; then
  chown -R "$MAIL_UID:$MAIL_GID" "$pop3dir/getmail"
  chmod 711 "$pop3dir"
  getmail_user="user = nobody"
fi
cat > "$pop3dir/getmailrc" <<EOF
[retriever]
type = SimplePOP3SSLRetriever
server = 127.0.0.1
port = $POP3S_PORT
username = $TEST_USER
password = $TEST_PASS
ca_certs = $CA_FILE
ssl_cert_hostname = localhost
timeout = 15
[destination]
type = Maildir
path = $pop3dir/getmail/
$getmail_user
[options]
read_all = true
delete = false
EOF
out=$(timeout 30 getmail --getmaildir "$pop3dir" --rcfile getmailrc 2>&1); rc=$?
if [ $rc = 0 ] && has_tag "$pop3dir/getmail"; then pass "getmail6 POP3S (certificate checked), keep, Maildir"
else fail "getmail6 POP3S" "rc=$rc $(short <<<"$out")"; fi

# ---- aiosmtpd sink ----
out=$("${SW[@]}" --port "$AIOSMTPD_PORT" --tls --auth PLAIN --auth-user "$TEST_USER" --auth-password "$TEST_PASS" \
        --from "$TEST_ADDR" --to someone@example.org --header "Subject: $tag-sink" 2>&1)
saved=$(grep -l "^Subject: $tag-sink" "$AIOSMTPD_INBOX"/*.eml 2>/dev/null | head -n1)
if grep -q '250 2.0.0 Ok: saved' <<<"$out" && [ -n "$saved" ] && grep -q '"someone@example.org"' "${saved%.eml}.json"; then
  pass "swaks aiosmtpd STARTTLS AUTH PLAIN, saved $(basename "$saved")"
else fail "swaks aiosmtpd" "$(short <<<"$out")"; fi

# ---- stop ----
t0=$(date +%s%N)
out=$(timeout 60 "$here/stop.sh" "$DIR" 2>&1); rc=$?
if [ $rc = 0 ]; then pass "stop.sh ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else fail stop.sh "rc=$rc $(short <<<"$out")"; fi
started=0
left=$(ps -e -o pid=,pgid=,stat=,args= | awk -v m=" $masters " \
  '$3 !~ /^[ZX]/ && (index(m, " " $1 " ") || index(m, " " $2 " "))')
left="$left$(pgrep -af -- "$DIR" | grep -v -e "^$$ " || true)"
if [ -z "$left" ]; then pass "no process left (masters and process groups $masters)"
else fail "no process left" "$(short 300 10 <<<"$left")"; fi
open=
for p in $ports; do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && open="$open $p"; done
if [ -z "$open" ]; then pass "all ports closed"; else fail "all ports closed" "still accepting:$open"; fi
out=$("$here/stop.sh" "$DIR" 2>&1); rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then pass "stop.sh again is a no-op"
else fail "stop.sh again" "rc=$rc $(short <<<"$out")"; fi

if [ $failed = 0 ] && [ $keep = 0 ]; then rm -rf "$DIR"; else echo "kept $DIR"; fi
finish
