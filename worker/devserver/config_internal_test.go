package devserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/server/common/dynamicconfig"
)

// The one-process server keeps each task queue in one partition, so a
// task goes straight to a worker polling the queue.
func TestDynamicConfigKeepsTaskQueuesInOnePartition(t *testing.T) {
	dc := dynamicConfig()
	assert.Equal(t, 1, dc[dynamicconfig.MatchingNumTaskqueueReadPartitions.Key()])
	assert.Equal(t, 1, dc[dynamicconfig.MatchingNumTaskqueueWritePartitions.Key()])
}
