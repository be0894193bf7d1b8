#!/usr/bin/env bash
# Starts the demo portal in the background, runs the Playwright tests against it, stops it.
source "$(dirname "$0")/env.sh"
cd "$BACKLOT_ROOT"
for port in 3000 7007; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    log "port $port is in use (a portal already running?): stop it, then run the tests again"
    exit 1
  fi
done
mkdir -p .testbed
yarn testbed up --pg 14,16,18 --seed demo > .testbed/demo.json
node scripts/lib/demo-config.js .testbed/demo.json > .testbed/app-config.demo.yaml
chmod 600 .testbed/app-config.demo.yaml

setsid yarn start --config "$BACKLOT_ROOT/app-config.yaml" --config "$BACKLOT_ROOT/.testbed/app-config.demo.yaml" \
  > .testbed/portal.log 2>&1 &
portal=$!
stop_portal() { kill -- -"$portal" 2>/dev/null || true; wait "$portal" 2>/dev/null || true; }
trap stop_portal EXIT

log "waiting for the portal (log: .testbed/portal.log)"
for i in $(seq 1 180); do
  if curl -fs -o /dev/null http://localhost:7007/.backstage/health/v1/readiness && curl -fs -o /dev/null http://localhost:3000; then
    break
  fi
  if ! kill -0 $portal 2>/dev/null; then tail -n 40 .testbed/portal.log >&2; exit 1; fi
  sleep 2
done
status=0
PLAYWRIGHT_URL=http://localhost:3000 yarn playwright test || status=$?
trap - EXIT
stop_portal
exit "$status"
