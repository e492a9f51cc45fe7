package temporalconn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeCert writes a self-signed certificate and its key as PEM files.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "durable-dspy test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

func TestNoTLSOptionMeansPlainConnection(t *testing.T) {
	conf, err := tlsConfig(Options{})
	require.NoError(t, err)
	assert.Nil(t, conf)
}

func TestTLSOptionsBuildMutualTLSWithACustomCA(t *testing.T) {
	cert, key := writeCert(t, t.TempDir())
	conf, err := tlsConfig(Options{TLSCertFile: cert, TLSKeyFile: key, TLSCAFile: cert, TLSServerName: "temporal.internal"})
	require.NoError(t, err)
	require.NotNil(t, conf)
	assert.Len(t, conf.Certificates, 1)
	assert.NotNil(t, conf.RootCAs)
	assert.Equal(t, "temporal.internal", conf.ServerName)
}

func TestAServerNameAloneTurnsTLSOn(t *testing.T) {
	conf, err := tlsConfig(Options{TLSServerName: "temporal.internal"})
	require.NoError(t, err)
	require.NotNil(t, conf)
	assert.Nil(t, conf.RootCAs, "the system roots verify the server")
}

func TestTLSFileErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))

	for _, tc := range []struct {
		name string
		o    Options
		flag string
	}{
		{"missing certificate", Options{TLSCertFile: filepath.Join(dir, "none.pem"), TLSKeyFile: filepath.Join(dir, "none.key")}, "--tls-cert-file"},
		{"missing CA bundle", Options{TLSCAFile: filepath.Join(dir, "none.pem")}, "--tls-ca-file"},
		{"CA bundle without PEM", Options{TLSCAFile: notPEM}, "--tls-ca-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tlsConfig(tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.flag)
		})
	}
}
