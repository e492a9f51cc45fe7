"""Runs one optimizer case of the side-by-side benchmark with DSPy 3.3.1.

The Go benchmark (scripts/bench/optimizers) starts the simulated LM, writes
the dataset and runs this script once per case with the DSPy reference
interpreter, then compares wall time and the LM calls the simulated LM
counted. Only the compile is timed, not the interpreter's start-up.

    ../shared/pydspy/python scripts/bench/dspy_optimizers.py \
        --base-url http://127.0.0.1:PORT/v1 --data data.json --case miprov2_light

It prints one JSON object: the case, the compile's wall time in seconds,
the LM calls made before the compile (a warm-up) and the compiled
program's validation score when the optimizer reports one.
"""

import argparse
import json
import logging
import time

import dspy
from dspy.evaluate import normalize_text


def exact_match(gold, pred, trace=None):
    return normalize_text(str(pred.answer)) == normalize_text(str(gold.answer))


def exact_match_feedback(gold, pred, trace=None, pred_name=None, pred_trace=None):
    got = str(pred.answer)
    if exact_match(gold, pred):
        return dspy.Prediction(score=1.0, feedback=f'Correct: answer "{got}" matches the expected answer.')
    return dspy.Prediction(score=0.0, feedback=f'Incorrect: answer "{got}" does not match the expected "{gold.answer}".')


def examples(rows):
    return [dspy.Example(question=r["question"], answer=r["answer"]).with_inputs("question") for r in rows]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--data", required=True, help="JSON with train and val lists of {question, answer}")
    ap.add_argument("--case", required=True)
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args()
    logging.disable(logging.WARNING)

    with open(args.data) as f:
        data = json.load(f)
    train, val = examples(data["train"]), examples(data["val"])
    lm = dspy.LM("openai/sim", api_base=args.base_url, api_key="x", cache=False, num_retries=0)
    dspy.configure(lm=lm)
    program = dspy.Predict("question -> answer")

    case = args.case
    if case == "miprov2_light":
        opt = dspy.MIPROv2(metric=exact_match, auto="light", num_threads=args.threads, seed=9, verbose=False)
        run = lambda: opt.compile(program, trainset=train, valset=val)
    elif case.startswith("bootstrap_"):
        demos = int(case.split("_")[1])
        opt = dspy.BootstrapFewShot(metric=exact_match, max_bootstrapped_demos=demos, max_labeled_demos=16)
        run = lambda: opt.compile(program, trainset=train)
    elif case == "gepa_light":
        opt = dspy.GEPA(metric=exact_match_feedback, auto="light", reflection_lm=lm, num_threads=args.threads, seed=0)
        run = lambda: opt.compile(program, trainset=train, valset=val)
    else:
        raise SystemExit(f"unknown case {case}")

    # The first call through litellm pays its one-time set-up (seconds on a
    # small machine); one warm-up call keeps it out of the compile's time,
    # and the driver subtracts it from the calls the LM counted.
    lm("Say OK.")
    start = time.perf_counter()
    compiled = run()
    wall = time.perf_counter() - start
    score = getattr(compiled, "score", None)
    print(json.dumps({"case": case, "wall_s": wall, "warmup_calls": 1, "score": score}))


if __name__ == "__main__":
    main()
