// Package sqlitestore is the embedded card-key store: one SQLite file,
// shared by every process of the dev stack and by tests, no server to run
// (modernc.org/sqlite is pure Go, as the Temporal dev server's own SQLite).
//
// Destroying a key must leave nothing to recover in the file: the database
// runs with secure_delete (freed content is overwritten with zeros) and a
// rollback journal that is deleted after each transaction (no WAL keeping
// old pages).
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the driver "sqlite"

	"github.com/hotelpay/a55-temporal/cardvault"
)

// migrations are applied in order at Open; schema_version records how many ran.
var migrations = []string{
	`CREATE TABLE card_keys (
		key_id         TEXT PRIMARY KEY,
		booking_id     TEXT NOT NULL,
		material       BLOB,
		created_at     INTEGER NOT NULL,
		expires_at     INTEGER NOT NULL,
		destroyed_at   INTEGER,
		destroy_reason TEXT
	)`,
	`CREATE INDEX card_keys_live_expiry ON card_keys (expires_at) WHERE material IS NOT NULL`,
}

// Store is a cardvault.Store in one SQLite file.
type Store struct{ db *sql.DB }

var _ cardvault.Store = (*Store)(nil)

// Open opens (creating it when missing) the store in the file at path and
// applies its migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "secure_delete(ON)", "journal_mode(DELETE)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("card-key store %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("card-key store %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	err = cardvault.Migrate(ctx, cardvault.MigrationTx{
		Exec: func(ctx context.Context, q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		},
		Version: func(ctx context.Context) (int, bool, error) {
			var v int
			err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
			if errors.Is(err, sql.ErrNoRows) {
				return 0, false, nil
			}
			return v, err == nil, err
		},
		SetVersion: `UPDATE schema_version SET version = ?`,
	}, migrations)
	if err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) Create(ctx context.Context, k cardvault.Key) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO card_keys (key_id, booking_id, material, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		k.ID, k.BookingID, k.Material, k.CreatedAt.UnixMicro(), k.ExpiresAt.UnixMicro())
	return err
}

func (s *Store) Material(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var m []byte
	err := s.db.QueryRowContext(ctx, `SELECT material FROM card_keys WHERE key_id = ? AND material IS NOT NULL AND expires_at > ?`,
		id, now.UnixMicro()).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cardvault.ErrKeyGone
	}
	return m, err
}

func (s *Store) Destroy(ctx context.Context, id, reason string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE card_keys SET material = NULL, destroyed_at = ?, destroy_reason = ? WHERE key_id = ? AND material IS NOT NULL`,
		now.UnixMicro(), reason, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *Store) DestroyExpired(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `UPDATE card_keys SET material = NULL, destroyed_at = ?, destroy_reason = ?
		WHERE material IS NOT NULL AND expires_at <= ? RETURNING key_id`, now.UnixMicro(), cardvault.ReasonExpired, now.UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Store) Info(ctx context.Context, id string) (cardvault.KeyInfo, error) {
	var (
		k                cardvault.KeyInfo
		created, expires int64
		destroyed        sql.NullInt64
		reason           sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `SELECT key_id, booking_id, created_at, expires_at, destroyed_at, destroy_reason FROM card_keys WHERE key_id = ?`, id).
		Scan(&k.ID, &k.BookingID, &created, &expires, &destroyed, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return k, cardvault.ErrKeyGone
	}
	if err != nil {
		return k, err
	}
	k.CreatedAt, k.ExpiresAt = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC()
	if destroyed.Valid {
		k.DestroyedAt = time.UnixMicro(destroyed.Int64).UTC()
	}
	k.DestroyReason = reason.String
	return k, nil
}

func (s *Store) Close() error { return s.db.Close() }
