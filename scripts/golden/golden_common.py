"""Helpers the golden scripts share: Go spellings of field types, signatures
built from them, JSON-able values, and an LM that records what it is sent."""

import typing
from types import SimpleNamespace
from typing import Any, Literal

import pydantic
from pydantic import TypeAdapter

import dspy
from dspy.adapters._legacy_type_markers import _expand_legacy_custom_type_markers_in_chat_message
from dspy.clients.base_lm import BaseLM


def go_type(annotation):
    """The field type in the Go package's Type JSON form."""
    if annotation is dspy.History:
        return "History"
    if annotation is dspy.Image:
        return "Image"
    if annotation is dspy.Tool:
        return "Tool"
    if annotation is dspy.ToolCalls:
        return "ToolCalls"
    if annotation in (str, int, float, bool):
        return annotation.__name__
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in args) + "]"
    if origin is list:
        elem = go_type(args[0])
        return f"list[{elem}]" if isinstance(elem, str) else {"list": elem}
    if annotation is dict or (origin is dict and args == (str, Any)):
        return "dict[str, Any]"
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return {"name": annotation.__name__, "schema": TypeAdapter(annotation).json_schema()}
    raise TypeError(f"no Go spelling for {annotation!r}")


def make_sig(inputs, outputs, instructions):
    """A signature from {name: (annotation, description or None)} maps."""
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
    """A value as the JSON the Go tests read; images in DSPy's saved form."""
    if isinstance(v, dspy.Image):
        return v.serialize_model()
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


def wire(messages):
    """Messages as they go on the wire: user messages holding custom types split into content parts."""
    return [_expand_legacy_custom_type_markers_in_chat_message({"role": m["role"], "content": m["content"]}) for m in messages]


class RecordingLM(BaseLM):
    """An LM that answers with the given replies in turn and records the messages of every call."""

    def __init__(self, replies, model="recording"):
        super().__init__(model=model, model_type="chat", temperature=0.0, max_tokens=1000, cache=False)
        self.replies = list(replies)
        self.calls = []

    def forward(self, prompt=None, messages=None, **kwargs):
        self.calls.append(wire(messages))
        text = self.replies.pop(0) if self.replies else ""
        choice = SimpleNamespace(message=SimpleNamespace(content=text, tool_calls=None), finish_reason="stop", logprobs=None)
        return SimpleNamespace(choices=[choice], usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}, model=self.model)


class FunctionCallingLM(BaseLM):
    """An LM that says it supports function calling and structured outputs, as
    the OpenAI models do, so DSPy's adapters send it tools and response formats
    natively. Subclasses decide what a call returns."""

    @property
    def supports_function_calling(self):
        return True

    @property
    def supports_response_schema(self):
        return True

    @property
    def supported_params(self):
        return {"response_format", "tools", "tool_choice"}
