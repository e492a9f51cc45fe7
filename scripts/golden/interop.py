"""Load a program saved by durable-dspy into DSPy 3.3.1 and record what DSPy makes of it.

Usage (from the repository root):
    ../shared/pydspy/python scripts/golden/load_go_saved.py \
        dspy/testdata/interop/go-saved-cot.json > dspy/testdata/interop/go-saved-cot.dspy.json

The Go test TestDSPyLoadsAProgramSavedHereAndFormatsTheSameMessages reads the
output: the instructions and demo count DSPy loaded, and the messages DSPy's
ChatAdapter formats for one call. The program skeleton and the call below must
match interopProgram and interopInputs in dspy/interop_test.go.
"""

import json
import sys

import dspy


def main(path):
    program = dspy.ChainOfThought("context: list[str], question -> answer: int")
    program.load(path)
    predictor = program.predict
    inputs = {
        "context": ["Tom reads 5 pages a day."],
        "question": "How many pages does Tom read in 6 days?",
    }
    messages = dspy.ChatAdapter().format(predictor.signature, predictor.demos, inputs)
    out = {
        "dspy_version": dspy.__version__,
        "instructions": predictor.signature.instructions,
        "demos": len(predictor.demos),
        "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
