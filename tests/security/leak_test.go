package security

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/internal/codecserver"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/internal/testhttp"
	"github.com/hotelpay/a55-temporal/internal/webhook"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The scanner itself: it must find every form of card data it looks for and
// must not cry wolf over what is no leak, or the proofs below mean nothing.
func TestScannerFindsCardDataAndIgnoresLookalikes(t *testing.T) {
	leaking := []string{
		`{"card":{"number":"4000000000000101"}}`,
		`number=4111 1111 1111 1111`,
		`pan 4000-0000-0000-0002`,
		`"last8":"00000101"`,
		`card ending 11111111`,
		`{"cvv":"739"}`,
		`cvv=739 ok`,
		`{Number:… CVV:739}`,
		`"security_code": 739`,
		`["739"]`,
		`holder ZACHARIAS QUINTERO`,
		`payer ximena valderrama`,
	}
	for _, s := range leaking {
		if len(cardLeaks(s, true)) == 0 {
			t.Errorf("cardLeaks(%q) found nothing", s)
		}
	}
	harmless := []string{
		`{"historySizeBytes":"739"}`,                   // protojson quotes int64: not strict
		`"eventTime":"2026-11-27T03:20:12.000001015Z"`, // clock: a sample of history text, never compared with a clock
		`{"amount":{"minor":73900,"currency":"BRL"}}`,
		`card 400000******0101`,
		`{"cvv":"***"}`,
		`wallet 00000000-0000-4000-8000-000000000001`,
		`port 127.0.0.1:47390`,
	}
	for _, s := range harmless {
		if l := cardLeaks(s, false); len(l) > 0 {
			t.Errorf("cardLeaks(%q) = %v, want nothing", s, l)
		}
	}
	// The raw walk reads payload bytes that protojson would show as base64.
	p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"cvv":"739"}`)}
	if got := protoLeaks(p); len(got) == 0 {
		t.Error("protoLeaks missed a CVV inside a payload's bytes")
	}
}

// Part 1: what Temporal stores. Read without the keys (the plain client, the
// SDK's default data converter), the bookings' histories, search attributes,
// memos, query answers and results hold no card data.
func TestHistoriesWithoutTheCodecHoldNoCardData(t *testing.T) {
	b := runCardBookings(t)
	ctx := testCtx(t)
	for _, id := range b.all() {
		events := history(t, ctx, id)
		if len(events) < 5 {
			t.Fatalf("%s: only %d history events", id, len(events))
		}
		for _, ev := range events {
			if leaks := protoLeaks(ev); len(leaks) > 0 {
				text, _ := protojson.Marshal(ev)
				t.Errorf("%s: event %d (%s) leaks %v:\n%.600s", id, ev.GetEventId(), ev.GetEventType(), leaks, text)
			}
		}

		// The card really was in there, sealed: the input payload is
		// ciphertext that the codec turns back into a card token (the card
		// sealed under its own key, destroyed since: TestCardDataIsShreddedOnEveryPath
		// shows the same search finding the card while the key lived).
		input := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
		if len(input) != 1 || string(input[0].GetMetadata()[converter.MetadataEncoding]) != codec.MetadataEncodingEncrypted {
			t.Fatalf("%s: the workflow input is not one encrypted payload: %v", id, input)
		}
		plain, err := codec.New(env.ring).Decode(input)
		if err != nil {
			t.Fatalf("%s: decoding the input with the stack's keys: %v", id, err)
		}
		tokens := cardTokensIn(plain[0].GetData())
		if len(tokens) != 1 || tokens[0].Sealed == "" {
			t.Fatalf("%s: the decrypted input does not hold the sealed card it was started with", id)
		}
		if _, err := cardvault.Open(ctx, env.CardKeys, id, tokens[0], time.Now()); !errors.Is(err, cardvault.ErrKeyGone) {
			t.Errorf("%s: the sealed card still opens after A55 answered: %v", id, err)
		}

		desc, err := env.plain.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
		if err != nil {
			t.Fatal(err)
		}
		if leaks := protoLeaks(desc); len(leaks) > 0 {
			t.Errorf("%s: describe (search attributes, memo, summary) leaks %v", id, leaks)
		}
		if sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields(); sa["BookingID"] == nil || sa["PaymentStatus"] == nil {
			t.Errorf("%s: search attributes %v lack BookingID or PaymentStatus: the check above saw nothing", id, keysOf(sa))
		}
		list, err := env.plain.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: `WorkflowId = "` + workflows.WorkflowID(id) + `"`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if leaks := protoLeaks(list); len(leaks) > 0 {
			t.Errorf("%s: the visibility record leaks %v", id, leaks)
		}

		// The status query, answered by the worker, read raw.
		q, err := env.plain.WorkflowService().QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{
			Namespace: "default",
			Execution: &commonpb.WorkflowExecution{WorkflowId: workflows.WorkflowID(id)},
			Query:     &querypb.WorkflowQuery{QueryType: workflows.QueryStatus},
		})
		if err != nil {
			t.Fatal(err)
		}
		if leaks := protoLeaks(q); len(leaks) > 0 {
			t.Errorf("%s: the raw status query answer leaks %v", id, leaks)
		}
		for _, p := range q.GetQueryResult().GetPayloads() {
			if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc != codec.MetadataEncodingEncrypted {
				t.Errorf("%s: the status query answer is %s, not encrypted", id, enc)
			}
		}
	}
}

// Part 1, with the keys: what a booking system or an operator sees. The
// decrypted query answers and results carry no card data, and the codec
// server (what the Web UI calls) shows each card as destroyed, by its last
// four digits, without its ciphertext.
func TestHistoriesThroughTheCodecShowTheCardDestroyed(t *testing.T) {
	b := runCardBookings(t)
	ctx := testCtx(t)
	for _, id := range b.all() {
		state, err := env.Starter().Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		res, err := env.Starter().Result(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for what, v := range map[string]any{"status query": state, "result": res} {
			j, _ := json.Marshal(v)
			if leaks := cardLeaks(string(j), true); len(leaks) > 0 {
				t.Errorf("%s: the decrypted %s leaks %v: %s", id, what, leaks, j)
			}
		}

		payloads := historyPayloads(history(t, ctx, id))
		decoded := codecServerDecode(t, payloads)
		if len(decoded) != len(payloads) {
			t.Fatalf("%s: the codec server returned %d payloads for %d", id, len(decoded), len(payloads))
		}
		var all strings.Builder
		for _, p := range decoded {
			if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc == codec.MetadataEncodingEncrypted {
				t.Errorf("%s: the codec server left a payload encrypted", id)
			}
			all.Write(p.GetData())
			all.WriteByte('\n')
		}
		text := all.String()
		for _, leak := range cardLeaks(text, true) {
			if leak != "payer name" { // an operator may see who the guest is
				t.Errorf("%s: the codec server's decoded history shows %s", id, leak)
			}
		}
		// Decoded for real: the card token by its last four digits, its card
		// destroyed because A55 answered, its ciphertext left out.
		pan := map[string]string{b.threeDS: pan3DS, b.frictionless: panFrictionless, b.declined: panDeclined}[id]
		if !strings.Contains(text, `"last4":"`+pan[12:]+`"`) {
			t.Errorf("%s: the decoded history lacks the card token ending %s", id, pan[12:])
		}
		if !strings.Contains(text, `"card_data":"`+codecserver.CardStateDestroyed+` at `) || !strings.Contains(text, cardvault.ReasonAnswered) {
			t.Errorf("%s: the decoded history does not show the card destroyed once A55 answered", id)
		}
		if strings.Contains(text, `"sealed"`) {
			t.Errorf("%s: the codec server shows the sealed card's ciphertext", id)
		}
		if !strings.Contains(text, payerName) {
			t.Errorf("%s: the decoded history lacks the payer: did the codec server decode anything?", id)
		}
	}
}

// Part 2: every line the worker, the receiver, the codec server and bookingctl
// wrote while the bookings ran: no card number, no last eight digits, no CVV,
// no holder or payer name, no access token, no client secret, no key.
func TestLogsHoldNoCardDataOrSecrets(t *testing.T) {
	b := runCardBookings(t)
	// The logs are the ones that saw the bookings: without this, an empty or
	// misplaced log file would pass.
	worker := readLog(t, stack.BinWorker)
	receiver := readLog(t, stack.BinReceiver)
	ctl := readLog(t, "bookingctl")
	if !strings.Contains(worker, b.threeDS) {
		t.Errorf("worker.log never mentions booking %s", b.threeDS)
	}
	if !strings.Contains(receiver, workflows.WorkflowID(b.threeDS)) {
		t.Errorf("receiver.log never mentions the webhook for %s", workflows.WorkflowID(b.threeDS))
	}
	if !strings.Contains(ctl, `"status": "captured"`) {
		t.Errorf("bookingctl's output lacks the capture: %.500s", ctl)
	}
	// The per-booking webhook routing token lets its holder signal the
	// workflow: no log may hold it either.
	secrets := secretValues()
	for _, id := range b.all() {
		secrets["webhook route token of "+id] = webhook.Token([]byte(env.secrets[stack.EnvWebhookRouteSecret]), workflows.WorkflowID(id))
	}
	for _, name := range []string{"temporal", stack.BinWorker, stack.BinReceiver, stack.BinCodec, "bookingctl"} {
		for i, line := range strings.Split(readLog(t, name), "\n") {
			if leaks := logLeaks(line, secrets); len(leaks) > 0 {
				t.Errorf("%s.log:%d leaks %v: %.400s", name, i+1, leaks, line)
			}
		}
	}
}

func readLog(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(logDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// historyPayloads collects every payload of the events, wherever it sits.
func historyPayloads(events []*historypb.HistoryEvent) []*commonpb.Payload {
	var out []*commonpb.Payload
	payloadName := (&commonpb.Payload{}).ProtoReflect().Descriptor().FullName()
	var walk func(protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if m.Descriptor().FullName() == payloadName {
			out = append(out, m.Interface().(*commonpb.Payload))
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() != protoreflect.MessageKind {
				return true
			}
			switch {
			case fd.IsList():
				for l, i := v.List(), 0; i < l.Len(); i++ {
					walk(l.Get(i).Message())
				}
			case fd.IsMap():
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
						walk(mv.Message())
						return true
					})
				}
			default:
				walk(v.Message())
			}
			return true
		})
	}
	for _, ev := range events {
		walk(ev.ProtoReflect())
	}
	return out
}

// codecServerDecode posts the payloads to the running codec server's /decode
// with the codec token, as the temporal CLI's --codec-auth does.
func codecServerDecode(t *testing.T, payloads []*commonpb.Payload) []*commonpb.Payload {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	resp := codecPost(t, "/decode", body, map[string]string{"Authorization": "Bearer " + env.secrets[stack.EnvCodecAuthToken]})
	if resp.code != http.StatusOK {
		t.Fatalf("codec server /decode: HTTP %d: %s", resp.code, resp.body)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal([]byte(resp.body), &out); err != nil {
		t.Fatalf("codec server /decode answer: %v", err)
	}
	return out.GetPayloads()
}

type httpResult struct {
	code int
	body string
}

func codecPost(t *testing.T, path string, body []byte, header map[string]string) httpResult {
	t.Helper()
	return httpDo(t, http.MethodPost, env.Proj.CodecURL()+path, body, header)
}

func httpDo(t *testing.T, method, url string, body []byte, header map[string]string) httpResult {
	t.Helper()
	resp := testhttp.Do(t, testCtx(t), method, url, body, header)
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close() // now, not at the test's end: tests send many
	return httpResult{code: resp.StatusCode, body: string(b)}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Decrypted with the keys, the card is in no place of a history: the
// workflow's input carries it sealed (a card token), and so does a create
// call that went on as a regular activity; no result, marker, update
// outcome, signal, failure or later activity carries even the token.
func TestCardIsInNoHistoryOnlyItsSealedToken(t *testing.T) {
	b := runCardBookings(t)
	ctx := testCtx(t)
	pans := map[string]string{b.threeDS: pan3DS, b.frictionless: panFrictionless, b.declined: panDeclined}
	for _, id := range b.all() {
		var holders, tokenHolders []string
		for _, ev := range history(t, ctx, id) {
			plain, err := codec.New(env.ring).Decode(historyPayloads([]*historypb.HistoryEvent{ev}))
			if err != nil {
				t.Fatalf("%s: event %d: %v", id, ev.GetEventId(), err)
			}
			for _, p := range plain {
				data := string(p.GetData())
				where := ev.GetEventType().String()
				if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
					where += " " + a.GetActivityType().GetName()
				}
				if strings.Contains(data, pans[id]) || strings.Contains(data, `"cvv":"`+cardCVV+`"`) || strings.Contains(data, holderName) {
					holders = append(holders, where)
				}
				if len(cardTokensIn(p.GetData())) > 0 {
					tokenHolders = append(tokenHolders, where)
				}
			}
		}
		if len(holders) > 0 {
			t.Errorf("%s: the card is in %v, want nowhere", id, holders)
		}
		for _, where := range tokenHolders {
			if where != "WorkflowExecutionStarted" && where != "ActivityTaskScheduled "+workflows.ActivityAuthorize {
				t.Errorf("%s: the card token is in %s", id, where)
			}
		}
		if len(tokenHolders) == 0 || tokenHolders[0] != "WorkflowExecutionStarted" {
			t.Errorf("%s: the sealed card is in %v, want in the start event", id, tokenHolders)
		}
	}
}
