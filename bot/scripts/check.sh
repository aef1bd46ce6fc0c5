#!/usr/bin/env bash
# Every quality gate of the bot, in order; exits non-zero at the first failure.
#   1. rasa data validate --fail-on-warnings
#   2. rasa train (skipped when the model is newer than every input)
#   3. rasa test nlu on tests/nlu_test/ + intent macro-F1 >= 0.92 for Bokmål and English (Nynorsk and Sami reported)
#   4. rasa test core on tests/stories/, failing on any wrong prediction
#   5. pytest (actions, reading of messages, consistency)
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
BIN=.venv/bin
MODEL=models/havn.tar.gz

step() { printf '\n==> %s\n' "$*"; }

if [ ! -x "$BIN/rasa" ]; then
  echo "No virtualenv: python3.10 -m venv .venv && .venv/bin/pip install -r requirements.txt" >&2
  exit 1
fi

step "validate the training data and domain"
"$BIN/rasa" data validate --domain domain --data data --config config.yml --fail-on-warnings

step "train"
newer=""
if [ -f "$MODEL" ]; then
  newer=$(find config.yml domain data -newer "$MODEL" -type f | head -n 1)
fi
if [ -f "$MODEL" ] && [ -z "$newer" ]; then
  echo "model is up to date: $MODEL"
else
  start=$(date +%s)
  "$BIN/rasa" train --domain domain --data data --config config.yml \
    --out models --fixed-model-name havn
  echo "trained in $(( $(date +%s) - start )) s"
fi

step "test NLU on held-out examples (intent macro-F1 per language)"
"$BIN/python" scripts/nlu_f1.py --model "$MODEL" --out results/nlu --min 0.92 --gate nb,en

step "test conversations"
"$BIN/rasa" test core --stories tests/stories --model "$MODEL" --out results/core \
  --fail-on-prediction-errors --no-plot
grep -q "None of the test stories failed" results/core/failed_test_stories.yml

step "test actions"
"$BIN/python" -m pytest

echo
echo "All bot checks passed."
