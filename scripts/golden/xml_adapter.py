"""Golden cases for the XML adapter, produced by DSPy 3.3.1's dspy.XMLAdapter.

Run from the repository root:

    python scripts/golden/xml_adapter.py > dspy/testdata/golden/xml-adapter.json

Each field type is written in the Go package's Type JSON form ("int",
"list[str]", {"name", "schema"}, {"list": ...}), so the Go test builds the same
signature without knowing Python's annotations.
"""

import json
import os
import sys
from typing import Any, Literal

import pydantic

import dspy
from dspy.utils.exceptions import AdapterParseError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from golden_common import go_type  # noqa: E402


class Address(pydantic.BaseModel):
    street: str
    city: str


class Person(pydantic.BaseModel):
    name: str
    age: int
    address: Address


class Step(pydantic.BaseModel):
    title: str
    done: bool
    tags: list[str]



def make_sig(inputs, outputs, instructions):
    fields = {}
    for name, (annotation, desc) in inputs.items():
        fields[name] = (annotation, dspy.InputField(desc=desc) if desc else dspy.InputField())
    for name, (annotation, desc) in outputs.items():
        fields[name] = (annotation, dspy.OutputField(desc=desc) if desc else dspy.OutputField())
    return dspy.make_signature(fields, instructions)


def describe_fields(fields):
    return {
        name: {"desc": info.json_schema_extra["desc"], "prefix": info.json_schema_extra["prefix"], "type": go_type(info.annotation)}
        for name, info in fields.items()
    }


def jsonable(v):
    if isinstance(v, pydantic.BaseModel):
        return v.model_dump(mode="json")
    if isinstance(v, dspy.Example):
        return jsonable(dict(v.items()))
    if isinstance(v, dspy.History):
        return {"messages": jsonable(v.messages)}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def format_case(name, inputs, outputs, instructions, demos, values):
    sig = make_sig(inputs, outputs, instructions)
    messages = dspy.XMLAdapter().format(sig, demos, values)
    return {
        "name": name,
        "adapter": "XMLAdapter",
        "instructions": sig.instructions,
        "input_fields": describe_fields(sig.input_fields),
        "output_fields": describe_fields(sig.output_fields),
        "demos": [jsonable(d) for d in demos],
        "inputs": jsonable(values),
        "messages": messages,
    }


def parse_case(name, inputs, outputs, completion):
    sig = make_sig({k: (str, None) for k in inputs}, {k: (v, None) for k, v in outputs.items()}, "Parse.")
    case = {
        "name": name,
        "adapter": "XMLAdapter",
        "signature": {"inputs": inputs, "outputs": {k: go_type(v) for k, v in outputs.items()}},
        "completion": completion,
    }
    try:
        parsed = dspy.XMLAdapter().parse(sig, completion)
    except AdapterParseError as e:
        case["ok"] = False
        case["error"] = str(e).splitlines()[0]
        return case
    case["ok"] = True
    case["parsed"] = jsonable(parsed)
    return case


Q = {"question": (str, None)}
ada = {"name": "Ada", "age": 36, "address": {"street": "1 Loop Rd", "city": "London"}}

formats = [
    format_case("basic", Q, {"answer": (str, None)}, "Answer the question.", [], {"question": "What is the capital of France?"}),
    format_case(
        "demos_escaping",
        {"question": (str, "A question about markup.")},
        {"answer": (str, "Short answer.")},
        "Answer briefly.",
        [
            dspy.Example(question="What is 2 < 3?", answer="True & obviously <so>"),
            dspy.Example(question="Tag?", answer="a > b"),
        ],
        {"question": "Is <b> bold & strong?"},
    ),
    format_case(
        "scalars_multi_output",
        {"question": (str, None), "context": (list[str], "Passages.")},
        {
            "reasoning": (str, None),
            "answer": (int, "The number."),
            "confident": (bool, None),
            "label": (Literal["yes", "no", "it's unclear"], None),
            "score": (float, None),
        },
        "Read the context.\n    Then answer with a number.",
        [
            dspy.Example(question="1+1?", context=["one", "two"], reasoning="Add.", answer=2, confident=True, label="yes", score=0.5),
        ],
        {"question": "2+3?", "context": ["five is 2+3", "multi\nline"]},
    ),
    format_case(
        "lists",
        Q,
        {"tags": (list[str], "Some tags."), "counts": (list[int], None)},
        "List things.",
        [
            dspy.Example(question="colors?", tags=["red", "a & b"], counts=[1, 2, 3]),
            dspy.Example(question="none?", tags=[], counts=[]),
        ],
        {"question": "animals?"},
    ),
    format_case(
        "nested_objects",
        {"text": (str, "A biography.")},
        {"person": (Person, "Who it is about."), "steps": (list[Step], None)},
        "Extract the person and the steps.",
        [
            dspy.Example(
                text="Ada lives in London.",
                person=Person(**ada),
                steps=[Step(title="read", done=True, tags=["x", "y"]), Step(title="write <code>", done=False, tags=[])],
            ),
        ],
        {"text": "Alan lives in Wilmslow."},
    ),
    format_case(
        "dict_output",
        Q,
        {"meta": (dict[str, Any], None)},
        "Describe.",
        [dspy.Example(question="q", meta={"plain": 1, "with-dash": "x", "has space": None, "9lives": [1, {"k": True}]})],
        {"question": "what?"},
    ),
    format_case(
        "dict_keys_needing_entries",
        Q,
        {"meta": (dict[str, Any], None), "answer": (str, None)},
        "Quote keys.",
        [dspy.Example(question="q", meta={'say "hi"': 1, "it's": "a<b", "both'\"": 3.5, "tab\tkey": False, "café": "x", "a.b-c": None}, answer="1 & 2")],
        {"question": "keys?"},
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
        ],
        {"question": "now?", "hint": "think"},
    ),
    format_case(
        "history",
        {"question": (str, None), "history": (dspy.History, None)},
        {"answer": (str, None), "tags": (list[str], None)},
        "Continue the conversation.",
        [dspy.Example(question="demo?", answer="yes", tags=["d"])],
        {
            "question": "and now?",
            "history": dspy.History(messages=[{"question": "first?", "answer": "one & two", "tags": ["a", "b"]}, {"question": "second?", "answer": "three"}]),
        },
    ),
    format_case(
        "object_inputs",
        {"person": (Person, None), "ids": (list[int], None)},
        {"summary": (str, None), "ok": (bool, None)},
        "Summarize the person.",
        [],
        {"person": Person(**ada), "ids": [3, 1]},
    ),
]

answer_int = {"answer": int}
parses = [
    parse_case("basic", ["question"], {"answer": str}, "Sure.\n<answer>\n  Paris\n</answer>\ntrailing words"),
    parse_case(
        "scalars_multi_output",
        ["question"],
        {"reasoning": str, "answer": int, "confident": bool, "label": Literal["yes", "no"], "score": float},
        "<reasoning>Add them &amp; check.</reasoning>\n<answer>42</answer>\n<confident>true</confident>\n<label>'no'</label>\n<score>0.25</score>",
    ),
    parse_case("list_items", ["question"], {"tags": list[str]}, "<tags><item>red</item><item> green </item></tags>"),
    parse_case("list_json_text", ["question"], {"counts": list[int]}, "<counts>[1, 2, 3]</counts>"),
    parse_case("list_repeated_tags", ["question"], {"counts": list[int]}, "<counts>\n<value>4</value>\n</counts>"),
    parse_case("list_empty", ["question"], {"tags": list[str]}, "<tags></tags>"),
    parse_case(
        "nested_object",
        ["text"],
        {"person": Person},
        "<person>\n  <name>Ada</name>\n  <age>36</age>\n  <address><street>1 Loop Rd</street><city>London</city></address>\n</person>",
    ),
    parse_case(
        "list_of_objects",
        ["text"],
        {"steps": list[Step]},
        "<steps><item><title>read</title><done>True</done><tags><item>x</item></tags></item><item><title>write</title><done>no</done><tags /></item></steps>",
    ),
    parse_case(
        "dict_entries",
        ["question"],
        {"meta": dict[str, Any]},
        '<meta><plain>1</plain><entry key="with-dash">x</entry><nested><a>b</a></nested></meta>',
    ),
    parse_case("string_with_markup", ["question"], {"answer": str}, "<answer> Use <b>bold</b> text <br/> here </answer>"),
    parse_case("bool_and_literal", ["question"], {"ok": bool, "label": Literal["yes", "no"]}, "<ok>False</ok><label>yes</label>"),
    parse_case("first_of_duplicates", ["question"], {"answer": str}, "<answer>first</answer><answer>second</answer>"),
    parse_case("cdata_and_comment", ["question"], {"answer": str}, "<answer><![CDATA[a < b]]> and <!-- note --> c &#65;&#x42;</answer>"),
    parse_case(
        "markup_with_attributes",
        ["question"],
        {"answer": str},
        "<answer>see <a href=\"x&amp;y\" title='q\"'>link &gt; here</a> end</answer>",
    ),
    parse_case("entry_keys_with_quotes", ["question"], {"meta": dict[str, Any]}, "<meta><entry key='say \"hi\"'>1</entry><entry key=\"it's\"><x>2</x></entry></meta>"),
    parse_case("processing_instruction", ["question"], {"answer": str}, "<?note keep?><answer>kept</answer>"),
    parse_case("xml_declaration_inside", ["question"], {"answer": str}, "<?xml version='1.0'?><answer>x</answer>"),
    parse_case("unbound_prefix", ["question"], {"answer": str}, "<answer>x</answer><a:b>y</a:b>"),
    parse_case("doctype_inside", ["question"], {"answer": str}, "<!DOCTYPE answer><answer>x</answer>"),
    parse_case("text_around_tags", ["question"], {"answer": int, "ok": bool}, "Here you go:\n<answer> 7 </answer> and <ok>yes</ok>. Done."),
    parse_case("missing_field", ["question"], {"answer": str, "confidence": float}, "<answer>Paris</answer>"),
    parse_case("malformed_xml", ["question"], {"answer": str}, "<answer>a & b</answer>"),
    parse_case("bad_int", ["question"], answer_int, "<answer>forty-two</answer>"),
    parse_case("bad_literal", ["question"], {"label": Literal["yes", "no"]}, "<label>maybe</label>"),
    parse_case("object_missing_key", ["text"], {"person": Person}, "<person><name>Ada</name></person>"),
    parse_case("empty_reply", ["question"], {"answer": str}, ""),
]

json.dump({"format": formats, "parse": parses}, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
