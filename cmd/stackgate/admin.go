package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
	"github.com/stackgate/stackgate/service"
)

// The administration commands: what an operator does at 3 a.m. Each opens
// the database and its keys like serve does (a running server beside them
// learns of the writes: SQLite by its data_version poll, PostgreSQL by
// NOTIFY), goes through the service's use cases, and prints text, or one
// JSON value with --json.

// adminCmd is one administration subcommand's flag set over the common
// flags, with --json.
type adminCmd struct {
	fs     *flag.FlagSet
	c      common
	asJSON bool
}

func newAdminCmd(name string, getenv func(string) string, stderr io.Writer) *adminCmd {
	a := &adminCmd{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	a.fs.SetOutput(stderr)
	a.c.register(a.fs, getenv)
	a.fs.BoolVar(&a.asJSON, "json", false, "print the result as JSON")
	return a
}

// open parses args and opens the service; the caller closes st.
func (a *adminCmd) open(ctx context.Context, args []string, stderr io.Writer) (*service.Service, store, error) {
	if err := a.fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if a.fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("%s: unexpected argument %q", a.fs.Name(), a.fs.Arg(0))
	}
	log, _ := newLogger(stderr, "text", "warn")
	svc, _, st, err := openService(ctx, a.c, log)
	return svc, st, err
}

// emit prints v as JSON with --json, else text's lines through a tabwriter.
func (a *adminCmd) emit(stdout io.Writer, v any, text func(w io.Writer)) error {
	if a.asJSON {
		return json.NewEncoder(stdout).Encode(v)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	text(tw)
	return tw.Flush()
}

// subcommand dispatches "<group> <sub> …" to subs, with help.
func subcommand(ctx context.Context, group string, args []string, subs map[string]func(context.Context, []string) error, stdout io.Writer) error {
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	slices.Sort(names)
	usage := fmt.Sprintf("usage: stackgate %s %s [flags] (stackgate %s SUBCOMMAND --help lists its flags)", group, strings.Join(names, "|"), group)
	if len(args) == 0 {
		return errors.New(usage)
	}
	if args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fn, ok := subs[args[0]]
	if !ok {
		return fmt.Errorf("unknown subcommand %q; %s", args[0], usage)
	}
	return fn(ctx, args[1:])
}

// stdin is where passwords are read from when no --password-file is given.
var stdin = os.Stdin

// readPassword returns the password in file (its first line), or asks for
// it: on a terminal with a prompt and no echo, otherwise one line of stdin
// (for scripts: printf '%s\n' "$PW" | stackgate user passwd …). A password
// is never needed on the command line, where ps and shell history see it.
func readPassword(file, prompt string, stderr io.Writer) (string, error) {
	var pw string
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		pw, _, _ = strings.Cut(string(b), "\n")
	case term.IsTerminal(int(stdin.Fd())):
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(stdin.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		pw = string(b)
	default:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		pw = line
	}
	pw = strings.TrimRight(pw, "\r\n")
	if pw == "" {
		return "", errors.New("no password given (use --password-file FILE, or type it when asked)")
	}
	return pw, nil
}

// userView is a user as the CLI prints it: never its password hash.
type userView struct {
	UID            string     `json:"uid"`
	Email          string     `json:"email"`
	FailedAttempts int        `json:"failed_attempts"`
	LockedUntil    *time.Time `json:"locked_until,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

func viewUser(u *stackgate.User) userView {
	v := userView{UID: u.UID, Email: u.Email, FailedAttempts: u.FailedAttempts, CreatedAt: u.CreatedAt}
	if !u.LockedUntil.IsZero() {
		v.LockedUntil = &u.LockedUntil
	}
	return v
}

// runUser is `stackgate user add|list|passwd|unlock|remove`.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	byEmail := func(name, verb string, do func(svc *service.Service, email string) (*stackgate.User, error)) func(context.Context, []string) error {
		return func(ctx context.Context, args []string) error {
			a := newAdminCmd("user "+name, getenv, stderr)
			email := a.fs.String("email", "", "the user's email")
			pwFile := a.fs.String("password-file", "", "read the new password from this file's first line (else it is asked for)")
			if name != "passwd" {
				a.fs.Lookup("password-file").Usage = "(unused)"
			}
			svc, st, err := a.open(ctx, args, stderr)
			if err != nil {
				return err
			}
			defer st.Close()
			if *email == "" {
				return fmt.Errorf("user %s needs --email", name)
			}
			u, err := do(svc, *email)
			if name == "passwd" && err == nil {
				var pw string
				if pw, err = readPassword(*pwFile, "New password for "+u.Email+": ", stderr); err == nil {
					u, err = svc.SetPassword(ctx, *email, pw)
				}
			}
			if stackgate.IsCode(err, stackgate.ENOTFOUND) {
				return fmt.Errorf("no user with email %s", *email)
			} else if err != nil {
				return describe(err)
			}
			return a.emit(stdout, map[string]any{"user": viewUser(u), "done": name}, func(w io.Writer) {
				fmt.Fprintf(w, "%s: %s\n", u.Email, verb)
			})
		}
	}
	return subcommand(ctx, "user", args, map[string]func(context.Context, []string) error{
		"add": func(ctx context.Context, args []string) error { return runUserAdd(ctx, args, getenv, stdout, stderr) },
		"list": func(ctx context.Context, args []string) error {
			a := newAdminCmd("user list", getenv, stderr)
			svc, st, err := a.open(ctx, args, stderr)
			if err != nil {
				return err
			}
			defer st.Close()
			users, err := svc.Users(ctx)
			if err != nil {
				return err
			}
			views := make([]userView, len(users))
			for i, u := range users {
				views[i] = viewUser(u)
			}
			return a.emit(stdout, map[string]any{"users": views}, func(w io.Writer) {
				fmt.Fprintln(w, "UID\tEMAIL\tFAILED LOGINS\tLOCKED UNTIL")
				for _, v := range views {
					locked := "-"
					if v.LockedUntil != nil {
						locked = v.LockedUntil.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", v.UID, v.Email, v.FailedAttempts, locked)
				}
			})
		},
		"passwd": byEmail("passwd", "password changed; every session of the user ended; account unlocked",
			func(svc *service.Service, email string) (*stackgate.User, error) { return svc.UserByEmail(ctx, email) }),
		"unlock": byEmail("unlock", "failed-login counter and lock cleared (a running node's per-client backoff, at most 15 minutes, stays)",
			func(svc *service.Service, email string) (*stackgate.User, error) { return svc.Unlock(ctx, email) }),
		"remove": byEmail("remove", "removed, with its sessions and memberships",
			func(svc *service.Service, email string) (*stackgate.User, error) { return svc.RemoveUser(ctx, email) }),
	}, stdout)
}

// stackView is a stack as the CLI prints it.
type stackView struct {
	UID       string    `json:"uid"`
	APIKey    string    `json:"api_key"`
	Name      string    `json:"name"`
	OwnerUID  string    `json:"owner_uid"`
	CreatedAt time.Time `json:"created_at"`
}

// runStack is `stackgate stack list`.
func runStack(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return subcommand(ctx, "stack", args, map[string]func(context.Context, []string) error{
		"list": func(ctx context.Context, args []string) error {
			a := newAdminCmd("stack list", getenv, stderr)
			svc, st, err := a.open(ctx, args, stderr)
			if err != nil {
				return err
			}
			defer st.Close()
			stacks, err := svc.Stacks(ctx)
			if err != nil {
				return err
			}
			views := make([]stackView, len(stacks))
			for i, s := range stacks {
				views[i] = stackView{UID: s.UID, APIKey: s.APIKey, Name: s.Name, OwnerUID: s.OwnerUID, CreatedAt: s.CreatedAt}
			}
			return a.emit(stdout, map[string]any{"stacks": views}, func(w io.Writer) {
				fmt.Fprintln(w, "API KEY\tNAME\tOWNER\tCREATED")
				for _, v := range views {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.APIKey, v.Name, v.OwnerUID, v.CreatedAt.UTC().Format(time.RFC3339))
				}
			})
		},
	}, stdout)
}

// tokenView is a token as `token list` prints it: never its value, which
// only `token create` shows, once.
type tokenView struct {
	Type         string     `json:"type"` // delivery or management
	UID          string     `json:"uid"`
	Name         string     `json:"name"`
	Preview      bool       `json:"preview,omitempty"`
	ExpiresOn    *time.Time `json:"expires_on,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	Token        string     `json:"token,omitempty"`         // create only
	PreviewToken string     `json:"preview_token,omitempty"` // create only
}

// runToken is `stackgate token list|create|revoke`, acting as the stack's
// owner (service.OwnerOf).
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	open := func(name string, args []string, define func(fs *flag.FlagSet)) (*adminCmd, *service.Service, stackgate.Actor, store, error) {
		a := newAdminCmd("token "+name, getenv, stderr)
		apiKey := a.fs.String("stack", "", "the stack's api_key")
		define(a.fs)
		svc, st, err := a.open(ctx, args, stderr)
		if err != nil {
			return nil, nil, stackgate.Actor{}, nil, err
		}
		if *apiKey == "" {
			st.Close()
			return nil, nil, stackgate.Actor{}, nil, fmt.Errorf("token %s needs --stack API_KEY", name)
		}
		p, err := svc.OwnerOf(ctx, *apiKey)
		if err != nil {
			st.Close()
			return nil, nil, stackgate.Actor{}, nil, fmt.Errorf("no stack with api_key %s", *apiKey)
		}
		return a, svc, p, st, nil
	}
	tokenType := func(fs *flag.FlagSet) *string {
		return fs.String("type", "delivery", "delivery or management")
	}
	return subcommand(ctx, "token", args, map[string]func(context.Context, []string) error{
		"list": func(ctx context.Context, args []string) error {
			a, svc, p, st, err := open("list", args, func(*flag.FlagSet) {})
			if err != nil {
				return err
			}
			defer st.Close()
			var views []tokenView
			dts, err := svc.DeliveryTokens(ctx, p)
			if err != nil {
				return describe(err)
			}
			for _, t := range dts.Tokens {
				views = append(views, tokenView{Type: "delivery", UID: t.UID, Name: t.Name, Preview: !t.Preview.IsZero(), CreatedAt: t.CreatedAt})
			}
			mts, err := svc.ManagementTokens(ctx, p)
			if err != nil {
				return describe(err)
			}
			for _, t := range mts {
				views = append(views, tokenView{Type: "management", UID: t.UID, Name: t.Name, ExpiresOn: t.ExpiresOn, CreatedAt: t.CreatedAt})
			}
			if views == nil {
				views = []tokenView{}
			}
			return a.emit(stdout, map[string]any{"tokens": views}, func(w io.Writer) {
				fmt.Fprintln(w, "TYPE\tUID\tNAME\tEXPIRES")
				for _, v := range views {
					exp := "-"
					if v.ExpiresOn != nil {
						exp = v.ExpiresOn.Format("2006-01-02")
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.Type, v.UID, v.Name, exp)
				}
			})
		},
		"create": func(ctx context.Context, args []string) error {
			var typ, name, description, scope, expires, environments, branches *string
			var preview *bool
			a, svc, p, st, err := open("create", args, func(fs *flag.FlagSet) {
				typ = tokenType(fs)
				name = fs.String("name", "", "the token's name (unique in the stack)")
				description = fs.String("description", "", "the token's description")
				environments = fs.String("environments", "", "delivery: comma-separated environment names it reads")
				branches = fs.String("branches", "main", "delivery: comma-separated branches it reads")
				preview = fs.Bool("preview", false, "delivery: also make a preview token")
				scope = fs.String("scope", "", `the scope as the CMA takes it (JSON array), e.g. [{"module":"content_type","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]; delivery: instead of --environments`)
				expires = fs.String("expires-on", "", "management: the last UTC date it works, YYYY-MM-DD (default: never)")
			})
			if err != nil {
				return err
			}
			defer st.Close()
			in := service.TokenInput{Name: name, Description: description}
			// The scope is read as the CMA reads a request's (http/wire), so
			// the CLI and the API accept the same JSON.
			raw := json.RawMessage(*scope)
			var v tokenView
			switch *typ {
			case "delivery":
				if *scope == "" {
					raw = deliveryScopeOf(*environments, *branches)
				}
				in.Scope, in.ScopeProblems = wire.DecodeScope(raw, service.DeliveryScopeModules)
				t, err := svc.CreateDeliveryToken(ctx, p, in, *preview)
				if err != nil {
					return describe(err)
				}
				v = tokenView{Type: "delivery", UID: t.UID, Name: t.Name, Preview: *preview, CreatedAt: t.CreatedAt, Token: t.Token, PreviewToken: t.PreviewToken}
			case "management":
				if *scope != "" {
					in.Scope, in.ScopeProblems = wire.DecodeScope(raw, service.ManagementScopeModules)
				}
				if *expires != "" {
					in.ExpiresOn, _ = json.Marshal(*expires)
				}
				t, err := svc.CreateManagementToken(ctx, p, in)
				if err != nil {
					return describe(err)
				}
				v = tokenView{Type: "management", UID: t.UID, Name: t.Name, ExpiresOn: t.ExpiresOn, CreatedAt: t.CreatedAt, Token: t.Token}
			default:
				return fmt.Errorf("--type %q: want delivery or management", *typ)
			}
			return a.emit(stdout, map[string]any{"token": v}, func(w io.Writer) {
				fmt.Fprintf(w, "created %s token %s (%s)\ntoken:\t%s\n", v.Type, v.Name, v.UID, v.Token)
				if v.PreviewToken != "" {
					fmt.Fprintf(w, "preview token:\t%s\n", v.PreviewToken)
				}
				if v.Type == "management" {
					fmt.Fprintln(w, "This value is shown only once.")
				}
			})
		},
		"revoke": func(ctx context.Context, args []string) error {
			var typ, uid *string
			a, svc, p, st, err := open("revoke", args, func(fs *flag.FlagSet) {
				typ = tokenType(fs)
				uid = fs.String("uid", "", "the token's uid (token list shows it)")
			})
			if err != nil {
				return err
			}
			defer st.Close()
			switch *typ {
			case "delivery":
				err = svc.DeleteDeliveryToken(ctx, p, *uid)
			case "management":
				err = svc.DeleteManagementToken(ctx, p, *uid)
			default:
				return fmt.Errorf("--type %q: want delivery or management", *typ)
			}
			if stackgate.IsCode(err, stackgate.ENOTFOUND) {
				return fmt.Errorf("no %s token %q in this stack", *typ, *uid)
			} else if err != nil {
				return describe(err)
			}
			return a.emit(stdout, map[string]any{"revoked": map[string]string{"type": *typ, "uid": *uid}}, func(w io.Writer) {
				fmt.Fprintf(w, "revoked %s token %s (every node refuses it from now on)\n", *typ, *uid)
			})
		},
	}, stdout)
}

// deliveryScopeOf is the CMA scope of a delivery token reading the named
// environments and branches.
func deliveryScopeOf(environments, branches string) json.RawMessage {
	list := func(s string) []string {
		out := []string{}
		for _, x := range strings.Split(s, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return out
	}
	b, _ := json.Marshal([]any{
		map[string]any{"module": "environment", "environments": list(environments), "acl": map[string]bool{"read": true}},
		map[string]any{"module": "branch", "branches": list(branches), "acl": map[string]bool{"read": true}},
	})
	return b
}
