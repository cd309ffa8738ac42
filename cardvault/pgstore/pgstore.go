// Package pgstore is the production card-key store: PostgreSQL, in its own
// database and role (see docker-compose.temporal.yml), shared by every
// worker, starter and card intake. Open applies the migrations; the
// connection string (credentials included) comes from the environment
// (CARD_KEY_STORE), never from code.
//
// A destroyed key's row keeps only its tombstone: the material is set to
// NULL and the row rewritten at once, and autovacuum reclaims the old row
// version. PostgreSQL's WAL and base backups may hold the old version until
// they are recycled: keep them no longer than the key's lifetime matters to
// you (README, "Card data protection").
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotelpay/a55-temporal/cardvault"
)

// migrations are applied in order at Open; schema_version records how many ran.
var migrations = []string{
	`CREATE TABLE card_keys (
		key_id         text PRIMARY KEY,
		booking_id     text NOT NULL,
		material       bytea,
		created_at     timestamptz NOT NULL,
		expires_at     timestamptz NOT NULL,
		destroyed_at   timestamptz,
		destroy_reason text
	)`,
	`CREATE INDEX card_keys_live_expiry ON card_keys (expires_at) WHERE material IS NOT NULL`,
}

// migrationLock serializes migrations of processes starting together.
const migrationLock = 0x0a55_cafe

// Store is a cardvault.Store in PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

var _ cardvault.Store = (*Store)(nil)

// Open connects with the connection string dsn (postgres://user:pass@host/db)
// and applies the migrations. An unreachable server is an error at once.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the string, password included.
		return nil, errors.New("card-key store: the PostgreSQL connection string does not parse")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("card-key store: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("card-key store %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		return cardvault.Migrate(ctx, cardvault.MigrationTx{
			Exec: func(ctx context.Context, q string, args ...any) error {
				_, err := tx.Exec(ctx, q, args...)
				return err
			},
			Version: func(ctx context.Context) (int, bool, error) {
				var v int
				err := tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
				if errors.Is(err, pgx.ErrNoRows) {
					return 0, false, nil
				}
				return v, err == nil, err
			},
			SetVersion: `UPDATE schema_version SET version = $1`,
		}, migrations)
	})
}

func (s *Store) Create(ctx context.Context, k cardvault.Key) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO card_keys (key_id, booking_id, material, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		k.ID, k.BookingID, k.Material, k.CreatedAt, k.ExpiresAt)
	return err
}

func (s *Store) Material(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var m []byte
	err := s.pool.QueryRow(ctx, `SELECT material FROM card_keys WHERE key_id = $1 AND material IS NOT NULL AND expires_at > $2`, id, now).Scan(&m)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, cardvault.ErrKeyGone
	}
	return m, err
}

func (s *Store) Destroy(ctx context.Context, id, reason string, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE card_keys SET material = NULL, destroyed_at = $1, destroy_reason = $2 WHERE key_id = $3 AND material IS NOT NULL`,
		now, reason, id)
	return tag.RowsAffected() > 0, err
}

func (s *Store) DestroyExpired(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `UPDATE card_keys SET material = NULL, destroyed_at = $1, destroy_reason = $2
		WHERE material IS NOT NULL AND expires_at <= $1 RETURNING key_id`, now, cardvault.ReasonExpired)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (s *Store) Info(ctx context.Context, id string) (cardvault.KeyInfo, error) {
	var (
		k         cardvault.KeyInfo
		destroyed *time.Time
		reason    *string
	)
	err := s.pool.QueryRow(ctx, `SELECT key_id, booking_id, created_at, expires_at, destroyed_at, destroy_reason FROM card_keys WHERE key_id = $1`, id).
		Scan(&k.ID, &k.BookingID, &k.CreatedAt, &k.ExpiresAt, &destroyed, &reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, cardvault.ErrKeyGone
	}
	if err != nil {
		return k, err
	}
	k.CreatedAt, k.ExpiresAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC()
	if destroyed != nil {
		k.DestroyedAt = destroyed.UTC()
	}
	if reason != nil {
		k.DestroyReason = *reason
	}
	return k, nil
}

func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
