package simlm

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// drawHash keys every content decision of a request: the seed, the messages,
// the temperature and the request's own seed. Identical requests get identical
// answers (so an LM cache in front of the simulator is consistent), while a
// change of demos, instructions or temperature gives a fresh draw.
func (s *Server) drawHash(req *chatRequest) uint64 {
	h := newHasher(s.cfg.Seed)
	h.u64(uint64(len(req.Messages)))
	for _, m := range req.Messages {
		h.str(m.Role)
		h.str(string(m.Content))
	}
	if req.Temperature != nil {
		h.byte(1)
		h.f64(*req.Temperature)
	} else {
		h.byte(0)
	}
	if req.Seed != nil {
		h.byte(1)
		h.u64(uint64(*req.Seed))
	} else {
		h.byte(0)
	}
	return h.sum()
}

// content writes the reply text of one choice; draw is the request's draw hash
// combined with the choice index. A prose reply carries the same values in
// sentences instead of the requested format.
func (s *Server) content(p *prompt, draw uint64, prose bool) string {
	if p.reflection != "" {
		return reflectionReply(p.reflection, derive(draw, saltInstruction))
	}
	if len(p.outputs) == 0 {
		return s.plainReply(p, draw)
	}
	call, arith := findArithmetic(p)
	result := 0
	if arith {
		result = call.problem.answer
		prob := s.acc.probability(call.problem.category(), call.signals(p))
		if unit(derive(draw, saltCorrect)) >= prob {
			result = wrongAnswer(call.problem, derive(draw, saltWrong))
		}
	}
	vals := make([]any, len(p.outputs))
	for i, f := range p.outputs {
		h := derive(draw, saltValue^hashString(0, f.name))
		switch {
		case metaRoleOf(f.name) != metaNone && !(arith && i == call.answerIdx):
			vals[i] = metaValue(metaRoleOf(f.name), f, p, h)
		case arith && i == call.answerIdx:
			vals[i] = answerValue(f, result)
		case arith && isReasoningName(f.name) && f.kind == kindString:
			vals[i] = arithmeticReasoning(call.problem, result, derive(draw, saltReasoning))
		case isExtraction(p):
			vals[i] = extractedValue(p, f, h)
		default:
			vals[i] = genericValue(f, p.inputs, h)
		}
	}
	switch {
	case prose:
		return renderProse(p.outputs, vals)
	case p.json:
		return renderJSON(p.outputs, vals)
	case isXMLPrompt(p.last):
		return renderXML(p.outputs, vals)
	}
	return renderChat(p.outputs, vals)
}

// renderProse answers in sentences, as a model that ignores the requested
// format does: no field markers and no brackets or braces, so neither the
// chat nor the JSON adapter can read it.
func renderProse(fields []outputField, vals []any) string {
	var b strings.Builder
	b.WriteString("Sure, happy to help.")
	for i, f := range fields {
		b.WriteString(" My ")
		b.WriteString(strings.ReplaceAll(f.name, "_", " "))
		b.WriteString(" is ")
		b.WriteString(proseReplacer.Replace(chatText(vals[i])))
		b.WriteString(".")
	}
	return b.String()
}

// proseReplacer flattens a value into a sentence.
var proseReplacer = strings.NewReplacer("\n", " ", "{", "", "}", "", "[", "", "]", "")

// plainReply answers a prompt without DSPy structure: the answer alone for a
// recognised question, otherwise an echo of the request.
func (s *Server) plainReply(p *prompt, draw uint64) string {
	if prob, ok := recognize(p.last); ok {
		n := prob.answer
		if unit(derive(draw, saltCorrect)) >= s.acc.probability(prob.category(), promptSignals{}) {
			n = wrongAnswer(prob, derive(draw, saltWrong))
		}
		return strconv.Itoa(n)
	}
	return "Simulated reply to: " + fragment([]kv{{value: p.last}}, 0, 24)
}

func renderChat(fields []outputField, vals []any) string {
	var b strings.Builder
	for i, f := range fields {
		b.WriteString("[[ ## ")
		b.WriteString(f.name)
		b.WriteString(" ## ]]\n")
		b.WriteString(chatText(vals[i]))
		b.WriteString("\n\n")
	}
	b.WriteString("[[ ## completed ## ]]")
	return b.String()
}

// renderJSON writes an object with the fields in signature order; a Go map
// would sort them, and DSPy asks for "the following order of fields".
func renderJSON(fields []outputField, vals []any) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i, f := range fields {
		k, _ := json.Marshal(f.name)
		v, err := json.Marshal(jsonOf(vals[i]))
		if err != nil {
			v = []byte("null")
		}
		b.WriteString("  ")
		b.Write(k)
		b.WriteString(": ")
		b.Write(v)
		if i < len(fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}")
	return b.String()
}

// garbageReplies are well-formed HTTP answers that no adapter can parse: no
// field markers, no JSON object.
var garbageReplies = []string{
	"I'm sorry, but I can't determine the answer from the information given.",
	"Let me think about this. The story mentions several quantities, so the answer depends on which ones matter",
	"Answer: it is hard to say without more context.",
	"As an AI language model, I would need more details to respond properly.",
}

// applyLimits enforces max_tokens (cutting the text, finish_reason "length")
// and stop sequences (cutting before the first one).
func applyLimits(text string, maxTokens int, stop []string) (string, string) {
	for _, st := range stop {
		if st == "" {
			continue
		}
		if i := strings.Index(text, st); i >= 0 {
			text = text[:i]
		}
	}
	if maxTokens > 0 && estimateTokens(text) > maxTokens {
		cut := maxTokens * 4
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		return text[:cut], "length"
	}
	return text, "stop"
}
