// Package cardstore opens the card-key store a connection string names:
// what the project's processes read from CARD_KEY_STORE.
package cardstore

import (
	"context"
	"errors"
	"strings"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/pgstore"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
)

// EnvStore names the variable holding the store's connection string.
const EnvStore = "CARD_KEY_STORE"

// Open opens "sqlite:<file path>" (the embedded store: the dev stack, tests)
// or "postgres://user:password@host:port/database?..." (production).
func Open(ctx context.Context, dsn string) (cardvault.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New(EnvStore + ": sqlite: needs a file path (sqlite:/var/lib/a55/cardkeys.db)")
		}
		return sqlitestore.Open(ctx, path)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return pgstore.Open(ctx, dsn)
	case dsn == "":
		return nil, errors.New(EnvStore + " is required: sqlite:<file> or postgres://user:password@host/database")
	}
	// Never echo the value: it may hold a password.
	return nil, errors.New(EnvStore + " must start with sqlite: or postgres://")
}
