package cardvault_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardvaulttest"
)

// The sweep destroys the keys past their lifetime and logs each by id,
// never with its material.
func TestSweepDestroysExpiredKeysAndLogsTheirIDs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := cardvaulttest.SQLiteStore(t)
	start := time.Unix(1_800_000_000, 0)
	old, err := cardvault.Seal(ctx, store, "BK-old", cardvaulttest.TestCard, start, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	material, err := store.Material(ctx, old.KeyID, start)
	if err != nil {
		t.Fatal(err)
	}
	live, err := cardvault.Seal(ctx, store, "BK-live", cardvaulttest.TestCard, start, cardvault.MaxKeyLifetime)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	swept := make(chan struct{}, 1)
	go cardvault.Sweep(ctx, store, time.Hour, func() time.Time { return start.Add(2 * time.Minute) }, func(msg string, kv ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprint(msg, kv))
		mu.Unlock()
		select {
		case swept <- struct{}{}:
		default:
		}
	})
	<-swept
	cancel()
	if info, _ := store.Info(context.Background(), old.KeyID); info.DestroyReason != cardvault.ReasonExpired {
		t.Errorf("the expired key: %+v", info)
	}
	if info, _ := store.Info(context.Background(), live.KeyID); !info.DestroyedAt.IsZero() {
		t.Errorf("a live key was swept: %+v", info)
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "card key destroyed") || !strings.Contains(all, old.KeyID) {
		t.Errorf("log: %s", all)
	}
	if strings.Contains(all, hex.EncodeToString(material)) || strings.Contains(all, string(material)) {
		t.Error("the log holds the key")
	}
}

// compacting is a store that records the sweep's Compact calls.
type compacting struct {
	cardvault.Store
	compacted chan struct{}
}

func (c compacting) Compact(context.Context) error {
	select {
	case c.compacted <- struct{}{}:
	default:
	}
	return nil
}

// The sweep compacts a store that can (pgstore rewrites its material
// table), so destroyed keys' bytes leave its files each interval.
func TestSweepCompactsACompactorStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := cardvaulttest.SQLiteStore(t)
	c := compacting{Store: store, compacted: make(chan struct{}, 1)}
	go cardvault.Sweep(ctx, c, time.Hour, time.Now, func(string, ...any) {})
	select {
	case <-c.compacted:
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("the sweep never compacted the store")
	}
}
