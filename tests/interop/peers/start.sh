#!/usr/bin/env bash
# start.sh DIR [--no-aiosmtpd]
#
# Starts real mail servers on 127.0.0.1 for the interop tests, everything
# (configs, certificate, queue, mail, logs, PID files) inside DIR:
#   Dovecot   IMAP, IMAPS, POP3, POP3S (with APOP, one session per maildrop);
#             SASL (PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256) for itself
#             and, over a unix socket, for Postfix
#   Postfix   SMTP (STARTTLS; AUTH after STARTTLS), SMTP with AUTH offered
#             before TLS, submission (STARTTLS required), smtps (implicit TLS)
#   aiosmtpd  an SMTP sink that stores what it receives (optional)
# on free ports picked now, and writes DIR/peers.env (source it). Mail for
# TEST_ADDR goes to MAILDIR, which Dovecot serves; nothing else is accepted
# and nothing leaves the machine. Needs root and install.sh's packages.
# Stop with stop.sh DIR. Exits non-zero, stopping what it started, when a
# server does not come up within 15 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() { echo "usage: $0 DIR [--no-aiosmtpd]" >&2; exit 2; }
[ $# -ge 1 ] || usage
want_sink=1
[ "${2:-}" = --no-aiosmtpd ] && want_sink=0
[ $# -le 2 ] || usage

die() { echo "start.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (Dovecot and Postfix drop privileges themselves)"
# Debian's python3 (a pyenv shim on PATH can take most of a second to start)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
for tool in dovecot postfix postconf openssl "$py"; do
  command -v "$tool" >/dev/null || die "$tool not found: run $here/install.sh"
done
sink_python=/usr/bin/python3 # python3-aiosmtpd is installed for this one
if [ $want_sink = 1 ] && ! "$sink_python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "start.sh: python3-aiosmtpd missing, not starting the sink" >&2
  want_sink=0
fi

mkdir -p "$1"
DIR=$(cd "$1" && pwd)
case $DIR in *[!A-Za-z0-9_./-]*) die "DIR may only contain [A-Za-z0-9_./-]: $DIR" ;; esac
# PID runs (a zombie, exited but not yet reaped by init, does not)
alive() {
  local line
  { read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
  line=${line##*) }
  case $line in Z*|X*) return 1 ;; esac
}
for f in "$DIR"/run/*.pid "$DIR/dovecot/run/master.pid" "$DIR/postfix/spool/pid/master.pid"; do
  [ -f "$f" ] || continue
  pid=$(tr -d ' \n' < "$f")
  case $pid in ''|*[!0-9]*) ;; *)
    if alive "$pid"; then
      case $(readlink "/proc/$pid/exe" 2>/dev/null) in
        */dovecot|*/master|*/python3*)
          die "peers already running in $DIR ($f: pid $pid); stop.sh $DIR first" ;;
      esac
    fi ;;
  esac
  rm -f "$f"
done
# The servers' unprivileged processes (postfix, dovecot, dovenull, nobody)
# must reach files inside DIR: DIR and every directory above it need o+x.
chmod 755 "$DIR"
d=$DIR
while [ "$d" != / ]; do
  mode=$(stat -c %a "$d")
  (( 8#$mode & 1 )) || die "$d is mode $mode: others cannot enter it; use a DIR under /tmp"
  d=$(dirname "$d")
done

T0=$(date +%s%N)
TEST_USER=testuser
TEST_PASS=testpass
TEST_DOMAIN=test.example
TEST_ADDR=$TEST_USER@$TEST_DOMAIN
MAIL_UID=65534 # nobody:nogroup; Dovecot refuses to serve mail as root
MAIL_GID=65534
MAILDIR=$DIR/mail/$TEST_USER/Maildir
CA_FILE=$DIR/tls/cert.pem
KEY_FILE=$DIR/tls/key.pem
RUN=$DIR/run
DC=$DIR/dovecot
PF=$DIR/postfix
SINK=$DIR/aiosmtpd
mkdir -p "$RUN" "$DIR/tls" "$DC" "$PF"/{etc,spool,data} "$MAILDIR"/{cur,new,tmp}
chmod 755 "$RUN" "$DIR/tls" "$DC" "$PF" "$DIR/mail"
rm -f "$DIR/peers.env"

# Unix socket paths are limited to 107 bytes, and Dovecot (base_dir) and
# Postfix (queue_directory/public/postlog) use absolute ones: with a long DIR
# both reach it through a short symlink /tmp/mailwire-peers.XXXXXX/d
# (stop.sh removes it).
short_root() {
  local old_link
  old_link=$(cat "$RUN/short-link" 2>/dev/null || true)
  case $old_link in
    /tmp/mailwire-peers.*) rm -f "$old_link/d"; rmdir "$old_link" 2>/dev/null || true ;;
  esac
  rm -f "$RUN/short-link"
  SOCK_ROOT=$DIR
  if [ ${#DIR} -gt 50 ]; then
    local link_dir
    link_dir=$(mktemp -d /tmp/mailwire-peers.XXXXXX)
    chmod 755 "$link_dir"
    ln -s "$DIR" "$link_dir/d"
    echo "$link_dir" > "$RUN/short-link"
    SOCK_ROOT=$link_dir/d
  fi
}
short_root
DOVECOT_BASE=$SOCK_ROOT/dovecot/run
mkdir -p "$DOVECOT_BASE"
chmod 755 "$DOVECOT_BASE"
SASL_SOCKET=$DOVECOT_BASE/auth-postfix

# --- certificate: self-signed, CN=localhost, SAN localhost + 127.0.0.1 ---
if [ ! -s "$CA_FILE" ] || ! openssl x509 -checkend 3600 -noout -in "$CA_FILE" >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$KEY_FILE" -out "$CA_FILE" 2>"$DIR/tls/openssl.log" ||
    { cat "$DIR/tls/openssl.log" >&2; die "openssl req failed"; }
fi
chmod 600 "$KEY_FILE"
chmod 644 "$CA_FILE"

# --- mailbox ---
chown -R $MAIL_UID:$MAIL_GID "$DIR/mail"

pick_ports() { # prints N free ports on 127.0.0.1, all distinct
  "$py" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

write_dovecot_conf() {
  # passwd-file, {PLAIN} scheme: Dovecot needs the cleartext password (or a
  # mechanism-specific hash) for CRAM-MD5 and SCRAM; only PLAIN serves all.
  printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$TEST_USER" "$TEST_PASS" $MAIL_UID $MAIL_GID \
    "$DIR/mail/$TEST_USER" > "$DC/users"
  chgrp dovecot "$DC/users"
  chmod 640 "$DC/users"
  # No !include: nothing under /etc/dovecot is read. Nothing may follow '{'.
  cat > "$DC/dovecot.conf" <<EOF
base_dir = $DOVECOT_BASE
state_dir = $DC/state
instance_name = mailwire-peers-$$
log_path = $DC/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$CA_FILE
ssl_key = <$KEY_FILE
ssl_min_protocol = TLSv1.2
# loopback test servers: LOGIN/USER/AUTH PLAIN allowed without TLS too
disable_plaintext_auth = no
# apop: POP3's APOP (the greeting then carries a <timestamp>). Dovecot flags
# it "private" on the auth socket, so Postfix (which skips private
# mechanisms) and IMAP never offer it; POP3's CAPA SASL line does not list it
# either (APOP is not SASL).
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 apop
auth_failure_delay = 0
auth_verbose = yes
mail_location = maildir:~/Maildir
# one POP3 session per maildrop, as RFC 1939 asks: a second one gets
# -ERR [IN-USE] (Dovecot's default lets both in)
pop3_lock_session = yes
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DC/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $DC/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
# No auth penalty: after a failed login Dovecot would delay every later
# login from 127.0.0.1 (2 s, doubling up to 15 s), successful ones too,
# which makes wrong-password tests slow down the tests after them.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

write_postfix_conf() {
  local out="error:outbound mail is disabled in the interop peers"
  cat > "$PF/etc/main.cf" <<EOF
# Private instance: postfix -c $PF/etc ...; nothing in /etc/postfix is used.
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $SOCK_ROOT/postfix/spool
data_directory = $PF/data
# without syslog, postfix commands fail silently unless maillog_file is set
# and lies under one of maillog_file_prefixes
maillog_file = $PF/postfix.log
maillog_file_prefixes = $PF
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.$TEST_DOMAIN
mydomain = $TEST_DOMAIN
myorigin = \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP Postfix (mailwire interop peers)
biff = no
smtpd_peername_lookup = no
# accept mail for the test address only; never relay, never send out
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
default_transport = $out
relay_transport = $out
local_transport = $out
smtpd_relay_restrictions = reject_unauth_destination
virtual_mailbox_domains = $TEST_DOMAIN
virtual_mailbox_base = $DIR/mail
virtual_mailbox_maps = inline:{ $TEST_ADDR=$TEST_USER/Maildir/ }
virtual_uid_maps = static:$MAIL_UID
virtual_gid_maps = static:$MAIL_GID
virtual_minimum_uid = $MAIL_UID
# virtual(8) dies unless virtual_mailbox_limit >= message_size_limit
message_size_limit = 52428800
virtual_mailbox_limit = 0
# TLS
smtpd_tls_cert_file = $CA_FILE
smtpd_tls_key_file = $KEY_FILE
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
# SASL through Dovecot's auth socket
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $SASL_SOCKET
smtpd_sasl_authenticated_header = yes
# fast replies for tests
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s
EOF

  # Every service unchained (chroot n: paths above are absolute); the inet
  # listeners on 127.0.0.1 only.
  cat > "$PF/etc/master.cf" <<EOF
# service              type  private unpriv chroot wakeup maxproc command
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SMTP_AUTH_CLEAR_PORT inet n - n - - smtpd
  -o syslog_name=postfix/clearauth
  -o smtpd_tls_auth_only=no
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
local      unix  - n n -     - local
virtual    unix  - n n -     - virtual
lmtp       unix  - - n -     - lmtp
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
}

# A listener accepts connections (bash's /dev/tcp; refused at once if not).
accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_up() { # NAME LOG PIDFILE WATCH PORT...: wait up to 15 s for a live PID in
            # PIDFILE and all ports accepting; fail at once if WATCH (a PID, or
            # -) has exited
  local name=$1 log=$2 pidfile=$3 watch=$4 deadline=$(( $(date +%s) + 15 )) pid p
  shift 4
  while :; do
    if [ "$watch" != - ] && ! alive "$watch"; then
      echo "start.sh: $name exited; last lines of $log:" >&2
      tail -n 25 "$log" >&2 2>/dev/null || true
      return 1
    fi
    pid=$({ tr -d ' \n' < "$pidfile"; } 2>/dev/null || true)
    if [ -n "$pid" ] && alive "$pid"; then
      local all=1
      for p in "$@"; do accepts "$p" || { all=0; break; }; done
      [ $all = 1 ] && return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "start.sh: $name did not come up within 15 s (pid '${pid}', ports $*); last lines of $log:" >&2
      tail -n 25 "$log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
}

start_all() {
  read -r SMTP_PORT SMTP_AUTH_CLEAR_PORT SUBMISSION_PORT SMTPS_PORT \
          IMAP_PORT IMAPS_PORT POP3_PORT POP3S_PORT AIOSMTPD_PORT < <(pick_ports 9) || true
  case "${AIOSMTPD_PORT:-x}" in *[!0-9]*) echo "start.sh: could not pick free ports" >&2; return 1 ;; esac

  local t
  t=$(date +%s%N)
  rm -f "$SINK/aiosmtpd.log"
  # Dovecot first: Postfix's AUTH goes through Dovecot's auth socket.
  write_dovecot_conf
  : > "$DC/dovecot.log"
  dovecot -c "$DC/dovecot.conf" >> "$DC/dovecot.log" 2>&1 ||
    { echo "start.sh: dovecot failed to start:" >&2; tail -n 25 "$DC/dovecot.log" >&2; return 1; }
  wait_up dovecot "$DC/dovecot.log" "$DOVECOT_BASE/master.pid" - \
    "$IMAP_PORT" "$IMAPS_PORT" "$POP3_PORT" "$POP3S_PORT" || return 1
  tr -d ' ' < "$DOVECOT_BASE/master.pid" > "$RUN/dovecot.pid"
  [ -S "$SASL_SOCKET" ] || { echo "start.sh: no Dovecot auth socket $SASL_SOCKET" >&2; return 1; }

  ms_dovecot=$(( ($(date +%s%N) - t) / 1000000 )); t=$(date +%s%N)
  write_postfix_conf
  : > "$PF/postfix.log"
  # 'postfix start' would run 'postfix check' first (creating the queue
  # directories), which takes 1.5-3 s of shell and postconf calls. Creating
  # them here (as post-install would, from /etc/postfix/postfix-files) and
  # leaving a quick-start file skips that: master starts at once.
  local q
  for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
    install -d -o postfix -g root -m 700 "$PF/spool/$q"
  done
  install -d -o postfix -g postdrop -m 730 "$PF/spool/maildrop"
  install -d -o postfix -g postdrop -m 710 "$PF/spool/public"
  install -d -o root -g root -m 755 "$PF/spool/pid"
  install -d -o postfix -g postfix -m 700 "$PF/data"
  touch "$PF/spool/quick-start"
  # Postfix re-reads a config file until its mtime is a second or two old
  # (in 0.3 s steps, it takes it for a file being edited): backdate them.
  touch -d '-1 minute' "$PF/etc/main.cf" "$PF/etc/master.cf"
  if ! postfix -c "$PF/etc" start >> "$PF/postfix.log" 2>&1; then
    echo "start.sh: postfix start failed:" >&2
    tail -n 25 "$PF/postfix.log" >&2
    # postfix commands print errors only to a terminal (else to the log,
    # which may be what failed): ask 'postfix check' under a pseudo-terminal
    script -qec "postfix -c $PF/etc check" /dev/null >&2 < /dev/null || true
    return 1
  fi
  wait_up postfix "$PF/postfix.log" "$PF/spool/pid/master.pid" - \
    "$SMTP_PORT" "$SMTP_AUTH_CLEAR_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT" || return 1
  tr -d ' ' < "$PF/spool/pid/master.pid" > "$RUN/postfix.pid"
  ms_postfix=$(( ($(date +%s%N) - t) / 1000000 )); t=$(date +%s%N)

  if [ $want_sink = 1 ]; then
    mkdir -p "$SINK/inbox"
    # the sink calls setsid(): its own session and process group, like the
    # two daemons, so stop.sh can check that nothing of it is left
    # (it writes SINK/ready once it listens: the port alone could be someone
    # else's, and the sink exits when its bind fails)
    rm -f "$SINK/ready"
    "$sink_python" "$here/aiosmtpd_sink.py" "$AIOSMTPD_PORT" "$SINK/inbox" "$CA_FILE" "$KEY_FILE" \
      "$TEST_USER" "$TEST_PASS" "$SINK/ready" < /dev/null > "$SINK/aiosmtpd.log" 2>&1 &
    echo $! > "$RUN/aiosmtpd.pid"
    wait_up aiosmtpd "$SINK/aiosmtpd.log" "$SINK/ready" $! "$AIOSMTPD_PORT" || return 1
    ms_sink=$(( ($(date +%s%N) - t) / 1000000 ))
  else
    AIOSMTPD_PORT=
    ms_sink=0
  fi
}

cleanup_failed() { "$here/stop.sh" "$DIR" >/dev/null 2>&1 || true; }

trap 'cleanup_failed; exit 130' INT TERM
attempt=1
until start_all; do
  cleanup_failed
  # a port picked above can be taken by someone else before the server binds
  # it: then try again with new ports; anything else is fatal
  if [ $attempt -lt 3 ] &&
     grep -qis 'address already in use' "$DC/dovecot.log" "$PF/postfix.log" "$SINK/aiosmtpd.log"; then
    attempt=$((attempt + 1))
    echo "start.sh: a port was taken, retrying with new ports (attempt $attempt)" >&2
    short_root
    DOVECOT_BASE=$SOCK_ROOT/dovecot/run
    SASL_SOCKET=$DOVECOT_BASE/auth-postfix
    continue
  fi
  exit 1
done

env_line() { # KEY VALUE: quote only when needed
  case $2 in
    *[!A-Za-z0-9_./:@,+-]*) printf "%s='%s'\n" "$1" "$2" ;;
    *) printf '%s=%s\n' "$1" "$2" ;;
  esac
}
{
  echo "# mailwire interop peers, written by start.sh $(date -u +%FT%TZ); stop with stop.sh $DIR"
  echo "# usage: . $DIR/peers.env   (or: set -a; . $DIR/peers.env; set +a)"
  env_line PEERS_DIR "$DIR"
  env_line PEER_HOST 127.0.0.1
  env_line TLS_HOST localhost
  env_line SMTP_PORT "$SMTP_PORT"
  env_line SMTP_AUTH_CLEAR_PORT "$SMTP_AUTH_CLEAR_PORT"
  env_line SUBMISSION_PORT "$SUBMISSION_PORT"
  env_line SMTPS_PORT "$SMTPS_PORT"
  env_line IMAP_PORT "$IMAP_PORT"
  env_line IMAPS_PORT "$IMAPS_PORT"
  env_line POP3_PORT "$POP3_PORT"
  env_line POP3S_PORT "$POP3S_PORT"
  env_line AIOSMTPD_PORT "$AIOSMTPD_PORT"
  env_line AIOSMTPD_INBOX "$([ -n "$AIOSMTPD_PORT" ] && echo "$SINK/inbox")"
  env_line CA_FILE "$CA_FILE"
  env_line TEST_USER "$TEST_USER"
  env_line TEST_PASS "$TEST_PASS"
  env_line TEST_ADDR "$TEST_ADDR"
  env_line TEST_DOMAIN "$TEST_DOMAIN"
  env_line MAILDIR "$MAILDIR"
  env_line MAIL_UID "$MAIL_UID"
  env_line MAIL_GID "$MAIL_GID"
  env_line SASL_MECHS "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256"
  env_line DOVECOT_PID_FILE "$RUN/dovecot.pid"
  env_line POSTFIX_PID_FILE "$RUN/postfix.pid"
  env_line AIOSMTPD_PID_FILE "$([ -n "$AIOSMTPD_PORT" ] && echo "$RUN/aiosmtpd.pid")"
  env_line POSTFIX_CONFIG_DIR "$PF/etc"
  env_line DOVECOT_CONFIG "$DC/dovecot.conf"
  env_line DOVECOT_LOG "$DC/dovecot.log"
  env_line POSTFIX_LOG "$PF/postfix.log"
} > "$DIR/peers.env.tmp"
mv "$DIR/peers.env.tmp" "$DIR/peers.env"
trap - INT TERM

T1=$(date +%s%N)
printf 'peers up in %d ms (dovecot %d, postfix %d, aiosmtpd %d): smtp %s clear-auth %s submission %s smtps %s imap %s imaps %s pop3 %s pop3s %s aiosmtpd %s; env %s\n' \
  $(( (T1 - T0) / 1000000 )) "$ms_dovecot" "$ms_postfix" "$ms_sink" "$SMTP_PORT" "$SMTP_AUTH_CLEAR_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT" \
  "$IMAP_PORT" "$IMAPS_PORT" "$POP3_PORT" "$POP3S_PORT" "${AIOSMTPD_PORT:--}" "$DIR/peers.env"
