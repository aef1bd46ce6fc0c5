"""Intent macro-F1 per language, from `rasa test nlu` on the held-out files in tests/nlu_test/.

    python scripts/nlu_f1.py [--model models] [--out results/nlu] [--min 0.92] [--gate nb,en]
                             [--no-run]

Runs `rasa test nlu` once on the whole folder (one model load), with its successes and
errors, then scores each language file on its own: macro-F1 over the intents that file
tests, a fallback counting as a miss. Exits 1 when a gated language is below the minimum.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent
TESTS = BOT / "tests" / "nlu_test"


def examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) for each example of a test file, as rasa reads it."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def predictions(out: Path) -> dict[str, str]:
    """Predicted intent by text, from rasa's intent_successes.json and intent_errors.json."""
    predicted: dict[str, str] = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            for item in json.loads(path.read_text(encoding="utf-8")):
                predicted[item["text"]] = (item.get("intent_prediction") or {}).get("name", "")
    return predicted


def macro_f1(gold: list[str], predicted: list[str]) -> tuple[float, dict[str, float]]:
    """Macro-F1 over the gold intents (a prediction outside them only costs precision)."""
    true_pos: dict[str, int] = defaultdict(int)
    false_pos: dict[str, int] = defaultdict(int)
    false_neg: dict[str, int] = defaultdict(int)
    for want, got in zip(gold, predicted, strict=True):
        if want == got:
            true_pos[want] += 1
        else:
            false_neg[want] += 1
            false_pos[got] += 1
    scores = {}
    for intent in sorted(set(gold)):
        tp, fp, fn = true_pos[intent], false_pos[intent], false_neg[intent]
        scores[intent] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return sum(scores.values()) / len(scores), scores


def run_rasa_test(model: Path, out: Path) -> None:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    command = [
        str(BOT / ".venv" / "bin" / "rasa"),
        "test",
        "nlu",
        "--nlu",
        str(TESTS),
        "--model",
        str(model),
        "--domain",
        str(BOT / "domain"),
        "--out",
        str(out),
        "--successes",
        "--no-plot",
    ]
    subprocess.run(command, cwd=BOT, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=BOT / "models")
    parser.add_argument("--out", type=Path, default=BOT / "results" / "nlu")
    parser.add_argument("--min", type=float, default=0.92)
    parser.add_argument("--gate", default="nb,en", help="languages that must reach --min")
    parser.add_argument("--no-run", action="store_true", help="only read earlier results")
    args = parser.parse_args(argv)

    if not args.no_run:
        run_rasa_test(args.model, args.out)
    predicted = predictions(args.out)
    if not predicted:
        print(f"error: no predictions in {args.out}", file=sys.stderr)
        return 1
    gated = set(filter(None, args.gate.split(",")))
    failed = []
    for path in sorted(TESTS.glob("*.yml")):
        language = path.stem
        pairs = examples(path)
        gold = [intent for _, intent in pairs]
        got = [predicted.get(text, "") for text, _ in pairs]
        score, per_intent = macro_f1(gold, got)
        weak = ", ".join(f"{i} {s:.2f}" for i, s in per_intent.items() if s < 1.0) or "none"
        print(f"{language}: intent macro-F1 {score:.3f} on {len(pairs)} examples (below 1: {weak})")
        if language in gated and score < args.min:
            failed.append(language)
    if failed:
        print(f"FAILED: macro-F1 below {args.min:.2f} for {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"ok: every gated language ({', '.join(sorted(gated))}) reaches {args.min:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
