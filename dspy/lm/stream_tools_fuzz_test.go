package lm

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// FuzzToolCallAssembler splits the arguments of up to four calls at
// arbitrary points, interleaves their deltas in an arbitrary order and
// wants the calls back whole, in index order.
func FuzzToolCallAssembler(f *testing.F) {
	f.Add([]byte(`{"topic": "Lyon"}`), []byte("{}"), []byte{3, 1, 4, 1, 5, 9, 2, 6}, uint8(2), true)
	f.Add([]byte(`{"q": "a \"quoted\" «word»"}`), []byte(`[1,2]`), []byte{0, 0, 0}, uint8(4), false)
	f.Add([]byte(""), []byte("x"), []byte{}, uint8(1), true)
	f.Fuzz(func(t *testing.T, argsA, argsB, splits []byte, n uint8, repeatIDs bool) {
		count := int(n%4) + 1
		want := make([]dspy.LMToolCall, count)
		for i := range want {
			args := argsA
			if i%2 == 1 {
				args = argsB
			}
			want[i] = dspy.LMToolCall{ID: "call_" + string(rune('a'+i)), Name: "tool" + string(rune('0'+i)), Arguments: string(args)}
		}

		// Cut each call's arguments into fragments at points the split
		// bytes choose.
		draw := func() int {
			if len(splits) < 2 {
				return 0
			}
			v := int(binary.LittleEndian.Uint16(splits))
			splits = splits[2:]
			return v
		}
		pending := make([][]toolCallDelta, count)
		for i, c := range want {
			pending[i] = append(pending[i], toolCallDelta{Index: i, ID: c.ID, Name: c.Name})
			rest := c.Arguments
			for rest != "" {
				cut := draw()%len(rest) + 1
				d := toolCallDelta{Index: i, Arguments: rest[:cut]}
				if repeatIDs {
					d.ID, d.Name = c.ID, c.Name
				}
				pending[i] = append(pending[i], d)
				rest = rest[cut:]
			}
		}

		// Interleave: each delta is the next of a call the split bytes pick,
		// so every call's own deltas keep their order.
		var a toolCallAssembler
		for left := count; left > 0; {
			i := draw() % count
			for len(pending[i]) == 0 {
				i = (i + 1) % count
			}
			require.NoError(t, a.add(pending[i][0]))
			pending[i] = pending[i][1:]
			if len(pending[i]) == 0 {
				left--
			}
		}
		got, err := a.result()
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
}
