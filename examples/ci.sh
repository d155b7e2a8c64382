#!/usr/bin/env bash
# CI for an app's payment webhooks, with no network beyond this machine:
#   1. the sandbox (a local gateway), ready when its ready file appears
#   2. `ummah webhooks listen` in the background, forwarding to the app
#      (it makes the listener webhook; deliveries wait until the app is up)
#   3. the app, given that webhook's public key
#   4. `ummah trigger EVENT --wait` for every event: the app must answer 2xx
#   5. `ummah webhooks check-app`: the API reference's checklist for handlers
# Everything is stopped at exit; the exit code is the first failing step's.
#
#   APP='node server.js' APP_PORT=3000 bash examples/ci.sh
#
# APP is started as `$APP $APP_PORT` (default: the example app in this
# directory), and must serve POST /webhook on 127.0.0.1:$APP_PORT.
set -uo pipefail

UMMAH=${UMMAH:-ummah}
here=$(cd "$(dirname "$0")" && pwd)
APP=${APP:-"node $here/webhook-app.mjs"}
APP_PORT=${APP_PORT:-3000}
# Every event `ummah trigger` can cause.
EVENTS="purchase.created purchase.hold purchase.captured purchase.released purchase.paid purchase.payment_failure purchase.refunded purchase.cancelled purchase.subscription_charge_failure billing_template.client_activated"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Waits (at most 30 s) until a command succeeds.
wait_for() {
  for _ in $(seq 300); do
    if eval "$1"; then return 0; fi
    sleep 0.1
  done
  echo "ci.sh: timed out waiting for: $2" >&2
  exit 1
}

export UMMAH_CONFIG_DIR="$work/config" UMMAH_SECRET_KEY=sk_test_ci_example
$UMMAH sandbox start --port 0 --ephemeral --ready-file "$work/sandbox.json" >"$work/sandbox.log" 2>&1 &
pids+=($!)
wait_for '[ -s "$work/sandbox.json" ]' 'the sandbox'
UMMAH_API_BASE=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).api_base' "$work/sandbox.json")
export UMMAH_API_BASE

$UMMAH webhooks listen --forward "127.0.0.1:$APP_PORT/webhook" --format json >"$work/listen.log" 2>&1 &
pids+=($!)
wait_for 'grep -q "\"type\":\"ready\"" "$work/listen.log"' 'the listener'

UMMAH_WEBHOOK_PUBLIC_KEY=$($UMMAH webhooks listen --print-public-key) || exit $?
export UMMAH_WEBHOOK_PUBLIC_KEY
$APP "$APP_PORT" >"$work/app.log" 2>&1 &
pids+=($!)

status=0
for event in $EVENTS; do
  $UMMAH trigger "$event" --wait 30s || { code=$?; [ $status -eq 0 ] && status=$code; }
done
$UMMAH webhooks check-app --forward "127.0.0.1:$APP_PORT/webhook" || { code=$?; [ $status -eq 0 ] && status=$code; }

if [ $status -ne 0 ]; then
  echo "--- the app's log" >&2
  tail -n 40 "$work/app.log" >&2
fi
exit $status
