package lm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/durable-dspy/durable-dspy/dspy"
)

var _ dspy.StreamingLM = (*Client)(nil)

// Stream sends req with "stream": true and hands each piece of the reply to
// onChunk as it arrives, then returns the assembled response as Call would:
// the same cache key (a streamed reply is cached whole and a cached one is
// replayed as a single chunk with CacheHit set), the usage the server
// reports in its last chunk (stream_options.include_usage), prices,
// history and usage totals. Tool-call deltas are assembled into the
// response's ToolCalls, as Call returns them; onChunk sees only text.
//
// Failures before the first chunk are retried as Call retries them; once
// text has been handed to onChunk, a failure is returned at once, since a
// retry would repeat text the caller has already seen. A stream that ends
// before every completion has its finish_reason, the server having cut it
// off, is a *dspy.LMError of kind server.
func (c *Client) Stream(ctx context.Context, req dspy.LMRequest, onChunk func(dspy.LMChunk)) (dspy.LMResponse, error) {
	p, cached, hit, err := c.begin(req)
	if err != nil {
		return dspy.LMResponse{}, err
	}
	if hit {
		for i, out := range cached.Outputs {
			onChunk(dspy.LMChunk{Index: i, Content: out, CacheHit: true})
		}
		return cached, nil
	}
	req, body := p.req, p.body

	var (
		resp     dspy.LMResponse
		started  bool
		midReply *dspy.LMError
	)
	sent, err := c.retry(ctx, req.Model, func() *dspy.LMError {
		var lmErr *dspy.LMError
		resp, lmErr = c.streamAttempt(ctx, req.Model, body, onChunk, &started)
		if lmErr != nil && started {
			// Stop retrying, but count the attempt as answered: it was.
			midReply = lmErr
			return nil
		}
		return lmErr
	})
	if err == nil && midReply != nil {
		err = midReply
		if ctx.Err() != nil {
			err = c.contextError(ctx, req.Model, midReply)
		}
	}
	return c.settle(p.start, p.key, req, resp, sent, err)
}

// streamAttempt sends one streaming request and reads its events to the
// end, within the concurrency cap and rate limit. started is set once a
// piece of text has been handed to onChunk.
func (c *Client) streamAttempt(ctx context.Context, model string, body []byte, onChunk func(dspy.LMChunk), started *bool) (dspy.LMResponse, *dspy.LMError) {
	attemptCtx, done, lmErr := c.startAttempt(ctx, model)
	if lmErr != nil {
		return dspy.LMResponse{}, lmErr
	}
	defer done()
	// The body is the one Call sends (wire.go); openai-go adds "stream": true
	// and decodes the events.
	stream := c.oa.Chat.Completions.NewStreaming(attemptCtx, openai.ChatCompletionNewParams{},
		option.WithRequestBody("application/json", body),
		option.WithJSONSet("stream_options", map[string]any{"include_usage": true}))
	defer stream.Close()

	var (
		texts    []strings.Builder
		finishes []string
		calls    []toolCallAssembler
		resp     = dspy.LMResponse{Model: model}
	)
	for stream.Next() {
		chunk := stream.Current()
		if chunk.Model != "" {
			resp.Model = chunk.Model
		}
		if chunk.JSON.Usage.Valid() {
			resp.Usage.PromptTokens = int(chunk.Usage.PromptTokens)
			resp.Usage.CompletionTokens = int(chunk.Usage.CompletionTokens)
		}
		for _, choice := range chunk.Choices {
			i := int(choice.Index)
			if i < 0 || i > maxStreamChoices {
				return dspy.LMResponse{}, c.answeredError(model, fmt.Errorf("the stream names choice %d", i))
			}
			for len(texts) <= i {
				texts = append(texts, strings.Builder{})
				finishes = append(finishes, "")
				calls = append(calls, toolCallAssembler{})
			}
			if text := choice.Delta.Content; text != "" {
				texts[i].WriteString(text)
				*started = true
				onChunk(dspy.LMChunk{Index: i, Content: text})
			}
			for _, tc := range choice.Delta.ToolCalls {
				err := calls[i].add(toolCallDelta{Index: int(tc.Index), ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
				if err != nil {
					return dspy.LMResponse{}, c.answeredError(model, err)
				}
			}
			if choice.FinishReason != "" {
				finishes[i] = choice.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		var streamErr *ssestream.StreamError
		if errors.As(err, &streamErr) {
			return dspy.LMResponse{}, c.answeredError(model, errors.New(c.redactString(streamErr.Message)))
		}
		return dspy.LMResponse{}, c.classify(err, model, ctx, attemptCtx)
	}
	if len(texts) == 0 {
		return dspy.LMResponse{}, c.answeredError(model, errors.New("the stream ended with no choices"))
	}
	for i, f := range finishes {
		if f == "" {
			return dspy.LMResponse{}, c.answeredError(model, fmt.Errorf(
				"the stream was cut off: completion %d ended after %d bytes without a finish_reason", i, texts[i].Len()))
		}
	}
	resp.Outputs = make([]string, len(texts))
	for i := range texts {
		resp.Outputs[i] = texts[i].String()
	}
	resp.FinishReasons = finishes
	for i := range calls {
		got, err := calls[i].result()
		if err != nil {
			return dspy.LMResponse{}, c.answeredError(model, fmt.Errorf("completion %d: %w", i, err))
		}
		setToolCalls(&resp, i, len(calls), got)
	}
	resp.Usage.Calls = 1
	return resp, nil
}

// maxStreamChoices bounds the choice index a stream may name, so a broken
// server cannot make the client allocate without limit.
const maxStreamChoices = 1024

// answeredError is a server failure reported inside an HTTP 200 answer.
func (c *Client) answeredError(model string, err error) *dspy.LMError {
	e := c.lmError(dspy.ErrKindServer, model, err)
	e.StatusCode = http.StatusOK
	return e
}
