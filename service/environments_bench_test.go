package service_test

import (
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// BenchmarkEnvironmentCreateDelete: one environment created then deleted,
// two write use cases (each a transaction of several statements and an
// audit entry).
//
//	go test ./service -run '^$' -bench EnvironmentCreateDelete -benchmem
func BenchmarkEnvironmentCreateDelete(b *testing.B) {
	for name, open := range testdb.Backends() {
		b.Run(name, func(b *testing.B) {
			ctx := b.Context()
			keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
			svc := service.New(open(b), keys, service.Config{}, nil)
			owner, _, err := svc.EnsureUser(ctx, "o@example.com", "password-1")
			if err != nil {
				b.Fatal(err)
			}
			st, err := svc.CreateStack(ctx, owner, "Bench")
			if err != nil {
				b.Fatal(err)
			}
			p := stackgate.Actor{Stack: st, UID: owner.UID}
			name := "staging"
			in := service.EnvironmentInput{Name: &name, URLs: []stackgate.EnvironmentURL{{URL: "https://staging.example.com", Locale: "en-us"}}}
			cpu := testdb.ReportCPU(b)
			for b.Loop() {
				if _, err := svc.CreateEnvironment(ctx, p, in); err != nil {
					b.Fatal(err)
				}
				if err := svc.DeleteEnvironment(ctx, p, name); err != nil {
					b.Fatal(err)
				}
			}
			cpu()
		})
	}
}
