package dspy_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

func TestLoadDatasetReadsEachFormatKeepingOrderAndInputs(t *testing.T) {
	tests := []struct {
		path     string
		wantLen  int
		wantKeys []string
		wantID   any
	}{
		{path: "qa.jsonl", wantLen: 3, wantKeys: []string{"question", "answer", "id"}, wantID: 1},
		{path: "qa.csv", wantLen: 3, wantKeys: []string{"question", "answer", "id"}, wantID: "1"},
		{path: "qa.tsv", wantLen: 1, wantKeys: []string{"question", "answer"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := dspy.LoadDataset(filepath.Join("testdata", "datasets", tt.path), "question")
			require.NoError(t, err)
			require.Len(t, got, tt.wantLen)
			assert.Equal(t, tt.wantKeys, got[0].Keys())
			assert.Equal(t, []string{"question"}, got[0].InputKeys())
			if tt.wantID != nil {
				id, _ := got[0].Get("id")
				assert.Equal(t, tt.wantID, id, "JSON numbers decode to int, CSV values stay strings")
			}
		})
	}
}

func TestLoadCSVUnquotesAndSkipsBlankLines(t *testing.T) {
	got, err := dspy.LoadCSV(filepath.Join("testdata", "datasets", "qa.csv"))
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "How many legs does a spider have, roughly?", got[1].GetString("question"))
	assert.Equal(t, `Who wrote "Hamlet"?`, got[2].GetString("question"))
	assert.Nil(t, got[0].InputKeys(), "without input keys examples stay unmarked")
}

func TestLoadJSONLKeepsListValues(t *testing.T) {
	got, err := dspy.LoadJSONL(filepath.Join("testdata", "datasets", "qa.jsonl"), "question")
	require.NoError(t, err)
	answers, _ := got[2].Get("answer")
	assert.Equal(t, []any{"Shakespeare", "William Shakespeare"}, answers)
}

func TestLoadDatasetRejectsUnknownExtension(t *testing.T) {
	_, err := dspy.LoadDataset("data.parquet")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unsupported extension ".parquet"`)
	assert.Contains(t, err.Error(), ".jsonl")
}

func TestLoadDatasetReportsMissingFile(t *testing.T) {
	_, err := dspy.LoadDataset(filepath.Join(t.TempDir(), "absent.jsonl"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestReadJSONLErrorsNameLineAndFix(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		inputKeys []string
		wantLine  int
		wantField string
		wantMsg   []string
	}{
		{
			name:     "line is not JSON",
			input:    "{\"q\": \"a\"}\n{\"q\": oops}\n",
			wantLine: 2,
			wantMsg:  []string{"data.jsonl line 2", "not valid JSON", "one complete JSON object"},
		},
		{
			name:     "line is an array",
			input:    "{\"q\": \"a\"}\n[1, 2]\n",
			wantLine: 2,
			wantMsg:  []string{"line 2", "want a JSON object, got an array"},
		},
		{
			name:     "line is a string",
			input:    "\"just text\"\n",
			wantLine: 1,
			wantMsg:  []string{"got a string"},
		},
		{
			name:     "trailing garbage after the object",
			input:    "{\"q\": \"a\"} x\n",
			wantLine: 1,
			wantMsg:  []string{"not valid JSON"},
		},
		{
			name:      "input key absent on a later line",
			input:     "{\"question\": \"a\"}\n\n\n\n\n\n{\"q\": \"b\", \"answer\": \"c\"}\n",
			inputKeys: []string{"question"},
			wantLine:  7,
			wantField: "question",
			wantMsg:   []string{`line 7: missing input field "question"`, `"q", "answer"`},
		},
		{
			name:      "a field named as the input marking",
			input:     "{\"q\": \"a\"}\n{\"q\": \"b\", \"_input_keys\": [\"q\"]}\n",
			wantLine:  2,
			wantField: "_input_keys",
			wantMsg:   []string{"line 2", `"_input_keys" is reserved`, "rename the field"},
		},
		{
			name:    "empty file",
			input:   "",
			wantMsg: []string{"data.jsonl: no examples: the file is empty"},
		},
		{
			name:    "only blank lines",
			input:   "\n  \n\t\n",
			wantMsg: []string{"no examples"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dspy.ReadJSONL(strings.NewReader(tt.input), "data.jsonl", tt.inputKeys...)
			require.Error(t, err)
			var de *dspy.DatasetError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, "data.jsonl", de.File)
			assert.Equal(t, tt.wantLine, de.Line)
			assert.Equal(t, tt.wantField, de.Field)
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestReadJSONLAcceptsBOMCRLFAndLongLines(t *testing.T) {
	long := strings.Repeat("x", 200_000)
	input := "\xEF\xBB\xBF{\"b\": 1, \"a\": 2.5}\r\n{\"b\": \"" + long + "\", \"a\": null}"
	got, err := dspy.ReadJSONL(strings.NewReader(input), "in", "a")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"b", "a"}, got[0].Keys())
	a, _ := got[0].Get("a")
	assert.Equal(t, 2.5, a)
	assert.Equal(t, long, got[1].GetString("b"))
}

func TestReadCSVErrorsNameLineColumnAndFix(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		inputKeys  []string
		wantLine   int
		wantColumn int
		wantMsg    []string
	}{
		{
			name:     "ragged row",
			input:    "q,a\n1,2\n3,4,5\n",
			wantLine: 3,
			wantMsg:  []string{"data.csv line 3", "3 values but the header has 2 columns", "quote values"},
		},
		{
			name:       "a column named as the input marking",
			input:      "q,_input_keys\n1,2\n",
			wantLine:   1,
			wantColumn: 2,
			wantMsg:    []string{`column name "_input_keys" is reserved`, "rename the column"},
		},
		{
			name:       "duplicate header",
			input:      "q,a,q\n1,2,3\n",
			wantLine:   1,
			wantColumn: 3,
			wantMsg:    []string{`duplicate column "q" (also column 1)`, "rename"},
		},
		{
			name:       "empty header name",
			input:      "q,,a\n1,2,3\n",
			wantLine:   1,
			wantColumn: 2,
			wantMsg:    []string{"empty column name"},
		},
		{
			name:      "input column absent",
			input:     "q,a\n1,2\n",
			inputKeys: []string{"question"},
			wantLine:  1,
			wantMsg:   []string{`missing input column "question"`, `"q", "a"`},
		},
		{
			name:    "empty file",
			input:   "",
			wantMsg: []string{"data.csv: no examples: the file is empty"},
		},
		{
			name:    "header only",
			input:   "q,a\n",
			wantMsg: []string{"header row but no data rows"},
		},
		{
			name:       "bare quote",
			input:      "q,a\n1,say \"hi\"\n",
			wantLine:   2,
			wantColumn: 7,
			wantMsg:    []string{"line 2 column 7", "inner quotes doubled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dspy.ReadCSV(strings.NewReader(tt.input), "data.csv", tt.inputKeys...)
			require.Error(t, err)
			var de *dspy.DatasetError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tt.wantLine, de.Line)
			assert.Equal(t, tt.wantColumn, de.Column)
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestReadCSVTrimsHeaderNamesAndKeepsValuesVerbatim(t *testing.T) {
	got, err := dspy.ReadCSV(strings.NewReader("\xEF\xBB\xBF question , answer\n 2+2? , 4 \n"), "in", "question")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, []string{"question", "answer"}, got[0].Keys())
	assert.Equal(t, " 4 ", got[0].GetString("answer"))
}

func TestWriteJSONLRoundTripsThroughReadJSONL(t *testing.T) {
	in := []dspy.Example{
		dspy.NewExample("question", "a <b> & c", "answer", 42, "tags", []any{"x", "y"}),
		dspy.NewExample("z", true, "a", 1.5),
	}
	var buf bytes.Buffer
	require.NoError(t, dspy.WriteJSONL(&buf, in))
	assert.Equal(t, `{"question":"a <b> & c","answer":42,"tags":["x","y"]}`+"\n"+`{"z":true,"a":1.5}`+"\n", buf.String())

	out, err := dspy.ReadJSONL(&buf, "buf")
	require.NoError(t, err)
	require.Len(t, out, len(in))
	for i := range in {
		assert.True(t, in[i].Equal(out[i]), "example %d: %s != %s", i, in[i], out[i])
	}
}

func ExampleReadJSONL() {
	data := `{"question": "2+2?", "answer": "4"}
{"question": "3+3?", "answer": "6"}
`
	trainset, err := dspy.ReadJSONL(strings.NewReader(data), "train.jsonl", "question")
	if err != nil {
		fmt.Println(err)
		return
	}
	inputs, _ := trainset[1].Inputs()
	fmt.Println(len(trainset), inputs, trainset[1].Labels())

	_, err = dspy.ReadJSONL(strings.NewReader(`{"q": "5+5?"}`), "dev.jsonl", "question")
	fmt.Println(err)
	// Output:
	// 2 {"question":"3+3?"} {"answer":"6"}
	// dev.jsonl line 1: missing input field "question" (the line has "q"); add it or drop it from the input keys
}
