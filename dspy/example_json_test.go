package dspy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func TestExampleJSONCarriesTheInputKeys(t *testing.T) {
	ex := dspy.NewExample("question", "2+2?", "context", "math", "answer", "4").WithInputs("question", "context")
	b, err := json.Marshal(ex)
	require.NoError(t, err)
	assert.Equal(t, `{"question":"2+2?","context":"math","answer":"4","_input_keys":["question","context"]}`, string(b))

	var back dspy.Example
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, []string{"question", "context", "answer"}, back.Keys())
	assert.Equal(t, []string{"question", "context"}, back.InputKeys())
	inputs, err := back.Inputs()
	require.NoError(t, err)
	assert.Equal(t, []string{"question", "context"}, inputs.Keys())
}

// Payloads recorded before examples carried their marking, and DSPy's own
// dicts, are plain objects: they decode unmarked, and an unmarked example
// encodes exactly as it always did.
func TestExampleJSONWithoutInputKeysIsTheOldEncoding(t *testing.T) {
	const old = `{"question":"A train carried 94 passengers. How many are left?","answer":"50"}`
	var ex dspy.Example
	require.NoError(t, json.Unmarshal([]byte(old), &ex))
	assert.Nil(t, ex.InputKeys(), "no marking in the payload, none on the example")
	_, err := ex.Inputs()
	assert.Error(t, err)

	b, err := json.Marshal(ex)
	require.NoError(t, err)
	assert.Equal(t, old, string(b))
}

func TestExampleJSONTellsNoMarkingFromAnEmptyOne(t *testing.T) {
	none := dspy.NewExample("answer", "4").WithInputs()
	b, err := json.Marshal(none)
	require.NoError(t, err)
	assert.Equal(t, `{"answer":"4","_input_keys":[]}`, string(b))
	var back dspy.Example
	require.NoError(t, json.Unmarshal(b, &back))
	assert.NotNil(t, back.InputKeys(), "marked with no inputs stays marked")
	assert.Empty(t, back.InputKeys())

	b, err = json.Marshal(dspy.NewExample().WithInputs("question"))
	require.NoError(t, err)
	assert.Equal(t, `{"_input_keys":["question"]}`, string(b), "no fields, so no comma")
}

func TestExampleJSONRefusesAFieldNamedAsTheMarking(t *testing.T) {
	for _, ex := range []dspy.Example{
		dspy.NewExample("_input_keys", []any{"q"}),
		dspy.NewExample("q", "x", "_input_keys", "y").WithInputs("q"),
	} {
		_, err := json.Marshal(ex)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"_input_keys"`)
		assert.Contains(t, err.Error(), "reserved")
	}
}

func TestExampleUnmarshalRejectsAMalformedMarking(t *testing.T) {
	for _, in := range []string{
		`{"q":"x","_input_keys":"q"}`,
		`{"q":"x","_input_keys":null}`,
		`{"q":"x","_input_keys":[1]}`,
	} {
		var ex dspy.Example
		err := json.Unmarshal([]byte(in), &ex)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), "_input_keys must be a list of field names")
	}
}

// A number too large for a float64 would decode as an infinity, which no
// payload can carry on; it fails where it is read, naming the field.
func TestExampleUnmarshalRejectsNumbersOutOfRange(t *testing.T) {
	var ex dspy.Example
	err := json.Unmarshal([]byte(`{"q":"x","big":[1,{"n":1e400}]}`), &ex)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `field "big"`)
}

func TestUnmarkedDropsTheMarkingOnly(t *testing.T) {
	ex := dspy.NewExample("question", "q", "answer", "a").WithInputs("question")
	plain := ex.Unmarked()
	assert.Nil(t, plain.InputKeys())
	assert.Equal(t, ex.Keys(), plain.Keys())
	assert.Equal(t, []string{"question"}, ex.InputKeys(), "the original keeps its marking")
	assert.True(t, ex.Equal(plain), "Equal compares fields, not the marking")
	assert.Equal(t, `{"question":"q","answer":"a"}`, ex.String(), "String shows the fields")
}

// A saved program holds demos as DSPy's dump_state writes them, toDict()
// without the marking: a marked demo saves byte for byte as an unmarked one.
func TestSavedDemosLeaveTheMarkingOut(t *testing.T) {
	demo := dspy.NewExample("question", "q", "answer", "a")
	state := func(d dspy.Example) []byte {
		st := dspy.ProgramState{Predictors: []dspy.NamedState{{Name: "self", State: dspy.PredictorState{
			Traces: []any{}, Train: []any{}, Demos: []dspy.Example{d},
		}}}}
		b, err := st.Encode()
		require.NoError(t, err)
		return b
	}
	marked := state(demo.WithInputs("question"))
	assert.Equal(t, string(state(demo)), string(marked))
	assert.NotContains(t, string(marked), "_input_keys")

	history := dspy.History{Messages: []dspy.Example{demo.WithInputs("question")}}
	b, err := json.Marshal(history)
	require.NoError(t, err)
	assert.Equal(t, `{"messages":[{"question":"q","answer":"a"}]}`, string(b), "history turns are plain dicts too")
}

func TestWriteJSONLLeavesTheMarkingOut(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, dspy.WriteJSONL(&buf, []dspy.Example{dspy.NewExample("question", "q", "answer", "a").WithInputs("question")}))
	assert.Equal(t, "{\"question\":\"q\",\"answer\":\"a\"}\n", buf.String())
}

func TestReadDatasetPicksTheFormatByName(t *testing.T) {
	csv, err := dspy.ReadDataset(strings.NewReader("question,answer\nq,a\n"), "data.CSV", "question")
	require.NoError(t, err)
	require.Len(t, csv, 1)
	assert.Equal(t, []string{"question"}, csv[0].InputKeys())

	tsv, err := dspy.ReadDataset(strings.NewReader("question\tanswer\nq\ta\n"), "data.tsv")
	require.NoError(t, err)
	assert.Equal(t, "a", tsv[0].GetString("answer"))

	jsonl, err := dspy.ReadDataset(strings.NewReader(`{"question":"q"}`), "data.ndjson")
	require.NoError(t, err)
	assert.Equal(t, "q", jsonl[0].GetString("question"))

	_, err = dspy.ReadDataset(strings.NewReader(""), "data.txt")
	assert.ErrorContains(t, err, `unsupported extension ".txt"`)
}

// FuzzExampleJSON checks the decoder on what payloads may hold: whatever
// decodes encodes again, key order and input marking survive every trip, and
// the encoding settles. Numbers may change kind on the way, as they always
// have: 2.0 is written 2 and reads back as an int, and -0.0 is written -0,
// which reads back as the int 0 and is then written 0; so bytes are compared
// from the second trip on.
func FuzzExampleJSON(f *testing.F) {
	for _, seed := range []string{
		// Old encoding, as the recorded workflow histories hold it.
		`{"question":"A shop sells pens for 8 dollars each. Mia buys 3 pens and pays with a 50 dollar bill. How much change does Mia get, in dollars?","answer":"26"}`,
		`{"reasoning":"94 - 44 = 50","answer":"50"}`,
		// New encoding.
		`{"question":"2+2?","answer":"4","_input_keys":["question"]}`,
		`{"answer":"4","_input_keys":[]}`,
		`{"_input_keys":["question","context"],"context":"c","question":"q"}`,
		// Values of every kind, and a saved demo's "augmented" flag.
		`{"zeta":"z","alpha":1,"mid":[1,2.5,{"b":1}],"html":"<a & b>","obj":{"k":10000000000},"none":null,"flag":false}`,
		`{"question":"q","answer":"a","augmented":true}`,
		`{"n":-0.0,"e":1e2,"u":"\u00e9\ud83d\ude00","dup":1,"dup":2}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	file, err := os.Open("testdata/datasets/qa.jsonl")
	require.NoError(f, err)
	defer file.Close()
	lines := bufio.NewScanner(file)
	for lines.Scan() {
		f.Add(bytes.Clone(lines.Bytes()))
	}
	require.NoError(f, lines.Err())

	f.Fuzz(func(t *testing.T, data []byte) {
		var ex dspy.Example
		if json.Unmarshal(data, &ex) != nil {
			return
		}
		trip := func(ex dspy.Example) ([]byte, dspy.Example) {
			t.Helper()
			b, err := json.Marshal(ex)
			require.NoError(t, err, "%v does not encode", ex)
			var back dspy.Example
			require.NoError(t, json.Unmarshal(b, &back), "encoded as %s", b)
			assert.Equal(t, ex.Keys(), back.Keys())
			assert.Equal(t, ex.InputKeys(), back.InputKeys())
			return b, back
		}
		_, once := trip(ex)
		second, twice := trip(once)
		third, _ := trip(twice)
		assert.Equal(t, string(second), string(third))
	})
}
