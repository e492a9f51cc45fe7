"""Saved-program interop with DSPy 3.3.1, both ways, for every module kind.

Usage (from the repository root, with dspy==3.3.1), after the Go side rewrote
its files with
    DSPY_UPDATE_INTEROP=1 go test ./dspy -run TestSavedProgramsAreTheInteropFiles
run
    python scripts/golden/interop.py dspy/testdata/interop

For every kind below it writes, into that folder:
  dspy-saved-KIND.json       the program built here and saved by DSPy's Module.save;
  dspy-saved-KIND.dspy.json  what DSPy formats for that program (see record);
  go-saved-KIND.dspy.json    what DSPy makes of go-saved-KIND.json, the same
                             program as durable-dspy saves it, loaded into a
                             fresh DSPy program of the kind.
The Go tests in dspy/interop_test.go read them. The programs, their demos and
instructions, and the inputs each predictor is called with must match the Go
side's interopCases.
"""

import base64
import json
import os
import sys

import dspy
from dspy.adapters._legacy_type_markers import _expand_legacy_custom_type_markers_in_chat_message


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def reward(args, pred):
    return 1.0


class DraftAndCheck(dspy.Module):
    """A user's own program of two predictors, at paths draft.predict and check."""

    def __init__(self):
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> answer: int")
        self.check = dspy.Predict("question, answer: int -> verdict: bool")

    def forward(self, question):
        draft = self.draft(question=question)
        return self.check(question=question, answer=draft.answer)


COT_SIGNATURE = dspy.Signature(
    "context: list[str], question -> answer: int",
    "Read the context, then solve the word problem. Answer with a single integer.",
)

TRAJECTORY = (
    "[[ ## thought_0 ## ]]\nI add 5 and 8.\n\n"
    "[[ ## tool_name_0 ## ]]\nadd\n\n"
    '[[ ## tool_args_0 ## ]]\n{"a": 5, "b": 8}\n\n'
    "[[ ## observation_0 ## ]]\n13"
)

# Each kind: a fresh program, then per predictor path the instructions an
# optimizer set (None keeps the program's own), its demos, and the inputs of
# the call both sides format.
KINDS = {
    "predict": (
        lambda: dspy.Predict("question -> answer: int"),
        {
            "self": (
                "Answer the arithmetic question with a single integer.",
                [
                    dspy.Example(question="What is 2 + 3?", answer=5, augmented=True),
                    dspy.Example(question="What is 10 - 4?", answer=6),
                ],
                {"question": "What is 6 * 7?"},
            ),
        },
    ),
    "chain_of_thought": (
        lambda: dspy.ChainOfThought(COT_SIGNATURE),
        {
            "predict": (
                None,
                [
                    dspy.Example(
                        context=["Ann has 3 apples.", "Bob gives her 4 more."],
                        question="How many apples does Ann have?",
                        reasoning="Ann starts with 3 and receives 4, so 3 + 4 = 7.",
                        answer=7,
                        augmented=True,
                    ),
                    dspy.Example(context=["A box holds 12 eggs."], question="How many eggs are in 2 boxes?", answer=24),
                ],
                {"context": ["Tom reads 5 pages a day."], "question": "How many pages does Tom read in 6 days?"},
            ),
        },
    ),
    "react": (
        lambda: dspy.ReAct("question -> answer: int", tools=[add]),
        {
            "react": (
                None,
                [
                    dspy.Example(
                        question="What is 2 + 40?",
                        trajectory="",
                        next_thought="I add the two numbers with the tool.",
                        next_tool_name="add",
                        next_tool_args={"a": 2, "b": 40},
                        augmented=True,
                    ),
                ],
                {"question": "What is 5 + 8?", "trajectory": TRAJECTORY},
            ),
            "extract.predict": (
                "Read the trajectory and give the final answer as an integer.",
                [
                    dspy.Example(
                        question="What is 2 + 40?",
                        trajectory="[[ ## observation_0 ## ]]\n42",
                        reasoning="The tool returned 42.",
                        answer=42,
                        augmented=True,
                    ),
                ],
                {"question": "What is 5 + 8?", "trajectory": TRAJECTORY},
            ),
        },
    ),
    "multi_chain_comparison": (
        lambda: dspy.MultiChainComparison("question -> answer", M=2),
        {
            "predict": (
                "Compare the attempts and give the most likely answer.",
                [
                    dspy.Example(
                        question="What is 3 + 4?",
                        reasoning_attempt_1="«I'm trying to add 3 and 4. I'm not sure but my prediction is 7»",
                        reasoning_attempt_2="«I'm trying to add 3 and 4. I'm not sure but my prediction is 8»",
                        rationale="Both attempts add; 3 + 4 is 7.",
                        answer="7",
                        augmented=True,
                    ),
                ],
                {
                    "question": "What is 9 + 9?",
                    "reasoning_attempt_1": "«I'm trying to double 9. I'm not sure but my prediction is 18»",
                    "reasoning_attempt_2": "«I'm trying to add 9 and 9. I'm not sure but my prediction is 19»",
                },
            ),
        },
    ),
    "best_of_n": (
        lambda: dspy.BestOfN(dspy.Predict("question -> answer: int"), N=3, reward_fn=reward, threshold=1.0),
        {
            "module": (
                "Answer with a single integer.",
                [dspy.Example(question="What is 8 / 2?", answer=4)],
                {"question": "What is 9 - 5?"},
            ),
        },
    ),
    "refine": (
        lambda: dspy.Refine(dspy.ChainOfThought("question -> answer: int"), N=3, reward_fn=reward, threshold=1.0),
        {
            "module.predict": (
                "Think it through, then answer with a single integer.",
                [dspy.Example(question="What is 3 * 3?", reasoning="3 times 3 is 9.", answer=9, augmented=True)],
                {"question": "What is 7 * 6?"},
            ),
        },
    ),
    "program": (
        DraftAndCheck,
        {
            "draft.predict": (
                "Draft an answer step by step.",
                [dspy.Example(question="What is 1 + 1?", reasoning="One and one make two.", answer=2, augmented=True)],
                {"question": "What is 4 + 4?"},
            ),
            "check": (
                "Check the answer; say True only if it is right.",
                [dspy.Example(question="What is 1 + 1?", answer=3, verdict=False)],
                {"question": "What is 4 + 4?", "answer": 8},
            ),
        },
    ),
}


IMAGE_SIGNATURE = dspy.Signature("image: dspy.Image, question -> answer", "Name the animal in the image.")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dspy", "testdata", "images", "pixel.png"), "rb") as f:
    PIXEL = dspy.Image("data:image/png;base64," + base64.b64encode(f.read()).decode())

KINDS["xml_adapter"] = (
    lambda: dspy.Predict("question -> answer: int, steps: list[str]"),
    {
        "self": (
            "Solve it; list the steps.",
            [
                dspy.Example(question="What is 2 + 3?", answer=5, steps=["2 + 3", "= 5"], augmented=True),
                dspy.Example(question="What is 1 < 2?", answer=1, steps=[]),
            ],
            {"question": "What is 6 * 7?"},
        ),
    },
)
KINDS["two_step"] = (
    lambda: dspy.ChainOfThought("question -> answer: int"),
    {
        "predict": (
            "Think it through; the answer is an integer.",
            [
                dspy.Example(question="What is 2 + 3?", reasoning="Two and three make five.", answer=5, augmented=True),
                dspy.Example(question="What is 10 - 4?", answer=6),
            ],
            {"question": "What is 6 * 7?"},
        ),
    },
)
KINDS["image_demos"] = (
    lambda: dspy.Predict(IMAGE_SIGNATURE),
    {
        "self": (
            None,
            [
                dspy.Example(image=dspy.Image("https://example.com/dog.jpg"), question="Which animal?", answer="A dog."),
                dspy.Example(image=PIXEL, question="Which animal?"),
            ],
            {"image": dspy.Image("https://example.com/cat.png"), "question": "Which animal?"},
        ),
    },
)

# The adapter each kind's predictors use; DSPy does not save it, so both sides
# set it on the fresh program. The others use the ChatAdapter.
ADAPTERS = {
    "xml_adapter": dspy.XMLAdapter,
    "two_step": lambda: dspy.TwoStepAdapter(dspy.LM("openai/extraction-model")),
}


def build(kind):
    """The kind's program with its instructions and demos set, as an optimizer leaves it."""
    new, content = KINDS[kind]
    program = new()
    predictors = dict(program.named_predictors())
    assert list(predictors) == list(content), (kind, list(predictors))
    for name, (instructions, demos, _) in content.items():
        p = predictors[name]
        if instructions is not None:
            p.signature = p.signature.with_instructions(instructions)
        p.demos = list(demos)
    return program


def record(kind, program):
    """Each predictor's instructions, demo count and the messages DSPy's
    adapter formats for the kind's call of it."""
    _, content = KINDS[kind]
    out = []
    for name, p in program.named_predictors():
        messages = ADAPTERS.get(kind, dspy.ChatAdapter)().format(p.signature, p.demos, content[name][2])
        out.append(
            {
                "name": name,
                "instructions": p.signature.instructions,
                "demos": len(p.demos),
                # As they go to the LM: a message holding images as content parts.
                "messages": [_expand_legacy_custom_type_markers_in_chat_message({"role": m["role"], "content": m["content"]}) for m in messages],
            }
        )
    return {"dspy_version": dspy.__version__, "predictors": out}


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main(folder):
    for kind in KINDS:
        saved = os.path.join(folder, f"dspy-saved-{kind}.json")
        program = build(kind)
        program.save(saved)
        write_json(os.path.join(folder, f"dspy-saved-{kind}.dspy.json"), record(kind, program))

        from_go = os.path.join(folder, f"go-saved-{kind}.json")
        loaded = KINDS[kind][0]()
        loaded.load(from_go)
        write_json(os.path.join(folder, f"go-saved-{kind}.dspy.json"), record(kind, loaded))


if __name__ == "__main__":
    main(sys.argv[1])
