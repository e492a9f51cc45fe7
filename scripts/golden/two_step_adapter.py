"""Golden cases for the two-step adapter, produced by DSPy 3.3.1's dspy.TwoStepAdapter.

Run from the repository root:

    python scripts/golden/two_step_adapter.py > dspy/testdata/golden/two-step-adapter.json

A format case holds the messages the main LM is sent and, for the main LM's
reply it gives, the messages the extraction LM is sent. A parse case holds a
main reply, the extraction LM's replies in turn (a second one is the JSON
adapter's fallback call), and what the adapter made of them: the values, or a
failure. Field types are written in the Go package's Type JSON form.
"""

import json
import os
import sys
from typing import Any, Literal

import pydantic

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dspy  # noqa: E402
from dspy.utils.exceptions import AdapterParseError  # noqa: E402
from golden_common import RecordingLM, describe_fields, go_type, jsonable, make_sig  # noqa: E402


class Address(pydantic.BaseModel):
    street: str
    city: str


class Person(pydantic.BaseModel):
    name: str
    age: int
    address: Address


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the weather.

    In a city."""
    return f"sunny in {city}"


def no_doc(n: int, tags: list[str] | None = None):
    return n


TOOLS = {"get_weather": dspy.Tool(get_weather), "no_doc": dspy.Tool(no_doc)}


def with_results(calls, values, is_errors=None):
    results = dspy.ToolCallResults.from_tool_calls_and_values(calls, values, is_errors)
    return calls.model_copy(update={"tool_call_results": results})


def tools_jsonable(v):
    """Tools by name, which the Go test builds from the case's tool definitions;
    tool calls in the Go package's JSON form, with their results."""
    if isinstance(v, dspy.Tool):
        return v.name
    if isinstance(v, dspy.ToolCalls):
        d = {"tool_calls": [{"id": c.id, "name": c.name, "args": jsonable(c.args)} for c in v.tool_calls]}
        if v.tool_call_results is not None:
            d["tool_call_results"] = v.tool_call_results.model_dump(mode="json")
        return d
    if isinstance(v, dspy.History):
        return {"messages": [tools_jsonable(m) for m in v.messages]}
    if isinstance(v, dspy.Example):
        return tools_jsonable(dict(v.items()))
    if isinstance(v, list):
        return [tools_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: tools_jsonable(x) for k, x in v.items()}
    return jsonable(v)


def run(sig, demos, values, main_reply, extraction_replies):
    main = RecordingLM([main_reply], "main")
    extraction = RecordingLM(extraction_replies, "extraction")
    adapter = dspy.TwoStepAdapter(extraction)
    try:
        outputs = adapter(main, {}, sig, demos, values)
        return main, extraction, outputs[0], None
    except AdapterParseError as e:
        return main, extraction, None, e


def format_case(name, inputs, outputs, instructions, demos, values, main_reply, extraction_reply):
    sig = make_sig(inputs, outputs, instructions)
    main, extraction, parsed, err = run(sig, demos, values, main_reply, [extraction_reply])
    assert err is None, err
    if any(info.annotation in (dspy.Tool, list[dspy.Tool], dspy.ToolCalls) for info in sig.fields.values()):
        return {
            "name": name,
            "adapter": "TwoStepAdapter",
            "instructions": sig.instructions,
            "input_fields": describe_fields(sig.input_fields),
            "output_fields": describe_fields(sig.output_fields),
            "tools": {n: t.format_as_litellm_function_call() for n, t in TOOLS.items()},
            "demos": [tools_jsonable(d) for d in demos],
            "inputs": tools_jsonable(values),
            "messages": main.calls[0],
            "main_reply": main_reply,
            "extraction_reply": extraction_reply,
            "extraction_messages": extraction.calls[0],
            "parsed": tools_jsonable(parsed),
        }
    return {
        "name": name,
        "adapter": "TwoStepAdapter",
        "instructions": sig.instructions,
        "input_fields": describe_fields(sig.input_fields),
        "output_fields": describe_fields(sig.output_fields),
        "demos": [jsonable(d) for d in demos],
        "inputs": jsonable(values),
        "messages": main.calls[0],
        "main_reply": main_reply,
        "extraction_reply": extraction_reply,
        "extraction_messages": extraction.calls[0],
        "parsed": jsonable(parsed),
    }


def parse_case(name, outputs, completion, extraction_replies):
    sig = make_sig({"question": (str, None)}, {k: (v, None) for k, v in outputs.items()}, "Answer it.")
    _, extraction, parsed, err = run(sig, [], {"question": "q?"}, completion, extraction_replies)
    case = {
        "name": name,
        "adapter": "TwoStepAdapter",
        "signature": {"inputs": ["question"], "outputs": {k: go_type(v) for k, v in outputs.items()}},
        "inputs": {"question": "q?"},
        "completion": completion,
        "extraction_replies": extraction_replies,
        "extraction_calls": len(extraction.calls),
        "ok": err is None,
    }
    if err is None:
        case["parsed"] = jsonable(parsed)
    else:
        case["error"] = str(err).splitlines()[0]
    return case


def chat(**fields):
    return "".join(f"[[ ## {k} ## ]]\n{v}\n\n" for k, v in fields.items()) + "[[ ## completed ## ]]"


Q = {"question": (str, None)}
ada = {"name": "Ada", "age": 36, "address": {"street": "1 Loop Rd", "city": "London"}}

formats = [
    format_case(
        "basic", Q, {"answer": (str, None)}, "Answer the question.", [], {"question": "What is the capital of France?"},
        "The capital of France is Paris.", chat(answer="Paris"),
    ),
    format_case(
        "lists_bools_demos",
        {"question": (str, None), "context": (list[str], "Passages.")},
        {"answer": (int, "The number."), "confident": (bool, None)},
        "Read the context.\n    Then answer with a number.",
        [
            dspy.Example(question="1+1?", context=["one", "two"], answer=2, confident=True),
            dspy.Example(question="2+2?", context=[], answer=4, confident=False),
        ],
        {"question": "2+3?", "context": ["five is 2+3", "it's\nmulti-line"]},
        "Five. I am sure.", chat(answer="5", confident="True"),
    ),
    format_case(
        "literals_multi_output",
        Q,
        {"reasoning": (str, None), "label": (Literal["yes", "no", "it's unclear"], "The verdict."), "score": (float, None)},
        "Judge the claim.",
        [dspy.Example(question="Is 2 even?", reasoning="2 = 2 * 1.", label="yes", score=0.9)],
        {"question": "Is 7 even?"},
        "7 is odd, so no; confidence 0.95.", chat(reasoning="7 is odd.", label="no", score="0.95"),
    ),
    format_case(
        "incomplete_demos",
        {"question": (str, None), "hint": (str, None)},
        {"answer": (str, None), "steps": (list[str], None)},
        "Answer with steps.",
        [
            dspy.Example(question="complete?", hint="yes", answer="fully", steps=["a", "b"]),
            dspy.Example(question="no hint", answer="partly", steps=["c"]),
            dspy.Example(question="no steps", hint="h", answer="only answer"),
            dspy.Example(question="inputs only", hint="h"),
            dspy.Example(question="none value", hint=None, answer="x", steps=None),
        ],
        {"question": "now?", "hint": "think"},
        "Do a then b; the answer is done.", chat(answer="done", steps='["a", "b"]'),
    ),
    format_case(
        "objects",
        {"record": (dict[str, Any], "A record."), "ids": (list[int], None)},
        {"person": (Person, "Who it is about."), "meta": (dict[str, Any], None)},
        "Extract the person.",
        [dspy.Example(record={"who": "Ada", "n": 1.5, "ok": True, "none": None}, ids=[3, 1], person=ada, meta={"k": [1, "two"]})],
        {"record": {"who": "Alan", "where": "Wilmslow"}, "ids": []},
        "Alan Turing, 41, lives at 1 Adlington Rd, Wilmslow.",
        chat(person=json.dumps({"name": "Alan", "age": 41, "address": {"street": "1 Adlington Rd", "city": "Wilmslow"}}), meta="{}"),
    ),
    format_case(
        "image_input",
        {"image": (dspy.Image, "The photo."), "question": (str, None)},
        {"answer": (str, None)},
        "Describe what is asked.",
        [dspy.Example(image=dspy.Image("https://example.com/dog.png"), question="Animal?", answer="A dog.")],
        {"image": dspy.Image("data:image/png;base64,iVBORw0KGgo="), "question": "What is shown?"},
        "A cat sits on a mat.", chat(answer="A cat."),
    ),
    format_case(
        "history",
        {"question": (str, None), "history": (dspy.History, "The conversation so far.")},
        {"answer": (str, None), "sure": (bool, None)},
        "Carry on the conversation.",
        [],
        {
            "question": "And in 'Rome'?",
            "history": dspy.History(messages=[
                {"question": "What's the time in Paris?", "answer": "Noon.", "sure": True},
                {"question": "café \"au lait\"?", "answer": None},
                {"question": "nested?", "answer": "yes", "meta": {"z": 1, "a": [2.5, None, False]}},
                {"answer": "an answer alone"},
            ]),
        },
        "It is noon in Rome as well, I'm quite sure.", chat(answer="Noon.", sure="True"),
    ),
    format_case(
        "history_with_demos",
        {"history": (dspy.History, None), "question": (str, None)},
        {"answer": (str, None)},
        "Answer in context.",
        [
            dspy.Example(history=dspy.History(messages=[{"question": "a?", "answer": "b"}]), question="c?", answer="d"),
            dspy.Example(history=dspy.History(messages=[]), question="empty history?", answer="none"),
            dspy.Example(question="no history", answer="partial"),
            dspy.Example(history=dspy.History(messages=[{"question": "only input"}]), question="no answer"),
        ],
        {"history": dspy.History(messages=[{"question": "1+1?", "answer": "2"}, {"question": "times 3?", "answer": "6"}]), "question": "minus 1?"},
        "That makes 5.", chat(answer="5"),
    ),
    format_case(
        "tools_and_tool_calls",
        {"question": (str, None), "history": (dspy.History, None), "tools": (list[dspy.Tool], None), "tool": (dspy.Tool, None)},
        {"answer": (str, None), "calls": (dspy.ToolCalls, None)},
        "Use the tools.",
        [
            dspy.Example(
                question="Weather in Paris?", tools=[TOOLS["get_weather"]], tool=TOOLS["no_doc"],
                answer="Let me look.", calls=dspy.ToolCalls.from_dict_list([{"name": "get_weather", "args": {"unit": "celsius", "city": "Paris"}}]),
            ),
        ],
        {
            "question": "And in Rome?",
            "history": dspy.History(messages=[
                {"question": "Oslo?", "calls": with_results(
                    dspy.ToolCalls.from_dict_list([{"id": "c1", "name": "get_weather", "args": {"city": "Oslo"}}, {"name": "no_doc", "args": {"n": 2}}]),
                    ["rain", {"n": [2, None]}], [False, True])},
                {"question": "Lisbon?", "answer": "Sunny.", "calls": dspy.ToolCalls.from_dict_list([{"name": "get_weather", "args": {"city": "Lisbon"}}])},
            ]),
            "tools": [TOOLS["get_weather"], TOOLS["no_doc"]],
            "tool": TOOLS["get_weather"],
        },
        "I would call get_weather for Rome.",
        chat(answer="Checking.", calls=json.dumps({"tool_calls": [{"name": "get_weather", "args": {"city": "Rome"}}]})),
    ),
    format_case(
        "history_with_images",
        {"question": (str, None), "history": (dspy.History, None)},
        {"answer": (str, None)},
        "Answer about the pictures.",
        [],
        {
            "question": "And this one?",
            "history": dspy.History(messages=[
                {"question": "What is it?", "image": dspy.Image("https://example.com/cat.png"), "answer": "A cat."},
                {"question": "And here?", "image": dspy.Image("data:image/png;base64,iVBORw0KGgo="), "answer": "A pixel."},
            ]),
        },
        "Another cat.", chat(answer="A cat."),
    ),
    format_case(
        "empty_history",
        {"question": (str, None), "history": (dspy.History, None)},
        {"answer": (str, None)},
        "",
        [],
        {"question": "Hi?", "history": dspy.History(messages=[])},
        "Hello!", chat(answer="Hello!"),
    ),
]

parses = [
    parse_case("string", {"answer": str}, "I think it is Paris.", [chat(answer="Paris")]),
    parse_case("int_and_bool", {"answer": int, "confident": bool}, "42, surely.", [chat(answer="42", confident="true")]),
    parse_case("literal", {"label": Literal["yes", "no"]}, "No way.", [chat(label="'no'")]),
    parse_case("lists", {"tags": list[str], "counts": list[int]}, "red and green; 1, 2, 3", [chat(tags='["red", "green"]', counts="[1, 2, 3]")]),
    parse_case("object", {"person": Person}, "Ada, 36, of 1 Loop Rd, London.", [chat(person=json.dumps(ada))]),
    parse_case("dict", {"meta": dict[str, Any]}, "k is 1", [chat(meta='{"k": 1, "nested": {"a": [true, null]}}')]),
    parse_case("multi_output_text_around", {"reasoning": str, "answer": float}, "Half of one is 0.5.", ["Sure.\n" + chat(reasoning="Half.", answer="0.5") + "\nBye."]),
    parse_case("json_fallback", {"answer": int}, "The answer is 7.", ["I cannot say.", '{"answer": 7}']),
    parse_case("extraction_misses_field", {"answer": str, "confidence": float}, "Paris.", [chat(answer="Paris"), '{"answer": "Paris"}']),
    parse_case("extraction_bad_value", {"answer": int}, "Forty-two.", [chat(answer="forty-two"), '{"answer": "forty-two"}']),
    parse_case("empty_main_reply", {"answer": str}, "", []),
]

json.dump({"format": formats, "parse": parses}, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
