package temporalconn

import (
	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/internal/envflag"
)

// BindFlags registers the flags that say how to reach Temporal: address,
// namespace, task queue, TLS and the dial timeout. Commands that only talk
// to a server bind these; a worker binds the dev server's too (BindDevFlags).
//
// Each bound field of o is first set to its default: the environment
// variable named in the flag's help when set, else DefaultOptions' value.
// An environment value that does not parse fails Validate, naming the
// variable, unless the flag is given on the command line.
func BindFlags(fs *pflag.FlagSet, o *Options) {
	d := DefaultOptions()
	fs.StringVar(&o.Address, FlagAddress, d.Address, "Temporal frontend host:port")
	envflag.Bind(fs, &o.env, FlagAddress, EnvAddress)
	fs.StringVar(&o.Namespace, FlagNamespace, d.Namespace, "Temporal namespace")
	envflag.Bind(fs, &o.env, FlagNamespace, EnvNamespace)
	fs.StringVar(&o.TaskQueue, FlagTaskQueue, d.TaskQueue, "task queue the worker polls and workflows start on")
	envflag.Bind(fs, &o.env, FlagTaskQueue, EnvTaskQueue)
	fs.StringVar(&o.TLSCertFile, FlagTLSCert, "", "PEM client certificate for mutual TLS")
	envflag.Bind(fs, &o.env, FlagTLSCert, EnvTLSCert)
	fs.StringVar(&o.TLSKeyFile, FlagTLSKey, "", "PEM client private key for mutual TLS")
	envflag.Bind(fs, &o.env, FlagTLSKey, EnvTLSKey)
	fs.StringVar(&o.TLSCAFile, FlagTLSCA, "", "PEM CA bundle to verify the server with, instead of the system roots")
	envflag.Bind(fs, &o.env, FlagTLSCA, EnvTLSCA)
	fs.StringVar(&o.TLSServerName, FlagTLSServerName, "", "server name to verify the server's certificate against")
	envflag.Bind(fs, &o.env, FlagTLSServerName, EnvTLSServerName)
	fs.DurationVar(&o.DialTimeout, FlagDialTimeout, d.DialTimeout, "how long to try reaching Temporal before giving up")
	envflag.Bind(fs, &o.env, FlagDialTimeout, EnvDialTimeout)
}

// BindDevFlags registers the embedded dev server's flags, with defaults
// taken as BindFlags takes them.
func BindDevFlags(fs *pflag.FlagSet, o *Options) {
	d := DefaultOptions()
	fs.BoolVar(&o.Dev, FlagDev, false, "run an embedded Temporal dev server with its Web UI in this process")
	envflag.Bind(fs, &o.env, FlagDev, EnvDev)
	fs.StringVar(&o.DevDB, FlagDevDB, d.DevDB, `dev server's SQLite file ("" or `+InMemoryDB+` keeps it in memory)`)
	envflag.Bind(fs, &o.env, FlagDevDB, EnvDevDB)
	fs.StringVar(&o.DevPostgres, FlagDevPG, "", `persist the dev server in PostgreSQL instead, e.g. postgres://temporal:secret@127.0.0.1:5432/temporal (databases and schema created if missing)`)
	envflag.Bind(fs, &o.env, FlagDevPG, EnvDevPG)
	fs.StringVar(&o.DevIP, FlagDevIP, d.DevIP, "address the dev server and its UI listen on")
	envflag.Bind(fs, &o.env, FlagDevIP, EnvDevIP)
	fs.IntVar(&o.DevPort, FlagDevPort, d.DevPort, "dev server's gRPC port (0 picks a free one)")
	envflag.Bind(fs, &o.env, FlagDevPort, EnvDevPort)
	fs.IntVar(&o.DevUIPort, FlagDevUIPort, d.DevUIPort, "dev server's Web UI port (0 picks a free one, -1 disables the UI)")
	envflag.Bind(fs, &o.env, FlagDevUIPort, EnvDevUIPort)
}
