// Command bookingctl drives booking payments from a shell: the operator's and
// the demo's counterpart of package starter. Output is JSON on stdout; errors
// are JSON on stderr. Card data is read only from a file or stdin, never from
// flags (flags show in ps and shell history).
//
// Exit codes: 0 done; 1 Temporal or runtime failure; 2 bad usage, input or
// configuration (nothing was changed); 3 the payment was declined or failed;
// 4 the workflow refused the operation; 5 no workflow for the booking.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/logging"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitDeclined = 3
	exitRejected = 4
	exitNotFound = 5
)

const usage = `Usage: bookingctl <command> [flags]

Commands:
  authorize      [-file booking.json]            start the booking's payment (input JSON from -file or stdin)
  capture        -booking ID [-amount 320.00 | -minor 32000] [-currency BRL]   capture (all when no amount)
  cancel         -booking ID [-reason text]      release the hold
  refund         -booking ID -id REFUND_ID (-amount 120.00 | -minor 12000) [-currency BRL] [-reason text]
                                                 refund part or all of a captured booking, within its refund window
  resolve        -booking ID -action retry|mark-captured|mark-released -who NAME -why TEXT [-amount 320.00]
                                                 an operator's decision on a booking that needs attention
  replace-hold   -booking ID -id REPLACEMENT-ID -amount 900.00 [-checkout RFC3339] [-file card.json]
                                                 a new hold on the card presented again (JSON with card or
                                                 card_token, threeds, device_info from -file or stdin); the
                                                 old hold is released once the new one is authorized
  move-checkout  -booking ID -at 2026-12-03T11:00:00-03:00   move the expected check-out / return
  3ds-complete   -booking ID -charge UUID        report the front end's 3ds-auth-complete message
  status         -booking ID                     the payment's state
  result         -booking ID                     wait for the payment to finish

Common flags: -timeout (default 30s; result waits without limit unless given), -dev.
Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
PAYLOAD_KEYS or PAYLOAD_KEY_FILE (DEV_MODE=1 or -dev allows a generated local key);
CARD_KEY_STORE (authorize, replace-hold: the workers' card-key store, sqlite:<file> or postgres://...).
`

// app is one invocation; dial is replaced in tests.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            config.Env
	dial           func(ctx context.Context, devMode bool) (client.Client, error)
	// starterOpts configure the starter of this invocation (the card-key
	// store, for authorize).
	starterOpts []starter.Option
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, env: config.OS}
	a.dial = a.dialEnv
	os.Exit(a.run(ctx, os.Args[1:]))
}

func (a *app) dialEnv(ctx context.Context, devMode bool) (client.Client, error) {
	// The SDK's own logging would mix with the JSON output: keep it on stderr, warnings only.
	return config.Temporal{Env: a.env, DevMode: devMode, Identity: "bookingctl",
		Logger: logging.SDKLogger(logging.New(a.stderr, "warn", "bookingctl"))}.Dial(ctx)
}

type common struct {
	booking string
	timeout time.Duration
	dev     bool
}

func (a *app) flags(name string, c *common, needBooking bool) *flag.FlagSet {
	fs := flag.NewFlagSet("bookingctl "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	dev, _ := config.Bool(a.env, config.EnvDevMode, false)
	fs.BoolVar(&c.dev, "dev", dev, "allow a generated local payload key ("+config.EnvDevMode+"=1)")
	def := 30 * time.Second
	if name == "result" {
		def = 0
	}
	fs.DurationVar(&c.timeout, "timeout", def, "give up after this long (0 = no limit)")
	if needBooking {
		fs.StringVar(&c.booking, "booking", "", "booking id")
	}
	return fs
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(a.stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, args := args[0], args[1:]
	var c common
	switch cmd {
	case "authorize":
		fs := a.flags(cmd, &c, false)
		file := fs.String("file", "", "booking input JSON (default: stdin)")
		if code, ok := a.parse(fs, args, &c, false); !ok {
			return code
		}
		in, err := a.readInput(*file)
		if err != nil {
			return a.fail(err)
		}
		if in.CardToken == nil {
			// The card is sealed under a fresh key in the workers' card-key
			// store before anything starts.
			closeKeys, err := a.useCardKeys(ctx, "authorize")
			if err != nil {
				return a.fail(err)
			}
			defer closeKeys()
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.Authorize(ctx, in)
			code := exitOK
			if res.Status == workflows.StatusDeclined || res.Status == workflows.StatusFailed {
				code = exitDeclined
			}
			return res, code, err
		})
	case "capture":
		fs := a.flags(cmd, &c, true)
		amount := amountFlags(fs, "the whole hold")
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		amt, err := amount()
		if err != nil {
			return a.fail(usageError(err.Error()))
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.Capture(ctx, c.booking, amt)
			return res, exitOK, err
		})
	case "refund":
		fs := a.flags(cmd, &c, true)
		id := fs.String("id", "", "the booking system's refund id (1-48 letters, digits, '.', '_', '-'): the same id again returns the first result")
		reason := fs.String("reason", "", "why the money goes back (kept in the history and sent to A55)")
		amount := amountFlags(fs, "none; required")
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		amt, err := amount()
		if err != nil {
			return a.fail(usageError(err.Error()))
		}
		if amt == nil {
			return a.fail(usageError("-amount or -minor is required (a refund names its amount)"))
		}
		if *id == "" {
			return a.fail(usageError("-id is required (the booking system's refund id)"))
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.Refund(ctx, c.booking, *id, *amt, *reason)
			return res, exitOK, err
		})
	case "resolve":
		fs := a.flags(cmd, &c, true)
		action := fs.String("action", "", "retry | mark-captured | mark-released")
		who := fs.String("who", "", "who decides (kept in the history)")
		why := fs.String("why", "", "what was checked or done at A55 (kept in the history)")
		amount := amountFlags(fs, "none; required by mark-captured")
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		amt, err := amount()
		if err != nil {
			return a.fail(usageError(err.Error()))
		}
		req := workflows.ResolveRequest{Action: workflows.ResolveAction(strings.ReplaceAll(*action, "-", "_")), Amount: amt, Who: *who, Why: *why}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.Resolve(ctx, c.booking, req)
			return res, exitOK, err
		})
	case "cancel":
		fs := a.flags(cmd, &c, true)
		reason := fs.String("reason", "", "why the hold is released (kept in the history)")
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.Cancel(ctx, c.booking, *reason)
			return res, exitOK, err
		})
	case "replace-hold":
		fs := a.flags(cmd, &c, true)
		file := fs.String("file", "", "card JSON (default: stdin)")
		id := fs.String("id", "", "your id of this replacement (the same id is the same replacement)")
		checkout := fs.String("checkout", "", "new expected check-out / return, RFC 3339 (default: unchanged)")
		amount := amountFlags(fs, "required")
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		amt, err := amount()
		if err != nil || amt == nil {
			return a.fail(usageError("-amount or -minor is required: the new hold"))
		}
		req := starter.ReplaceHold{ID: *id, Amount: *amt}
		if *checkout != "" {
			if req.ExpectedCaptureAt, err = time.Parse(time.RFC3339, *checkout); err != nil {
				return a.fail(usageError(fmt.Sprintf("-checkout %q is not RFC 3339 (e.g. 2026-12-03T11:00:00-03:00)", *checkout)))
			}
		}
		var in replaceHoldInput
		r := a.stdin
		if *file != "" && *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return a.fail(usageError("-file: " + err.Error()))
			}
			defer f.Close()
			r = f
		}
		if err := decodeObject(r, &in, "the card JSON"); err != nil {
			return a.fail(err)
		}
		req.Card, req.CardToken, req.ThreeDS, req.DeviceInfo = in.Card, in.CardToken, in.ThreeDS, in.DeviceInfo
		if in.CardToken == nil {
			closeKeys, err := a.useCardKeys(ctx, "replace a hold")
			if err != nil {
				return a.fail(err)
			}
			defer closeKeys()
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.ReplaceHold(ctx, c.booking, req)
			code := exitOK
			if res.Status == workflows.StatusDeclined || res.Status == workflows.StatusFailed {
				code = exitDeclined
			}
			return res, code, err
		})
	case "move-checkout":
		fs := a.flags(cmd, &c, true)
		at := fs.String("at", "", "new expected check-out / return, RFC 3339")
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return a.fail(usageError(fmt.Sprintf("-at %q is not RFC 3339 (e.g. 2026-12-03T11:00:00-03:00)", *at)))
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.MoveCaptureTime(ctx, c.booking, t)
			return res, exitOK, err
		})
	case "3ds-complete":
		fs := a.flags(cmd, &c, true)
		charge := fs.String("charge", "", "charge_uuid from the 3ds-auth-complete message")
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		if *charge == "" {
			return a.fail(usageError("-charge is required"))
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			err := s.Report3DSComplete(ctx, c.booking, *charge)
			return map[string]string{"booking_id": c.booking, "signalled": workflows.Signal3DSComplete}, exitOK, err
		})
	case "status":
		fs := a.flags(cmd, &c, true)
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.Status(ctx, c.booking)
			return res, exitOK, err
		})
	case "result":
		fs := a.flags(cmd, &c, true)
		if code, ok := a.parse(fs, args, &c, true); !ok {
			return code
		}
		return a.call(ctx, c, func(ctx context.Context, s *starter.Starter) (any, int, error) {
			res, err := s.Result(ctx, c.booking)
			code := exitOK
			switch res.Status {
			case workflows.StatusDeclined, workflows.StatusFailed:
				code = exitDeclined
			}
			return res, code, err
		})
	}
	fmt.Fprintf(a.stderr, "bookingctl: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// useCardKeys opens the workers' card-key store (CARD_KEY_STORE) for the
// starter to seal a card in, to do what; the function closes it.
func (a *app) useCardKeys(ctx context.Context, what string) (func(), error) {
	dsn := config.Get(a.env, cardstore.EnvStore, "")
	if dsn == "" {
		return nil, usageError(cardstore.EnvStore + " is required to " + what + " with a card (the workers' card-key store)")
	}
	keys, err := cardstore.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	a.starterOpts = append(a.starterOpts, starter.WithCardKeys(keys))
	return func() { _ = keys.Close() }, nil
}

// parse parses flags; the booking id may also come as the first argument or
// as a single argument after the flags.
func (a *app) parse(fs *flag.FlagSet, args []string, c *common, needBooking bool) (int, bool) {
	// "capture BK-1 -amount 320.00": a leading booking id, then flags.
	if needBooking && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.booking, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	rest := fs.Args()
	if needBooking && c.booking == "" && len(rest) == 1 {
		c.booking, rest = rest[0], nil
	}
	if len(rest) > 0 {
		return a.fail(usageError(fmt.Sprintf("unexpected arguments %q", rest))), false
	}
	if needBooking {
		if c.booking == "" {
			return a.fail(usageError("-booking is required")), false
		}
		if err := workflows.ValidateBookingID(c.booking); err != nil {
			return a.fail(usageError(err.Error())), false
		}
	}
	return 0, true
}

func (a *app) readInput(file string) (workflows.BookingPaymentInput, error) {
	r := a.stdin
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return workflows.BookingPaymentInput{}, usageError("-file: " + err.Error())
		}
		defer f.Close()
		r = f
	}
	return decodeAuthorizeInput(r)
}

func (a *app) call(ctx context.Context, c common, op func(context.Context, *starter.Starter) (any, int, error)) int {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	tc, err := a.dial(ctx, c.dev)
	if err != nil {
		return a.fail(err)
	}
	defer tc.Close()
	res, code, err := op(ctx, starter.New(tc, a.starterOpts...))
	if err != nil {
		return a.fail(err)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return a.fail(err)
	}
	return code
}

type usageError string

func (e usageError) Error() string { return string(e) }

// fail prints the error as JSON on stderr and returns its exit code.
func (a *app) fail(err error) int {
	out := map[string]string{"error": err.Error()}
	code := exitFailure
	var rejected *starter.RejectedError
	var input *InputError
	var usage usageError
	switch {
	case errors.As(err, &rejected):
		out["operation"], out["type"], out["reason"] = rejected.Operation, rejected.Type, rejected.Reason
		code = exitRejected
		if rejected.Type == "InvalidInput" {
			code = exitUsage
		}
	case errors.As(err, &input), errors.As(err, &usage), config.IsConfigError(err):
		code = exitUsage
	case errors.Is(err, starter.ErrBookingNotFound):
		code = exitNotFound
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(a.stderr, string(b))
	return code
}

// amountFlags adds -amount, -minor and -currency to fs; the function it
// returns reads them once fs is parsed (nil when neither amount is given).
func amountFlags(fs *flag.FlagSet, byDefault string) func() (*money.Amount, error) {
	amount := fs.String("amount", "", "amount in major units, e.g. 320.00 (default: "+byDefault+")")
	minor := fs.String("minor", "", "amount in minor units, e.g. 32000")
	currency := fs.String("currency", "BRL", "ISO 4217 currency of -amount / -minor")
	return func() (*money.Amount, error) {
		if *amount != "" && *minor != "" {
			return nil, errors.New("give -amount or -minor, not both")
		}
		if *amount == "" && *minor == "" {
			return nil, nil
		}
		text, isMinor := *amount, false
		if *minor != "" {
			text, isMinor = *minor, true
		}
		v, err := parseAmount(text, money.Currency(strings.ToUpper(*currency)), isMinor)
		if err != nil {
			return nil, err
		}
		return &v, nil
	}
}
