"""Golden streaming cases from DSPy 3.3.1's streamify and StreamListener.

Starts the simulated LM (go run ./scripts/golden/simlmserve), runs DSPy programs
wrapped with dspy.streamify against it with the Chat, JSON and XML adapters,
and writes what the listeners yielded (per field: the chunks, their order,
is_last_chunk), the status messages and the final prediction, with the raw
LM reply. Run from the repository root:

    python scripts/golden/streaming.py > dspy/testdata/golden/streaming.json
"""

import asyncio
import json
import subprocess
import sys

import dspy
from dspy.streaming import StatusMessage, StreamListener, StreamResponse

SEED = "11"


def start_simlm():
    proc = subprocess.Popen(
        ["go", "run", "./scripts/golden/simlmserve", "-seed", SEED],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def weather() -> str:
    """Reports today's weather."""
    return "Sunny and 21 degrees."


def cases():
    yield dict(name="predict-chat", adapter="chat", module="predict",
               signature="question -> answer", listen=[("self", "answer")],
               inputs={"question": "What is the capital of France?"})
    yield dict(name="predict-chat-two-outputs", adapter="chat", module="predict",
               signature="question -> reasoning_notes, answer: int", listen=[("self", "reasoning_notes"), ("self", "answer")],
               inputs={"question": "What is 12 plus 30?"})
    yield dict(name="cot-chat", adapter="chat", module="cot",
               signature="question -> answer", listen=[("predict", "reasoning"), ("predict", "answer")],
               inputs={"question": "Why is the sky blue during the day?"})
    yield dict(name="predict-json", adapter="json", module="predict",
               signature="question -> answer", listen=[("self", "answer")],
               inputs={"question": "Name a famous painter from Spain."})
    yield dict(name="cot-json", adapter="json", module="cot",
               signature="question -> answer", listen=[("predict", "reasoning"), ("predict", "answer")],
               inputs={"question": "Why do leaves change colour in autumn?"})
    yield dict(name="predict-xml", adapter="xml", module="predict",
               signature="question -> answer", listen=[("self", "answer")],
               inputs={"question": "What is the tallest mountain on Earth?"})
    yield dict(name="cot-xml", adapter="xml", module="cot",
               signature="question -> answer", listen=[("predict", "reasoning"), ("predict", "answer")],
               inputs={"question": "How do bees make honey from nectar?"})
    for i, city in enumerate(["Lyon", "Porto", "Kyoto", "Quito"]):
        yield dict(name=f"react-chat-{i}", adapter="chat", module="react",
                   signature="question -> answer", listen=[("extract.predict", "answer")],
                   inputs={"question": f"Tell me about {city}."})
    for adapter, city in [("json", "Lyon")]:
        yield dict(name=f"react-{adapter}", adapter=adapter, module="react",
                   signature="question -> answer", listen=[("react", "next_thought"), ("extract.predict", "answer")],
                   inputs={"question": f"Tell me about {city}."})


ADAPTERS = {"chat": dspy.ChatAdapter, "json": dspy.JSONAdapter, "xml": dspy.XMLAdapter}


def build(case):
    if case["module"] == "predict":
        return dspy.Predict(case["signature"])
    if case["module"] == "cot":
        return dspy.ChainOfThought(case["signature"])
    return dspy.ReAct(case["signature"], tools=[weather], max_iters=3)


async def run(case, lm):
    program = build(case)
    named = dict(program.named_predictors())
    listeners = [StreamListener(signature_field_name=f, predict=named[p], predict_name=p)
                 for p, f in case["listen"]]
    adapter = ADAPTERS[case["adapter"]]()
    streamed = dspy.streamify(program, stream_listeners=listeners)
    events, prediction = [], None
    with dspy.context(lm=lm, adapter=adapter):
        async for value in streamed(**case["inputs"]):
            if isinstance(value, StreamResponse):
                events.append({"type": "chunk", "predictor": value.predict_name,
                               "field": value.signature_field_name, "chunk": value.chunk,
                               "is_last_chunk": value.is_last_chunk})
            elif isinstance(value, StatusMessage):
                events.append({"type": "status", "message": value.message})
            elif isinstance(value, dspy.Prediction):
                prediction = {k: v for k, v in value.items()}
        replies = [h["outputs"][0] for h in lm.history]
    fields = {}
    for e in events:
        if e["type"] == "chunk":
            fields.setdefault(f'{e["predictor"]}.{e["field"]}', []).append(e["chunk"])
    return {
        "name": case["name"], "adapter": case["adapter"], "module": case["module"],
        "signature": case["signature"], "inputs": case["inputs"],
        "listen": [{"predictor": p, "field": f} for p, f in case["listen"]],
        "events": events,
        "fields": {k: "".join(v) for k, v in fields.items()},
        "prediction": {k: v if isinstance(v, (str, int, float, bool, list, dict)) or v is None else str(v)
                       for k, v in prediction.items()},
        "lm_replies": replies,
    }


def main():
    proc, url = start_simlm()
    try:
        out = []
        for case in cases():
            lm = dspy.LM("openai/simlm-1", api_base=url, api_key="x", cache=False)
            out.append(asyncio.run(run(case, lm)))
        json.dump({"dspy_version": dspy.__version__, "simlm_seed": int(SEED), "cases": out},
                  sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    finally:
        proc.stdin.close()
        proc.wait()


if __name__ == "__main__":
    main()
