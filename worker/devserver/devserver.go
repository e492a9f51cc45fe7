package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	// DefaultIP is the address the frontend and UI listen on when Options.IP is empty.
	DefaultIP = "127.0.0.1"
	// DefaultNamespace is the namespace created when Options.Namespace is empty.
	DefaultNamespace = "default"
	// NoUI as Options.UIPort starts the server without its Web UI.
	NoUI = -1
	// defaultStartTimeout bounds Start when ctx has no deadline. A fresh database starts
	// in about a second; the margin is for a cold, heavily shared machine.
	defaultStartTimeout = time.Minute
)

// Options configures Start. The zero value is a usable in-memory server with a UI, both
// on free loopback ports.
type Options struct {
	// DBPath is the SQLite database file. Empty keeps everything in memory; a path
	// persists workflows across restarts and is created, with its schema, if missing.
	// Its directory must exist.
	DBPath string
	// Postgres, when set, persists the server in PostgreSQL instead of SQLite
	// (DBPath is then ignored): a URL such as
	// postgres://temporal:secret@127.0.0.1:5432/temporal?sslmode=disable. The
	// database and a second one for visibility, its name with "_visibility"
	// appended, are created with Temporal's schema if missing; the user
	// needs the right to create databases the first time.
	Postgres string
	// IP is the address the frontend and UI listen on; the server's internal services
	// always stay on loopback. Default DefaultIP.
	IP string
	// Port is the frontend's gRPC port, the one clients dial. 0 picks a free port;
	// Temporal's conventional port is 7233.
	Port int
	// UIPort is the Web UI's HTTP port. 0 picks a free port; NoUI (-1) disables the UI.
	// Temporal's conventional port is 8233.
	UIPort int
	// Namespace is created if missing. Default DefaultNamespace.
	Namespace string
	// SearchAttributes are custom search attributes to register in Namespace on every
	// start, e.g. DefaultSearchAttributes. See the package documentation for the
	// per-type limits of the SQLite visibility store.
	SearchAttributes map[string]enums.IndexedValueType
	// LogLevel is the least severe server log level written: debug, info, warn, error
	// or off. Default warn.
	LogLevel string
	// Logger receives the server's logs. Nil writes text to stderr.
	Logger *slog.Logger
}

// Server is a running dev server. Its methods are safe for concurrent use.
type Server struct {
	frontendAddr string
	uiURL        string
	namespace    string

	server   temporal.Server
	ui       *uiserver.Server
	logLevel *slog.LevelVar

	stopOnce sync.Once
	stopErr  error
}

// Start starts a dev server and returns once it is ready for clients: the namespace
// answers, the search attributes are registered and the UI (if any) serves. ctx bounds
// the start-up only; the server runs until Stop. Without a deadline on ctx, start-up is
// bounded by one minute.
//
// A port given explicitly that is already taken yields a *PortInUseError (matched by
// ErrPortInUse). Only one server may use a database file at a time.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	opts, level, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	bindIP, internalIP, dialHost := addresses(opts.IP)

	p, err := choosePorts(opts, internalIP)
	if err != nil {
		return nil, err
	}

	var conf *config.Config
	if opts.Postgres != "" {
		store, visibility, err := postgresConfig(opts.Postgres, opts.Namespace, opts.SearchAttributes)
		if err != nil {
			return nil, err
		}
		conf = serverConfig(store, bindIP, internalIP, dialHost, p)
		usePostgres(conf, store, visibility)
	} else {
		sql, err := sqlConfig(opts.DBPath, opts.Namespace, opts.SearchAttributes)
		if err != nil {
			return nil, err
		}
		conf = serverConfig(sql, bindIP, internalIP, dialHost, p)
	}
	logger, logLevel := newSlogLogger(opts.Logger, level)

	server, err := newTemporalServer(conf, logger, internalIP, dialHost, p)
	if err != nil {
		return nil, err
	}
	if err := server.Start(); err != nil {
		// Start can fail half-way with some services listening; Stop releases them.
		_ = server.Stop()
		return nil, fmt.Errorf("devserver: start server: %w", err)
	}

	s := &Server{
		frontendAddr: net.JoinHostPort(dialHost, strconv.Itoa(p.frontend)),
		namespace:    opts.Namespace,
		server:       server,
		logLevel:     logLevel,
	}
	if p.ui != 0 {
		s.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
			Host:                uiHost(bindIP),
			Port:                p.ui,
			TemporalGRPCAddress: s.frontendAddr,
			EnableUI:            true,
			// Plain HTTP on localhost: a Secure cookie would never be sent back and
			// every UI action would fail its CSRF check.
			CORS:     uiconfig.CORS{CookieInsecure: true},
			HideLogs: true,
			// No internet access is assumed, and the news banner is noise in a demo.
			DisableNewsFetch: true,
		}))
		s.uiURL = "http://" + net.JoinHostPort(dialHost, strconv.Itoa(p.ui))
		// Start blocks until Stop. It returns no error we could act on: a failure to
		// bind exits the process, which is why the port was checked beforehand.
		go func() { _ = s.ui.Start() }()
	}

	if err := s.waitReady(ctx, opts.SearchAttributes); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// withDefaults fills in defaults and validates, returning the parsed log level.
func (o Options) withDefaults() (Options, slog.Level, error) {
	if o.IP == "" {
		o.IP = DefaultIP
	}
	if net.ParseIP(o.IP) == nil {
		return o, 0, fmt.Errorf("devserver: IP %q is not an IP address", o.IP)
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Port < 0 || o.Port > 65535 {
		return o, 0, fmt.Errorf("devserver: port %d out of range (0 picks a free port)", o.Port)
	}
	if o.UIPort < NoUI || o.UIPort > 65535 {
		return o, 0, fmt.Errorf("devserver: UI port %d out of range (0 picks a free port, -1 disables the UI)", o.UIPort)
	}
	if o.Port != 0 && o.Port == o.UIPort {
		return o, 0, fmt.Errorf("devserver: frontend and UI cannot share port %d", o.Port)
	}
	level, err := parseLevel(o.LogLevel)
	if err != nil {
		return o, 0, err
	}
	return o, level, nil
}

// addresses derives, from the user's IP, where the frontend binds, where the internal
// services bind, and the host clients should dial. A wildcard bind address (0.0.0.0 or
// ::) is reachable through loopback, which is also what a local browser should open.
func addresses(ip string) (bindIP, internalIP, dialHost string) {
	parsed := net.ParseIP(ip)
	internalIP = "127.0.0.1"
	if parsed.To4() == nil {
		internalIP = "::1"
	}
	dialHost = ip
	if parsed.IsUnspecified() {
		dialHost = internalIP
	}
	return ip, internalIP, dialHost
}

// uiHost brackets an IPv6 address: the UI server joins host and port with a plain
// colon, which is ambiguous for IPv6.
func uiHost(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}

// choosePorts checks requested ports and picks free ones for the rest. The internal
// services get fresh ports each start, which persisted cluster metadata tolerates.
func choosePorts(opts Options, internalIP string) (ports, error) {
	var p ports
	public := newPortPicker(opts.IP)
	if opts.Port != 0 {
		if err := checkPortFree(opts.IP, opts.Port, "frontend", PortFlag); err != nil {
			return p, err
		}
		public.reserve(opts.Port)
		p.frontend = opts.Port
	}
	if opts.UIPort > 0 {
		if err := checkPortFree(opts.IP, opts.UIPort, "UI", UIPortFlag); err != nil {
			return p, err
		}
		public.reserve(opts.UIPort)
		p.ui = opts.UIPort
	}

	var err error
	pick := func(picker *portPicker, dst *int) {
		if err == nil && *dst == 0 {
			*dst, err = picker.pick()
		}
	}
	pick(public, &p.frontend)
	pick(public, &p.frontendHTTP)
	if opts.UIPort == 0 {
		pick(public, &p.ui)
	}
	internal := public
	if internalIP != opts.IP {
		internal = newPortPicker(internalIP)
	}
	pick(internal, &p.history)
	pick(internal, &p.matching)
	pick(internal, &p.worker)
	return p, err
}

// newTemporalServer assembles the server from its configuration. Static hosts replace
// the gossip ring: with one process there is nothing to discover.
func newTemporalServer(conf *config.Config, logger slogLogger, internalIP, dialHost string, p ports) (temporal.Server, error) {
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	host := func(ip string, port int) static.Hosts {
		return static.SingleLocalHost(net.JoinHostPort(ip, strconv.Itoa(port)))
	}
	server, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: host(dialHost, p.frontend),
			primitives.HistoryService:  host(internalIP, p.history),
			primitives.MatchingService: host(internalIP, p.matching),
			primitives.WorkerService:   host(internalIP, p.worker),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: create server: %w", err)
	}
	return server, nil
}

// waitReady blocks until the frontend, the search attributes and the UI are usable.
func (s *Server) waitReady(ctx context.Context, searchAttributes map[string]enums.IndexedValueType) error {
	conn, err := grpc.NewClient(s.frontendAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("devserver: connect to frontend %s: %w", s.frontendAddr, err)
	}
	defer func() { _ = conn.Close() }()

	if err := waitFrontend(ctx, conn, s.namespace); err != nil {
		return err
	}
	if err := registerSearchAttributes(ctx, conn, s.namespace, searchAttributes); err != nil {
		return err
	}
	if s.ui != nil {
		return waitUI(ctx, s.uiURL)
	}
	return nil
}

// FrontendAddress is the host:port of the frontend, for client.Options.HostPort.
func (s *Server) FrontendAddress() string { return s.frontendAddr }

// UIURL is the base URL of the Web UI, e.g. http://127.0.0.1:8233, or "" when the
// server runs without a UI.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace the server created and registered search attributes in.
func (s *Server) Namespace() string { return s.namespace }

// Stop stops the UI, then the server, with the server's logging silenced. Stop workers
// and close clients first, or they log poll failures while the frontend goes away. Stopping twice is harmless: later calls
// return the first call's result.
//
// An in-memory database is not freed by Stop: the SQLite driver keeps its connection for
// the life of the process, so a long-lived process should not start in-memory servers
// repeatedly. A file database may be reopened by a later Start in the same process.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		// Every in-flight long poll and background task fails with "context canceled"
		// as the services go down; those errors say nothing about the user's work.
		s.logLevel.Set(levelOff)
		if s.ui != nil {
			s.ui.Stop()
		}
		if err := s.server.Stop(); err != nil {
			s.stopErr = fmt.Errorf("devserver: stop server: %w", err)
		}
	})
	return s.stopErr
}
