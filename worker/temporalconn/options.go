package temporalconn

import (
	"errors"
	"fmt"
	"time"

	"github.com/durable-dspy/durable-dspy/internal/envflag"
	"github.com/durable-dspy/durable-dspy/worker/devserver"
)

// Flag names, shared by the worker binary and the CLI so that one spelling
// works everywhere and error messages can point at the flag to change.
const (
	FlagAddress       = "address"
	FlagNamespace     = "namespace"
	FlagTaskQueue     = "task-queue"
	FlagTLSCert       = "tls-cert-file"
	FlagTLSKey        = "tls-key-file"
	FlagTLSCA         = "tls-ca-file"
	FlagTLSServerName = "tls-server-name"
	FlagDialTimeout   = "dial-timeout"

	FlagDev       = "dev"
	FlagDevDB     = "dev-db"
	FlagDevPG     = "dev-postgres"
	FlagDevIP     = "ip"
	FlagDevPort   = "port"    // devserver.PortFlag, so its port-in-use advice is right
	FlagDevUIPort = "ui-port" // devserver.UIPortFlag
)

// Environment variables read as flag defaults (by BindFlags and
// BindDevFlags) or, for the API key, only ever from the environment.
const (
	EnvAddress       = "TEMPORAL_ADDRESS"
	EnvNamespace     = "TEMPORAL_NAMESPACE"
	EnvAPIKey        = "TEMPORAL_API_KEY"
	EnvTLSCert       = "TEMPORAL_TLS_CERT"
	EnvTLSKey        = "TEMPORAL_TLS_KEY"
	EnvTLSCA         = "TEMPORAL_TLS_CA"
	EnvTLSServerName = "TEMPORAL_TLS_SERVER_NAME"
	EnvTaskQueue     = "DSPY_TASK_QUEUE"
	EnvDialTimeout   = "DSPY_DIAL_TIMEOUT"

	EnvDev       = "DSPY_DEV"
	EnvDevDB     = "DSPY_DEV_DB"
	EnvDevPG     = "DSPY_DEV_POSTGRES"
	EnvDevIP     = "DSPY_DEV_IP"
	EnvDevPort   = "DSPY_DEV_PORT"
	EnvDevUIPort = "DSPY_DEV_UI_PORT"
)

// Defaults for the options. Dial and Connect apply those whose zero value
// means nothing (addresses and names); the dev server's are what the flags
// and DefaultOptions set, because for them zero is a meaningful choice (an
// in-memory database, a free port).
const (
	// DefaultAddress is Temporal's conventional local frontend.
	DefaultAddress = "127.0.0.1:7233"
	// DefaultNamespace is the namespace every Temporal server starts with.
	DefaultNamespace = "default"
	// DefaultTaskQueue is the queue durable-dspy's worker and CLI agree on.
	DefaultTaskQueue = "durable-dspy"
	// DefaultDialTimeout bounds connecting to Temporal.
	DefaultDialTimeout = 10 * time.Second

	// DefaultDevDB is where the command line persists the dev server.
	DefaultDevDB = ".durable-dspy/temporal.db"
	// DefaultDevPort and DefaultDevUIPort are Temporal's conventional dev ports,
	// so a CLI in another shell finds the server without flags.
	DefaultDevPort   = 7233
	DefaultDevUIPort = 8233
)

// InMemoryDB as Options.DevDB keeps the dev server's database in memory, as
// the empty string does; it reads better on a command line.
const InMemoryDB = ":memory:"

// Options say where Temporal is, or that it runs in this process.
//
// Fields are taken literally where zero has a meaning: DevDB "" keeps the
// database in memory, DevPort 0 picks a free port. DefaultOptions and the
// flags fill in the command-line defaults instead.
type Options struct {
	// Address is the Temporal frontend's host:port (default DefaultAddress).
	// Ignored with Dev, where the client dials the embedded server.
	Address string
	// Namespace is the Temporal namespace (default DefaultNamespace). With
	// Dev it is created if missing.
	Namespace string
	// TaskQueue is the queue the worker polls and clients start workflows on
	// (default DefaultTaskQueue).
	TaskQueue string

	// TLSCertFile and TLSKeyFile are a PEM client certificate and key for
	// mutual TLS; TLSCAFile is a PEM bundle to verify the server with instead
	// of the system roots; TLSServerName overrides the name the server's
	// certificate is checked against. Any of them turns TLS on.
	TLSCertFile, TLSKeyFile, TLSCAFile, TLSServerName string
	// APIKey authenticates to Temporal Cloud and turns TLS on. Empty means
	// $TEMPORAL_API_KEY. It has no flag, so it never shows in a process
	// listing or shell history.
	APIKey string
	// DialTimeout bounds connecting to Temporal, so a wrong address fails in
	// seconds rather than hanging (default DefaultDialTimeout).
	DialTimeout time.Duration

	// Dev runs an embedded Temporal dev server, with its Web UI, in this process.
	Dev bool
	// DevDB is the dev server's SQLite file, created with its directory if
	// missing. "" or InMemoryDB keeps everything in memory.
	DevDB string
	// DevPostgres, when set, persists the dev server in PostgreSQL instead
	// of DevDB: a URL such as postgres://temporal:secret@127.0.0.1:5432/temporal
	// (see devserver.Options.Postgres).
	DevPostgres string
	// DevIP is the address the dev server's frontend and UI listen on
	// (default 127.0.0.1; 0.0.0.0 serves other machines or containers).
	DevIP string
	// DevPort is the dev server's gRPC port; 0 picks a free one.
	DevPort int
	// DevUIPort is the Web UI's port; 0 picks a free one and -1 disables the UI.
	DevUIPort int

	// env holds environment values the flags could not parse.
	env envflag.Errors
}

// DefaultOptions returns the options a command line starts from before the
// environment and flags apply: connect to a local Temporal, and persist a
// dev server's database under .durable-dspy/.
func DefaultOptions() Options {
	return Options{
		Address:     DefaultAddress,
		Namespace:   DefaultNamespace,
		TaskQueue:   DefaultTaskQueue,
		DialTimeout: DefaultDialTimeout,
		DevDB:       DefaultDevDB,
		DevIP:       devserver.DefaultIP,
		DevPort:     DefaultDevPort,
		DevUIPort:   DefaultDevUIPort,
	}
}

// WithDefaults fills in the options whose zero value means nothing: the
// address, namespace, task queue and dial timeout.
func (o Options) WithDefaults() Options {
	if o.Address == "" {
		o.Address = DefaultAddress
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.TaskQueue == "" {
		o.TaskQueue = DefaultTaskQueue
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	return o
}

// Validate reports every problem with o at once, each naming the flag (or
// environment variable) to change.
func (o Options) Validate() error {
	errs := []error{o.env.Err()}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, fmt.Errorf("--%s and --%s go together: mutual TLS needs both the certificate and its key", FlagTLSCert, FlagTLSKey))
	}
	if o.DialTimeout < 0 {
		errs = append(errs, fmt.Errorf("--%s must not be negative", FlagDialTimeout))
	}
	if o.Dev && o.DevUIPort < -1 {
		errs = append(errs, fmt.Errorf("--%s %d: want a port, 0 for a free one or -1 for no UI", FlagDevUIPort, o.DevUIPort))
	}
	return errors.Join(errs...)
}
