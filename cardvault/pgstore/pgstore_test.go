package pgstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardvaulttest"
	"github.com/hotelpay/a55-temporal/cardvault/pgstore"
	"github.com/hotelpay/a55-temporal/internal/pgtest"
)

// The contract against a real PostgreSQL server, in a database and role of
// its own, as in production.
func TestContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	srv := pgtest.Start(t)
	dsn := srv.CreateDatabase(t, "cardkeys")
	cardvaulttest.Run(t, func(t *testing.T) cardvault.Store {
		s, err := pgstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
	// Opening again finds the migrations applied and changes nothing.
	s, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	_ = s.Close()
}

// An unreachable server is an error at Open, and the password in the
// connection string never shows in it.
func TestUnreachableFailsAtOpen(t *testing.T) {
	_, err := pgstore.Open(context.Background(), "postgres://cardkeys:s3cret-pw@127.0.0.1:1/cardkeys?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("open succeeded without a server")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("the error shows the password: %v", err)
	}
}
