package dspy

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Attributes of embeddings spans beyond those LM spans share.
const (
	// AttrEmbedInputs counts the texts one embedder call embeds.
	AttrEmbedInputs = attribute.Key("dspy.embeddings.inputs")
	// AttrEmbedCacheHits counts the texts served from the embedder's cache.
	AttrEmbedCacheHits = attribute.Key("dspy.embeddings.cache_hits")

	attrGenAIEmbedDims = attribute.Key("gen_ai.embeddings.dimension.count")
)

// modelNamer is implemented by embedders that can name their model, as the
// package lm's does; the span is named after it.
type modelNamer interface{ ModelName() string }

// startEmbedSpan starts the client span of one embedder call, named as the
// GenAI conventions ask ("embeddings text-embedding-3-small"). The texts are
// never recorded: the conventions define no content attribute for
// embeddings, and the texts are as private as prompts.
func startEmbedSpan(ctx context.Context, e Embedder, texts []string) (context.Context, span) {
	ctx, s, _, ok := beginSpan(ctx, "embeddings", trace.WithSpanKind(trace.SpanKindClient))
	if !ok {
		return ctx, span{}
	}
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, attrGenAIOperation.String("embeddings"), AttrEmbedInputs.Int(len(texts)))
	if m, ok := e.(modelNamer); ok && m.ModelName() != "" {
		s.SetName("embeddings " + m.ModelName())
		attrs = append(attrs, attrGenAIRequestModel.String(m.ModelName()))
	}
	if srv, ok := e.(LMServer); ok {
		p := srv.Provider()
		attrs = append(attrs, attrGenAIProvider.String(p), attrGenAISystem.String(p))
		attrs = append(attrs, serverAttributes(srv.ServerURL())...)
	}
	s.SetAttributes(attrs...)
	return ctx, span{s}
}

// endEmbed records the call's usage and vector size, or its failure, and
// ends the span. A failed call still reports the usage of the requests that
// reached the server, as an LM span does.
func (s span) endEmbed(vecs [][]float32, u Usage, err error) {
	if s.s == nil {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	if err == nil || u != (Usage{}) {
		attrs = append(attrs,
			attrGenAIInputTokens.Int(u.PromptTokens),
			AttrLMCost.Float64(u.Cost),
			AttrLMCalls.Int(u.Calls),
			AttrEmbedCacheHits.Int(u.CacheHits),
		)
	}
	if err == nil && len(vecs) > 0 {
		attrs = append(attrs, attrGenAIEmbedDims.Int(len(vecs[0])))
	}
	s.s.SetAttributes(attrs...)
	if err != nil {
		var lmErr *LMError
		if errors.As(err, &lmErr) && lmErr.StatusCode != 0 {
			s.s.SetAttributes(attrHTTPStatus.Int(lmErr.StatusCode))
		}
		recordError(s.s, err)
	}
	s.s.End()
}
