package activities_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
)

// An LM on a dead port is named by its base URL and the system's word for
// the failure, not by the client's whole advice text.
func TestAnUnreachableLMIsOneLineNamingTheURLAndTheCause(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + l.Addr().String() + "/v1"
	require.NoError(t, l.Close())
	client, err := lm.New(lm.Options{BaseURL: url, APIKey: "k", Model: "m", MaxRetries: 0})
	require.NoError(t, err)

	_, err = client.Call(context.Background(), dspy.LMRequest{Messages: []dspy.Message{{Role: "user", Content: "hi"}}})
	var lmErr *dspy.LMError
	require.True(t, errors.As(err, &lmErr), "%v", err)
	assert.Equal(t, "LM unreachable at "+url+": connection refused", activities.OutageMessage(lmErr))
}

func TestOutageMessagesNameTheKindAndTheServersWords(t *testing.T) {
	assert.Equal(t, "LM at http://x/v1 is failing: HTTP 503: overloaded",
		activities.OutageMessage(&dspy.LMError{Kind: dspy.ErrKindServer, StatusCode: 503, BaseURL: "http://x/v1", Err: errors.New("overloaded")}))
	assert.Equal(t, "LM at gpt-x is rate limiting: HTTP 429",
		activities.OutageMessage(&dspy.LMError{Kind: dspy.ErrKindRateLimit, StatusCode: 429, Model: "gpt-x"}))
	long := activities.OutageMessage(&dspy.LMError{Kind: dspy.ErrKindTimeout, BaseURL: "http://x/v1", Err: errors.New(strings.Repeat("<html> ", 200))})
	assert.Less(t, len(long), 300, "a server's whole error page is cut short")
}
