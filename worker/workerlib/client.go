package workerlib

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/workflows"
)

// ErrUnreachable is matched (with errors.Is) by the error Dial and Start
// return when no Temporal frontend answers at the address in time.
var ErrUnreachable = errors.New("cannot reach Temporal")

// Dial connects a Temporal client as o describes: address, namespace, TLS
// and the API key ($TEMPORAL_API_KEY when Options.TemporalAPIKey is empty).
// It fails within Options.DialTimeout when nothing answers, and checks that
// the namespace exists, so a typo is reported here rather than as a worker
// polling nothing. Options.Dev is ignored: Start dials the embedded server.
func Dial(ctx context.Context, o Options) (client.Client, error) {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return dial(ctx, o, o.Address, false)
}

// dial connects to address; local skips TLS and credentials, for the
// embedded dev server, which has neither.
func dial(ctx context.Context, o Options, address string, local bool) (client.Client, error) {
	opts := client.Options{
		HostPort:  address,
		Namespace: o.Namespace,
		Logger:    sdklog.NewStructuredLogger(o.Logger),
	}
	if !local {
		tlsConf, err := tlsConfig(o)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tlsConf
		apiKey := o.TemporalAPIKey
		if apiKey == "" {
			apiKey = os.Getenv(EnvAPIKey)
		}
		if apiKey != "" {
			// The SDK turns TLS on for an API key unless configured otherwise.
			opts.Credentials = client.NewAPIKeyStaticCredentials(apiKey)
		}
	}

	dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s: %w", address, ctx.Err())
		}
		return nil, fmt.Errorf("%w at %s: %w; start one with `worker --%s`, or point --%s (or $%s) at yours",
			ErrUnreachable, address, err, FlagDev, FlagAddress, EnvAddress)
	}
	if err := checkNamespace(dctx, c, o.Namespace, address); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// checkNamespace fails when the namespace does not exist. A credential that
// may not describe namespaces (as on some cloud accounts) is not an error:
// the worker's polls will tell.
func checkNamespace(ctx context.Context, c client.Client, namespace, address string) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var notFound *serviceerror.NamespaceNotFound
	var denied *serviceerror.PermissionDenied
	switch {
	case err == nil, errors.As(err, &denied):
		return nil
	case errors.As(err, &notFound):
		return fmt.Errorf("namespace %q does not exist on %s: create it (temporal operator namespace create --namespace %s) or set --%s (or $%s)",
			namespace, address, namespace, FlagNamespace, EnvNamespace)
	default:
		return fmt.Errorf("describe namespace %q on %s: %w", namespace, address, err)
	}
}

// checkSearchAttributes fails when the server lists its search attributes
// and some that the workflows set are missing: a workflow upserting an
// unknown attribute has every workflow task rejected, and would hang. A
// server that will not list them (a restricted credential) is given the
// benefit of the doubt.
func checkSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil
	}
	var missing []string
	for name, typ := range SearchAttributes() {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			missing = append(missing, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type %s", namespace, name, typ))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("namespace %q lacks the search attributes durable-dspy's workflows set; create them once with:\n  %s",
		namespace, strings.Join(missing, "\n  "))
}

// SearchAttributes returns the custom search attributes the workflows set,
// by name, taken from the workflows package's keys so the two cannot drift.
// A type's String is the name the temporal CLI takes (Keyword, Double).
func SearchAttributes() map[string]enums.IndexedValueType {
	out := map[string]enums.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKey{
		workflows.SearchAttrOptimizer,
		workflows.SearchAttrProgram,
		workflows.SearchAttrBestScore,
		workflows.SearchAttrStatus,
	} {
		out[k.GetName()] = k.GetValueType()
	}
	return out
}

// tlsConfig builds the TLS settings from the TLS options, or returns nil
// when none is set. Errors name the flag whose file is at fault.
func tlsConfig(o Options) (*tls.Config, error) {
	if o.TLSCertFile == "" && o.TLSKeyFile == "" && o.TLSCAFile == "" && o.TLSServerName == "" {
		return nil, nil
	}
	conf := &tls.Config{ServerName: o.TLSServerName, MinVersion: tls.VersionTLS12}
	if o.TLSCertFile != "" {
		pair, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--%s %s with --%s %s: %w", FlagTLSCert, o.TLSCertFile, FlagTLSKey, o.TLSKeyFile, err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", FlagTLSCA, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--%s %s: no PEM certificate found", FlagTLSCA, o.TLSCAFile)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}
