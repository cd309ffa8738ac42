package sqlitestore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardvaulttest"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
)

func TestContract(t *testing.T) {
	dirs := map[string]string{} // one database per subtest, opened as often as it asks
	cardvaulttest.Run(t, func(t *testing.T) cardvault.Store {
		if dirs[t.Name()] == "" {
			dirs[t.Name()] = t.TempDir()
		}
		return openStore(t, filepath.Join(dirs[t.Name()], "keys.db"))
	})
}

func openStore(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// A destroyed key's material is gone from every file of the store, not just
// hidden from queries: secure_delete overwrites it, no WAL keeps it.
func TestDestroyedKeyLeavesNoBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.db")
	s := openStore(t, path)
	now := time.Unix(1_800_000_000, 0)
	material := bytes.Repeat([]byte{0x5a, 0xc3, 0x7e, 0x19}, cardvault.KeySize/4)
	k := cardvault.Key{ID: "ck_22222222222222222222222222222222", BookingID: "BK-1", Material: material, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.Create(ctx, k); err != nil {
		t.Fatal(err)
	}
	if !dirHolds(t, dir, material) {
		t.Fatal("the live key is not in the store's files: the search below could never fail")
	}
	if _, err := s.Destroy(ctx, k.ID, cardvault.ReasonAnswered, now); err != nil {
		t.Fatal(err)
	}
	if dirHolds(t, dir, material) {
		t.Fatal("the destroyed key's bytes are still in the store's files")
	}
}

func dirHolds(t *testing.T, dir string, needle []byte) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, needle) {
			return true
		}
	}
	return false
}
