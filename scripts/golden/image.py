"""Golden cases for image inputs, produced by DSPy 3.3.1's dspy.Image with its
Chat, JSON and XML adapters.

Run from the repository root:

    python scripts/golden/image.py > dspy/testdata/golden/image.json

Each format case holds the messages as they go to the LM, a user message with
images split into OpenAI content parts. An image input is written as how the
Go test builds it: {"$image": "url", "url"}, {"$image": "file", "path"} (a path
under dspy/, read with Image.from_path) or {"$image": "bytes", "data"
(base64), "media_type"}; demos hold images in DSPy's saved form. Saved cases
hold a predictor's saved state with image demos, as dump_state writes it.
DSPy turns raw bytes into a data URI through Pillow, which re-encodes them;
the bytes case builds the data URI Pillow would for a PNG it leaves alone.
"""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dspy  # noqa: E402
from golden_common import RecordingLM, describe_fields, jsonable, make_sig  # noqa: E402

PIXEL = "testdata/images/pixel.png"
with open(os.path.join("dspy", PIXEL), "rb") as f:
    PIXEL_BYTES = f.read()

ADAPTERS = {"chat": dspy.ChatAdapter, "json": dspy.JSONAdapter, "xml": dspy.XMLAdapter}


def url(u):
    return {"$image": "url", "url": u}, dspy.Image(u)


def from_file(path):
    return {"$image": "file", "path": path}, dspy.Image.from_path(os.path.join("dspy", path))


def from_bytes(data, media_type):
    return {"$image": "bytes", "data": base64.b64encode(data).decode(), "media_type": media_type}, dspy.Image(
        f"data:{media_type};base64,{base64.b64encode(data).decode()}"
    )


def go_value(v):
    """The input as the Go test builds it, and as DSPy gets it."""
    if isinstance(v, tuple):
        return v
    if isinstance(v, list) and v and all(isinstance(x, tuple) for x in v):
        return [x[0] for x in v], [x[1] for x in v]
    return v, v


def format_case(name, adapter, inputs, outputs, instructions, demos, values):
    sig = make_sig(inputs, outputs, instructions)
    go_inputs, py_inputs = {}, {}
    for k, v in values.items():
        go_inputs[k], py_inputs[k] = go_value(v)
    lm = RecordingLM([""])
    try:
        ADAPTERS[adapter]()(lm, {}, sig, demos, py_inputs)
    except Exception:
        pass  # the empty reply does not parse; the messages are recorded
    return {
        "name": name,
        "adapter": adapter,
        "instructions": sig.instructions,
        "input_fields": describe_fields(sig.input_fields),
        "output_fields": describe_fields(sig.output_fields),
        "demos": [jsonable(d) for d in demos],
        "inputs": go_inputs,
        "messages": lm.calls[0],
    }


def saved_case(name, signature, demos):
    p = dspy.Predict(signature)
    p.demos = demos
    return {"name": name, "signature": signature, "state": p.dump_state()}


IQ = {"image": (dspy.Image, None), "question": (str, None)}
A = {"answer": (str, None)}
cat = "https://example.com/cat.png"
dog = dspy.Image("https://example.com/dog.jpg")

formats = [
    format_case("url", "chat", IQ, A, "Describe the image.", [], {"image": url(cat), "question": "What animal is this?"}),
    format_case("file", "chat", {"image": (dspy.Image, "A photo.")}, A, "Describe the image.", [], {"image": from_file(PIXEL)}),
    format_case("bytes", "chat", IQ, A, "Describe the image.", [], {"image": from_bytes(PIXEL_BYTES, "image/png"), "question": "Color?"}),
    format_case(
        "demo_images", "chat", IQ, {"answer": (str, None), "confident": (bool, None)}, "Name the animal.",
        [
            dspy.Example(image=dog, question="Animal?", answer="dog", confident=True),
            dspy.Example(image=dspy.Image.from_path(os.path.join("dspy", PIXEL)), question="Animal?", answer="none"),
        ],
        {"image": url(cat), "question": "Animal?"},
    ),
    format_case(
        "image_list", "chat", {"images": (list[dspy.Image], "Photos."), "question": (str, None)}, {"count": (int, None)},
        "Count the animals.",
        [dspy.Example(images=[dog, dspy.Image(cat)], question="How many?", count=2)],
        {"images": [url(cat), from_file(PIXEL)], "question": "How many?"},
    ),
    format_case(
        "beside_text_fields", "chat",
        {"context": (list[str], "Notes."), "image": (dspy.Image, None), "question": (str, None)},
        {"answer": (str, None), "tags": (list[str], None)},
        "Use the notes and the image.",
        [],
        {"context": ["The cat is grey.", "It sleeps."], "image": url(cat), "question": "What is it doing?"},
    ),
    format_case("json_adapter", "json", IQ, {"answer": (str, None), "score": (float, None)}, "Rate the image.",
                [dspy.Example(image=dog, question="Cute?", answer="yes", score=0.9)], {"image": url(cat), "question": "Cute?"}),
    format_case("xml_adapter", "xml", IQ, {"answer": (str, None), "tags": (list[str], None)}, "Tag the image.",
                [dspy.Example(image=dog, question="Tags?", answer="a dog", tags=["dog", "pet"])], {"image": url(cat), "question": "Tags?"}),
]

saved = [
    saved_case("url_and_file_demos", "image: dspy.Image, question -> answer",
               [dspy.Example(image=dog, question="Animal?", answer="dog"),
                dspy.Example(image=dspy.Image.from_path(os.path.join("dspy", PIXEL)), question="Animal?", answer="none")]),
    saved_case("image_list_demo", "images: list[dspy.Image] -> count: int", [dspy.Example(images=[dog, dspy.Image(cat)], count=2)]),
]

json.dump({"format": formats, "saved": saved}, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
