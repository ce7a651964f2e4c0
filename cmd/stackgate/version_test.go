package main

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestEveryCommandHelp: --help and -h on every command print its flags and
// succeed (main exits 0 when run returns nil).
func TestEveryCommandHelp(t *testing.T) {
	for _, cmd := range commandsWithHelp {
		for _, h := range []string{"--help", "-h"} {
			t.Run(strings.Join(cmd, " ")+" "+h, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				if err := run(t.Context(), append(append([]string{}, cmd...), h), noEnv, &stdout, &stderr); err != nil {
					t.Fatalf("err = %v", err)
				}
				if stdout.Len()+stderr.Len() == 0 {
					t.Fatal("printed nothing")
				}
			})
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version", "--json"}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var b buildInfo
	if err := json.Unmarshal(out.Bytes(), &b); err != nil || b.Go != runtime.Version() || b.Version == "" {
		t.Fatalf("version --json printed %s (%v)", out.String(), err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"version"}, noEnv, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "stackgate ") {
		t.Fatalf("version printed %q (%v)", out.String(), err)
	}
}

// commandsWithHelp lists every command (TestEveryCommandHelp asks each for
// --help).
var commandsWithHelp = [][]string{
	{"serve"}, {"bootstrap"}, {"migrate"}, {"keygen"}, {"rekey"}, {"version"}, {"help"},
	{"user"}, {"user", "add"}, {"user", "list"}, {"user", "passwd"}, {"user", "unlock"}, {"user", "remove"},
	{"token"}, {"token", "list"}, {"token", "create"}, {"token", "revoke"}, {"stack"}, {"stack", "list"}, {"backup"}, {"restore"},
	{"app"}, {"app", "add"}, {"app", "list"}, {"app", "remove"},
}
