package dspy

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// LMServer is implemented by an LM that can say where its calls go, for the
// provider and server attributes of LM spans. The package lm's client does.
type LMServer interface {
	// Provider names the provider as OpenTelemetry's GenAI conventions do
	// (gen_ai.provider.name): "openai" for the OpenAI API and servers
	// compatible with it.
	Provider() string
	// ServerURL is the base URL calls go to, without credentials.
	ServerURL() string
}

// The GenAI semantic-convention attributes of LM spans. gen_ai.system is
// the name conventions before 1.37 gave gen_ai.provider.name; both are set,
// so backends of either generation group calls by provider.
const (
	attrGenAIOperation     = attribute.Key("gen_ai.operation.name")
	attrGenAIProvider      = attribute.Key("gen_ai.provider.name")
	attrGenAISystem        = attribute.Key("gen_ai.system")
	attrGenAIRequestModel  = attribute.Key("gen_ai.request.model")
	attrGenAITemperature   = attribute.Key("gen_ai.request.temperature")
	attrGenAIMaxTokens     = attribute.Key("gen_ai.request.max_tokens")
	attrGenAIChoiceCount   = attribute.Key("gen_ai.request.choice.count")
	attrGenAIStop          = attribute.Key("gen_ai.request.stop_sequences")
	attrGenAIOutputType    = attribute.Key("gen_ai.output.type")
	attrGenAIResponseModel = attribute.Key("gen_ai.response.model")
	attrGenAIFinish        = attribute.Key("gen_ai.response.finish_reasons")
	attrGenAIInputTokens   = attribute.Key("gen_ai.usage.input_tokens")
	attrGenAIOutputTokens  = attribute.Key("gen_ai.usage.output_tokens")
	attrGenAIInputMsgs     = attribute.Key("gen_ai.input.messages")
	attrGenAIOutputMsgs    = attribute.Key("gen_ai.output.messages")
	attrServerAddress      = attribute.Key("server.address")
	attrServerPort         = attribute.Key("server.port")
	attrHTTPStatus         = attribute.Key("http.response.status_code")
)

// lmSpan is the span of one LM call; the zero value records nothing.
type lmSpan struct {
	span
	capture bool
}

// startLMSpan starts the client span of one LM call, named as the GenAI
// conventions ask ("chat gpt-4o-mini"), with the request's settings. The
// API key is never among them: neither the request nor LMServer has it.
func startLMSpan(ctx context.Context, lm LM, req LMRequest) (context.Context, lmSpan) {
	ctx, s, capture, ok := beginSpan(ctx, "chat", trace.WithSpanKind(trace.SpanKindClient))
	if !ok {
		return ctx, lmSpan{}
	}
	model := req.Model
	if model == "" {
		model = lm.ModelName()
	}
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, attrGenAIOperation.String("chat"))
	if model != "" {
		s.SetName("chat " + model)
		attrs = append(attrs, attrGenAIRequestModel.String(model))
	}
	if srv, ok := lm.(LMServer); ok {
		p := srv.Provider()
		attrs = append(attrs, attrGenAIProvider.String(p), attrGenAISystem.String(p))
		attrs = append(attrs, serverAttributes(srv.ServerURL())...)
	}
	if req.Temperature != nil {
		attrs = append(attrs, attrGenAITemperature.Float64(*req.Temperature))
	}
	if req.MaxTokens > 0 {
		attrs = append(attrs, attrGenAIMaxTokens.Int(req.MaxTokens))
	}
	if req.N > 1 {
		attrs = append(attrs, attrGenAIChoiceCount.Int(req.N))
	}
	if len(req.Stop) > 0 {
		attrs = append(attrs, attrGenAIStop.StringSlice(req.Stop))
	}
	if req.ResponseFormat != nil {
		attrs = append(attrs, attrGenAIOutputType.String("json"))
	} else {
		attrs = append(attrs, attrGenAIOutputType.String("text"))
	}
	if req.Rollout != 0 {
		attrs = append(attrs, AttrLMRollout.Int(req.Rollout))
	}
	if capture {
		attrs = append(attrs, attrGenAIInputMsgs.String(inputMessagesJSON(req.Messages)))
	}
	s.SetAttributes(attrs...)
	return ctx, lmSpan{span: span{s}, capture: capture}
}

// end records the reply's model, usage and finish reasons, or the failure,
// and ends the span. A failed call still reports the usage of the requests
// that reached the server.
func (l lmSpan) end(resp LMResponse, err error) {
	s := l.s
	if s == nil {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 8)
	if resp.Model != "" {
		attrs = append(attrs, attrGenAIResponseModel.String(resp.Model))
	}
	if err == nil || resp.Usage != (Usage{}) {
		attrs = append(attrs,
			attrGenAIInputTokens.Int(resp.Usage.PromptTokens),
			attrGenAIOutputTokens.Int(resp.Usage.CompletionTokens),
			AttrLMCost.Float64(resp.Usage.Cost),
			AttrLMCalls.Int(resp.Usage.Calls),
		)
	}
	if err == nil {
		attrs = append(attrs, AttrLMCacheHit.Bool(resp.CacheHit))
		if len(resp.FinishReasons) > 0 {
			attrs = append(attrs, attrGenAIFinish.StringSlice(resp.FinishReasons))
		}
		if l.capture {
			attrs = append(attrs, attrGenAIOutputMsgs.String(outputMessagesJSON(resp)))
		}
	}
	s.SetAttributes(attrs...)
	if err != nil {
		var lmErr *LMError
		if errors.As(err, &lmErr) && lmErr.StatusCode != 0 {
			s.SetAttributes(attrHTTPStatus.Int(lmErr.StatusCode))
		}
		recordError(s, err)
	}
	s.End()
}

// serverAttributes are server.address and server.port of a base URL.
func serverAttributes(base string) []attribute.KeyValue {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil
	}
	attrs := []attribute.KeyValue{attrServerAddress.String(u.Hostname())}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	if n, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, attrServerPort.Int(n))
	}
	return attrs
}

// genAIPart and genAIMessage are the GenAI conventions' message shape for
// gen_ai.input.messages and gen_ai.output.messages.
type genAIPart struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

type genAIMessage struct {
	Role         string      `json:"role"`
	Parts        []genAIPart `json:"parts"`
	FinishReason string      `json:"finish_reason,omitempty"`
}

func inputMessagesJSON(msgs []Message) string {
	out := make([]genAIMessage, len(msgs))
	for i, m := range msgs {
		out[i] = genAIMessage{Role: m.Role, Parts: []genAIPart{{Type: "text", Content: m.Content}}}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func outputMessagesJSON(resp LMResponse) string {
	out := make([]genAIMessage, len(resp.Outputs))
	for i, text := range resp.Outputs {
		out[i] = genAIMessage{Role: "assistant", Parts: []genAIPart{{Type: "text", Content: text}}}
		if i < len(resp.FinishReasons) {
			out[i].FinishReason = resp.FinishReasons[i]
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}
