package sqlstore

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
)

// MigrateUp applies p's pending migrations and returns their names: the
// one way both adapters run their embedded migrations.
func MigrateUp(ctx context.Context, p *goose.Provider) ([]string, error) {
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	names := make([]string, 0, len(results))
	for _, r := range results {
		names = append(names, r.Source.Path)
	}
	return names, nil
}
