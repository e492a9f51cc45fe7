package dspy_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// fuzzSignature has one field of every kind a reply must be coerced to, so
// the fuzzer reaches the str, int, float, bool, list, literal and object paths
// of both adapters' parsers.
var fuzzSignature = dspy.MustSignature(
	"question -> answer, count: int, score: float, ok: bool, tags: list[str], label: Literal['yes', 'no'], info: dict[str, int]")

// seedReplies adds every completion DSPy 3.3.1 produced for the golden parse
// cases, plus replies seen from real models, to the fuzz corpus.
func seedReplies(f *testing.F) {
	raw, err := os.ReadFile(goldenChatAdapter)
	if err != nil {
		f.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(raw, &g); err != nil {
		f.Fatal(err)
	}
	for _, c := range g.Parse {
		f.Add(c.Completion)
	}
	for _, s := range []string{
		"[[ ## answer ## ]]\nParis\n\n[[ ## count ## ]]\n3\n\n[[ ## score ## ]]\n0.5\n\n[[ ## ok ## ]]\nTrue\n\n[[ ## tags ## ]]\n[\"a\", 'b']\n\n[[ ## label ## ]]\nyes\n\n[[ ## info ## ]]\n{\"a\": 1}\n\n[[ ## completed ## ]]",
		`{"answer": "Paris", "count": "3", "score": 1, "ok": "yes", "tags": ["a"], "label": "no", "info": {"a": 2}}`,
		"```json\n{\"answer\": \"x\", \"count\": 1.0}\n```",
		"The answer is 42.",
		"{'answer': 'x', 'count': 1_000, 'ok': True}",
		"[[ ## answer ## ]]\n[[ ## answer ## ]]\n",
		`{"answer": [1, {"b": [` + strings.Repeat("[", 50),
		"",
	} {
		f.Add(s)
	}
}

// An LM reply is outside input: whatever it holds, parsing returns a value
// or a *ParseError, never panics.
func FuzzChatAdapterParse(f *testing.F) {
	seedReplies(f)
	f.Fuzz(func(t *testing.T, reply string) {
		if _, err := (&dspy.ChatAdapter{}).Parse(fuzzSignature, reply); err != nil {
			var pe *dspy.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse returned %T, want *dspy.ParseError: %v", err, err)
			}
		}
	})
}

// The JSON adapter reads replies leniently (repair, Python literals, fences);
// it too must return a value or a *ParseError for any reply.
func FuzzJSONAdapterParse(f *testing.F) {
	seedReplies(f)
	f.Fuzz(func(t *testing.T, reply string) {
		if _, err := (&dspy.JSONAdapter{}).Parse(fuzzSignature, reply); err != nil {
			var pe *dspy.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse returned %T, want *dspy.ParseError: %v", err, err)
			}
		}
	})
}

// Datasets come from users' files: a malformed one is a *DatasetError naming
// the place, never a panic.
func FuzzReadJSONL(f *testing.F) {
	if b, err := os.ReadFile("testdata/datasets/qa.jsonl"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		`{"question": "q", "answer": "a"}`,
		"{\"question\": 1}\n\n{\"question\": [1, 2], \"answer\": {\"x\": null}}\n",
		`{"question": "q"`,
		`["not", "an", "object"]`,
		"\xef\xbb\xbf{\"question\": \"bom\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		exs, err := dspy.ReadJSONL(strings.NewReader(data), "fuzz.jsonl", "question")
		checkDataset(t, exs, err)
	})
}

// CSV and TSV files take the same care as JSONL.
func FuzzReadCSV(f *testing.F) {
	if b, err := os.ReadFile("testdata/datasets/qa.csv"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"question,answer\nq,a\n",
		"question,answer\n\"q, with comma\",\"a \"\"quoted\"\"\"\n",
		"question\n\"unterminated\n",
		"question,question\nq,q\n",
		",\n,\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		exs, err := dspy.ReadCSV(strings.NewReader(data), "fuzz.csv", "question")
		checkDataset(t, exs, err)
	})
}

func checkDataset(t *testing.T, exs []dspy.Example, err error) {
	t.Helper()
	if err != nil {
		var de *dspy.DatasetError
		if !errors.As(err, &de) {
			t.Fatalf("got %T, want *dspy.DatasetError: %v", err, err)
		}
		return
	}
	for _, ex := range exs {
		if ex.Len() == 0 {
			t.Fatalf("an empty example was loaded without an error")
		}
	}
}

// Signature strings come from program specs and config files.
func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{
		"question -> answer",
		"context: list[str], question -> answer: int",
		"q -> label: Literal['a', 'b'], conf: float",
		"history: History, question -> answer",
		"a, b -> c: dict[str, list[int]]",
		"-> x",
		"x ->",
		"x: Optional[int] -> y: bool",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := dspy.ParseSignature(s)
		if err != nil {
			return
		}
		if len(sig.Outputs()) == 0 {
			t.Fatalf("%q parsed to a signature without outputs", s)
		}
	})
}

// Saved programs are files a user may have edited or that DSPy wrote.
func FuzzProgramStateUnmarshal(f *testing.F) {
	for _, p := range []string{"testdata/state/cot-saved.json", "testdata/modules/cot-saved.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"predict": {"demos": [{"question": "q", "answer": "a", "augmented": true}], "signature": {"instructions": "i", "fields": [{"prefix": "Q:", "description": "d"}]}, "lm": null}, "metadata": {}}`))
	f.Add([]byte(`{"p": {"demos": "x"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st dspy.ProgramState
		if err := json.Unmarshal(data, &st); err != nil {
			return
		}
		// What decodes must encode again and load onto a program without
		// panicking; a mismatch is an error, not a crash.
		if _, err := st.Encode(); err != nil {
			return
		}
		p := dspy.NewPredict(dspy.MustSignature("question -> answer"))
		_ = dspy.LoadState(p, st)
	})
}
