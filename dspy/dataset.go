package dspy

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DatasetError reports a problem in a dataset file: where it is and how to fix
// it. Loaders return it (wrapped at most once), so callers can use errors.As to
// point an editor at the offending line.
type DatasetError struct {
	// File names the dataset (its path, or the name given to a Read function).
	File string
	// Line is the 1-based line of the problem, or 0 when it concerns the whole file.
	Line int
	// Column is the 1-based column (a CSV column, or a character of a JSON
	// line), or 0 when it does not apply.
	Column int
	// Field is the field at fault, if one is.
	Field string
	// Msg says what is wrong and how to fix it.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error renders "file line N column M: message", leaving out what is unknown.
func (e *DatasetError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Column > 0 {
		fmt.Fprintf(&b, " column %d", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *DatasetError) Unwrap() error { return e.Err }

// LoadDataset reads a dataset file, choosing the format by extension: .jsonl
// and .ndjson hold one JSON object per line, .csv and .tsv hold a header row
// and one example per row. The keys named in inputKeys are marked as inputs
// (see Example.WithInputs); with none, examples are left unmarked.
func LoadDataset(path string, inputKeys ...string) ([]Example, error) {
	if _, err := datasetReader(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	defer f.Close()
	return ReadDataset(f, path, inputKeys...)
}

// ReadDataset reads a dataset from r in the format name's extension names, as
// LoadDataset does. Reading bytes already in hand lets a caller hash exactly
// the content it parses.
func ReadDataset(r io.Reader, name string, inputKeys ...string) ([]Example, error) {
	read, err := datasetReader(name)
	if err != nil {
		return nil, err
	}
	return read(r, name, inputKeys)
}

func datasetReader(name string) (func(io.Reader, string, []string) ([]Example, error), error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson":
		return func(r io.Reader, name string, keys []string) ([]Example, error) { return ReadJSONL(r, name, keys...) }, nil
	case ".csv":
		return func(r io.Reader, name string, keys []string) ([]Example, error) {
			return readDelimited(r, name, ',', keys)
		}, nil
	case ".tsv":
		return func(r io.Reader, name string, keys []string) ([]Example, error) {
			return readDelimited(r, name, '\t', keys)
		}, nil
	}
	return nil, &DatasetError{File: name, Msg: fmt.Sprintf(
		"unsupported extension %q: use .jsonl (one JSON object per line) or .csv (a header row, then one example per row)",
		filepath.Ext(name))}
}

// LoadJSONL reads a file holding one JSON object per line, as ReadJSONL does.
func LoadJSONL(path string, inputKeys ...string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	defer f.Close()
	return ReadJSONL(f, path, inputKeys...)
}

// LoadCSV reads a CSV file, or a tab-separated one when the name ends in .tsv,
// as ReadCSV does.
func LoadCSV(path string, inputKeys ...string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".tsv") {
		return readDelimited(f, path, '\t', inputKeys)
	}
	return ReadCSV(f, path, inputKeys...)
}

// ReadJSONL reads examples from r, one JSON object per line; name is used in
// error messages. Blank lines are skipped, field order is kept, integral
// numbers decode to int and other numbers to float64. Every line must hold
// every key in inputKeys. An input without a single example is an error,
// because an empty dataset is nearly always a wrong path or a truncated file.
func ReadJSONL(r io.Reader, name string, inputKeys ...string) ([]Example, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Example
	for lineNo := 1; ; lineNo++ {
		// ReadBytes rather than a Scanner: a Scanner rejects lines longer than
		// its buffer, and dataset lines with long documents are common.
		line, readErr := br.ReadBytes('\n')
		if readErr != nil && readErr != io.EOF {
			return nil, &DatasetError{File: name, Line: lineNo, Msg: "read failed: " + readErr.Error(), Err: readErr}
		}
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			ex, err := parseJSONLine(line, name, lineNo, inputKeys)
			if err != nil {
				return nil, err
			}
			out = append(out, ex)
		}
		if readErr == io.EOF {
			break
		}
	}
	if len(out) == 0 {
		return nil, &DatasetError{File: name, Msg: "no examples: the file is empty; write one JSON object per line, like {\"question\": \"...\", \"answer\": \"...\"}"}
	}
	return out, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func parseJSONLine(line []byte, name string, lineNo int, inputKeys []string) (Example, error) {
	if first := bytes.TrimLeft(line, " \t\r\n")[0]; first != '{' {
		return Example{}, &DatasetError{File: name, Line: lineNo, Msg: fmt.Sprintf(
			"want a JSON object, got %s; write one object per line, like {\"question\": \"...\"}", jsonKind(first))}
	}
	var ex Example
	if err := json.Unmarshal(line, &ex); err != nil {
		de := &DatasetError{File: name, Line: lineNo, Err: err,
			Msg: fmt.Sprintf("not valid JSON (%v); each line must be one complete JSON object, with newlines inside strings written as \\n", err)}
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			de.Column = int(syn.Offset)
		}
		return Example{}, de
	}
	if ex.inputKeys != nil {
		return Example{}, &DatasetError{File: name, Line: lineNo, Field: inputKeysMember, Msg: fmt.Sprintf(
			"the field name %q is reserved for an example's input keys; rename the field", inputKeysMember)}
	}
	if len(inputKeys) == 0 {
		return ex, nil
	}
	for _, k := range inputKeys {
		if !ex.Has(k) {
			return Example{}, &DatasetError{File: name, Line: lineNo, Field: k, Msg: fmt.Sprintf(
				"missing input field %q (the line has %s); add it or drop it from the input keys", k, quoteList(ex.Keys()))}
		}
	}
	return ex.WithInputs(inputKeys...), nil
}

// jsonKind names the JSON value that starts with c, for error messages.
func jsonKind(c byte) string {
	switch {
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return fmt.Sprintf("text starting with %q, which is not JSON", c)
}

func quoteList(keys []string) string {
	if len(keys) == 0 {
		return "no fields"
	}
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}

// ReadCSV reads examples from comma-separated r; name is used in error
// messages. The first row names the fields; each later row is one example
// whose values stay strings, exactly as written (convert them in the metric
// or the program when a number is meant). Every row must have as many values
// as the header, header names must be unique, and every key in inputKeys must
// be a column.
func ReadCSV(r io.Reader, name string, inputKeys ...string) ([]Example, error) {
	return readDelimited(r, name, ',', inputKeys)
}

func readDelimited(r io.Reader, name string, comma rune, inputKeys []string) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	// Row lengths are checked here rather than by encoding/csv, so the error
	// can say how the row differs from the header and how to fix it.
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, headerLine, err := readCSVHeader(cr, name)
	if err != nil {
		return nil, err
	}
	if err := checkInputColumns(header, name, headerLine, inputKeys); err != nil {
		return nil, err
	}
	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvParseError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of spaces: blank, not a one-column row
		}
		if len(rec) != len(header) {
			return nil, &DatasetError{File: name, Line: line, Msg: fmt.Sprintf(
				"%d values but the header has %d columns; quote values that contain %q, and give every row one value per column",
				len(rec), len(header), string(comma))}
		}
		values := make(map[string]any, len(header))
		for i, h := range header {
			values[h] = rec[i]
		}
		ex := Example{keys: append([]string(nil), header...), values: values}
		if len(inputKeys) > 0 {
			ex.inputKeys = append([]string{}, inputKeys...)
		}
		out = append(out, ex)
	}
	if len(out) == 0 {
		return nil, &DatasetError{File: name, Msg: "no examples: the file has a header row but no data rows"}
	}
	return out, nil
}

func readCSVHeader(cr *csv.Reader, name string) (header []string, line int, err error) {
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, 0, &DatasetError{File: name, Msg: "no examples: the file is empty; the first row must name the fields, like question,answer"}
	}
	if err != nil {
		return nil, 0, csvParseError(name, err)
	}
	line, _ = cr.FieldPos(0)
	header = make([]string, len(rec))
	seen := make(map[string]int, len(rec))
	for i, h := range rec {
		if i == 0 {
			h = strings.TrimPrefix(h, string(utf8BOM))
		}
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, 0, &DatasetError{File: name, Line: line, Column: i + 1, Msg: "empty column name in the header row; name every column"}
		}
		if h == inputKeysMember {
			return nil, 0, &DatasetError{File: name, Line: line, Column: i + 1, Field: h, Msg: fmt.Sprintf(
				"the column name %q is reserved for an example's input keys; rename the column", h)}
		}
		if prev, dup := seen[h]; dup {
			return nil, 0, &DatasetError{File: name, Line: line, Column: i + 1, Field: h, Msg: fmt.Sprintf(
				"duplicate column %q (also column %d); rename one of them", h, prev)}
		}
		seen[h] = i + 1
		header[i] = h
	}
	return header, line, nil
}

func checkInputColumns(header []string, name string, headerLine int, inputKeys []string) error {
	for _, k := range inputKeys {
		found := false
		for _, h := range header {
			if h == k {
				found = true
				break
			}
		}
		if !found {
			return &DatasetError{File: name, Line: headerLine, Field: k, Msg: fmt.Sprintf(
				"missing input column %q (the header has %s); add the column or drop it from the input keys", k, quoteList(header))}
		}
	}
	return nil
}

func csvParseError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &DatasetError{File: name, Line: pe.Line, Column: pe.Column, Err: err, Msg: fmt.Sprintf(
			"%v; a value containing quotes must be quoted itself, with inner quotes doubled (\"say \"\"hi\"\"\")", pe.Err)}
	}
	return &DatasetError{File: name, Msg: "read failed: " + err.Error(), Err: err}
}

// WriteJSONL writes examples to w, one JSON object per line in field order,
// the format ReadJSONL reads. Input marking is not written; pass the input
// keys again when loading.
func WriteJSONL(w io.Writer, examples []Example) error {
	bw := bufio.NewWriter(w)
	for i, ex := range examples {
		b, err := ex.Unmarked().MarshalJSON()
		if err != nil {
			return fmt.Errorf("write example %d: %w", i, err)
		}
		bw.Write(b)
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write example %d: %w", i, err)
		}
	}
	return bw.Flush()
}
