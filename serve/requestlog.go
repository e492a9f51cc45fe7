package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultLogBuffer is how many request log lines may wait for the writer
// before new ones are dropped (and counted) rather than slow a request.
const DefaultLogBuffer = 8192

// LogLine is one request log line. Every field is always present, whatever
// the outcome, so each line parses into the same shape.
type LogLine struct {
	Time             time.Time       `json:"time"`
	RequestID        string          `json:"request_id"`
	Program          string          `json:"program"`
	Model            string          `json:"model"`
	Status           int             `json:"status"`
	DurationMS       float64         `json:"duration_ms"`
	QueueWaitMS      float64         `json:"queue_wait_ms"`
	Inputs           json.RawMessage `json:"inputs"`
	Outputs          json.RawMessage `json:"outputs"`
	Error            string          `json:"error"`
	ErrorCode        string          `json:"error_code"`
	LMCalls          int             `json:"lm_calls"`
	PromptTokens     int             `json:"prompt_tokens"`
	CompletionTokens int             `json:"completion_tokens"`
	CostUSD          float64         `json:"cost_usd"`
	CacheHits        int             `json:"cache_hits"`
	// RawReply is an LM reply that did not parse (502s only), clipped.
	RawReply string `json:"raw_reply"`
	// RunID names the durable run a request started or joined.
	RunID string `json:"run_id"`
}

// redacted stands in for inputs or outputs the log must not keep.
var redacted = json.RawMessage(`"[redacted]"`)

// maxRawReply bounds how much of an unparseable reply a log line keeps.
const maxRawReply = 4096

// requestLog writes log lines from one goroutine. Requests hand it encoded
// lines through a bounded channel and never wait: when the channel is full the
// line is dropped and counted.
type requestLog struct {
	lines   chan *encodedLine
	dropped atomic.Int64
	out     io.Writer
	closer  io.Closer

	mu     sync.RWMutex // guards closed against sends racing close(lines)
	closed bool
	done   chan struct{}
}

func newRequestLog(out io.Writer, closer io.Closer, buffer int) *requestLog {
	l := &requestLog{lines: make(chan *encodedLine, buffer), out: out, closer: closer, done: make(chan struct{})}
	go l.run()
	return l
}

// encodedLine is one line's bytes and the encoder that wrote them.
type encodedLine struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// lineBuffers recycles encoded lines: a request takes one, the writer puts
// it back once written, so a steady load encodes its lines without
// allocating their buffers.
var lineBuffers = sync.Pool{New: func() any {
	e := new(encodedLine)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// maxPooledLine bounds the buffers kept for reuse, so one request with huge
// inputs does not pin its buffer's memory for good.
const maxPooledLine = 64 << 10

func putLine(e *encodedLine) {
	if e.buf.Cap() <= maxPooledLine {
		e.buf.Reset()
		lineBuffers.Put(e)
	}
}

// write queues one line; it never blocks.
func (l *requestLog) write(line *LogLine) {
	if l == nil {
		return
	}
	e := lineBuffers.Get().(*encodedLine)
	if err := e.enc.Encode(line); err != nil {
		putLine(e)
		l.dropped.Add(1)
		return
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		putLine(e)
		l.dropped.Add(1)
		return
	}
	select {
	case l.lines <- e:
	default:
		putLine(e)
		l.dropped.Add(1)
	}
}

// run batches lines into the writer, flushing whenever the queue empties.
func (l *requestLog) run() {
	defer close(l.done)
	w := bufio.NewWriterSize(l.out, 64<<10)
	for line := range l.lines {
		_, _ = w.Write(line.buf.Bytes())
		putLine(line)
		if len(l.lines) == 0 {
			_ = w.Flush()
		}
	}
	_ = w.Flush()
}

// close stops accepting lines, writes those queued and closes the output.
func (l *requestLog) close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closed = true
	close(l.lines)
	l.mu.Unlock()
	<-l.done
	if l.closer != nil {
		return l.closer.Close()
	}
	return nil
}

func (l *requestLog) droppedLines() float64 {
	if l == nil {
		return 0
	}
	return float64(l.dropped.Load())
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
