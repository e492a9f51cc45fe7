package simlm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Native tool calling. A request that offers tools (OpenAI's "tools" field)
// is answered with tool calls when its task calls for one: while the prompt
// shows no tool result yet (no "observation" in a ReAct trajectory), the
// simulator calls one or two of the offered tools, chosen and given
// arguments that fit their schemas from the request's draw; once a result is
// shown it calls "finish" if offered, and otherwise answers in text only.
// "tool_choice" is honoured: "none" never calls, "required" always does, and
// a named function is the one called. Every choice is a function of the
// request, so the answers stay deterministic.

// saltTool keys the tool-call draws, apart from the content draws.
const saltTool uint64 = 0x5151_7001

// requestTool is one entry of a request's "tools".
type requestTool struct {
	Type     string `json:"type"`
	Function struct {
		Name       string         `json:"name"`
		Parameters map[string]any `json:"parameters"`
	} `json:"function"`
}

// toolCallOut is one tool call of a reply, as OpenAI writes it.
type toolCallOut struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Function toolCallFunction `json:"function"`
}

type toolCallFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// toolChoice reads "tool_choice": "auto", "none", "required", or the name of
// a forced function; empty when unset.
func (r *chatRequest) toolChoice() string {
	raw := bytes.TrimSpace(r.ToolChoice)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var named struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &named) == nil {
		return named.Function.Name
	}
	return ""
}

// toolCalls decides the tool calls of one choice; draw is the choice's hash.
func (s *Server) toolCalls(req *chatRequest, p *prompt, draw uint64) []toolCallOut {
	if len(req.Tools) == 0 {
		return nil
	}
	choice := req.toolChoice()
	if choice == "none" {
		return nil
	}
	var finish *requestTool
	var others []*requestTool
	var forced *requestTool
	for i := range req.Tools {
		t := &req.Tools[i]
		switch {
		case t.Function.Name == choice:
			forced = t
		case t.Function.Name == "finish":
			finish = t
		default:
			others = append(others, t)
		}
	}
	h := derive(draw, saltTool)
	if forced != nil {
		return []toolCallOut{s.callOf(forced, p, h, 0)}
	}
	if strings.Contains(p.last, "[[ ## observation") || len(others) == 0 {
		switch {
		case finish != nil:
			return []toolCallOut{s.callOf(finish, p, h, 0)}
		case choice == "required" && len(others) > 0:
			return []toolCallOut{s.callOf(others[0], p, h, 0)}
		}
		return nil
	}
	n := 1 + int(h%2)
	calls := make([]toolCallOut, n)
	for j := range calls {
		d := derive(h, uint64(j+1))
		calls[j] = s.callOf(others[pick(d, len(others))], p, d, j)
	}
	return calls
}

// callOf makes a call of t with arguments drawn from its schema.
func (s *Server) callOf(t *requestTool, p *prompt, h uint64, j int) toolCallOut {
	args := map[string]any{}
	if params := t.Function.Parameters; params != nil {
		if obj, ok := schemaValue(params, params, p.inputs, h, 0).(map[string]any); ok {
			args = obj
		}
	}
	raw, err := json.Marshal(args)
	if err != nil {
		raw = []byte("{}")
	}
	var idb [8]byte
	id := derive(h, uint64(j))
	for i := range idb {
		idb[i] = byte(id >> (8 * i))
	}
	return toolCallOut{
		ID:       "call_" + hex.EncodeToString(idb[:]),
		Type:     "function",
		Function: toolCallFunction{Name: t.Function.Name, Arguments: string(raw)},
	}
}

// withToolCalls sets a choice's tool calls; a reply that calls tools says so
// in its finish reason, and a prompt that asks for no text field gets no text.
func withToolCalls(c *chatChoice, p *prompt, calls []toolCallOut) {
	if len(calls) == 0 {
		return
	}
	c.Message.ToolCalls = calls
	c.FinishReason = "tool_calls"
	if len(p.outputs) == 0 {
		c.Message.Content = ""
	}
}
