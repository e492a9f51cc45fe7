package devserver

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

const (
	// clusterName names the single cluster. It is persisted in the database with the
	// namespaces, so it must stay the same across releases or old files stop loading.
	clusterName = "active"
	// storeName is the key of the one SQLite data store used for both persistence and
	// visibility.
	storeName = "sqlite-default"
)

// ports holds every port one server instance listens on.
type ports struct {
	frontend, frontendHTTP, history, matching, worker, ui int
}

// sqlConfig returns the SQLite settings for dbPath and prepares the database: the schema
// is applied to a new file, and the namespace is created if missing, with the custom
// search attributes bound up front so a fresh database needs no later update.
func sqlConfig(dbPath, namespace string, searchAttributes map[string]enums.IndexedValueType) (*config.SQL, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if dbPath == "" {
		// A random name keeps two in-memory servers in one process (parallel tests)
		// apart: the plugin shares one connection per DSN, and "cache=shared" lets the
		// server's several services see the same in-memory database. The plugin applies
		// the schema itself when it opens an in-memory database.
		conf.DatabaseName = "devserver-" + uuid.NewString()
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
	} else {
		conf.DatabaseName = filepath.Clean(dbPath)
		conf.ConnectAttributes = map[string]string{"mode": "rwc"}
		fresh, err := isNewDatabase(conf.DatabaseName)
		if err != nil {
			return nil, err
		}
		if fresh {
			if err := sqliteschema.SetupSchema(conf); err != nil {
				return nil, fmt.Errorf("devserver: create schema in %s: %w", dbPath, err)
			}
		}
	}

	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, searchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace %q: %w", namespace, err)
	}
	// A no-op for a namespace that already exists, so this runs on every start.
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return nil, fmt.Errorf("devserver: create namespace %q: %w", namespace, err)
	}
	return conf, nil
}

// isNewDatabase reports whether path has no schema yet: missing, or an empty file (as
// left by os.CreateTemp or touch). A missing parent directory is an error here rather
// than an obscure SQLite "unable to open" later.
func isNewDatabase(path string) (bool, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, derr := os.Stat(filepath.Dir(path)); derr != nil {
			return false, fmt.Errorf("devserver: directory for database %s: %w", path, derr)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("devserver: database %s: %w", path, err)
	case info.IsDir():
		return false, fmt.Errorf("devserver: database path %s is a directory", path)
	default:
		return info.Size() == 0, nil
	}
}

// serverConfig builds the static server configuration. bindIP is where the frontend
// listens (what the user asked for); internalIP is the loopback address the other three
// services listen on, since nothing outside the process needs them; dialHost is how
// clients, the UI and the server's own worker service reach the frontend.
func serverConfig(sql *config.SQL, bindIP, internalIP, dialHost string, p ports) *config.Config {
	frontendAddr := net.JoinHostPort(dialHost, strconv.Itoa(p.frontend))

	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = internalIP

	conf.Persistence.DefaultStore = storeName
	conf.Persistence.VisibilityStore = storeName
	// One shard is plenty for one user, and the shard count of a database can never
	// change afterwards.
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{storeName: {SQL: sql}}

	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				HTTPAddress:            net.JoinHostPort(dialHost, strconv.Itoa(p.frontendHTTP)),
				// The server insists on a UUID. A fresh one each start is fine: the
				// persisted cluster metadata keeps the first and ignores later ones.
				ClusterID: uuid.NewString(),
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"

	internal := func(port int) config.Service {
		var s config.Service
		s.RPC.GRPCPort = port
		s.RPC.BindOnIP = internalIP
		return s
	}
	frontend := config.Service{}
	frontend.RPC.GRPCPort = p.frontend
	frontend.RPC.HTTPPort = p.frontendHTTP
	frontend.RPC.BindOnIP = bindIP
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): frontend,
		string(primitives.HistoryService):  internal(p.history),
		string(primitives.MatchingService): internal(p.matching),
		string(primitives.WorkerService):   internal(p.worker),
	}

	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontendAddr
	return conf
}

// dynamicConfig holds the run-time settings that differ from the server's production
// defaults. Everything else, including the features the SDK needs (updates, worker
// deployments and versioning, CHASM, standalone activities, schedules), is already on by
// default in this server release.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Production sizes the mutable-state cache for many concurrent workflows; a
		// single developer needs far less, and it is the bulk of idle memory.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
		// The default of 10 visibility requests per second is meant to protect a
		// shared Elasticsearch. Here the UI's periodic list refresh plus a CLI listing
		// runs would hit it and show "namespace rate limit exceeded".
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key():        100,
		dynamicconfig.FrontendMaxNamespaceVisibilityBurstRatioPerInstance.Key(): 2,
		// Search attributes registered at start-up and namespace changes should reach
		// every service quickly; the cost is one cheap query on a local database.
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): time.Second,
		// Partitions spread a task queue over matching hosts; this server has
		// one, whatever its database. With several, a task can land in a
		// partition no worker is polling and wait there until matching
		// forwards it or reads it back from the database: latency on every
		// step of a run.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
}
