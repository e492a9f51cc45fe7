"""Runs DSPy 3.3.1's SIMBA, Ensemble (with dspy.majority), InferRules and KNNFewShot on
the simulated LM's arithmetic task, for comparison with this project's
optimizers on the same task, data and settings.

Run by scripts/compare (the Go driver), which starts the simulated LM on
loopback, writes the data and the settings, and reads the JSON this prints:

    python scripts/compare/optimizers.py --base-url http://127.0.0.1:PORT/v1 \
        --data data.json --run simba
"""

import argparse
import json
import random
import sys
import threading

import dspy
import dspy.clients.lm as dspy_lm
from dspy.evaluate import answer_exact_match
from dspy.teleprompt import SIMBA, BootstrapFewShot, Ensemble, InferRules, KNNFewShot

# Every LM request DSPy sends goes through litellm_completion; counting there
# sees the requests of copied LMs (SIMBA's rollouts, InferRules' samples) too.
_calls = 0
_lock = threading.Lock()
_completion = dspy_lm.litellm_completion


def _counting_completion(*args, **kwargs):
    global _calls
    with _lock:
        _calls += 1
    return _completion(*args, **kwargs)


dspy_lm.litellm_completion = _counting_completion


def metric(example, pred, trace=None):
    return answer_exact_match(example, pred, trace)


def evaluate(program, devset):
    return dspy.Evaluate(devset=devset, metric=metric, num_threads=8, display_progress=False)(program).score


def members(student, trainset, n, max_boot, max_labeled):
    """The random search's candidates from seed -1 on, as it builds them."""
    out = []
    for seed in range(-1, n - 1):
        ts = list(trainset)
        size = max_boot
        if seed >= 0:
            random.Random(seed).shuffle(ts)
            size = random.Random(seed).randint(1, max_boot)
        tp = BootstrapFewShot(metric=metric, max_bootstrapped_demos=size, max_labeled_demos=max_labeled)
        out.append(tp.compile(student.deepcopy(), trainset=ts))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--run", required=True, help="a run named in the data file")
    args = ap.parse_args()
    with open(args.data) as f:
        data = json.load(f)
    train = [dspy.Example(**e).with_inputs("question") for e in data["trainset"]]
    val = [dspy.Example(**e).with_inputs("question") for e in data["valset"]]
    run = data["runs"][args.run]
    name, p = run["optimizer"], run["params"]

    lm = dspy.LM("openai/simlm-1", api_base=args.base_url, api_key="x", cache=False, num_retries=3)
    dspy.configure(lm=lm)
    student = dspy.Predict("question -> answer")
    baseline = evaluate(student, val)

    global _calls
    _calls = 0
    if name == "simba":
        tp = SIMBA(metric=metric, bsize=p["bsize"], num_candidates=p["num_candidates"],
                   max_steps=p["max_steps"], max_demos=p["max_demos"])
        program = tp.compile(student.deepcopy(), trainset=train, seed=p["seed"])
    elif name == "ensemble":
        progs = members(student, train, p["num_programs"], p["max_bootstrapped_demos"], p["max_labeled_demos"])
        program = Ensemble(reduce_fn=dspy.majority).compile(progs)
    elif name == "knn_fewshot":
        # The simulated LM serves embeddings for any model name; DSPy's KNN
        # embeds the trainset here and bootstraps from the neighbours at
        # every call, so its LM calls happen while it is scored.
        embedder = dspy.Embedder("openai/simlm-embed", api_base=args.base_url, api_key="x", caching=False)
        tp = KNNFewShot(k=p["k"], trainset=train, vectorizer=embedder, metric=metric,
                        max_bootstrapped_demos=p["max_bootstrapped_demos"], max_labeled_demos=p["max_labeled_demos"])
        program = tp.compile(student.deepcopy())
    else:
        tp = InferRules(metric=metric, num_candidates=p["num_candidates"], num_rules=p["num_rules"],
                        max_bootstrapped_demos=p["max_bootstrapped_demos"], max_labeled_demos=p["max_labeled_demos"])
        program = tp.compile(student.deepcopy(), trainset=train, valset=val)
    calls = _calls
    optimized = evaluate(program, val)
    json.dump({"run": args.run, "baseline": baseline, "optimized": optimized, "lm_calls": calls}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
