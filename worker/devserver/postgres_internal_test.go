package devserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePostgresURL(t *testing.T) {
	cfg, err := parsePostgresURL("postgres://temporal:s3cret@127.0.0.1:5432/dspy?sslmode=disable")
	require.NoError(t, err)
	assert.Equal(t, "postgres12", cfg.PluginName)
	assert.Equal(t, "127.0.0.1:5432", cfg.ConnectAddr)
	assert.Equal(t, "temporal", cfg.User)
	assert.Equal(t, "s3cret", cfg.Password)
	assert.Equal(t, "dspy", cfg.DatabaseName)
	assert.Equal(t, map[string]string{"sslmode": "disable"}, cfg.ConnectAttributes)

	cfg, err = parsePostgresURL("postgresql://temporal@localhost:5432")
	require.NoError(t, err)
	assert.Equal(t, defaultPostgresDatabase, cfg.DatabaseName, "no database in the URL")
	assert.Empty(t, cfg.ConnectAttributes)

	for _, bad := range []string{"mysql://u:p@h:3306/db", "postgres://u:s3cret@localhost/db", "postgres://u:s3cret@%zz:1/db"} {
		_, err := parsePostgresURL(bad)
		if assert.Error(t, err, bad) {
			assert.NotContains(t, err.Error(), "s3cret", "the password stays out of errors")
		}
	}
}
