package lm

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingConn counts the writes made on a connection: one per system call,
// as net.Conn.Write on a TCP connection is.
type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func TestCallWritesHeadersAndBodyAtOnce(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeOK(w) })
	var writes atomic.Int32
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: conn, writes: &writes}, nil
	}
	defer transport.CloseIdleConnections()
	c, _ := newTestClient(t, srv, func(o *Options) { o.HTTPClient = &http.Client{Transport: transport} })

	// A prompt of a few kilobytes, like a few-shot DSPy prompt, still fits
	// the transport's write buffer together with the headers.
	prompt := strings.Repeat("x", 3000)
	for range 3 {
		_, err := c.Call(context.Background(), userRequest(prompt))
		require.NoError(t, err)
	}
	assert.Equal(t, int32(3), writes.Load(), "each request is one write: headers and body together")
	assert.Equal(t, prompt, srv.body(t, 2)["messages"].([]any)[0].(map[string]any)["content"])
}
