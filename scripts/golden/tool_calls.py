"""Golden cases for native tool calling, produced by DSPy 3.3.1's ChatAdapter and
JSONAdapter with dspy.Tool inputs and dspy.ToolCalls outputs.

Run from the repository root:

    python scripts/golden/tool_calls.py > dspy/testdata/golden/tool-calls.json

Every case runs the adapter's whole call (preprocess, format, LM call, postprocess)
against a recording LM, so a format case holds the messages AND the `tools` field
sent, and a parse case holds what the adapter read back from a reply made of text
and provider tool calls. Field types are written in the Go package's Type JSON form,
with "Tool", "list[Tool]" and "ToolCalls" for DSPy's tool types.
"""

import json
import os
import sys
from typing import Any, Literal

import pydantic

import dspy
from dspy.utils.exceptions import AdapterParseError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from golden_common import FunctionCallingLM, go_type  # noqa: E402


class Flight(pydantic.BaseModel):
    origin: str
    dest: str


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather for a city."""
    return f"sunny in {city}"


def search(query: str, max_results: int = 3, exact: bool = False) -> list[str]:
    """Search the web.

    Returns short snippets."""
    return [query]


def book(flight: Flight, passengers: int, notes: dict[str, Any] | None = None) -> str:
    """Book a flight."""
    return "booked"


def no_args() -> str:
    return "ok"


class Stop(pydantic.BaseModel):
    """A stop on the way."""

    place: str
    minutes: int = 10


def plan(
    steps: list[str],
    stops: list[Stop],
    mode: Literal["fast", "slow"] | None = None,
    budget: float = 2.0,
    label: str = "trip",
    limits: dict[str, int] | None = None,
    note="",
) -> str:
    """Plan a trip: "quoted", it's fine."""
    return "planned"


TOOLS = {"get_weather": get_weather, "search": search, "book": book, "no_args": no_args, "plan": plan}

# Argument descriptions given to dspy.Tool, which it appends to the argument's schema.
ARG_DESC = {"plan": {"steps": "What to do, in order.", "budget": "Hours\nat most."}}


def make_tool(name):
    return dspy.Tool(TOOLS[name], arg_desc=ARG_DESC.get(name))


def tools_of(names):
    return [make_tool(n) for n in names]


class RecordingLM(FunctionCallingLM):
    """Answers with fixed outputs and remembers the request it was sent."""

    def __init__(self, outputs):
        super().__init__(model="openai/recorder")
        self.outputs = outputs
        self.requests = []

    def __call__(self, prompt=None, messages=None, **kwargs):
        self.requests.append({"messages": messages, **kwargs})
        return self.outputs



def make_sig(inputs, outputs, instructions):
    fields = {}
    for name, annotation in inputs.items():
        fields[name] = (annotation, dspy.InputField())
    for name, annotation in outputs.items():
        fields[name] = (annotation, dspy.OutputField())
    return dspy.make_signature(fields, instructions)


def jsonable(v):
    if isinstance(v, dspy.ToolCalls):
        return {"tool_calls": [{"id": c.id, "name": c.name, "args": jsonable(c.args)} for c in v.tool_calls]}
    if isinstance(v, pydantic.BaseModel):
        return v.model_dump(mode="json")
    if isinstance(v, dspy.Example):
        return jsonable(dict(v.items()))
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def adapter_of(name, native):
    if name == "ChatAdapter":
        return dspy.ChatAdapter(use_native_function_calling=native, use_json_adapter_fallback=False)
    return dspy.JSONAdapter(use_native_function_calling=native)


def demo_values(demo):
    return {k: jsonable(v) for k, v in demo.items()}


def format_case(name, adapter, native, inputs, outputs, instructions, demos, values, tool_names):
    sig = make_sig(inputs, outputs, instructions)
    lm = RecordingLM(["[[ ## completed ## ]]"])
    full = dict(values)
    tool_field = next((k for k, v in inputs.items() if v in (list[dspy.Tool], dspy.Tool)), None)
    if tool_field:
        tools = tools_of(tool_names)
        full[tool_field] = tools if inputs[tool_field] == list[dspy.Tool] else tools[0]
    try:
        adapter_of(adapter, native)(lm, {}, sig, demos, full)
    except Exception:
        pass  # the reply does not matter: only the request is recorded
    req = lm.requests[0]
    rf = req.get("response_format")
    if isinstance(rf, type):
        rf = {"type": "json_schema", "schema": rf.model_json_schema()}
    return {
        "name": name,
        "adapter": adapter,
        "native": native,
        "instructions": sig.instructions,
        "inputs_types": {k: go_type(v) for k, v in inputs.items()},
        "outputs_types": {k: go_type(v) for k, v in outputs.items()},
        "tools": tool_names,
        "demos": [demo_values(d) for d in demos],
        "values": jsonable(values),
        "messages": req["messages"],
        "sent_tools": req.get("tools"),
        "response_format": rf,
    }


def provider_call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def parse_case(name, adapter, native, outputs, text, tool_calls):
    inputs = {"question": str, "tools": list[dspy.Tool]}
    sig = make_sig(inputs, outputs, "Use the tools.")
    output = text if tool_calls is None else {"text": text, "tool_calls": tool_calls}
    lm = RecordingLM([output])
    case = {
        "name": name,
        "adapter": adapter,
        "native": native,
        "outputs_types": {k: go_type(v) for k, v in outputs.items()},
        "text": text,
        "tool_calls": tool_calls,
    }
    try:
        parsed = adapter_of(adapter, native)(lm, {}, sig, [], {"question": "q", "tools": tools_of(["get_weather", "search", "book"])})
    except (AdapterParseError, ValueError) as e:
        case["ok"] = False
        case["error"] = str(e).splitlines()[0]
        return case
    case["ok"] = True
    case["parsed"] = jsonable(parsed[0])
    return case


QT = {"question": str, "tools": list[dspy.Tool]}
weather_calls = dspy.ToolCalls.from_dict_list([{"name": "get_weather", "args": {"city": "Paris"}}])
two_calls = dspy.ToolCalls.from_dict_list(
    [{"name": "search", "args": {"query": "Eiffel tower height", "exact": True}}, {"name": "get_weather", "args": {"city": "Lyon", "unit": "fahrenheit"}}]
)


def format_cases(adapter):
    out = []
    for native in (True, False):
        tag = "native" if native else "text"
        out += [
            format_case(f"{tag}_basic", adapter, native, QT, {"answer": str, "calls": dspy.ToolCalls}, "Answer, calling tools if needed.", [],
                        {"question": "What is the weather in Paris?"}, ["get_weather", "search"]),
            format_case(f"{tag}_only_tool_calls", adapter, native, QT, {"calls": dspy.ToolCalls}, "Pick the tools to call.", [],
                        {"question": "Book me a flight from Paris to Rome for two."}, ["book", "no_args"]),
            format_case(f"{tag}_multi_output", adapter, native,
                        {"question": str, "context": list[str], "tools": list[dspy.Tool]},
                        {"reasoning": str, "answer": int, "confident": bool, "label": Literal["yes", "no"], "calls": dspy.ToolCalls},
                        "Think, then answer.\n    Call tools when unsure.", [],
                        {"question": "How tall is it?", "context": ["The tower is in Paris.", "It is made of iron."]},
                        ["search", "get_weather", "book"]),
            format_case(f"{tag}_demos", adapter, native, QT, {"answer": str, "calls": dspy.ToolCalls}, "Answer.",
                        [
                            dspy.Example(question="Weather in Paris?", answer="Let me check.", calls=weather_calls),
                            dspy.Example(question="Eiffel tower?", answer="Searching.", calls=two_calls),
                        ],
                        {"question": "Weather in Oslo?"}, ["get_weather", "search"]),
            format_case(f"{tag}_incomplete_demos", adapter, native, QT, {"answer": str, "calls": dspy.ToolCalls}, "Answer.",
                        [
                            dspy.Example(question="Weather in Paris?", calls=weather_calls),
                            dspy.Example(question="Hi?", answer="Hello."),
                            dspy.Example(question="Eiffel tower?", answer="Searching.", calls=two_calls),
                        ],
                        {"question": "Weather in Oslo?"}, ["get_weather", "search"]),
            format_case(f"{tag}_object_args", adapter, native, QT, {"answer": str, "calls": dspy.ToolCalls}, "Book what is asked.", [],
                        {"question": "Fly me from Oslo to Rome."}, ["book", "search", "get_weather", "no_args"]),
        ]
    out.append(format_case("tools_without_tool_calls_output", adapter, True, QT, {"answer": str}, "Answer.", [],
                           {"question": "What tools are there?"}, ["get_weather"]))
    return out


def parse_cases(adapter):
    ans = {"answer": str, "calls": dspy.ToolCalls}
    chat = adapter == "ChatAdapter"

    def text(**fields):
        if chat:
            return "".join(f"[[ ## {k} ## ]]\n{v}\n\n" for k, v in fields.items()) + "[[ ## completed ## ]]"
        return json.dumps(fields)

    cases = [
        parse_case("several_calls", adapter, True, ans, text(answer="Checking both."), [
            provider_call("call_1", "search", '{"query": "Eiffel tower height", "max_results": 2}'),
            provider_call("call_2", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
        ]),
        parse_case("no_call", adapter, True, ans, text(answer="It is sunny."), None),
        parse_case("literal_bool_object_args", adapter, True, ans, text(answer="Booking."), [
            provider_call("call_a", "book", '{"flight": {"origin": "OSL", "dest": "FCO"}, "passengers": 2, "notes": {"window": true, "meal": null}}'),
            provider_call("call_b", "search", '{"query": "rome", "exact": false}'),
            provider_call("call_c", "get_weather", '{"city": "Rome", "unit": "fahrenheit"}'),
        ]),
        parse_case("calls_without_text", adapter, True, ans, None, [provider_call("call_x", "get_weather", '{"city": "Oslo"}')]),
        parse_case("only_tool_calls_output", adapter, True, {"calls": dspy.ToolCalls}, None, [provider_call("c1", "search", '{"query": "x"}')]),
        parse_case("repaired_arguments", adapter, True, ans, text(answer="Fine."), [provider_call("c2", "get_weather", '{"city": "Oslo", "unit": "celsius"')]),
        parse_case("unparseable_text_with_calls", adapter, True, {"reasoning": str, "answer": int, "calls": dspy.ToolCalls}, "I will call a tool.",
                   [provider_call("c3", "search", '{"query": "y"}')]),
        parse_case("multi_output_no_call", adapter, True, {"reasoning": str, "answer": int, "confident": bool, "calls": dspy.ToolCalls},
                   text(reasoning="Two and two.", answer="4", confident="True"), None),
        parse_case("empty_reply", adapter, True, ans, "", None),
    ]
    calls_json = json.dumps({"tool_calls": [{"name": "search", "args": {"query": "cats", "max_results": 5}}, {"name": "get_weather", "args": {"city": "Nice"}}]})
    if chat:
        cases += [
            parse_case("text_tool_calls_object", adapter, False, ans, f"[[ ## answer ## ]]\nLooking.\n\n[[ ## calls ## ]]\n{calls_json}\n\n[[ ## completed ## ]]", None),
            parse_case("text_tool_calls_list", adapter, False, ans,
                       '[[ ## answer ## ]]\nOk.\n\n[[ ## calls ## ]]\n[{"name": "book", "args": {"flight": {"origin": "A", "dest": "B"}, "passengers": 1}}]\n\n[[ ## completed ## ]]', None),
            parse_case("text_single_call", adapter, False, ans,
                       '[[ ## answer ## ]]\nOk.\n\n[[ ## calls ## ]]\n{"name": "get_weather", "args": {"city": "Bern"}}\n\n[[ ## completed ## ]]', None),
            parse_case("text_openai_shaped_call", adapter, False, ans,
                       '[[ ## answer ## ]]\nOk.\n\n[[ ## calls ## ]]\n[{"id": "call_9", "type": "function", "function": {"name": "search", "arguments": "{\\"query\\": \\"owls\\"}"}}]\n\n[[ ## completed ## ]]', None),
            parse_case("text_invalid_calls", adapter, False, ans, "[[ ## answer ## ]]\nOk.\n\n[[ ## calls ## ]]\nsearch for owls\n\n[[ ## completed ## ]]", None),
        ]
    else:
        cases += [
            parse_case("text_tool_calls_object", adapter, False, ans, json.dumps({"answer": "Looking.", "calls": json.loads(calls_json)}), None),
            parse_case("text_tool_calls_list", adapter, False, ans,
                       json.dumps({"answer": "Ok.", "calls": [{"name": "book", "args": {"flight": {"origin": "A", "dest": "B"}, "passengers": 1}}]}), None),
            parse_case("text_single_call", adapter, False, ans, json.dumps({"answer": "Ok.", "calls": {"name": "get_weather", "args": {"city": "Bern"}}}), None),
            parse_case("text_tool_calls_string", adapter, False, ans, json.dumps({"answer": "Ok.", "calls": calls_json}), None),
            parse_case("text_invalid_calls", adapter, False, ans, json.dumps({"answer": "Ok.", "calls": "search for owls"}), None),
        ]
    return cases


def tool_definitions():
    return {n: make_tool(n).format_as_litellm_function_call() for n in TOOLS}


def validation_cases():
    """What Tool.__call__ says about bad arguments, and ReAct's observation for it."""
    out = []
    tool = dspy.Tool(get_weather)
    for args in [{"city": 3}, {"city": "Oslo", "unit": "kelvin"}, {"town": "Oslo"}]:
        try:
            tool(**args)
            out.append({"tool": "get_weather", "args": args, "error": None})
        except Exception as e:
            out.append({"tool": "get_weather", "args": args, "error": str(e)})
    return out


def history_cases():
    """History turns holding tool calls: with native calling and results whose ids
    match the calls, an assistant message with `tool_calls` and one `tool` message
    per result; otherwise the calls as text and the results in a user message."""
    sig = make_sig({"question": str, "history": dspy.History, "tools": list[dspy.Tool]},
                   {"answer": str, "calls": dspy.ToolCalls}, "Use the tools.")
    one = dspy.ToolCalls.from_dict_list([{"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}])
    two = dspy.ToolCalls.from_dict_list([
        {"id": "c2", "name": "search", "args": {"query": "Lyon", "exact": True}},
        {"id": "c3", "name": "get_weather", "args": {"city": "Lyon"}},
    ])
    no_ids = dspy.ToolCalls.from_dict_list([{"name": "get_weather", "args": {"city": "Oslo"}}])

    def with_results(calls, values):
        results = dspy.ToolCallResults.from_tool_calls_and_values(calls, values)
        return calls.model_copy(update={"tool_call_results": results})

    turns = {
        "results": [{"question": "Weather in Paris?", "calls": with_results(one, ["sunny in Paris"]), "answer": "Sunny."}],
        "two_results_no_answer": [{"question": "Lyon?", "calls": with_results(two, [["Lyon is a city"], {"temp": 21, "sky": "clear"}])}],
        "calls_without_results": [{"question": "Again?", "calls": one, "answer": "Still sunny."}],
        "results_without_ids": [{"question": "Oslo?", "calls": with_results(no_ids, ["rain"]), "answer": "Rain."}],
        "mixed_turns": [
            {"question": "Weather in Paris?", "calls": with_results(one, ["sunny in Paris"])},
            {"question": "Thanks. And tomorrow?", "answer": "Also sunny."},
        ],
    }
    out = []
    for adapter in ("ChatAdapter", "JSONAdapter"):
        for native in (True, False):
            for name, history in turns.items():
                lm = RecordingLM(["[[ ## completed ## ]]"])
                values = {"question": "And now?", "history": dspy.History(messages=history), "tools": tools_of(["get_weather", "search"])}
                try:
                    adapter_of(adapter, native)(lm, {}, sig, [], values)
                except Exception:
                    pass  # only the request matters
                out.append({
                    "name": f"{'native' if native else 'text'}_{name}",
                    "adapter": adapter,
                    "native": native,
                    "turns": [jsonable_turn(t) for t in history],
                    "messages": lm.requests[0]["messages"],
                })
    return out


def jsonable_turn(turn):
    out = {}
    for k, v in turn.items():
        if isinstance(v, dspy.ToolCalls):
            d = jsonable(v)
            if v.tool_call_results is not None:
                d["tool_call_results"] = v.tool_call_results.model_dump(mode="json")
            out[k] = d
        else:
            out[k] = jsonable(v)
    return out


def react_cases():
    """The messages of ReAct's first step, whose instructions list the tools in text."""
    out = []
    for adapter in ["ChatAdapter", "JSONAdapter"]:
        names = list(TOOLS)
        agent = dspy.ReAct(make_sig({"question": str}, {"answer": str}, "Plan with the tools."), tools=tools_of(names))
        messages = adapter_of(adapter, False).format(agent.react.signature, [], {"question": "Where to?", "trajectory": ""})
        out.append({"adapter": adapter, "tools": names, "instructions": agent.react.signature.instructions, "messages": messages})
    return out


json.dump(
    {
        "dspy_version": dspy.__version__,
        "tool_definitions": tool_definitions(),
        "tool_strings": {n: str(make_tool(n)) for n in TOOLS},
        "format": format_cases("ChatAdapter") + format_cases("JSONAdapter"),
        "parse": parse_cases("ChatAdapter") + parse_cases("JSONAdapter"),
        "validation": validation_cases(),
        "history": history_cases(),
        "react": react_cases(),
    },
    sys.stdout,
    indent=1,
    ensure_ascii=False,
)
sys.stdout.write("\n")
