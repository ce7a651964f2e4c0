package sqlite

import "context"

// MigrateDownTo rolls the migrations back to version, for tests of a
// migration on rows written before it.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}
