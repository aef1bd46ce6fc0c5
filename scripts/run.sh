#!/usr/bin/env bash
# `make run`: the bot's action server and Rasa in the background, the web app in front.
# Ctrl-C stops all three. Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
export HAVN_API_URL=${HAVN_API_URL:-http://127.0.0.1:${HAVN_PORT:-8000}}
mkdir -p data
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
bot/scripts/serve.sh actions >data/bot-actions.log 2>&1 &
pids+=($!)
bot/scripts/serve.sh rasa >data/bot-rasa.log 2>&1 &
pids+=($!)
echo "bot: starting (logs in data/bot-*.log); web: http://127.0.0.1:${HAVN_PORT:-8000}"
.venv/bin/havn serve
