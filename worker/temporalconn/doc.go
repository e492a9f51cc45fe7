// Package temporalconn is how a durable-dspy worker or CLI reaches Temporal:
// it dials a frontend (address, namespace, TLS, Temporal Cloud's API key)
// and checks that the namespace and the workflows' search attributes exist,
// or it starts the embedded dev server in-process (package devserver) and
// dials that. BindFlags and BindDevFlags define the command-line flags, and
// their environment variables, that the worker binary and the CLI share.
//
// Errors name the flag or environment variable to change.
package temporalconn
