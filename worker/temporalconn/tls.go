package temporalconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

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
