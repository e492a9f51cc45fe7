package devserver

import (
	"fmt"
	"maps"
	"net/url"
	"strings"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	schematool "go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

const (
	// postgresStore and postgresVisibilityStore key the two PostgreSQL data
	// stores: Temporal keeps visibility in a database of its own.
	postgresStore           = "postgres-default"
	postgresVisibilityStore = "postgres-visibility"
	// defaultPostgresDatabase is the database when the URL names none; the
	// visibility database is its name with postgresVisibilitySuffix.
	defaultPostgresDatabase  = "temporal"
	postgresVisibilitySuffix = "_visibility"
	// postgresAdminDatabase is where the databases are created from: every
	// PostgreSQL server has it.
	postgresAdminDatabase = "postgres"
	// The schemas the server module embeds (go.temporal.io/server/schema),
	// named as its schema tool names them.
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"
)

// postgresConfig returns the persistence and visibility stores on the
// PostgreSQL server rawURL names, postgres://user:password@host:port/db with
// any further connection settings (sslmode, ...) as query parameters. The
// two databases are created if missing and brought to the schema version
// this server release needs, as Temporal's SQL schema tool does
// (setup-schema, then update-schema over the embedded versioned schema), so
// a first start and a later one on an existing database both work. The
// namespace is created if missing, with the search attributes bound.
func postgresConfig(rawURL, namespace string, searchAttributes map[string]enums.IndexedValueType) (store, visibility *config.SQL, err error) {
	base, err := parsePostgresURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	store, visibility = base, clonePostgresConfig(base)
	visibility.DatabaseName += postgresVisibilitySuffix
	if err := setupPostgresDatabase(store, postgresSchema); err != nil {
		return nil, nil, err
	}
	if err := setupPostgresDatabase(visibility, postgresVisibilitySchema); err != nil {
		return nil, nil, err
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, searchAttributes)
	if err != nil {
		return nil, nil, fmt.Errorf("devserver: namespace %q: %w", namespace, err)
	}
	// Despite the package's name, this writes the namespace through the
	// store's own SQL plugin, and is a no-op for a namespace that exists.
	if err := sqliteschema.CreateNamespaces(store, ns); err != nil {
		return nil, nil, fmt.Errorf("devserver: create namespace %q in PostgreSQL: %w", namespace, err)
	}
	return store, visibility, nil
}

// parsePostgresURL reads a postgres:// URL into the SQL plugin's settings.
// The password never appears in its errors.
func parsePostgresURL(rawURL string) (*config.SQL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("devserver: PostgreSQL URL does not parse (want postgres://user:password@host:port/database)")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("devserver: PostgreSQL URL scheme %q: want postgres://user:password@host:port/database", u.Scheme)
	}
	if u.Host == "" || u.Port() == "" {
		return nil, fmt.Errorf("devserver: PostgreSQL URL needs host:port, e.g. postgres://temporal@127.0.0.1:5432/temporal")
	}
	cfg := &config.SQL{
		PluginName:      postgresplugin.PluginName,
		ConnectProtocol: "tcp",
		ConnectAddr:     u.Host,
		User:            u.User.Username(),
		DatabaseName:    strings.TrimPrefix(u.Path, "/"),
		// Both stores of one server: a handful of connections each is plenty.
		MaxConns:     10,
		MaxIdleConns: 10,
	}
	cfg.Password, _ = u.User.Password()
	if cfg.DatabaseName == "" {
		cfg.DatabaseName = defaultPostgresDatabase
	}
	if q := u.Query(); len(q) > 0 {
		cfg.ConnectAttributes = map[string]string{}
		for k := range q {
			cfg.ConnectAttributes[k] = q.Get(k)
		}
	}
	return cfg, nil
}

func clonePostgresConfig(c *config.SQL) *config.SQL {
	d := *c
	d.ConnectAttributes = maps.Clone(c.ConnectAttributes)
	return &d
}

// setupPostgresDatabase creates cfg's database if missing and applies the
// schema's versioned updates it lacks.
func setupPostgresDatabase(cfg *config.SQL, schemaName string) error {
	logger := log.NewNoopLogger()
	// DoCreateDatabase connects to the admin database through the config it
	// is given, so it gets a copy; it ignores a database that exists.
	if err := sqltool.DoCreateDatabase(clonePostgresConfig(cfg), postgresAdminDatabase, logger); err != nil {
		return fmt.Errorf("devserver: create PostgreSQL database %s at %s: %w", cfg.DatabaseName, cfg.ConnectAddr, err)
	}
	conn, err := sqltool.NewConnection(clonePostgresConfig(cfg), logger)
	if err != nil {
		return fmt.Errorf("devserver: connect to PostgreSQL database %s at %s: %w", cfg.DatabaseName, cfg.ConnectAddr, err)
	}
	defer conn.Close()
	// A database without Temporal's version tables is new: start it at
	// version 0.0, from which the update applies every versioned step.
	if _, err := conn.ReadSchemaVersion(); err != nil {
		setup := schematool.NewSetupSchemaTask(conn, &schematool.SetupConfig{InitialVersion: "0.0"}, logger)
		if err := setup.Run(); err != nil {
			return fmt.Errorf("devserver: set up schema versioning in %s: %w", cfg.DatabaseName, err)
		}
	}
	update := schematool.NewUpdateSchemaTask(conn, &schematool.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger)
	if err := update.Run(); err != nil {
		return fmt.Errorf("devserver: apply schema %s to %s: %w", schemaName, cfg.DatabaseName, err)
	}
	return nil
}

// usePostgres points conf's persistence at the PostgreSQL stores instead of
// the SQLite one serverConfig set.
func usePostgres(conf *config.Config, store, visibility *config.SQL) {
	conf.Persistence.DefaultStore = postgresStore
	conf.Persistence.VisibilityStore = postgresVisibilityStore
	conf.Persistence.DataStores = map[string]config.DataStore{
		postgresStore:           {SQL: store},
		postgresVisibilityStore: {SQL: visibility},
	}
}
