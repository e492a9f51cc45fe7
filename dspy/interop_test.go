package dspy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

// The interop files, per module kind, in interopDir: go-saved-KIND.json is the
// program as this package saves it; dspy-saved-KIND.json the same program
// built and saved by DSPy 3.3.1; each one's .dspy.json is what DSPy made of it
// (scripts/golden/interop.py: the instructions and demos it loaded and the
// messages its adapter formats for one call of each predictor, with the
// request's tools when the adapter calls them natively).
const (
	interopDir = "testdata/interop"
	// envUpdateInterop rewrites the go-saved files from interopCases; rerun
	// the script afterwards.
	envUpdateInterop = "DSPY_UPDATE_INTEROP"
)

// interopCase is one module kind: a fresh program, and per predictor path what
// an optimizer set and the call both sides format. The script builds the same.
type interopCase struct {
	kind       string
	new        func(t *testing.T) dspy.Module
	predictors []interopPredictor
	// saved, when set, is the state an optimizer writes for the built
	// program (an ensemble's, a compiled KNNFewShot program's); otherwise
	// the program's own state is saved.
	saved func(t *testing.T, built dspy.Module) dspy.ProgramState
	// unsortedDemoObjects marks demos holding objects whose keys are not in
	// alphabetical order (a ToolCalls value's "name" before "args"). A bare
	// ProgramState, knowing no field types, decodes them as maps and writes
	// them back sorted; loaded into the program they are typed again and
	// save as DSPy wrote them.
	unsortedDemoObjects bool
}

// interopPredictor is one predictor's instructions ("" keeps the program's
// own), its demos, and the inputs of the call both sides format.
type interopPredictor struct {
	path         string
	instructions string
	demos        []dspy.Example
	inputs       dspy.Example
	// agentTools passes the agent's own tools ("finish" last) as the input
	// "tools", as a native ReAct calls its react step.
	agentTools bool
}

// build returns the case's program as an optimizer leaves it.
func (c interopCase) build(t *testing.T) dspy.Module {
	t.Helper()
	m := c.new(t)
	require.Len(t, m.Predictors(), len(c.predictors))
	for _, ip := range c.predictors {
		p, err := dspy.FindPredictor(m, ip.path)
		require.NoError(t, err)
		if ip.instructions != "" {
			p.Signature = p.Signature.WithInstructions(ip.instructions)
		}
		p.Demos = ip.demos
	}
	return m
}

// state returns the state saved for the case's program as an optimizer
// leaves it.
func (c interopCase) state(t *testing.T) dspy.ProgramState {
	t.Helper()
	built := c.build(t)
	if c.saved != nil {
		return c.saved(t, built)
	}
	return dspy.StateOf(built)
}

func (c interopCase) file(prefix, suffix string) string {
	return filepath.Join(interopDir, prefix+c.kind+suffix)
}

// draftAndCheck is a user's own program of two predictors, at the paths DSPy
// gives a module with attributes draft (a ChainOfThought) and check (a Predict).
type draftAndCheck struct {
	Draft *dspy.ChainOfThought
	Check *dspy.Predict
}

func (d *draftAndCheck) Call(ctx context.Context, inputs dspy.Example) (dspy.Prediction, error) {
	draft, err := d.Draft.Call(ctx, inputs)
	if err != nil {
		return dspy.Prediction{}, err
	}
	answer, _ := draft.Get("answer")
	return d.Check.Call(ctx, dspy.NewExample("question", inputs.GetString("question"), "answer", answer))
}

func (d *draftAndCheck) Predictors() []dspy.NamedPredictor {
	return append(dspy.PrefixPredictors("draft", d.Draft.Predictors()), dspy.PrefixPredictors("check", d.Check.Predictors())...)
}

// addArgs are the arguments of the tool the ReAct case uses, as DSPy infers
// them from def add(a: int, b: int).
type addArgs struct {
	A int `json:"a"`
	B int `json:"b"`
}

func one(context.Context, dspy.Example, dspy.Prediction) (float64, error) { return 1, nil }

const interopTrajectory = "[[ ## thought_0 ## ]]\nI add 5 and 8.\n\n" +
	"[[ ## tool_name_0 ## ]]\nadd\n\n" +
	"[[ ## tool_args_0 ## ]]\n{\"a\": 5, \"b\": 8}\n\n" +
	"[[ ## observation_0 ## ]]\n13"

func mustModule[M dspy.Module](t *testing.T, m M, err error) dspy.Module {
	t.Helper()
	require.NoError(t, err)
	return m
}

// interopCases are every module kind a program is saved as: each built-in
// module, the wrappers, and a program of the user's own.
var interopCases = []interopCase{
	{
		kind: "predict",
		new: func(*testing.T) dspy.Module {
			return dspy.NewPredict(dspy.MustSignature("question -> answer: int"))
		},
		predictors: []interopPredictor{{
			path:         "self",
			instructions: "Answer the arithmetic question with a single integer.",
			demos: []dspy.Example{
				dspy.NewExample("question", "What is 2 + 3?", "answer", 5, "augmented", true),
				dspy.NewExample("question", "What is 10 - 4?", "answer", 6),
			},
			inputs: dspy.NewExample("question", "What is 6 * 7?"),
		}},
	},
	{
		// An optimized program as an optimizer leaves it: new instructions, a
		// bootstrapped demo with its reasoning and a labeled demo without,
		// typed inputs and outputs.
		kind: "chain_of_thought",
		new: func(t *testing.T) dspy.Module {
			sig := dspy.MustSignature("context: list[str], question -> answer: int",
				"Read the context, then solve the word problem. Answer with a single integer.")
			cot, err := dspy.NewChainOfThought(sig)
			return mustModule(t, cot, err)
		},
		predictors: []interopPredictor{{
			path: "predict",
			demos: []dspy.Example{
				dspy.NewExample("context", []any{"Ann has 3 apples.", "Bob gives her 4 more."}, "question", "How many apples does Ann have?",
					"reasoning", "Ann starts with 3 and receives 4, so 3 + 4 = 7.", "answer", 7, "augmented", true),
				dspy.NewExample("context", []any{"A box holds 12 eggs."}, "question", "How many eggs are in 2 boxes?", "answer", 24),
			},
			inputs: dspy.NewExample("context", []any{"Tom reads 5 pages a day."}, "question", "How many pages does Tom read in 6 days?"),
		}},
	},
	{
		kind: "react",
		new: func(t *testing.T) dspy.Module {
			add := dspy.MustTool("add", "Add two integers.", func(_ context.Context, a addArgs) (int, error) { return a.A + a.B, nil })
			r, err := dspy.NewReAct(dspy.MustSignature("question -> answer: int"), add)
			return mustModule(t, r, err)
		},
		predictors: []interopPredictor{
			{
				path: "react",
				demos: []dspy.Example{dspy.NewExample("question", "What is 2 + 40?", "trajectory", "",
					"next_thought", "I add the two numbers with the tool.", "next_tool_name", "add",
					"next_tool_args", map[string]any{"a": 2, "b": 40}, "augmented", true)},
				inputs: dspy.NewExample("question", "What is 5 + 8?", "trajectory", interopTrajectory),
			},
			{
				path:         "extract.predict",
				instructions: "Read the trajectory and give the final answer as an integer.",
				demos: []dspy.Example{dspy.NewExample("question", "What is 2 + 40?", "trajectory", "[[ ## observation_0 ## ]]\n42",
					"reasoning", "The tool returned 42.", "answer", 42, "augmented", true)},
				inputs: dspy.NewExample("question", "What is 5 + 8?", "trajectory", interopTrajectory),
			},
		},
	},
	{
		kind: "multi_chain_comparison",
		new: func(t *testing.T) dspy.Module {
			mcc, err := dspy.NewMultiChainComparison(dspy.MustSignature("question -> answer"), 2)
			return mustModule(t, mcc, err)
		},
		predictors: []interopPredictor{{
			path:         "predict",
			instructions: "Compare the attempts and give the most likely answer.",
			demos: []dspy.Example{dspy.NewExample("question", "What is 3 + 4?",
				"reasoning_attempt_1", "«I'm trying to add 3 and 4. I'm not sure but my prediction is 7»",
				"reasoning_attempt_2", "«I'm trying to add 3 and 4. I'm not sure but my prediction is 8»",
				"rationale", "Both attempts add; 3 + 4 is 7.", "answer", "7", "augmented", true)},
			inputs: dspy.NewExample("question", "What is 9 + 9?",
				"reasoning_attempt_1", "«I'm trying to double 9. I'm not sure but my prediction is 18»",
				"reasoning_attempt_2", "«I'm trying to add 9 and 9. I'm not sure but my prediction is 19»"),
		}},
	},
	{
		kind: "best_of_n",
		new: func(*testing.T) dspy.Module {
			return dspy.NewBestOfN(dspy.NewPredict(dspy.MustSignature("question -> answer: int")), 3, one, 1)
		},
		predictors: []interopPredictor{{
			path:         "module",
			instructions: "Answer with a single integer.",
			demos:        []dspy.Example{dspy.NewExample("question", "What is 8 / 2?", "answer", 4)},
			inputs:       dspy.NewExample("question", "What is 9 - 5?"),
		}},
	},
	{
		kind: "refine",
		new: func(t *testing.T) dspy.Module {
			cot, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
			require.NoError(t, err)
			return dspy.NewRefine(cot, 3, one, 1)
		},
		predictors: []interopPredictor{{
			path:         "module.predict",
			instructions: "Think it through, then answer with a single integer.",
			demos: []dspy.Example{dspy.NewExample("question", "What is 3 * 3?", "reasoning", "3 times 3 is 9.",
				"answer", 9, "augmented", true)},
			inputs: dspy.NewExample("question", "What is 7 * 6?"),
		}},
	},
	{
		kind: "program",
		new: func(t *testing.T) dspy.Module {
			draft, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
			require.NoError(t, err)
			return &draftAndCheck{Draft: draft, Check: dspy.NewPredict(dspy.MustSignature("question, answer: int -> verdict: bool"))}
		},
		predictors: []interopPredictor{
			{
				path:         "draft.predict",
				instructions: "Draft an answer step by step.",
				demos: []dspy.Example{dspy.NewExample("question", "What is 1 + 1?", "reasoning", "One and one make two.",
					"answer", 2, "augmented", true)},
				inputs: dspy.NewExample("question", "What is 4 + 4?"),
			},
			{
				path:         "check",
				instructions: "Check the answer; say True only if it is right.",
				demos:        []dspy.Example{dspy.NewExample("question", "What is 1 + 1?", "answer", 3, "verdict", false)},
				inputs:       dspy.NewExample("question", "What is 4 + 4?", "answer", 8),
			},
		},
	},
}

// interopPixel is testdata/images/pixel.png as the data URI both sides hold.
const interopPixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP438AAAAQBAYDFKhhdAAAAAElFTkSuQmCC"

func mustImage(source string) dspy.Image {
	im, err := dspy.NewImage(source)
	if err != nil {
		panic(err)
	}
	return im
}

// interopAdapterCases are programs whose predictors use another adapter than
// the ChatAdapter, or hold images in their demos. DSPy saves no adapter, so
// both sides set it on the fresh program.
var interopAdapterCases = []interopCase{
	{
		kind: "xml_adapter",
		new: func(*testing.T) dspy.Module {
			p := dspy.NewPredict(dspy.MustSignature("question -> answer: int, steps: list[str]"))
			p.Adapter = &dspy.XMLAdapter{}
			return p
		},
		predictors: []interopPredictor{{
			path:         "self",
			instructions: "Solve it; list the steps.",
			demos: []dspy.Example{
				dspy.NewExample("question", "What is 2 + 3?", "answer", 5, "steps", []any{"2 + 3", "= 5"}, "augmented", true),
				dspy.NewExample("question", "What is 1 < 2?", "answer", 1, "steps", []any{}),
			},
			inputs: dspy.NewExample("question", "What is 6 * 7?"),
		}},
	},
	{
		kind: "two_step",
		new: func(t *testing.T) dspy.Module {
			cot, err := dspy.NewChainOfThought(dspy.MustSignature("question -> answer: int"))
			require.NoError(t, err)
			cot.Predictors()[0].Predictor.Adapter = dspy.NewTwoStepAdapter(dspytest.ScriptedLM())
			return cot
		},
		predictors: []interopPredictor{{
			path:         "predict",
			instructions: "Think it through; the answer is an integer.",
			demos: []dspy.Example{
				dspy.NewExample("question", "What is 2 + 3?", "reasoning", "Two and three make five.", "answer", 5, "augmented", true),
				dspy.NewExample("question", "What is 10 - 4?", "answer", 6),
			},
			inputs: dspy.NewExample("question", "What is 6 * 7?"),
		}},
	},
	{
		kind: "image_demos",
		new: func(*testing.T) dspy.Module {
			return dspy.NewPredict(dspy.MustSignature("image: dspy.Image, question -> answer", "Name the animal in the image."))
		},
		predictors: []interopPredictor{{
			path: "self",
			demos: []dspy.Example{
				dspy.NewExample("image", mustImage("https://example.com/dog.jpg"), "question", "Which animal?", "answer", "A dog."),
				dspy.NewExample("image", mustImage(interopPixel), "question", "Which animal?"),
			},
			inputs: dspy.NewExample("image", mustImage("https://example.com/cat.png"), "question", "Which animal?"),
		}},
	},
}

func init() { interopCases = append(interopCases, interopAdapterCases...) }

// dspyRecord is what the script recorded of a program DSPy loaded or built.
type dspyRecord struct {
	DSPyVersion string `json:"dspy_version"`
	Predictors  []struct {
		Name         string          `json:"name"`
		Instructions string          `json:"instructions"`
		Demos        int             `json:"demos"`
		Messages     []goldenMessage `json:"messages"`
		// Tools is the request's "tools" field, for a predictor whose
		// adapter calls tools natively; absent otherwise.
		Tools []json.RawMessage `json:"tools"`
		// ResponseFormat is the type of the request's response format,
		// when DSPy's adapter sets one.
		ResponseFormat string `json:"response_format"`
	} `json:"predictors"`
}

func readDSPyRecord(t *testing.T, path string) dspyRecord {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var rec dspyRecord
	require.NoError(t, json.Unmarshal(raw, &rec))
	require.Equal(t, "3.3.1", rec.DSPyVersion)
	return rec
}

// sentRequest returns the request p sends the LM for a call on inputs: the
// request of the predictor's own call path, not a re-creation of it.
func sentRequest(t *testing.T, p *dspy.Predict, inputs dspy.Example) dspy.LMRequest {
	t.Helper()
	lm := dspytest.ScriptedLM() // fails the call once the request is recorded
	_, err := p.Call(dspy.WithLM(context.Background(), lm), inputs)
	require.Error(t, err)
	sent := lm.Requests()
	require.NotEmpty(t, sent)
	return sent[0]
}

// assertFormatsAsDSPy checks that m, loaded from a file, holds what DSPy
// loaded from it and sends the messages DSPy sends for each predictor's call.
func assertFormatsAsDSPy(t *testing.T, c interopCase, m dspy.Module, rec dspyRecord) {
	t.Helper()
	named := m.Predictors()
	require.Len(t, rec.Predictors, len(named))
	for i, ip := range c.predictors {
		got, want := named[i], rec.Predictors[i]
		require.Equal(t, want.Name, got.Name, "predictor %d path", i)
		assert.Equal(t, want.Instructions, got.Predictor.Signature.Instructions(), "%s instructions", got.Name)
		assert.Len(t, got.Predictor.Demos, want.Demos, "%s demos", got.Name)
		inputs := ip.inputs
		if ip.agentTools {
			inputs = inputs.Set("tools", m.(*dspy.ReAct).Tools())
		}
		req := sentRequest(t, got.Predictor, inputs)
		sent := req.Messages
		require.Len(t, sent, len(want.Messages), "%s messages", got.Name)
		for j, msg := range want.Messages {
			assert.Equal(t, msg.Role, sent[j].Role, "%s message %d role", got.Name, j)
			assert.Equal(t, msg.Content, sent[j].Content, "%s message %d content", got.Name, j)
			assert.Equal(t, msg.Parts, sent[j].Parts, "%s message %d parts", got.Name, j)
		}
		require.Len(t, req.Tools, len(want.Tools), "%s tools sent", got.Name)
		for j, def := range want.Tools {
			gotDef, err := json.Marshal(req.Tools[j])
			require.NoError(t, err)
			assert.JSONEq(t, string(def), string(gotDef), "%s tool %d", got.Name, j)
		}
		if want.ResponseFormat != "" {
			require.NotNil(t, req.ResponseFormat, "%s response format", got.Name)
			assert.Equal(t, want.ResponseFormat, req.ResponseFormat.Type, "%s response format", got.Name)
		}
	}
}

// A program saved here is the file the committed interop case holds, so what
// DSPy was shown is what this package writes.
func TestSavedProgramsAreTheInteropFiles(t *testing.T) {
	for _, c := range interopCases {
		t.Run(c.kind, func(t *testing.T) {
			got, err := c.state(t).Encode()
			require.NoError(t, err)
			path := c.file("go-saved-", ".json")
			if os.Getenv(envUpdateInterop) != "" {
				require.NoError(t, os.MkdirAll(interopDir, 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

// DSPy 3.3.1 loads a program saved here and sends the model the very
// messages this package sends for the same call: instructions, demos and the
// typed fields of every predictor survive the round trip through DSPy.
func TestDSPyLoadsProgramsSavedHereAndFormatsTheSameMessages(t *testing.T) {
	for _, c := range interopCases {
		t.Run(c.kind, func(t *testing.T) {
			m := c.new(t)
			require.NoError(t, dspy.Load(m, c.file("go-saved-", ".json")))
			assertFormatsAsDSPy(t, c, m, readDSPyRecord(t, c.file("go-saved-", ".dspy.json")))
		})
	}
}

// A program DSPy 3.3.1 built and saved loads here and sends the messages DSPy
// sends; and the same program built here saves as DSPy saved it, byte for
// byte up to the metadata, which names each side's versions.
func TestProgramsSavedByDSPyLoadHereAndFormatTheSameMessages(t *testing.T) {
	for _, c := range interopCases {
		t.Run(c.kind, func(t *testing.T) {
			path := c.file("dspy-saved-", ".json")
			m := c.new(t)
			require.NoError(t, dspy.Load(m, path))
			assertFormatsAsDSPy(t, c, m, readDSPyRecord(t, c.file("dspy-saved-", ".dspy.json")))

			fromDSPy, err := os.ReadFile(path)
			require.NoError(t, err)
			here, err := c.state(t).Encode()
			require.NoError(t, err)
			wantPredictors, _ := splitAtMetadata(t, fromDSPy)
			gotPredictors, _ := splitAtMetadata(t, here)
			assert.Equal(t, string(wantPredictors), string(gotPredictors))

			resaved, err := dspy.StateOf(m).Encode()
			require.NoError(t, err)
			gotPredictors, _ = splitAtMetadata(t, resaved)
			assert.Equal(t, string(wantPredictors), string(gotPredictors), "a DSPy file loaded here saves back unchanged")

			if c.unsortedDemoObjects {
				return
			}
			var st dspy.ProgramState
			require.NoError(t, json.Unmarshal(fromDSPy, &st))
			reencoded, err := st.Encode()
			require.NoError(t, err)
			gotPredictors, _ = splitAtMetadata(t, reencoded)
			assert.Equal(t, string(wantPredictors), string(gotPredictors), "a DSPy file reads and writes back unchanged")
		})
	}
}

// A program that is itself one Predict is saved as DSPy's Predict.dump_state
// lays it out: the predictor's keys beside "metadata", no "self" key.
func TestASinglePredictIsSavedFlat(t *testing.T) {
	b, err := dspy.StateOf(interopCases[0].build(t)).Encode()
	require.NoError(t, err)
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &top))
	assert.ElementsMatch(t, []string{"traces", "train", "demos", "signature", "lm", "metadata"}, keysOf(top))
	assert.True(t, bytes.HasPrefix(b, []byte("{\n  \"traces\": [],\n  \"train\": [],\n  \"demos\": [\n")), "%s", b)
}

func keysOf(m map[string]json.RawMessage) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
