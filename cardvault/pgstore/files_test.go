package pgstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/pgstore"
	"github.com/hotelpay/a55-temporal/internal/pgtest"
)

// filesHolding lists the files under dir whose bytes contain b.
func filesHolding(t *testing.T, dir string, b []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // a file the server removed meanwhile
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if bytes.Contains(data, b) {
			rel, _ := filepath.Rel(dir, p)
			found = append(found, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func randomKey(t *testing.T, booking string, now time.Time) cardvault.Key {
	t.Helper()
	var id [16]byte
	material := make([]byte, cardvault.KeySize)
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(material); err != nil {
		t.Fatal(err)
	}
	return cardvault.Key{ID: "ck_" + hex.EncodeToString(id[:]), BookingID: booking, Material: material, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
}

// A key's material never reaches PostgreSQL's WAL (so neither its archive,
// a replica nor a base backup): it lives in an unlogged table. Destroying
// it deletes its row, and the sweep's Compact rewrites that table so no
// file of the cluster keeps the row's bytes. The control: a key stored the
// way processes older than the material table stored it (card_keys,
// logged) is found in the WAL, so the search can find what is there; such
// a key still opens and is destroyed (workers roll out before starters).
func TestKeyMaterialNeverReachesTheWALAndLeavesTheFilesOnceDestroyed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	ctx := context.Background()
	srv := pgtest.Start(t)
	dsn := srv.CreateDatabase(t, "cardkeys")
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if got := srv.Query(t, "cardkeys", `SELECT relpersistence FROM pg_class WHERE relname = 'card_key_material'`); got != "u" {
		t.Fatalf("card_key_material persistence %q, want u (unlogged)", got)
	}
	now := time.Now()
	key := randomKey(t, "BK-pg-1", now)
	if err := s.Create(ctx, key); err != nil {
		t.Fatal(err)
	}
	legacy := randomKey(t, "BK-pg-2", now)
	srv.SQL(t, "cardkeys", fmt.Sprintf(`INSERT INTO card_keys (key_id, booking_id, material, created_at, expires_at)
		VALUES ('%s', '%s', '\x%s', now(), now() + interval '1 minute')`, legacy.ID, legacy.BookingID, hex.EncodeToString(legacy.Material)))
	for _, k := range []cardvault.Key{key, legacy} {
		if m, err := s.Material(ctx, k.ID, now); err != nil || !bytes.Equal(m, k.Material) {
			t.Fatalf("Material(%s) = %x, %v", k.BookingID, m, err)
		}
	}
	srv.SQL(t, "postgres", "CHECKPOINT")
	wal := filepath.Join(srv.DataDir(), "pg_wal")
	if len(filesHolding(t, wal, legacy.Material)) == 0 {
		t.Fatal("the WAL does not hold a key stored in the logged table: the search proves nothing")
	}
	if f := filesHolding(t, wal, key.Material); len(f) > 0 {
		t.Errorf("the WAL holds a key's material: %v", f)
	}

	for _, k := range []cardvault.Key{key, legacy} {
		if ok, err := s.Destroy(ctx, k.ID, cardvault.ReasonAnswered, now); !ok || err != nil {
			t.Fatalf("Destroy(%s) = %v, %v", k.BookingID, ok, err)
		}
		if _, err := s.Material(ctx, k.ID, now); !errors.Is(err, cardvault.ErrKeyGone) {
			t.Errorf("Material(%s) after Destroy: %v", k.BookingID, err)
		}
	}
	if n := srv.Query(t, "cardkeys", `SELECT count(*) FROM card_key_material`); n != "0" {
		t.Errorf("%s material rows left after destroying every key", n)
	}
	before := srv.Query(t, "cardkeys", `SELECT pg_relation_filepath('card_key_material')`)
	if err := s.Compact(ctx); err != nil {
		t.Fatalf("Compact (as the store's own role): %v", err)
	}
	after := srv.Query(t, "cardkeys", `SELECT pg_relation_filepath('card_key_material')`)
	if after == before {
		t.Errorf("Compact did not rewrite the material table (still %s)", after)
	}
	srv.SQL(t, "postgres", "CHECKPOINT") // unlinks the old file
	if st, err := os.Stat(filepath.Join(srv.DataDir(), before)); err == nil && st.Size() > 0 {
		t.Errorf("the material table's old file %s is still there (%d bytes)", before, st.Size())
	}
	if f := filesHolding(t, srv.DataDir(), key.Material); len(f) > 0 {
		t.Errorf("a destroyed key's material is still in %v", f)
	}
}
