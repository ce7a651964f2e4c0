package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// secretFlag is --client-secret: alone, a random secret; =VALUE, that one.
type secretFlag struct {
	set   bool
	value string
}

func (f *secretFlag) String() string   { return "" }
func (f *secretFlag) IsBoolFlag() bool { return true }
func (f *secretFlag) Set(v string) error {
	f.set = v != "false"
	if v != "true" && v != "false" {
		f.value = v
	}
	return nil
}

// addedJSON is what `app add` prints: the shape exactly, the secret
// (shown this once) only for an app that has one.
type addedJSON struct {
	AppUID       string   `json:"app_uid"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"`
}

// appJSON is what `app list` prints of an app (never a secret).
type appJSON struct {
	AppUID       string   `json:"app_uid"`
	Name         string   `json:"name,omitempty"`
	ClientID     string   `json:"client_id"`
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"`
	Machine      bool     `json:"machine,omitempty"`
	StackUID     string   `json:"stack_uid,omitempty"`
}

func renderApp(a *stackgate.App) appJSON {
	return appJSON{AppUID: a.UID, Name: a.Name, ClientID: a.ClientID, RedirectURIs: a.RedirectURIs, Scopes: a.Scopes,
		Machine: a.Machine, StackUID: a.StackUID}
}

// runApp runs `stackgate app add|list|remove`.
func runApp(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("app "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv)
	var spec service.AppSpec
	var uris repeated
	var secret secretFlag
	var scopes string
	switch verb {
	case "add":
		fs.StringVar(&spec.Name, "name", "", "the app's name, shown on the consent page")
		fs.Var(&uris, "redirect-uri", "a redirect URI (repeatable; the first is the default)")
		fs.StringVar(&scopes, "scopes", "", `space-separated scopes (default: every scope), e.g. "cm.roles.management:read user:read"`)
		fs.StringVar(&spec.UID, "app-uid", "", "the app uid (default: new)")
		fs.StringVar(&spec.ClientID, "client-id", "", "the client id (default: random)")
		fs.Var(&secret, "client-secret", "give the app a client secret (random, or =VALUE); without it the app is public and uses PKCE")
		fs.BoolVar(&spec.Machine, "machine", false, "a machine app: takes tokens of its own (client_credentials) on --stack")
		fs.StringVar(&spec.StackAPIKey, "stack", "", "machine apps: the api_key of the stack the app is installed on")
	case "remove":
		fs.StringVar(&spec.UID, "app-uid", "", "the app to remove")
	case "list":
	default:
		return fmt.Errorf("unknown command app %s (add, list, remove)", verb)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if verb == "remove" && spec.UID == "" {
		return errors.New("app remove needs --app-uid")
	}
	log, _ := newLogger(stderr, "text", "info")
	svc, _, st, err := openService(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	enc := json.NewEncoder(stdout)
	switch verb {
	case "add":
		spec.RedirectURIs, spec.Scopes = uris, strings.Fields(scopes)
		spec.Secret, spec.ClientSecret = secret.set, secret.value
		a, clear, err := svc.AddApp(ctx, spec)
		if stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return fmt.Errorf("no stack with api_key %s", spec.StackAPIKey)
		} else if err != nil {
			return describe(err)
		}
		return enc.Encode(addedJSON{AppUID: a.UID, ClientID: a.ClientID, ClientSecret: clear, RedirectURIs: a.RedirectURIs, Scopes: a.Scopes})
	case "list":
		apps, err := svc.ListApps(ctx)
		if err != nil {
			return err
		}
		out := make([]appJSON, 0, len(apps))
		for _, a := range apps {
			out = append(out, renderApp(a))
		}
		return enc.Encode(out)
	default:
		if err := svc.RemoveApp(ctx, spec.UID); stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return fmt.Errorf("no app %s", spec.UID)
		} else if err != nil {
			return err
		}
		return enc.Encode(map[string]string{"removed": spec.UID})
	}
}
