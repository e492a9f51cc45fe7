package dspy

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"
)

// StreamResponse is a piece of one output field's value, as DSPy's
// StreamResponse: the pieces of a field, in order, join to the text the
// adapter parses the field from, and the last has IsLastChunk set (its Chunk
// may be empty).
type StreamResponse struct {
	// Predictor is the path of the predictor that produced the field.
	Predictor string `json:"predictor"`
	// Field is the output field's name.
	Field string `json:"field"`
	// Chunk is the text that arrived.
	Chunk string `json:"chunk"`
	// IsLastChunk marks the field's last piece.
	IsLastChunk bool `json:"is_last_chunk"`
}

// StatusMessage reports progress between chunks: a tool being called, say.
type StatusMessage struct {
	Message string `json:"message"`
}

// StreamEvent is one event of a streamed program run: exactly one field is set.
// The last event of a run that succeeded carries the Prediction.
type StreamEvent struct {
	Chunk      *StreamResponse
	Status     *StatusMessage
	Prediction *Prediction
}

// StreamListener asks for one output field of one predictor to be streamed,
// as DSPy's StreamListener does.
type StreamListener struct {
	// Field is the output field to stream.
	Field string
	// Predictor is the path of the predictor ("predict", "extract.predict");
	// empty means the one predictor of the program that has Field as an
	// output (an error when several have).
	Predictor string
	// AllowReuse streams the field every time the predictor runs (in ReAct's
	// loop, say); without it only the first run's field is streamed.
	AllowReuse bool
}

// Streamer runs a program and streams its output fields as they arrive.
// Build one with Streamify; it is safe for concurrent runs.
type Streamer struct {
	program   Module
	names     map[*Predict]string
	listeners map[*Predict][]StreamListener
	status    StatusMessageProvider
}

// Streamify wraps program so that Stream yields its output fields while the
// LM writes them, as DSPy's streamify does. Each listener names a field to
// stream; with none, every output field of every predictor is streamed, each
// time its predictor runs. Fields stream when their LM implements
// StreamingLM and their adapter is ChatAdapter, JSONAdapter or XMLAdapter
// (a reply from any other LM arrives as one chunk; fields of other adapters
// are not streamed). The final prediction is the one an unstreamed call gives.
func Streamify(program Module, listeners ...StreamListener) (*Streamer, error) {
	s := &Streamer{program: program, names: map[*Predict]string{}, listeners: map[*Predict][]StreamListener{},
		status: DefaultStatusMessages{}}
	named := program.Predictors()
	for _, np := range named {
		s.names[np.Predictor] = np.Name
	}
	if len(listeners) == 0 {
		for _, np := range named {
			for _, name := range np.Predictor.Signature.OutputNames() {
				s.listeners[np.Predictor] = append(s.listeners[np.Predictor], StreamListener{Field: name, Predictor: np.Name, AllowReuse: true})
			}
		}
		return s, nil
	}
	for _, l := range listeners {
		p, err := findListened(named, l)
		if err != nil {
			return nil, err
		}
		l.Predictor = s.names[p]
		s.listeners[p] = append(s.listeners[p], l)
	}
	return s, nil
}

// findListened finds the predictor a listener listens to.
func findListened(named []NamedPredictor, l StreamListener) (*Predict, error) {
	var found *Predict
	for _, np := range named {
		if l.Predictor != "" && np.Name != l.Predictor {
			continue
		}
		if !slices.Contains(np.Predictor.Signature.OutputNames(), l.Field) {
			if l.Predictor != "" {
				return nil, fmt.Errorf("streamify: predictor %q has no output field %q (it has %q)", l.Predictor, l.Field, np.Predictor.Signature.OutputNames())
			}
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("streamify: output field %q is not unique in the program; set StreamListener.Predictor to one of the predictors that have it", l.Field)
		}
		found = np.Predictor
	}
	if found == nil {
		if l.Predictor != "" {
			return nil, fmt.Errorf("streamify: the program has no predictor %q", l.Predictor)
		}
		return nil, fmt.Errorf("streamify: output field %q is not a field of any predictor in the program", l.Field)
	}
	return found, nil
}

// WithStatusMessages returns a copy of s whose status messages p writes.
func (s *Streamer) WithStatusMessages(p StatusMessageProvider) *Streamer {
	c := *s
	c.status = p
	return &c
}

// streamBuffer is how many events may wait for a slow consumer before the
// program blocks.
const streamBuffer = 16

// Stream runs the program on inputs and yields its events: field chunks and
// status messages in the order they happen, then the final prediction, or
// else the error the run ended with. Stopping the iteration early cancels
// the run and waits for it to end.
func (s *Streamer) Stream(ctx context.Context, inputs Example) iter.Seq2[StreamEvent, error] {
	return func(yield func(StreamEvent, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events := make(chan StreamEvent, streamBuffer)
		run := &streamRun{s: s, ctx: ctx, events: events, done: map[*StreamListener]bool{}}
		var (
			pred     Prediction
			err      error
			panicked any
		)
		go func() {
			defer close(events)
			defer func() { panicked = recover() }()
			pred, err = run.call(inputs)
		}()
		for ev := range events {
			if !yield(ev, nil) {
				cancel()
				for range events {
				}
				if panicked != nil {
					panic(panicked)
				}
				return
			}
		}
		if panicked != nil {
			panic(panicked)
		}
		if err != nil {
			yield(StreamEvent{}, err)
			return
		}
		yield(StreamEvent{Prediction: &pred}, nil)
	}
}

// Call runs the program streamed and returns the final prediction, dropping
// the events: the same prediction an unstreamed call returns.
func (s *Streamer) Call(ctx context.Context, inputs Example) (Prediction, error) {
	for ev, err := range s.Stream(ctx, inputs) {
		if err != nil {
			return Prediction{}, err
		}
		if ev.Prediction != nil {
			return *ev.Prediction, nil
		}
	}
	return Prediction{}, ctx.Err()
}

// Predictors returns the program's predictors.
func (s *Streamer) Predictors() []NamedPredictor { return s.program.Predictors() }

type streamKey int

const (
	streamRunKey streamKey = iota
	streamCallKey
	streamFormatKey
)

// streamRun is one streamed run: where its events go and which listeners
// have had their field.
type streamRun struct {
	s      *Streamer
	ctx    context.Context
	events chan<- StreamEvent

	mu   sync.Mutex
	done map[*StreamListener]bool
}

func (r *streamRun) call(inputs Example) (Prediction, error) {
	ctx := context.WithValue(r.ctx, streamRunKey, r)
	if _, bare := r.s.program.(*Predict); bare {
		return r.s.program.Call(ctx, inputs)
	}
	r.sendStatus(r.s.status.ModuleStart("", inputs))
	pred, err := r.s.program.Call(ctx, inputs)
	r.sendStatus(r.s.status.ModuleEnd("", pred, err))
	return pred, err
}

func (r *streamRun) send(ev StreamEvent) {
	select {
	case r.events <- ev:
	case <-r.ctx.Done():
	}
}

func (r *streamRun) sendStatus(msg string) {
	if msg != "" {
		r.send(StreamEvent{Status: &StatusMessage{Message: msg}})
	}
}

// take reports whether l still listens, and marks it done when its field
// ends and it may not be reused.
func (r *streamRun) take(l *StreamListener, last bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done[l] {
		return false
	}
	if last && !l.AllowReuse {
		r.done[l] = true
	}
	return true
}

// streamPredict is one predictor call inside a streamed run.
type streamPredict struct {
	run  *streamRun
	p    *Predict
	name string
}

// streamPredictStart is called by Predict.Call: inside a streamed run it
// marks the context so that the predictor's LM call streams, sends the
// module status, and returns what to call when the predictor is done.
func streamPredictStart(ctx *context.Context, p *Predict, inputs Example) func(Prediction, error) {
	run, _ := (*ctx).Value(streamRunKey).(*streamRun)
	if run == nil {
		return nil
	}
	sp := &streamPredict{run: run, p: p, name: run.s.names[p]}
	*ctx = context.WithValue(*ctx, streamCallKey, sp)
	run.sendStatus(run.s.status.ModuleStart(sp.name, inputs))
	return func(pred Prediction, err error) { run.sendStatus(run.s.status.ModuleEnd(sp.name, pred, err)) }
}

// streamToolStart is called by Tool.Call: inside a streamed run it sends the
// tool's status messages, as DSPy's status callback does.
func streamToolStart(ctx context.Context, t *Tool, args map[string]any) func(any, error) {
	run, _ := ctx.Value(streamRunKey).(*streamRun)
	if run == nil {
		return nil
	}
	if t.Name() != finishToolName {
		run.sendStatus(run.s.status.ToolStart(t, args))
	}
	return func(result any, err error) {
		if s, ok := result.(string); ok && s == "Completed." {
			return
		}
		run.sendStatus(run.s.status.ToolEnd(t, result, err))
	}
}

// streamFormat is the reply format an adapter call expects.
type streamFormat uint8

const (
	streamNone streamFormat = iota
	streamChat
	streamJSON
	streamXML
)

// streamAdapterCall tells a streaming LM call which format its reply takes.
type streamAdapterCall struct {
	format streamFormat
	sig    Signature
}

// streamingAs is called by an adapter's Call with its reply format: inside a
// streamed predictor call, the LM call's reply is read as format for sig's
// output fields.
func streamingAs(ctx context.Context, format streamFormat, sig Signature) context.Context {
	if ctx.Value(streamCallKey) == nil {
		return ctx
	}
	return context.WithValue(ctx, streamFormatKey, streamAdapterCall{format: format, sig: sig})
}

// callLM calls lm, streaming the reply to the run's listeners when the call
// is a streamed predictor's.
func callLM(ctx context.Context, lm LM, req LMRequest) (LMResponse, error) {
	sp, _ := ctx.Value(streamCallKey).(*streamPredict)
	if sp == nil {
		return lm.Call(ctx, req)
	}
	status := sp.run.s.status
	sp.run.sendStatus(status.LMStart(sp.name, req))
	resp, err := sp.stream(ctx, lm, req)
	sp.run.sendStatus(status.LMEnd(sp.name, resp, err))
	return resp, err
}

func (sp *streamPredict) stream(ctx context.Context, lm LM, req LMRequest) (LMResponse, error) {
	ac, _ := ctx.Value(streamFormatKey).(streamAdapterCall)
	listeners := sp.run.s.listeners[sp.p]
	if len(listeners) == 0 || ac.format == streamNone {
		return lm.Call(ctx, req)
	}
	emit := func(field, text string, last bool) {
		for i := range listeners {
			l := &listeners[i]
			if l.Field != field || !sp.run.take(l, last) {
				continue
			}
			sp.run.send(StreamEvent{Chunk: &StreamResponse{Predictor: sp.name, Field: field, Chunk: text, IsLastChunk: last}})
		}
	}
	reader := newFieldReader(ac.format, ac.sig.OutputNames(), emit)
	var (
		resp LMResponse
		err  error
	)
	if slm, ok := lm.(StreamingLM); ok {
		resp, err = slm.Stream(ctx, req, func(c LMChunk) {
			if c.Index == 0 {
				reader.feed(c.Content)
			}
		})
	} else if resp, err = lm.Call(ctx, req); err == nil && len(resp.Outputs) > 0 {
		reader.feed(resp.Outputs[0])
	}
	if err != nil {
		if field := reader.open(); field != "" {
			err = fmt.Errorf("predictor %s: the LM's reply stopped inside output field %q: %w", sp.name, field, err)
		}
		return resp, err
	}
	reader.finish()
	return resp, nil
}
