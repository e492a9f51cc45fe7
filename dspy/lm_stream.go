package dspy

import "context"

// LMChunk is a piece of a completion as a streaming LM delivers it.
type LMChunk struct {
	// Index is the completion (choice) the piece belongs to.
	Index int
	// Content is the text that arrived, to be appended to what came before.
	Content string
	// CacheHit tells that the whole completion came from the cache and is
	// replayed as this one chunk.
	CacheHit bool
}

// StreamingLM is an LM that can deliver a completion while it is being
// generated. Streaming programs (Streamify) use it when their LM offers it;
// any other LM's reply reaches them whole, as one chunk.
type StreamingLM interface {
	LM
	// Stream sends req as Call does and calls onChunk, from the calling
	// goroutine, with each piece of text as it arrives; it returns the
	// assembled response, usage included, as Call would have. A failure
	// before the first chunk may be retried; after it, it is returned.
	// A cached reply arrives as one chunk with CacheHit set.
	Stream(ctx context.Context, req LMRequest, onChunk func(LMChunk)) (LMResponse, error)
}
