package cardvaulttest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
)

// SQLiteStore opens a card-key store of the test's own (an SQLite file in
// its temporary directory), closed when the test ends.
func SQLiteStore(t testing.TB) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "cardkeys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
