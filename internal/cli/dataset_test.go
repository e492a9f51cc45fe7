package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/activities"
)

// A run's dataset reference is pinned to the content the starter checked, by
// the hash the worker's LoadDataset checks.
func TestDatasetRefPinsTheCheckedContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "train.jsonl")
	content := []byte(`{"question": "q", "answer": "a"}` + "\n")
	require.NoError(t, os.WriteFile(path, content, 0o644))

	d, err := loadDataset("trainset", path, []string{"question"})
	require.NoError(t, err)
	ref := d.ref([]string{"question"})
	assert.Equal(t, activities.DatasetSHA256(content), ref.SHA256)
	assert.True(t, filepath.IsAbs(ref.Path))
	assert.Equal(t, []string{"question"}, ref.InputKeys)
	require.Len(t, d.Examples, 1)
}
