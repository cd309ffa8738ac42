// Package pgstore is the production card-key store: PostgreSQL, in its own
// database and role (see docker-compose.temporal.yml), shared by every
// worker, starter and card intake. Open applies the migrations; the
// connection string (credentials included) comes from the environment
// (CARD_KEY_STORE), never from code.
//
// The key material lives in an UNLOGGED table of its own
// (card_key_material), one row per live key: PostgreSQL writes no WAL for
// it, so a key never reaches the WAL, its archive, a streaming replica or a
// base backup (pg_basebackup skips unlogged data). card_keys keeps the
// key's id, booking, times and, once destroyed, its tombstone, logged as
// usual. Destroying a key deletes its material row; the sweep (Compact)
// then rewrites the material table (VACUUM FULL: it holds live keys only,
// a few rows), so the deleted row's bytes leave the database's files within
// a sweep interval. The price of UNLOGGED: a crash or a failover of the
// card-key database empties the material table, and the bookings whose
// keys were live (at most cardvault.MaxKeyLifetime old) end declined
// card_data_expired, nothing charged. See the README, "Card data
// protection", for what an operator still configures (pg_dump, disk).
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
	// card_keys.material stays for keys sealed by processes older than
	// this migration (workers roll out first: they read and destroy both).
	`CREATE UNLOGGED TABLE card_key_material (
		key_id   text PRIMARY KEY,
		material bytea NOT NULL
	)`,
	`CREATE INDEX card_keys_undestroyed_expiry ON card_keys (expires_at) WHERE destroyed_at IS NULL`,
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
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO card_keys (key_id, booking_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			k.ID, k.BookingID, k.CreatedAt, k.ExpiresAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO card_key_material (key_id, material) VALUES ($1, $2)`, k.ID, k.Material)
		return err
	})
}

func (s *Store) Material(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var m []byte
	// card_keys.material: a key sealed before the material table existed.
	err := s.pool.QueryRow(ctx, `SELECT coalesce(m.material, k.material) FROM card_keys k LEFT JOIN card_key_material m USING (key_id)
		WHERE k.key_id = $1 AND k.destroyed_at IS NULL AND k.expires_at > $2 AND coalesce(m.material, k.material) IS NOT NULL`, id, now).Scan(&m)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, cardvault.ErrKeyGone
	}
	return m, err
}

func (s *Store) Destroy(ctx context.Context, id, reason string, now time.Time) (bool, error) {
	var destroyed bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE card_keys SET material = NULL, destroyed_at = $1, destroy_reason = $2 WHERE key_id = $3 AND destroyed_at IS NULL`,
			now, reason, id)
		if err != nil {
			return err
		}
		destroyed = tag.RowsAffected() > 0
		_, err = tx.Exec(ctx, `DELETE FROM card_key_material WHERE key_id = $1`, id)
		return err
	})
	return destroyed && err == nil, err
}

func (s *Store) DestroyExpired(ctx context.Context, now time.Time) ([]string, error) {
	var ids []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE card_keys SET material = NULL, destroyed_at = $1, destroy_reason = $2
			WHERE destroyed_at IS NULL AND expires_at <= $1 RETURNING key_id`, now, cardvault.ReasonExpired)
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		// Also any material left behind by a destroy of an older process
		// (one that cleared card_keys.material only).
		_, err = tx.Exec(ctx, `DELETE FROM card_key_material m USING card_keys k WHERE m.key_id = k.key_id AND k.destroyed_at IS NOT NULL`)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// Compact rewrites the material table (VACUUM FULL) so the rows of
// destroyed keys leave its files: a plain VACUUM only marks their space
// free, their bytes stay in the page until overwritten. The table holds live
// keys only, so the rewrite is quick; cardvault.Sweep calls it each interval.
func (s *Store) Compact(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `VACUUM FULL card_key_material`)
	return err
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
