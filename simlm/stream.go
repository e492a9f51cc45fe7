package simlm

import (
	"bytes"
	"encoding/json"
	"net/http"
	"unicode"
	"unicode/utf8"
)

// A request with "stream": true is answered as OpenAI streams a chat
// completion: Server-Sent Events carrying chat.completion.chunk objects whose
// deltas, concatenated, are exactly the reply the same request gets
// unstreamed; a reply's tool calls follow its text as OpenAI streams them,
// each call's first delta carrying its index, id, type and function name and
// the next ones fragments of its arguments; a chunk with each choice's
// finish_reason; a last chunk with no
// choices and the usage when stream_options.include_usage asks for it; then
// "data: [DONE]".

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chunkResponse struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint"`
	Choices           []chunkChoice `json:"choices"`
	Usage             *usage        `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	FinishReason *string    `json:"finish_reason"`
	Logprobs     *struct{}  `json:"logprobs"`
}

type chunkDelta struct {
	Role      string          `json:"role,omitempty"`
	Content   *string         `json:"content,omitempty"`
	ToolCalls []chunkToolCall `json:"tool_calls,omitempty"`
}

// chunkToolCall is a piece of one tool call.
type chunkToolCall struct {
	Index    int               `json:"index"`
	ID       string            `json:"id,omitempty"`
	Type     string            `json:"type,omitempty"`
	Function chunkToolFunction `json:"function"`
}

type chunkToolFunction struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// writeStream answers resp as an event stream.
func writeStream(w http.ResponseWriter, resp *chatResponse, includeUsage bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	var buf bytes.Buffer
	send := func(c chunkResponse) {
		buf.Reset()
		buf.WriteString("data: ")
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(c) // the types above always encode
		buf.WriteByte('\n')
		_, _ = w.Write(buf.Bytes())
		if flusher != nil {
			flusher.Flush()
		}
	}
	chunk := func(choices ...chunkChoice) chunkResponse {
		return chunkResponse{ID: resp.ID, Object: "chat.completion.chunk", Created: resp.Created,
			Model: resp.Model, SystemFingerprint: resp.SystemFingerprint, Choices: choices}
	}
	for _, c := range resp.Choices {
		empty := ""
		send(chunk(chunkChoice{Index: c.Index, Delta: chunkDelta{Role: "assistant", Content: &empty}}))
		for _, piece := range streamPieces(c.Message.Content) {
			send(chunk(chunkChoice{Index: c.Index, Delta: chunkDelta{Content: &piece}}))
		}
		for j, tc := range c.Message.ToolCalls {
			first := chunkToolCall{Index: j, ID: tc.ID, Type: tc.Type, Function: chunkToolFunction{Name: tc.Function.Name}}
			send(chunk(chunkChoice{Index: c.Index, Delta: chunkDelta{ToolCalls: []chunkToolCall{first}}}))
			for _, piece := range streamPieces(tc.Function.Arguments) {
				frag := chunkToolCall{Index: j, Function: chunkToolFunction{Arguments: piece}}
				send(chunk(chunkChoice{Index: c.Index, Delta: chunkDelta{ToolCalls: []chunkToolCall{frag}}}))
			}
		}
		finish := c.FinishReason
		send(chunk(chunkChoice{Index: c.Index, FinishReason: &finish}))
	}
	if includeUsage {
		last := chunk()
		last.Choices = []chunkChoice{}
		u := resp.Usage
		last.Usage = &u
		send(last)
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
	if flusher != nil {
		flusher.Flush()
	}
}

// maxPieceRunes bounds the non-space runes of one streamed piece, so long
// words arrive over several chunks as a tokenizer would split them.
const maxPieceRunes = 6

// streamPieces splits a reply into token-like pieces: a run of whitespace
// followed by up to maxPieceRunes other runes, punctuation on its own.
// Joined, the pieces are the reply.
func streamPieces(text string) []string {
	var pieces []string
	for start := 0; start < len(text); {
		i := start
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		for runes := 0; i < len(text) && runes < maxPieceRunes; runes++ {
			r, n := utf8.DecodeRuneInString(text[i:])
			if unicode.IsSpace(r) {
				break
			}
			punct := unicode.IsPunct(r) || unicode.IsSymbol(r)
			if punct && runes > 0 {
				break
			}
			i += n
			if punct {
				break
			}
		}
		pieces = append(pieces, text[start:i])
		start = i
	}
	return pieces
}
