#!/usr/bin/env bash
# Run the bot's servers, from anywhere:
#   scripts/serve.sh rasa [rasa run options]     the Rasa server, REST channel, 127.0.0.1:5005
#   scripts/serve.sh actions [options]           the action server, 127.0.0.1:5055
# With HAVN_REDIS_URL (or REDIS_URL), e.g. redis://:secret@127.0.0.1:6379/0, conversations go
# to Redis (endpoints.redis.yml), else they stay in memory (endpoints.yml); either way each is
# deleted HAVN_CHAT_HOURS (default 24) after its last message, and at once when it ends.
# Nothing here reaches the internet: telemetry is off.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
export HAVN_CHAT_HOURS=${HAVN_CHAT_HOURS:-24}
# The endpoints name our tracker stores (tracker_stores.py in this folder).
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
BIN=.venv/bin

case "${1:-}" in
  rasa)
    shift
    endpoints=endpoints.yml
    redis_url=${HAVN_REDIS_URL:-${REDIS_URL:-}}
    if [ -n "$redis_url" ]; then
      eval "$("$BIN/python" scripts/redis_env.py "$redis_url")"
      endpoints=endpoints.redis.yml
    fi
    exec "$BIN/rasa" run --model models --endpoints "$endpoints" --credentials credentials.yml \
      --interface "${HAVN_BOT_HOST:-127.0.0.1}" --port 5005 "$@"
    ;;
  actions)
    shift
    export SANIC_HOST=${HAVN_BOT_HOST:-127.0.0.1}
    exec "$BIN/rasa" run actions --actions actions --port 5055 "$@"
    ;;
  *)
    echo "usage: scripts/serve.sh rasa|actions [options]" >&2
    exit 2
    ;;
esac
