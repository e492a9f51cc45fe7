package dspy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/internal/pyfmt"
)

const goldenXMLAdapter = "testdata/golden/xml-adapter.json"

// xmlGoldenFile holds the cases DSPy 3.3.1's XMLAdapter produced. Field types
// are written in Type's JSON form, so nested models keep their schemas.
type xmlGoldenFile struct {
	Format []struct {
		Name         string            `json:"name"`
		Instructions string            `json:"instructions"`
		InputFields  json.RawMessage   `json:"input_fields"`
		OutputFields json.RawMessage   `json:"output_fields"`
		Demos        []json.RawMessage `json:"demos"`
		Inputs       json.RawMessage   `json:"inputs"`
		Messages     []dspy.Message    `json:"messages"`
	} `json:"format"`
	Parse []struct {
		Name      string `json:"name"`
		Signature struct {
			Inputs  []string        `json:"inputs"`
			Outputs json.RawMessage `json:"outputs"`
		} `json:"signature"`
		Completion string          `json:"completion"`
		OK         bool            `json:"ok"`
		Parsed     json.RawMessage `json:"parsed"`
	} `json:"parse"`
}

func loadXMLGolden(t testing.TB) xmlGoldenFile {
	t.Helper()
	raw, err := os.ReadFile(goldenXMLAdapter)
	require.NoError(t, err)
	var g xmlGoldenFile
	require.NoError(t, json.Unmarshal(raw, &g))
	require.GreaterOrEqual(t, len(g.Format), 6)
	require.GreaterOrEqual(t, len(g.Parse), 6)
	return g
}

// typedGoldenFields reads {"name": {"desc", "prefix", "type"}} in order.
func typedGoldenFields(t testing.TB, raw json.RawMessage) []dspy.Field {
	t.Helper()
	keys, values := orderedKeys(t, raw)
	fields := make([]dspy.Field, 0, len(keys))
	for _, k := range keys {
		var f struct {
			Desc   string    `json:"desc"`
			Prefix string    `json:"prefix"`
			Type   dspy.Type `json:"type"`
		}
		require.NoError(t, json.Unmarshal(values[k], &f))
		fields = append(fields, dspy.Field{Name: k, Type: f.Type, Desc: f.Desc, Prefix: f.Prefix})
	}
	return fields
}

func TestXMLAdapter_FormatMatchesDSPyGolden(t *testing.T) {
	for _, tc := range loadXMLGolden(t).Format {
		t.Run(tc.Name, func(t *testing.T) {
			sig, err := dspy.NewSignature(typedGoldenFields(t, tc.InputFields), typedGoldenFields(t, tc.OutputFields), tc.Instructions)
			require.NoError(t, err)
			demos := make([]dspy.Example, len(tc.Demos))
			for i, d := range tc.Demos {
				demos[i] = orderedExample(t, sig, d)
			}
			got, err := (&dspy.XMLAdapter{}).Format(sig, demos, orderedExample(t, sig, tc.Inputs))
			require.NoError(t, err)
			require.Len(t, got, len(tc.Messages))
			for i := range tc.Messages {
				assert.Equal(t, tc.Messages[i].Role, got[i].Role, "message %d role", i)
				assert.Equal(t, tc.Messages[i].Content, got[i].Content, "message %d content", i)
			}
		})
	}
}

// orderedExample decodes an example whose nested objects keep their key
// order, as the Python dicts they came from do; a Go map would sort them.
// A History input is read as a History whose turns keep their order too.
func orderedExample(t testing.TB, sig dspy.Signature, raw json.RawMessage) dspy.Example {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	require.NoError(t, err)
	var kv []any
	for _, e := range v.(pyfmt.Object) {
		if f, _, ok := sig.Field(e.Key); ok && f.Type.Kind == dspy.KindHistory {
			kv = append(kv, e.Key, orderedHistory(t, e.Value))
			continue
		}
		kv = append(kv, e.Key, e.Value)
	}
	return dspy.NewExample(kv...)
}

// orderedHistory turns the {"messages": [...]} object decodeOrdered read into
// a History.
func orderedHistory(t testing.TB, v any) dspy.History {
	t.Helper()
	obj, ok := v.(pyfmt.Object)
	require.True(t, ok, "a History is a JSON object, got %T", v)
	require.Len(t, obj, 1)
	require.Equal(t, "messages", obj[0].Key)
	list, ok := obj[0].Value.([]any)
	require.True(t, ok, "a History's messages are a list, got %T", obj[0].Value)
	var h dspy.History
	for _, m := range list {
		turn, ok := m.(pyfmt.Object)
		require.True(t, ok, "a History turn is a JSON object, got %T", m)
		kv := make([]any, 0, 2*len(turn))
		for _, e := range turn {
			// DSPy's golden files hold an image as its saved text; a Go
			// program's turn holds the Image.
			if text, ok := e.Value.(string); ok && strings.HasPrefix(text, "<<CUSTOM-TYPE-START-IDENTIFIER>>") {
				im, err := dspy.ParseImageValue(text)
				require.NoError(t, err)
				kv = append(kv, e.Key, im)
				continue
			}
			kv = append(kv, e.Key, e.Value)
		}
		h = h.Append(dspy.NewExample(kv...))
	}
	return h
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := pyfmt.Object{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, pyfmt.Entry{Key: key.(string), Value: v})
		}
		_, err = dec.Token()
		return obj, err
	case json.Delim('['):
		list := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err = dec.Token()
		return list, err
	}
	return tok, nil
}

func xmlGoldenSignature(t testing.TB, inputs []string, outputs json.RawMessage) dspy.Signature {
	t.Helper()
	var in []dspy.Field
	for _, name := range inputs {
		in = append(in, dspy.NewField(name, dspy.StringType))
	}
	keys, values := orderedKeys(t, outputs)
	var out []dspy.Field
	for _, k := range keys {
		var typ dspy.Type
		require.NoError(t, json.Unmarshal(values[k], &typ))
		out = append(out, dspy.NewField(k, typ))
	}
	sig, err := dspy.NewSignature(in, out, "Parse.")
	require.NoError(t, err)
	return sig
}

func TestXMLAdapter_ParseMatchesDSPyGolden(t *testing.T) {
	for _, tc := range loadXMLGolden(t).Parse {
		t.Run(tc.Name, func(t *testing.T) {
			sig := xmlGoldenSignature(t, tc.Signature.Inputs, tc.Signature.Outputs)
			got, err := (&dspy.XMLAdapter{}).Parse(sig, tc.Completion)
			if !tc.OK {
				var pe *dspy.ParseError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tc.Completion, pe.Raw)
				assert.Equal(t, "XMLAdapter", pe.Adapter)
				return
			}
			require.NoError(t, err)
			var want dspy.Example
			require.NoError(t, json.Unmarshal(tc.Parsed, &want))
			assert.Equal(t, want.Keys(), got.Keys())
			for _, k := range want.Keys() {
				w, _ := want.Get(k)
				g, _ := got.Get(k)
				assert.Equal(t, w, g, "field %s", k)
			}
		})
	}
}

// xmlFuzzSignatures reach the scalar, list, literal and dict paths, and a
// nested model with a list of objects and an optional field.
var xmlFuzzSignatures = []dspy.Signature{
	fuzzSignature,
	mustAppend(dspy.MustSignature("text -> summary"), dspy.NewField("steps", dspy.ListOf(dspy.ObjectOf("Step", map[string]any{
		"type": "object",
		"properties": map[string]any{
			"title": map[string]any{"type": "string"},
			"done":  map[string]any{"type": "boolean"},
			"note":  map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "null"}}},
			"sub":   map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/Step"}},
		},
		"required": []any{"title", "done"},
		"$defs":    map[string]any{"Step": map[string]any{"type": "object", "properties": map[string]any{"title": map[string]any{"type": "string"}}}},
	})))),
}

func mustAppend(sig dspy.Signature, f dspy.Field) dspy.Signature {
	sig, err := sig.Append(f, false)
	if err != nil {
		panic(err)
	}
	return sig
}

// An LM reply is outside input: whatever it holds, parsing returns a value
// or a *ParseError, never panics.
func FuzzXMLAdapterParse(f *testing.F) {
	for _, c := range loadXMLGolden(f).Parse {
		f.Add(c.Completion)
	}
	f.Add("<answer>x</answer><count>3</count><score>0.5</score><ok>yes</ok><tags><item>a</item></tags><label>no</label><info><a>1</a></info>")
	f.Add("<summary/><steps><item><title>t</title><done>1</done><note/><sub><item><title>u</title></item></sub></item></steps>")
	f.Add("<steps>" + strings.Repeat("<item>", 400))
	f.Fuzz(func(t *testing.T, reply string) {
		for _, sig := range xmlFuzzSignatures {
			if _, err := (&dspy.XMLAdapter{}).Parse(sig, reply); err != nil {
				var pe *dspy.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse returned %T, want *dspy.ParseError: %v", err, err)
				}
			}
		}
	})
}

func TestXMLAdapter_MissingFieldIsAParseErrorNamingIt(t *testing.T) {
	sig := dspy.MustSignature("question -> answer, confidence: float")
	_, err := (&dspy.XMLAdapter{}).Parse(sig, "<answer>Paris</answer>")
	var pe *dspy.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "confidence", pe.Field)
	assert.Contains(t, err.Error(), `(field "confidence")`)

	_, err = (&dspy.XMLAdapter{}).Parse(sig, "<answer>a & b</answer>")
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), "not well-formed XML")
}

func TestXMLAdapter_CallFallsBackToJSONAsDSPy(t *testing.T) {
	sig := dspy.MustSignature("question -> answer")
	lm := dspytest.ScriptedLM("no tags here", `{"answer": "Paris"}`)
	res, err := (&dspy.XMLAdapter{}).Call(context.Background(), lm, dspy.LMRequest{}, sig, nil, dspy.NewExample("question", "q"))
	require.NoError(t, err)
	got, _ := res.Outputs[0].Get("answer")
	assert.Equal(t, "Paris", got)
	assert.Len(t, lm.Requests(), 2)

	lm = dspytest.ScriptedLM("no tags here")
	_, err = (&dspy.XMLAdapter{DisableJSONFallback: true}).Call(context.Background(), lm, dspy.LMRequest{}, sig, nil, dspy.NewExample("question", "q"))
	var pe *dspy.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "XMLAdapter", pe.Adapter)
	assert.Len(t, lm.Requests(), 1)
}
