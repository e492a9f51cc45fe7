package activities

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// outageKinds are the LM failures that mean the LM is not serving now, as
// opposed to rejecting the request: retrying later may succeed.
var outageKinds = []dspy.LMErrorKind{dspy.ErrKindConnection, dspy.ErrKindTimeout, dspy.ErrKindServer, dspy.ErrKindRateLimit}

// outageErrType is the application error type an activity fails with when
// the LM is unavailable: "LM" and the error's kind, e.g. "LMconnection".
func outageErrType(kind dspy.LMErrorKind) string { return "LM" + string(kind) }

// IsLMOutage reports whether err, an activity's failure as a workflow sees
// it, says the LM was unavailable (unreachable, timing out, failing or
// rate limiting) after the LM client's own retries.
func IsLMOutage(err error) bool {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return false
	}
	for _, k := range outageKinds {
		if appErr.Type() == outageErrType(k) {
			return true
		}
	}
	return false
}

// maxDetail bounds the provider's own words in an outage message, which
// some servers fill with a whole HTML error page.
const maxDetail = 160

// OutageMessage says in one line what is wrong with the LM, naming where it
// was called and the root cause, e.g. "LM unreachable at
// http://127.0.0.1:9/v1: connection refused". It is the message of the
// activity failure, which status lines show as it is.
func OutageMessage(e *dspy.LMError) string {
	where := e.BaseURL
	if where == "" {
		where = e.Model
	}
	switch e.Kind {
	case dspy.ErrKindConnection:
		return fmt.Sprintf("LM unreachable at %s: %s", where, transportCause(e.Err))
	case dspy.ErrKindTimeout:
		return fmt.Sprintf("LM at %s timed out%s", where, detail(e))
	case dspy.ErrKindRateLimit:
		return fmt.Sprintf("LM at %s is rate limiting%s", where, detail(e))
	case dspy.ErrKindServer:
		return fmt.Sprintf("LM at %s is failing%s", where, detail(e))
	}
	return e.Error()
}

// detail is ": HTTP n: the server's words", shortened, or "" when there
// are none.
func detail(e *dspy.LMError) string {
	var parts []string
	if e.StatusCode != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.StatusCode))
	}
	if e.Err != nil {
		msg := strings.Join(strings.Fields(e.Err.Error()), " ")
		if r := []rune(msg); len(r) > maxDetail {
			msg = string(r[:maxDetail]) + "…"
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ": ")
}

// transportCause names why a connection failed in the words of the system:
// "connection refused", "no such host api.example", "connection reset by
// peer". It falls back to the whole error when it cannot look inside.
func transportCause(err error) string {
	if err == nil {
		return "no connection"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return "no such host " + dnsErr.Name
		}
		return fmt.Sprintf("cannot resolve %s: %s", dnsErr.Name, dnsErr.Err)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		// The innermost error is the system's word for it (an errno);
		// the layers above repeat the address the message already names.
		inner := opErr.Err
		for next := errors.Unwrap(inner); next != nil; next = errors.Unwrap(inner) {
			inner = next
		}
		if opErr.Timeout() {
			return "connection timed out"
		}
		return inner.Error()
	}
	return err.Error()
}
