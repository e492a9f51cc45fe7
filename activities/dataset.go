package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// LoadDataset reads a dataset file on the worker (or takes inline examples)
// and returns its examples with their inputs marked and the content's hash.
// A ref pinned by hash (DatasetRef.SHA256) whose content hashes otherwise is
// refused, so a run never goes on with data other than it started with.
func (a *Activities) LoadDataset(ctx context.Context, ref DatasetRef) (LoadDatasetOutput, error) {
	examples, sum, err := readDataset(ref)
	if err != nil {
		return LoadDatasetOutput{}, configError(err)
	}
	keys := ref.InputKeys
	if len(keys) == 0 {
		if keys, err = presentInputs(examples, ref); err != nil {
			return LoadDatasetOutput{}, configError(err)
		}
	}
	return LoadDatasetOutput{Examples: MarkInputs(examples, keys), InputKeys: keys, SHA256: sum}, nil
}

// readDataset returns a ref's examples and the hash of its content, checked
// against the ref's pin. A file is read once, so the hash is of the bytes
// parsed. Inline examples hash as the JSON of their fields, without their
// marking: the hash a run carries stays the same whichever encoding its
// payloads used.
func readDataset(ref DatasetRef) ([]dspy.Example, string, error) {
	if ref.Path == "" {
		fields := slices.Clone(ref.Examples)
		for i, ex := range fields {
			fields[i] = ex.Unmarked()
		}
		b, err := json.Marshal(fields)
		if err != nil {
			return nil, "", fmt.Errorf("inline dataset: %w", err)
		}
		sum := DatasetSHA256(b)
		if err := checkPin(ref, "inline dataset", sum); err != nil {
			return nil, "", err
		}
		return ref.Examples, sum, nil
	}
	raw, err := os.ReadFile(ref.Path)
	if err != nil {
		return nil, "", fmt.Errorf("dataset %s: %w (the path is read on the worker's machine)", ref.Path, err)
	}
	sum := DatasetSHA256(raw)
	if err := checkPin(ref, "dataset "+ref.Path, sum); err != nil {
		return nil, "", err
	}
	examples, err := dspy.ReadDataset(bytes.NewReader(raw), ref.Path, ref.InputKeys...)
	if err != nil {
		return nil, "", err
	}
	return examples, sum, nil
}

// DatasetSHA256 returns the hex SHA-256 of a dataset file's content: the
// hash LoadDataset checks DatasetRef.SHA256 against, for clients that pin a
// run's data when they start it.
func DatasetSHA256(content []byte) string {
	h := sha256.Sum256(content)
	return hex.EncodeToString(h[:])
}

func checkPin(ref DatasetRef, name, sum string) error {
	if ref.SHA256 == "" || ref.SHA256 == sum {
		return nil
	}
	return fmt.Errorf("%s changed since the run started: its sha256 is %s, expected %s; restore it or start a new run", name, sum, ref.SHA256)
}

// presentInputs picks the program's input fields that the data has.
func presentInputs(examples []dspy.Example, ref DatasetRef) ([]string, error) {
	if len(examples) == 0 {
		return nil, fmt.Errorf("dataset %s is empty", ref.Path)
	}
	keys := presentKeys(examples[0], ref.ProgramInputs)
	if len(keys) == 0 {
		return nil, fmt.Errorf("dataset %s has none of the program's input fields %q (its first example has %q); rename the columns or name the inputs explicitly", ref.Path, ref.ProgramInputs, examples[0].Keys())
	}
	for i, ex := range examples {
		for _, k := range keys {
			if !ex.Has(k) {
				return nil, fmt.Errorf("dataset %s example %d: missing input field %q", ref.Path, i+1, k)
			}
		}
	}
	return keys, nil
}

// presentKeys returns the program's input fields that ex has: the inputs a
// dataset that names none takes, judged by its first example.
func presentKeys(ex dspy.Example, programInputs []string) []string {
	var keys []string
	for _, k := range programInputs {
		if ex.Has(k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// MarkInputs returns the examples with keys marked as their inputs, replacing
// any marking they had. It is the one rule by which loaded data is marked:
// LoadDataset applies it, and the examples keep the marking through every
// payload after. With no keys the examples are returned as they are.
func MarkInputs(examples []dspy.Example, keys []string) []dspy.Example {
	if len(keys) == 0 {
		return examples
	}
	out := make([]dspy.Example, len(examples))
	for i, ex := range examples {
		out[i] = ex.WithInputs(keys...)
	}
	return out
}

// markUnmarked marks the given keys that ex has as its inputs, when ex
// carries no marking. Batches scheduled before examples carried their marking
// hold unmarked examples and the inputs beside them; this is how such a batch
// was marked, so it runs as it did.
func markUnmarked(ex dspy.Example, keys []string) dspy.Example {
	if ex.InputKeys() != nil || len(keys) == 0 {
		return ex
	}
	var present []string
	for _, k := range keys {
		if ex.Has(k) {
			present = append(present, k)
		}
	}
	return ex.WithInputs(present...)
}
