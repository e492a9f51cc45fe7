package cli

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// uiPortOffset is where Temporal's dev servers put the Web UI: the frontend
// port plus 1000 (7233 and 8233), as the worker's embedded server does by
// default.
const uiPortOffset = 1000

// uiProbeTimeout bounds the check that a Web UI answers beside the server;
// a local port with nothing on it refuses at once.
const uiProbeTimeout = 500 * time.Millisecond

// noUI as --ui-url prints no links.
const noUI = "none"

// link is the Web UI page of workflow id on the server in use, or "" when
// there is no UI to link to.
func (a *app) link(ctx context.Context, id string) string {
	base := a.uiBase(ctx)
	if base == "" {
		return ""
	}
	return uiLink(base, a.opts.Temporal.Namespace, id)
}

// uiBase is the Web UI base URL: --ui-url (or $DSPY_UI_URL) when given,
// else the UI beside --address when one answers there, else "". It is
// worked out once per command.
func (a *app) uiBase(ctx context.Context) string {
	if a.uiResolved {
		return a.uiURL
	}
	a.uiResolved = true
	switch {
	case a.uiURL == noUI:
		a.uiURL = ""
	case a.uiURL == "":
		a.uiURL = besideAddress(a.opts.Temporal.Address, func(u string) bool { return uiAnswers(ctx, u) })
	}
	return a.uiURL
}

// besideAddress is the dev-server UI URL for a frontend address, when
// answers says a UI is there; "" otherwise.
func besideAddress(address string, answers func(string) bool) string {
	if address == "" {
		address = "127.0.0.1:7233"
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return ""
	}
	p, err := strconv.Atoi(port)
	if err != nil || p+uiPortOffset > 65535 {
		return ""
	}
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(p+uiPortOffset))
	if !answers(base) {
		return ""
	}
	return base
}

// uiAnswers reports whether an HTTP server answers at base.
func uiAnswers(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, uiProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return true
}

// uiLink is the Web UI page of a workflow.
func uiLink(base, namespace, workflowID string) string {
	return strings.TrimRight(base, "/") + "/namespaces/" + url.PathEscape(namespace) + "/workflows/" + url.PathEscape(workflowID)
}
