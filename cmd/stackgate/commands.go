package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"os/signal"
	"syscall"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// runServe serves the API until ctx ends (SIGINT/SIGTERM), then shuts down
// gracefully: in-flight requests finish and the database is closed.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv)
	addr := fs.String("addr", envOr(getenv, "STACKGATE_ADDR", "127.0.0.1:8080"), "listen address (env STACKGATE_ADDR)")
	demo := fs.Bool("demo", false, "on an empty database, create a demo owner and stack and print how to log in")
	logFormat := fs.String("log-format", envOr(getenv, "STACKGATE_LOG_FORMAT", "text"), "text or json")
	pprofAddr := fs.String("pprof-addr", getenv("STACKGATE_PPROF_ADDR"), "if set, serve net/http/pprof on this address (keep it private)")
	logLevel := fs.String("log-level", envOr(getenv, "STACKGATE_LOG_LEVEL", "info"), "debug, info (one line per request), warn or error")
	var proxies proxyFlags
	proxies.register(fs, getenv)
	var mailf mailFlags
	mailf.register(fs, getenv)
	var abuse abuseFlags
	abuse.register(fs, getenv)
	var auditf auditFlags
	auditf.register(fs, getenv)
	var oauthf oauthFlags
	oauthf.register(fs, getenv)
	var lastUse lastUseFlags
	lastUse.register(fs)
	var tlsf tlsFlags
	tlsf.register(fs, getenv)
	var metricsf metricsFlags
	metricsf.register(fs, getenv)
	var outagef outageFlags
	outagef.register(fs, getenv)
	var webhookf webhookFlags
	webhookf.register(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	tlsConfig, certs, err := tlsf.config()
	if err != nil {
		return err
	}
	if err := abuse.check(getenv); err != nil {
		return err
	}
	if err := auditf.check(); err != nil {
		return err
	}
	if err := oauthf.check(); err != nil {
		return err
	}
	if err := lastUse.check(); err != nil {
		return err
	}
	abuse.service(&c.svc)
	webhookf.service(&c.svc)
	oauthf.service(&c.svc)
	abuse.access(&c.acc)
	if err := outagef.apply(&c.acc); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	// From here on, serve's last word is a line in the configured format.
	defer func() { err = logFailure(log, err) }()
	svc, keys, st, err := openService(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// The checker registers the store's commit hook: one per process.
	chk := access.New(st, keys, c.acc, log)
	notifier, err := mailf.notifier(svc, log)
	if err != nil {
		return err
	}
	hooks, err := webhookf.worker(st, svc, log)
	if err != nil {
		return err
	}

	if *demo {
		if err := createDemo(ctx, svc, stdout); err != nil {
			return err
		}
	}

	listenCtx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	go func() {
		if err := chk.Listen(listenCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("change listener stopped", "error", err)
		}
	}()

	if *pprofAddr != "" {
		go func() {
			mux := http.NewServeMux()
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			log.Warn("pprof listening", "addr", *pprofAddr, "error", http.ListenAndServe(*pprofAddr, mux))
		}()
	}

	srv := sghttp.NewServer(svc, chk, log)
	srv.Addr = *addr
	if err := proxies.apply(srv); err != nil {
		return err
	}
	abuse.server(srv)
	srv.TLSConfig = tlsConfig
	if err := registerCollectors(srv, st); err != nil {
		return err
	}
	metricsAddr, stopMetrics, err := metricsf.open(srv, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	if err := srv.Open(); err != nil {
		return err
	}
	// Expiry notices: every node runs the notifier; the store makes each
	// notice go out once. It stops before the store is closed.
	notifyCtx, stopNotify := context.WithCancel(ctx)
	notified := make(chan struct{})
	go func() { defer close(notified); notifier.Run(notifyCtx) }()
	defer func() { stopNotify(); <-notified }()
	// Audit retention: every node prunes (a delete by age is the same
	// whoever runs it). It stops before the store is closed.
	defer auditf.run(ctx, svc, log)()
	// Token-event webhooks: every node drains the outbox; claims in the
	// store make each delivery go out from one node at a time.
	defer webhookf.run(ctx, hooks)()
	// Last uses: recorded in memory by the checker, written in batches; the
	// last flush runs at shutdown, before the store closes.
	defer lastUse.run(ctx, svc, chk, log)()
	// The address lines are logged whatever the level: scripts and tests read them.
	startup, _ := newLogger(stderr, *logFormat, "info")
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
	}
	startup.Info("stackgate listening", "addr", scheme+srv.Addr, "database", redact(c.database), "version", readBuildInfo().Version)
	for _, l := range []struct {
		api  authz.API
		name string
	}{{authz.CDA, "cda"}, {authz.Preview, "preview"}} {
		if a := srv.ProxyAddr(l.api); a != "" {
			startup.Info("stackgate proxy listening", "api", l.name, "addr", scheme+a)
		}
	}
	if metricsAddr != "" {
		startup.Info("stackgate metrics listening", "addr", "http://"+metricsAddr)
	}
	if proxies.cmaUpstream != "" {
		startup.Info("stackgate proxies the CMA", "upstream", redact(proxies.cmaUpstream))
	}
	// SIGHUP never stops the server: it re-reads the TLS certificate.
	signal.Notify(hangups, syscall.SIGHUP)
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			waiting = false
		case <-hangups:
			reloadOnHangup(certs, log)
		}
	}
	log.Info("shutting down")
	return srv.Close()
}

// createDemo creates a demo owner and stack when the database is empty.
func createDemo(ctx context.Context, s *service.Service, stdout io.Writer) error {
	has, err := s.HasStacks(ctx)
	if err != nil {
		return err
	}
	if has {
		fmt.Fprintln(stdout, "demo: the database already has stacks; nothing created")
		return nil
	}
	password := stackgate.NewTokenValue()[2:18]
	u, _, err := s.EnsureUser(ctx, "demo@stackgate.local", password)
	if err != nil {
		return err
	}
	st, err := s.CreateStack(ctx, u, "Demo Stack")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `demo stack created. Log in with:
  email:    %s
  password: %s
  api_key:  %s
This password is shown only once.
`, u.Email, password, st.APIKey)
	return nil
}

// runBootstrap creates a user (if new) and a stack they own, and prints one
// JSON object: {"user_uid","email","stack_uid","api_key"}.
func runBootstrap(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv)
	email := fs.String("email", "", "owner's email")
	password := fs.String("password", "", "owner's password, checked against an existing user's (visible to ps: prefer --password-file or the prompt)")
	passwordFile := fs.String("password-file", "", "read the owner's password from this file's first line (else it is asked for)")
	stackName := fs.String("stack", "", "stack name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *stackName == "" {
		return errors.New("bootstrap needs --email and --stack (and a password: --password-file, or typed when asked)")
	}
	if *password == "" {
		pw, err := readPassword(*passwordFile, "Password for "+*email+": ", stderr)
		if err != nil {
			return err
		}
		*password = pw
	}
	log, _ := newLogger(stderr, "text", "info")
	svc, _, st, err := openService(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	u, created, err := svc.EnsureUser(ctx, *email, *password)
	if err != nil {
		return describe(err)
	}
	if !created && !secret.VerifyPassword(u.PasswordHash, *password) {
		return fmt.Errorf("user %s exists and the password does not match", u.Email)
	}
	stack, err := svc.CreateStack(ctx, u, *stackName)
	if stackgate.IsCode(err, stackgate.ECONFLICT) {
		return fmt.Errorf("%s already owns a stack named %q", u.Email, *stackName)
	} else if err != nil {
		return describe(err)
	}
	return json.NewEncoder(stdout).Encode(map[string]string{
		"user_uid": u.UID, "email": u.Email, "stack_uid": stack.UID, "api_key": stack.APIKey})
}

// runUserAdd creates a user (if new) and makes them a member of a stack
// with a role, by name. An existing user keeps their password, and the
// command says so.
func runUserAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv)
	email := fs.String("email", "", "user's email")
	password := fs.String("password", "", "a new user's password (visible to ps: prefer --password-file or the prompt)")
	passwordFile := fs.String("password-file", "", "read a new user's password from this file's first line (else it is asked for)")
	apiKey := fs.String("stack", "", "the stack's api_key")
	roleName := fs.String("role", "", "role name: Admin, Developer, Content Manager or a custom role")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *apiKey == "" || *roleName == "" {
		return errors.New("user add needs --email, --stack and --role")
	}
	log, _ := newLogger(stderr, "text", "info")
	svc, _, st, err := openService(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	stack, err := svc.StackByAPIKey(ctx, *apiKey)
	if err != nil {
		return fmt.Errorf("no stack with api_key %s", *apiKey)
	}
	role, err := svc.RoleByName(ctx, stack.UID, *roleName)
	if stackgate.IsCode(err, stackgate.EINVALID) {
		return fmt.Errorf("no role named %q in stack %s", *roleName, *apiKey)
	} else if err != nil {
		return describe(err)
	}
	u, err := svc.UserByEmail(ctx, *email)
	created := false
	if stackgate.IsCode(err, stackgate.ENOTFOUND) {
		pw := *password
		if pw == "" {
			if pw, err = readPassword(*passwordFile, "Password for the new user "+*email+": ", stderr); err != nil {
				return err
			}
		}
		if u, created, err = svc.EnsureUser(ctx, *email, pw); err != nil {
			return describe(err)
		}
	} else if err != nil {
		return describe(err)
	} else if *password != "" || *passwordFile != "" {
		fmt.Fprintf(stderr, "user add: %s exists: its password was NOT changed (stackgate user passwd changes it)\n", u.Email)
	}
	if err := svc.AddMember(ctx, stack.UID, u.UID, []string{role.UID}); err != nil {
		return describe(err)
	}
	fmt.Fprintf(stderr, "user add: %s %s, now a member of %s with role %s\n", u.Email, map[bool]string{true: "created", false: "already existed"}[created], stack.Name, role.Name)
	return json.NewEncoder(stdout).Encode(map[string]any{
		"user_uid": u.UID, "email": u.Email, "stack_uid": stack.UID, "api_key": stack.APIKey, "role_uid": role.UID, "role": role.Name,
		"created": created})
}

// runMigrate applies pending migrations and says which.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	st, err := openStore(ctx, c.database)
	if err != nil {
		return err
	}
	defer st.Close()
	// Opening migrates; ask again in case another node raced us.
	more, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	applied := append(appliedAtOpen(st), more...)
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "migrate: database is up to date")
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "migrate: applied", name)
	}
	return nil
}

// describe turns a domain error into a message for the terminal.
func describe(err error) error {
	var e *stackgate.Error
	if errors.As(err, &e) {
		return errors.New(e.Error())
	}
	return err
}
