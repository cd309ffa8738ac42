package security

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enums "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Crypto-shredding, proved per path (PCI DSS 3.3.1): once A55 has answered
// the create call, the card can be recovered from nothing that persists.
// Each path is searched twice with the same search: while A55 refuses every
// create call (so the card's key must still live), where it finds the card;
// and after the booking's outcome, where it finds nothing. The search reads
// the full history exported through the client, every payload decrypted
// with every configured payload key, every card token opened with the
// card-key store, the store's own files, every file of the stack's state
// directory and every process's log.
func TestCardDataIsShreddedOnEveryPath(t *testing.T) {
	paths := []struct {
		name    string
		pan     string
		threeDS bool
		lost    bool // the create call's answer is lost once, then recovered
		want    workflows.Status
		finish  func(t *testing.T, ctx context.Context, id string, auth workflows.AuthorizationResult)
	}{
		{name: "frictionless", pan: panFrictionless, want: workflows.StatusCaptured,
			finish: func(t *testing.T, ctx context.Context, id string, _ workflows.AuthorizationResult) {
				if _, err := env.Starter().Capture(ctx, id, nil); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "3ds-approved", pan: pan3DS, threeDS: true, want: workflows.StatusVoided,
			finish: func(t *testing.T, ctx context.Context, id string, auth workflows.AuthorizationResult) {
				complete3DS(t, ctx, id, auth, true)
				if err := awaitStatus(ctx, id, workflows.StatusAuthorized); err != nil {
					t.Fatal(err)
				}
				if _, err := env.Starter().Cancel(ctx, id, "guest cancelled"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "3ds-failed", pan: pan3DS, threeDS: true, want: workflows.StatusDeclined,
			finish: func(t *testing.T, ctx context.Context, id string, auth workflows.AuthorizationResult) {
				complete3DS(t, ctx, id, auth, false)
			}},
		{name: "declined", pan: panDeclined, want: workflows.StatusDeclined},
		{name: "lost-create-answer", pan: panFrictionless, lost: true, want: workflows.StatusVoided,
			finish: func(t *testing.T, ctx context.Context, id string, _ workflows.AuthorizationResult) {
				if _, err := env.Starter().Cancel(ctx, id, "guest cancelled"); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			ctx := testkitContext(t)
			id := ids.Next("shred-" + p.name)
			in := booking(id, p.pan, 41000)
			if p.threeDS {
				in = with3DS(in)
			}
			// Every create call fails (500) until the search has run: A55
			// has not answered, so the key lives and the card is there to find.
			if err := env.Sandbox.SetFaults(ctx, map[string]a55sandbox.Fault{"create": {ErrorNext: 1 << 30, ErrorStatuses: []int{500}}}); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = env.Sandbox.SetFaults(context.Background(), nil) }()
			type outcome struct {
				res workflows.AuthorizationResult
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := env.Starter().Authorize(ctx, in)
				done <- outcome{res, err}
			}()
			waitForHistory(t, ctx, id)

			before := searchForCard(t, ctx, id)
			if !before.keyLive || !before.keyInStoreFiles {
				t.Fatalf("before A55 answered: key live %v, in the store's files %v: the search could not see the key", before.keyLive, before.keyInStoreFiles)
			}
			// (The full number holds its last 8 digits, which the scanner
			// reports on their own only outside a longer run of digits.)
			for _, want := range []string{"card number " + p.pan, "card holder name", "CVV as a field value"} {
				if !before.has(want) {
					t.Fatalf("before A55 answered, the search did not find the %s (found %v): it cannot prove its absence after", want, before.found)
				}
			}

			next := map[string]a55sandbox.Fault{}
			if p.lost {
				next["create"] = a55sandbox.Fault{LostResponseNext: 1}
			}
			if err := env.Sandbox.SetFaults(ctx, next); err != nil {
				t.Fatal(err)
			}
			got := <-done
			if got.err != nil {
				t.Fatalf("authorize: %v", got.err)
			}
			if p.finish != nil {
				p.finish(t, ctx, id, got.res)
			}
			res, err := env.Starter().Result(ctx, id)
			if err != nil || res.Status != p.want {
				t.Fatalf("result %+v, %v; want %s", res, err, p.want)
			}

			after := searchForCard(t, ctx, id)
			if len(after.found) > 0 {
				t.Errorf("after the outcome the search found %v", after.found)
			}
			if after.keyLive || after.keyInStoreFiles {
				t.Errorf("after the outcome: key live %v, its bytes in the store's files %v", after.keyLive, after.keyInStoreFiles)
			}
			info, err := env.CardKeys.Info(ctx, before.keyID)
			if err != nil || info.DestroyReason != cardvault.ReasonAnswered {
				t.Errorf("the key's tombstone: %+v, %v; want destroyed because A55 answered", info, err)
			}
			charges, err := env.Sandbox.Ledger(ctx, id)
			if err != nil || len(charges) != 1 || charges[0].Calls.Create != 1 {
				t.Errorf("A55's ledger for %s: %+v, %v; want one charge created once", id, charges, err)
			}
		})
	}
}

func testkitContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func complete3DS(t *testing.T, ctx context.Context, id string, auth workflows.AuthorizationResult, approve bool) {
	t.Helper()
	if auth.Status != workflows.StatusAwaiting3DS || auth.URL3DS == "" {
		t.Fatalf("authorization %+v, want awaiting_3ds", auth)
	}
	if err := env.Sandbox.CompleteChallenge(ctx, auth.URL3DS, approve); err != nil {
		t.Fatal(err)
	}
	// The front end's report races A55's webhook: a booking the webhook
	// already ended (a failed challenge declines it) refuses it, which is
	// what a booking site sees too.
	err := env.Starter().Report3DSComplete(ctx, id, auth.ChargeUUID)
	var rej *starter.RejectedError
	if err != nil && !(errors.As(err, &rej) && rej.Type == starter.TypeBookingFinished) {
		t.Fatal(err)
	}
}

// waitForHistory waits until the booking's workflow exists (its start event
// holds the sealed card).
func waitForHistory(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	for {
		_, err := env.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
		var notFound *serviceerror.NotFound
		if err == nil {
			return
		}
		if !errors.As(err, &notFound) || ctx.Err() != nil {
			t.Fatalf("waiting for %s to start: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cardSearch is what one search found.
type cardSearch struct {
	found           []string
	keyID           string
	keyLive         bool // the card key can be read from the store
	keyInStoreFiles bool // the key's bytes (read while it lived) are in the store's files
	material        []byte
}

func (s cardSearch) has(what string) bool {
	for _, f := range s.found {
		if strings.HasPrefix(f, what) {
			return true
		}
	}
	return false
}

// lastKey remembers each booking's key material, read while it lived, to
// look for its bytes in the store's files afterwards.
var lastKey = map[string][]byte{}

func searchForCard(t *testing.T, ctx context.Context, id string) cardSearch {
	t.Helper()
	var s cardSearch
	add := func(where string, leaks []string) {
		for _, l := range leaks {
			if l != "payer name" { // personal data, not card data: the codec may show it to an operator
				s.found = append(s.found, l+" in "+where)
			}
		}
	}

	// 1. The full history, exported through the client.
	var events []*historypb.HistoryEvent
	it := env.Client.GetWorkflowHistory(ctx, workflows.WorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
		add("raw history event", protoLeaks(ev))
	}
	// 2. Every payload decrypted with every configured payload key, and every
	// card token in it opened with the card-key store.
	var tokens []cardvault.Token
	keys := payloadKeys(t)
	for _, p := range historyPayloads(events) {
		for _, k := range keys {
			one, err := codec.NewKeyring(k)
			if err != nil {
				t.Fatal(err)
			}
			// Whatever key id the payload names, try this key on it.
			named := proto.Clone(p).(*commonpb.Payload)
			if string(named.GetMetadata()[converter.MetadataEncoding]) == codec.MetadataEncodingEncrypted {
				named.Metadata[codec.MetadataEncryptionKeyID] = []byte(k.ID)
			}
			plain, err := codec.New(one).Decode([]*commonpb.Payload{named})
			if err != nil {
				continue // encrypted under another key
			}
			data := plain[0].GetData()
			add("history payload decrypted with payload key "+k.ID, cardLeaks(string(data), true))
			tokens = append(tokens, cardTokensIn(data)...)
		}
	}
	if len(tokens) == 0 {
		t.Fatalf("%s: no card token in the decrypted history: the search saw nothing", id)
	}
	for _, tok := range tokens {
		s.keyID = tok.KeyID
		card, err := cardvault.Open(ctx, env.CardKeys, id, tok, time.Now())
		if err != nil {
			if !errors.Is(err, cardvault.ErrKeyGone) {
				t.Fatalf("opening the card token: %v", err)
			}
			continue
		}
		j, _ := json.Marshal(card)
		add("the card token opened with the card-key store", cardLeaks(string(j), true))
	}
	if m, err := env.CardKeys.Material(ctx, s.keyID, time.Now()); err == nil {
		s.keyLive, lastKey[id] = true, m
	} else if !errors.Is(err, cardvault.ErrKeyGone) {
		t.Fatal(err)
	}
	s.material = lastKey[id]

	// 3. Every file of the stack's state directory (the card-key store's
	// included) except the binaries, raw; the store's files also for the key.
	storeBase := filepath.Base(env.Proj.CardKeyFile())
	err := filepath.WalkDir(env.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == filepath.Join(env.Dir, "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == stack.BinSandbox+".log" {
			return nil // the sandbox plays A55, which receives the card: not ours
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(env.Dir, path)
		strict := strings.HasSuffix(path, ".log") // log lines are text: a quoted CVV there is a leak
		add(rel, cardLeaks(string(b), strict))
		if strings.HasPrefix(d.Name(), storeBase) && len(s.material) > 0 && bytes.Contains(b, s.material) {
			s.keyInStoreFiles = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 4. The processes' logs, line by line, as the rest of the suite reads them.
	for _, l := range scanLogs() {
		s.found = append(s.found, "log "+l)
	}
	return s
}

// payloadKeys are every payload key the stack is configured with (its key
// file: the first encrypts, the others still decrypt).
func payloadKeys(t *testing.T) []codec.Key {
	t.Helper()
	b, err := os.ReadFile(env.Proj.PayloadKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	var keys []codec.Key
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		kid, b64, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("payload key %s: %v", kid, err)
		}
		keys = append(keys, codec.Key{ID: kid, Key: key})
	}
	if len(keys) == 0 || len(keys) != len(env.ring.KeyIDs()) {
		t.Fatalf("read %d payload keys, the stack has %d", len(keys), len(env.ring.KeyIDs()))
	}
	return keys
}

// cardTokensIn finds every card_token object in a JSON payload.
func cardTokensIn(data []byte) []cardvault.Token {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	var out []cardvault.Token
	cardvault.EachToken(v, func(obj map[string]any) {
		b, _ := json.Marshal(obj)
		var tok cardvault.Token
		if json.Unmarshal(b, &tok) == nil {
			out = append(out, tok)
		}
	})
	return out
}
