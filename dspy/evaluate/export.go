package evaluate

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// resultJSON is the JSONL form of an ExampleResult.
type resultJSON struct {
	Index      int          `json:"index"`
	Example    dspy.Example `json:"example"`
	InputKeys  []string     `json:"input_keys,omitempty"`
	Prediction dspy.Example `json:"prediction"`
	Score      float64      `json:"score"`
	Feedback   string       `json:"feedback,omitempty"`
	Error      string       `json:"error,omitempty"`
	Raw        string       `json:"raw,omitempty"`
	Usage      *dspy.Usage  `json:"usage,omitempty"`
}

// MarshalJSON encodes the result as one JSON object (the form WriteJSONL
// writes per line), keeping field order and the example's input keys, so a
// Result can travel as a workflow or activity payload. Err is not encoded.
func (er ExampleResult) MarshalJSON() ([]byte, error) {
	row := resultJSON{
		Index:      er.Index,
		Example:    er.Example.Unmarked(),
		InputKeys:  er.Example.InputKeys(),
		Prediction: er.Prediction.Example,
		Score:      er.Score,
		Feedback:   er.Feedback,
		Error:      er.Error,
		Raw:        er.Raw,
	}
	if er.Usage != (dspy.Usage{}) {
		u := er.Usage
		row.Usage = &u
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(row); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// UnmarshalJSON decodes what MarshalJSON wrote; Err stays nil.
func (er *ExampleResult) UnmarshalJSON(b []byte) error {
	var row resultJSON
	if err := json.Unmarshal(b, &row); err != nil {
		return err
	}
	*er = ExampleResult{
		Index:      row.Index,
		Example:    row.Example,
		Prediction: dspy.NewPrediction(row.Prediction),
		Score:      row.Score,
		Feedback:   row.Feedback,
		Error:      row.Error,
		Raw:        row.Raw,
	}
	if row.InputKeys != nil {
		er.Example = er.Example.WithInputs(row.InputKeys...)
	}
	if row.Usage != nil {
		er.Usage = *row.Usage
		er.Prediction.Usage = *row.Usage
	}
	return nil
}

// WriteJSONL writes one JSON object per example, in devset order:
//
//	{"index":0,"example":{...},"input_keys":["question"],"prediction":{...},"score":1,"feedback":"...","error":"...","raw":"...","usage":{...}}
//
// Empty feedback, error, raw and usage are left out. ReadResultsJSONL reads
// the file back.
func (r Result) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, er := range r.Results {
		if err := enc.Encode(er); err != nil {
			return fmt.Errorf("write result %d: %w", er.Index, err)
		}
	}
	return bw.Flush()
}

// ReadResultsJSONL reads what Result.WriteJSONL wrote. The results' Err is
// nil; their Error text is kept.
func ReadResultsJSONL(rd io.Reader) ([]ExampleResult, error) {
	br := bufio.NewReaderSize(rd, 64<<10)
	var out []ExampleResult
	for lineNo := 1; ; lineNo++ {
		line, readErr := br.ReadBytes('\n')
		if readErr != nil && readErr != io.EOF {
			return nil, fmt.Errorf("read results line %d: %w", lineNo, readErr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			var er ExampleResult
			if err := json.Unmarshal(line, &er); err != nil {
				return nil, fmt.Errorf("read results line %d: %w", lineNo, err)
			}
			out = append(out, er)
		}
		if readErr == io.EOF {
			return out, nil
		}
	}
}

// reservedColumns are the CSV columns Evaluate itself writes.
var reservedColumns = map[string]bool{"index": true, "score": true, "feedback": true, "error": true, "raw": true}

// WriteCSV writes one row per example, in devset order, with the columns
// index, the example's fields, the prediction's fields, score, feedback,
// error and raw. As in DSPy's save_as_csv, a field name found in both the
// examples and the predictions is written as example_<name> and
// pred_<name>; fields missing from a row are left empty, and values are
// rendered as DSPy shows them in prompts (lists as JSON).
func (r Result) WriteCSV(w io.Writer) error {
	exKeys, predKeys := unionKeys(r.Results)
	exSet, predSet := toSet(exKeys), toSet(predKeys)
	header := []string{"index"}
	for _, k := range exKeys {
		header = append(header, columnName("example_", k, predSet))
	}
	for _, k := range predKeys {
		header = append(header, columnName("pred_", k, exSet))
	}
	header = append(header, "score", "feedback", "error", "raw")

	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write results header: %w", err)
	}
	row := make([]string, len(header))
	for _, er := range r.Results {
		row = row[:0]
		row = append(row, strconv.Itoa(er.Index))
		row = appendFields(row, er.Example, exKeys)
		row = appendFields(row, er.Prediction.Example, predKeys)
		row = append(row, strconv.FormatFloat(er.Score, 'g', -1, 64), er.Feedback, er.Error, er.Raw)
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write result %d: %w", er.Index, err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// columnName prefixes a field that would collide with the other side or with
// Evaluate's own columns.
func columnName(prefix, key string, other map[string]bool) string {
	if other[key] || reservedColumns[key] {
		return prefix + key
	}
	return key
}

func appendFields(row []string, ex dspy.Example, keys []string) []string {
	for _, k := range keys {
		v, ok := ex.Get(k)
		if !ok || v == nil {
			row = append(row, "")
			continue
		}
		row = append(row, dspy.ValueString(v))
	}
	return row
}

// unionKeys lists the example and prediction field names across all
// results, each in first-seen order.
func unionKeys(results []ExampleResult) (exKeys, predKeys []string) {
	seenEx, seenPred := map[string]bool{}, map[string]bool{}
	for _, er := range results {
		for _, k := range er.Example.Keys() {
			if !seenEx[k] {
				seenEx[k] = true
				exKeys = append(exKeys, k)
			}
		}
		for _, k := range er.Prediction.Keys() {
			if !seenPred[k] {
				seenPred[k] = true
				predKeys = append(predKeys, k)
			}
		}
	}
	return exKeys, predKeys
}

func toSet(keys []string) map[string]bool {
	s := make(map[string]bool, len(keys))
	for _, k := range keys {
		s[k] = true
	}
	return s
}
