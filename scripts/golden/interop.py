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
and dspy-saved-ensemble_compiled.json, an Ensemble of members DSPy's
optimizers compiled, as DSPy saves it (see save_compiled_ensemble).
The Go tests in dspy/interop*_test.go read them. The programs, their demos and
instructions, and the inputs each predictor is called with must match the Go
side's interopCases.
"""

import base64
import json
import os
import sys

import numpy as np

import dspy
from dspy.adapters._legacy_type_markers import _expand_legacy_custom_type_markers_in_chat_message

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from golden_common import FunctionCallingLM  # noqa: E402


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



def negate(x: int) -> int:
    """Negate an integer."""
    return -x


def native_react_instructions(signature):
    """The react step's instructions durable-dspy's NewNativeReAct writes (its
    own words: DSPy 3.3.1 has no native ReAct), from DSPy's ReAct preamble."""
    inputs = ", ".join(f"`{k}`" for k in signature.input_fields)
    outputs = ", ".join(f"`{k}`" for k in signature.output_fields)
    instr = [f"{signature.instructions}\n"] if signature.instructions else []
    instr += [
        f"You are an Agent. In each episode, you will be given the fields {inputs} as input. And you can see your past trajectory so far.",
        f"Your goal is to use one or more of the supplied tools to collect any necessary information for producing {outputs}.\n",
        "To do this, in each turn you will write next_thought and call one or more of the supplied tools; calls that do not depend on each other may be made in the same turn.",
        "After each turn, the result of every tool call is appended to your trajectory as an observation.\n",
        "When writing next_thought, you may reason about the current situation and plan for future steps.",
        f"When all information for producing {outputs} is available, call the `finish` tool.",
    ]
    return "\n".join(instr)


class NativeReAct(dspy.ReAct):
    """durable-dspy's NewNativeReAct from DSPy's parts: DSPy's ReAct whose react
    step takes the tools as a list[dspy.Tool] input and answers with a
    dspy.ToolCalls output, so an adapter with use_native_function_calling sends
    them in the request's tools field. DSPy 3.3.1 has no such module (its
    experimental ReActV2 keeps a History instead of the trajectory and has no
    extract step); only its predictors, react and extract.predict, matter here."""

    def __init__(self, signature, tools):
        super().__init__(signature, tools)
        self.react = dspy.Predict(
            dspy.Signature({**self.signature.input_fields}, native_react_instructions(self.signature))
            .append("trajectory", dspy.InputField(), type_=str)
            .append("tools", dspy.InputField(), type_=list[dspy.Tool])
            .append("next_thought", dspy.OutputField(), type_=str)
            .append("next_tool_calls", dspy.OutputField(), type_=dspy.ToolCalls)
        )


def tool_calls(*calls):
    return dspy.ToolCalls.from_dict_list([{"name": name, "args": args} for name, args in calls])


NATIVE_TRAJECTORY = (
    "[[ ## thought_0 ## ]]\nI add 5 and 8.\n\n"
    '[[ ## tool_calls_0 ## ]]\n{"tool_calls": [{"name": "add", "args": {"a": 5, "b": 8}}]}\n\n'
    "[[ ## observations_0 ## ]]\n[1] «13»"
)
# The agent's own tools, add then finish, as its react step is called with.
AGENT_TOOLS = list(NativeReAct("question -> answer: int", tools=[add]).tools.values())
TOOLS = [dspy.Tool(add), dspy.Tool(negate)]

KINDS["native_react"] = (
    lambda: NativeReAct("question -> answer: int", tools=[add]),
    {
        "react": (
            None,
            [
                dspy.Example(
                    question="What is 2 + 40?",
                    trajectory="",
                    tools=AGENT_TOOLS,
                    next_thought="I add the two numbers with the tool.",
                    next_tool_calls=tool_calls(("add", {"a": 2, "b": 40})),
                    augmented=True,
                ),
                dspy.Example(question="What is 1 + 1?", next_thought="One and one make two; I can finish."),
            ],
            {"question": "What is 5 + 8?", "trajectory": NATIVE_TRAJECTORY, "tools": AGENT_TOOLS},
        ),
        "extract.predict": (
            "Read the trajectory and give the final answer as an integer.",
            [
                dspy.Example(
                    question="What is 2 + 40?",
                    trajectory="[[ ## observations_0 ## ]]\n[1] «42»",
                    reasoning="The tool returned 42.",
                    answer=42,
                    augmented=True,
                ),
            ],
            {"question": "What is 5 + 8?", "trajectory": NATIVE_TRAJECTORY},
        ),
    },
)
KINDS["tool_calls"] = (
    lambda: dspy.Predict(
        dspy.Signature(
            "question, tools: list[dspy.Tool] -> answer, calls: dspy.ToolCalls",
            "Answer the question; call the tools you need.",
        )
    ),
    {
        "self": (
            "Call a tool for every arithmetic step.",
            [
                dspy.Example(
                    question="What is -(2 + 3)?",
                    tools=TOOLS,
                    answer="I add, then negate.",
                    calls=tool_calls(("add", {"a": 2, "b": 3}), ("negate", {"x": 5})),
                    augmented=True,
                ),
                dspy.Example(question="What is 4 + 4?", answer="8"),
            ],
            {"question": "What is -(6 + 7)?", "tools": TOOLS},
        ),
    },
)
# The same Predict with a chat adapter that does not call natively: the tools
# are written into the prompt, and the demos' calls as JSON.
KINDS["tool_calls_text"] = KINDS["tool_calls"]

# Ensemble().compile(programs) returns a module holding the members in its
# list attribute `programs`; its predictors are programs[i] or programs[i].PATH.
KINDS["ensemble"] = (
    lambda: dspy.Ensemble(reduce_fn=dspy.majority).compile([dspy.ChainOfThought("question -> answer: int") for _ in range(3)]),
    {
        "programs[0].predict": (
            "Think it through, then answer with a single integer.",
            [dspy.Example(question="What is 3 * 3?", reasoning="3 times 3 is 9.", answer=9, augmented=True)],
            {"question": "What is 7 * 6?"},
        ),
        "programs[1].predict": (None, [dspy.Example(question="What is 10 - 4?", answer=6)], {"question": "What is 7 * 6?"}),
        "programs[2].predict": ("Answer with an integer; show your arithmetic.", [], {"question": "What is 7 * 6?"}),
    },
)
KINDS["ensemble_predict"] = (
    lambda: dspy.Ensemble(reduce_fn=dspy.majority).compile([dspy.Predict("question -> answer: int") for _ in range(2)]),
    {
        "programs[0]": (
            "Answer the arithmetic question with a single integer.",
            [dspy.Example(question="What is 2 + 3?", answer=5, augmented=True)],
            {"question": "What is 6 * 7?"},
        ),
        "programs[1]": (None, [dspy.Example(question="What is 10 - 4?", answer=6)], {"question": "What is 6 * 7?"}),
    },
)

KNN_TRAINSET = [
    dspy.Example(question="What is 2 + 3?", answer=5).with_inputs("question"),
    dspy.Example(question="What is 12 - 4?", answer=8).with_inputs("question"),
    dspy.Example(question="What is 6 * 7?", answer=42).with_inputs("question"),
]


def operator_embedder(texts):
    """The Go case's embedder: a text's arithmetic operators."""
    return np.array([[t.count("+"), t.count("-"), t.count("*"), 1] for t in texts], dtype=np.float32)


# The student, as given to KNNFewShot; the kind's program is what compile
# returns (see COMPILE).
KINDS["knn_fewshot"] = (
    lambda: dspy.ChainOfThought("question -> answer: int"),
    {
        "predict": (
            "Think it through, then answer with a single integer.",
            [dspy.Example(question="What is 3 * 3?", reasoning="3 times 3 is 9.", answer=9, augmented=True)],
            {"question": "What is 7 * 6?"},
        ),
    },
)

# Kinds whose program is an optimizer's output: the built (or fresh) student
# goes through the optimizer's compile.
COMPILE = {
    "knn_fewshot": lambda student: dspy.KNNFewShot(
        k=2, trainset=KNN_TRAINSET, vectorizer=dspy.Embedder(operator_embedder), max_bootstrapped_demos=0, max_labeled_demos=2
    ).compile(student),
}

# The adapter each kind's predictors use; DSPy does not save it, so both sides
# set it on the fresh program. The others use the ChatAdapter.
ADAPTERS = {
    "xml_adapter": dspy.XMLAdapter,
    "two_step": lambda: dspy.TwoStepAdapter(dspy.LM("openai/extraction-model")),
    "native_react": lambda: dspy.ChatAdapter(use_native_function_calling=True),
    "tool_calls": dspy.JSONAdapter,
    "tool_calls_text": lambda: dspy.ChatAdapter(use_json_adapter_fallback=False),
}


class RecordingLM(FunctionCallingLM):
    """An LM that supports function calling and structured outputs, as the
    OpenAI models do, and fails every call once its request is recorded."""

    def __init__(self):
        super().__init__(model="openai/recorder")
        self.requests = []

    def __call__(self, prompt=None, messages=None, **kwargs):
        self.requests.append({"messages": messages, **kwargs})
        raise RuntimeError("recorded")


def sent_request(adapter, signature, demos, inputs):
    """The request the adapter's whole call sends (native tools planned, as
    format alone does not): its messages, tools and response format type."""
    lm = RecordingLM()
    try:
        adapter(lm, {}, signature, demos, inputs)
    except Exception:
        pass  # only the request matters
    req = lm.requests[0]
    rf = req.get("response_format")
    if isinstance(rf, type):
        rf = "json_schema"
    elif isinstance(rf, dict):
        rf = rf["type"]
    return req["messages"], req.get("tools"), rf


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
    return COMPILE.get(kind, lambda p: p)(program)


def fresh(kind):
    """A fresh program of the kind, to load a file into."""
    program = KINDS[kind][0]()
    return COMPILE.get(kind, lambda p: p)(program)


def record(kind, program):
    """Each predictor's instructions, demo count and the messages DSPy's
    adapter formats for the kind's call of it."""
    _, content = KINDS[kind]
    out = []
    for name, p in program.named_predictors():
        adapter = ADAPTERS.get(kind, dspy.ChatAdapter)()
        entry = {"name": name, "instructions": p.signature.instructions, "demos": len(p.demos)}
        if any(f.annotation is dspy.ToolCalls for f in p.signature.output_fields.values()):
            messages, entry["tools"], entry["response_format"] = sent_request(adapter, p.signature, p.demos, content[name][2])
        else:
            messages = adapter.format(p.signature, p.demos, content[name][2])
        # As they go to the LM: a message holding images as content parts.
        entry["messages"] = [_expand_legacy_custom_type_markers_in_chat_message({"role": m["role"], "content": m["content"]}) for m in messages]
        out.append(entry)
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
        loaded = fresh(kind)
        loaded.load(from_go)
        write_json(os.path.join(folder, f"go-saved-{kind}.dspy.json"), record(kind, loaded))
    save_compiled_ensemble(folder)


def save_compiled_ensemble(folder):
    """An Ensemble of members DSPy's optimizers compiled, as DSPy saves it.
    BootstrapFewShot (and every optimizer built on it) marks the program it
    returns _compiled, and named_parameters skips a compiled sub-module, so
    the file holds no predictor, only metadata."""
    members = [build("chain_of_thought") for _ in range(3)]
    for m in members:
        m._compiled = True
    program = dspy.Ensemble(reduce_fn=dspy.majority).compile(members)
    assert program.named_predictors() == []
    program.save(os.path.join(folder, "dspy-saved-ensemble_compiled.json"))


if __name__ == "__main__":
    main(sys.argv[1])
