package temporalconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// ErrUnreachable is matched (with errors.Is) by the error Dial and Connect
// return when no Temporal frontend answers at the address in time.
var ErrUnreachable = errors.New("cannot reach Temporal")

// Dial connects a Temporal client as o describes: address, namespace, TLS
// and the API key ($TEMPORAL_API_KEY when Options.APIKey is empty). It
// fails within Options.DialTimeout when nothing answers, and checks that
// the namespace exists, so a typo is reported here rather than as a worker
// polling nothing. Options.Dev is ignored: Connect dials the embedded
// server. The client logs to logger; nil means slog.Default().
func Dial(ctx context.Context, o Options, logger *slog.Logger) (client.Client, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return dial(ctx, o, o.Address, false, logger)
}

// dial connects to address; local skips TLS and credentials, for the
// embedded dev server, which has neither.
func dial(ctx context.Context, o Options, address string, local bool, logger *slog.Logger) (client.Client, error) {
	if logger == nil {
		logger = slog.Default()
	}
	opts := client.Options{
		HostPort:  address,
		Namespace: o.Namespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	}
	interceptors, err := tracingInterceptors()
	if err != nil {
		return nil, err
	}
	opts.Interceptors = interceptors
	if !local {
		tlsConf, err := tlsConfig(o)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tlsConf
		apiKey := o.APIKey
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
