#!/usr/bin/env bash
# The main job on embedded defaults (SQLite under ./var/, no server): install from the lock
# file, migrate, seed the partnerships from the articles, fire today's time-driven moves, and
# show the board of agreements by state. Then run the real Celery worker and beat for a short
# while (broker: a SQLite file, mail: .eml files) until what is due today has been mailed, and
# say what to run next. ACCORD_DEMO_MODE=finite (the default, and so far the only mode) is what
# the tests run: every wait is bounded and the script ends.
source "$(dirname "$0")/lib.sh"
DEMO_MODE="${ACCORD_DEMO_MODE:-finite}"
if [ "$DEMO_MODE" != finite ]; then
  echo "demo.sh: ACCORD_DEMO_MODE=$DEMO_MODE is not a mode; leave it unset or set it to finite" >&2
  exit 2
fi
ensure_env

accord db upgrade
accord seed
accord tick
accord board

# ---------------------------------------------------------------- worker and beat

# Short intervals, so the demo does in seconds what beat does every minute in production.
export ACCORD_SWEEP_INTERVAL="${ACCORD_SWEEP_INTERVAL:-2}"
export ACCORD_RELAY_INTERVAL="${ACCORD_RELAY_INTERVAL:-1}"
HOME_DIR="${ACCORD_HOME:-var}"
MAIL_DIR="${ACCORD_MAIL_DIR:-$HOME_DIR/mail}"
LOGS="$HOME_DIR/logs"
WAIT_SECONDS="${ACCORD_DEMO_WAIT:-180}" # bounded; worker start-up included
SETTLE_SECONDS=5                        # drained and unchanged this long: two sweeps at least
mkdir -p "$LOGS"

worker_pid="" beat_pid=""
stop_one() {  # stop_one PID NAME: TERM (Celery's warm shutdown), then KILL after 20 s
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 80; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.25
  done
  echo "    $2 (pid $pid) did not stop within 20 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_background() {
  stop_one "$beat_pid" beat
  stop_one "$worker_pid" worker
  beat_pid="" worker_pid=""
}
trap stop_background EXIT
trap 'exit 130' INT TERM

echo
echo "==> starting the Celery worker and beat (logs: $LOGS/worker.log, $LOGS/beat.log)"
# `accord worker` execs `celery -A tasks.app worker -Q accord` (prefork), so $! is Celery itself.
accord worker --concurrency 2 >"$LOGS/worker.log" 2>&1 &
worker_pid=$!
accord beat >"$LOGS/beat.log" 2>&1 &
beat_pid=$!

# Drained: the worker has run a sweep and a relay (its log says so), no outbox row waits for the
# relay, no notification due today is still pending, and nothing has changed for SETTLE_SECONDS
# (so events handed to the worker have been handled too).
worker_has_swept() {
  grep -q 'Task accord\.sweep\[[^]]*\] succeeded' "$LOGS/worker.log" &&
    grep -q 'Task accord\.relay\[[^]]*\] succeeded' "$LOGS/worker.log"
}
summary() {
  python -c '
import json, sys
s = json.load(sys.stdin)
n = s["notifications"]
drained = s["outbox"]["pending"] == 0 and n["due"] == 0
print("yes" if drained else "no", json.dumps(n, sort_keys=True).replace(" ", ""),
      "outbox: {} waiting; notifications: {} sent, {} due, {} dead".format(
          s["outbox"]["pending"], n["sent"], n["due"], n["dead"]))
'
}
echo "==> waiting (at most ${WAIT_SECONDS} s) until the outbox is drained and nothing due is left"
started=$SECONDS deadline=$((SECONDS + WAIT_SECONDS))
settled_since="" last=""
while :; do
  for pid in "$worker_pid" "$beat_pid"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "ERROR: a Celery process exited early; the end of its logs:" >&2
      tail -n 20 "$LOGS/worker.log" "$LOGS/beat.log" >&2
      exit 1
    fi
  done
  if ((SECONDS >= deadline)); then
    echo "ERROR: not drained after ${WAIT_SECONDS} s; see $LOGS/worker.log and $LOGS/beat.log" >&2
    exit 1
  fi
  if status_json=$(accord outbox status --json); then
    read -r drained counts progress < <(summary <<<"$status_json") || drained=no
    echo "    $progress"
  else
    drained=no counts="" # e.g. the database was busy for longer than its lock timeout
  fi
  if [ "$drained" = yes ] && [ "$counts" = "$last" ] && worker_has_swept; then
    settled_since="${settled_since:-$SECONDS}"
    ((SECONDS - settled_since >= SETTLE_SECONDS)) && break
  else
    settled_since=""
  fi
  last="$counts"
  sleep 1
done

echo "==> drained after $((SECONDS - started)) s; stopping the worker and beat"
stop_background

echo
echo "==> accord outbox status"
accord outbox status
has_dead_letters() {
  accord dead-letters list --json | python -c 'import json, sys; sys.exit(not json.load(sys.stdin))'
}
if has_dead_letters; then
  echo
  echo "Dead letters are mails that could not go out, e.g. nobody on the agreement has an"
  echo "e-mail address; fix the data, then \`accord dead-letters replay ID\`:"
  accord dead-letters list
fi

echo
echo "==> coming up in the next 60 days (pending rows; the worker's sweep sends each on its day)"
in_60_days=$(python -c 'import datetime as d; print(d.datetime.now(d.UTC).date()+d.timedelta(60))')
accord reminders due --today "$in_60_days"

echo
echo "==> the mail, as .eml files"
python - "$MAIL_DIR" <<'EOF'
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path

folder = Path(sys.argv[1])
files = sorted(folder.glob("*.eml"))
for f in files:
    with f.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh, headersonly=True)
    print(f"  {f.name}\n      {msg['Subject']}  ->  {msg['To']}")
where = f"{folder}/" if folder.is_absolute() else f"./{folder}/"
print(f"\n{len(files)} e-mail(s) are in {where}: one .eml file per message. Open them with any")
print("mail program, or read them as text; an invitation carries invite.ics (METHOD:REQUEST),")
print("which calendar programs accept.")
EOF

echo
echo "==> next: the accord command is in .venv/bin/ (README.md, \"Using it\", has the rest)"
next_step() { printf '    %-44s # %s\n' "$1" "$2"; }
next_step "source .venv/bin/activate" "then \`accord --help\`"
if [ -n "${ACCORD_HOME:-}" ]; then
  next_step "export ACCORD_HOME=$(cd "$ACCORD_HOME" && pwd)" "where this demo's state is"
fi
next_step "accord board" "agreements by state, as above"
next_step "accord agreements show hust-rwth-kpa" "one agreement: parties, stage, terms, sources"
next_step "accord agreements triggers hust-rwth-kpa" "the moves it may make next"
next_step "accord reminders due --today $in_60_days" "what the worker will mail, and when"
