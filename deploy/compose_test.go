// Package deploy checks docker-compose.temporal.yml and the Dockerfile against
// the code: the services the stack needs, the environment each binary
// actually reads, ports, health checks and start order. There is no Docker
// engine in CI, so this (with `make compose-check`) is what keeps the compose
// file honest.
package deploy

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/workflows"
)

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string            `yaml:"image"`
	Build       *build            `yaml:"build"`
	Command     any               `yaml:"command"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Restart string `yaml:"restart"`
}

type build struct {
	Context    string            `yaml:"context"`
	Dockerfile string            `yaml:"dockerfile"`
	Args       map[string]string `yaml:"args"`
}

// appServices maps compose services to the binaries they run.
var appServices = map[string]string{
	"a55sandbox":  stack.BinSandbox,
	"codecserver": stack.BinCodec,
	"receiver":    stack.BinReceiver,
	"worker":      stack.BinWorker,
	"cardintake":  stack.BinCardIntake,
}

func root(t *testing.T) string {
	t.Helper()
	r, err := stack.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func load(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), "docker-compose.temporal.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose file: %v", err)
	}
	return c
}

// interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message}
var interp = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}`)

// resolve substitutes defaults (and the placeholder "<NAME>" for required
// variables), the way compose would with an empty .env.
func resolve(v string) string {
	return interp.ReplaceAllStringFunc(v, func(m string) string {
		p := interp.FindStringSubmatch(m)
		if p[2] == "-" {
			return p[3]
		}
		return "<" + p[1] + ">"
	})
}

func TestComposeHasTheWholeTopology(t *testing.T) {
	c := load(t)
	want := []string{"postgres", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui",
		"cardkeys-db", "codecserver", "a55sandbox", "receiver", "worker", "cardintake"}
	for _, name := range want {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %q is missing", name)
		}
	}
	for name := range c.Services {
		if !slices.Contains(want, name) {
			t.Errorf("unexpected service %q (add it to this test with what it must satisfy)", name)
		}
	}
	images := map[string]string{
		"postgres":           "postgres:16",
		"cardkeys-db":        "postgres:16",
		"temporal-schema":    "temporalio/admin-tools:1.29.1-",
		"temporal":           "temporalio/server:1.29.1",
		"temporal-namespace": "temporalio/admin-tools:1.29.1-",
		"temporal-ui":        "temporalio/ui:2.",
	}
	for name, prefix := range images {
		if img := c.Services[name].Image; !strings.HasPrefix(img, prefix) {
			t.Errorf("%s image = %q, want %s…", name, img, prefix)
		}
	}
	if env := c.Services["temporal"].Environment; env["DB"] != "postgres12" || env["POSTGRES_SEEDS"] != "postgres" {
		t.Errorf("temporal server must use DB=postgres12 on the postgres service, got %v", env)
	}
	ui := c.Services["temporal-ui"].Environment
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_CORS_ORIGINS", "TEMPORAL_CODEC_ENDPOINT"} {
		if ui[k] == "" {
			t.Errorf("temporal-ui lacks %s", k)
		}
	}
	// The codec server accepts browsers through its session cookie, which the
	// UI sends only with credentials included.
	if ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] != "true" {
		t.Error("temporal-ui must set TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true for the codec server's sign-in cookie")
	}
	// The UI's codec endpoint is the codec server's published port, and the
	// codec server allows the UI's origin.
	codec := c.Services["codecserver"]
	if got, want := portOfURL(t, ui["TEMPORAL_CODEC_ENDPOINT"]), publishedPort(t, codec, containerPort(t, codec.Environment["CODEC_LISTEN_ADDR"])); got != want {
		t.Errorf("UI codec endpoint port %s, codec server published on %s", got, want)
	}
	if !strings.Contains(codec.Environment["CODEC_CORS_ORIGINS"], ui["TEMPORAL_CORS_ORIGINS"]) {
		t.Errorf("codec server CORS origins %q do not allow the UI origin %q", codec.Environment["CODEC_CORS_ORIGINS"], ui["TEMPORAL_CORS_ORIGINS"])
	}
}

func TestComposeSchemaJobSetsUpBothDatabases(t *testing.T) {
	s := load(t).Services["temporal-schema"]
	script := commandText(s)
	for _, want := range []string{"temporal_visibility", "setup-schema -v 0.0", "update-schema",
		"postgresql/v12/temporal/versioned", "postgresql/v12/visibility/versioned"} {
		if !strings.Contains(script, want) {
			t.Errorf("schema job does not %q", want)
		}
	}
	if s.Environment["SQL_PLUGIN"] != "postgres12" {
		t.Errorf("schema job SQL_PLUGIN = %q, want postgres12", s.Environment["SQL_PLUGIN"])
	}
	if s.DependsOn["postgres"].Condition != "service_healthy" {
		t.Error("schema job must wait for postgres to be healthy")
	}
}

// The namespace job registers exactly the search attributes the workflow sets.
func TestComposeRegistersTheWorkflowsSearchAttributes(t *testing.T) {
	script := commandText(load(t).Services["temporal-namespace"])
	m := regexp.MustCompile(`for sa in ([^;]+);`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("namespace job has no `for sa in ...;` list:\n%s", script)
	}
	got := strings.Fields(m[1])
	if !slices.Equal(got, workflows.SearchAttributeFlags) {
		t.Fatalf("namespace job registers %v, the workflow uses %v", got, workflows.SearchAttributeFlags)
	}
	for _, cmd := range []string{"operator cluster health", "operator namespace create", "operator search-attribute create"} {
		if !strings.Contains(script, cmd) {
			t.Errorf("namespace job lacks `temporal %s`", cmd)
		}
	}
}

func TestComposeStartOrder(t *testing.T) {
	c := load(t)
	want := map[string]map[string]string{
		"temporal-schema":    {"postgres": "service_healthy"},
		"temporal":           {"temporal-schema": "service_completed_successfully"},
		"temporal-namespace": {"temporal": "service_started"},
		"temporal-ui":        {"temporal-namespace": "service_completed_successfully"},
		"receiver":           {"temporal-namespace": "service_completed_successfully"},
		"worker": {"temporal-namespace": "service_completed_successfully", "receiver": "service_healthy",
			"a55sandbox": "service_healthy", "cardkeys-db": "service_completed_successfully"},
		"cardkeys-db": {"postgres": "service_healthy"},
		"codecserver": {"cardkeys-db": "service_completed_successfully"},
		"cardintake":  {"cardkeys-db": "service_completed_successfully"},
	}
	for name, deps := range want {
		for dep, cond := range deps {
			if got := c.Services[name].DependsOn[dep].Condition; got != cond {
				t.Errorf("%s depends_on %s: condition %q, want %q", name, dep, got, cond)
			}
		}
	}
	for name, s := range c.Services {
		for dep, d := range s.DependsOn {
			target, ok := c.Services[dep]
			if !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
				continue
			}
			if d.Condition == "service_healthy" && target.Healthcheck == nil {
				t.Errorf("%s waits for %s to be healthy, but %s has no health check", name, dep, dep)
			}
		}
	}
}

func TestComposeAppServicesBuildFromTheDockerfile(t *testing.T) {
	c := load(t)
	dockerfile, err := os.ReadFile(filepath.Join(root(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if hc := "-o /out/healthcheck " + stack.MainPackage(stack.BinHealthcheck); !strings.Contains(string(dockerfile), hc) {
		t.Errorf("Dockerfile does not build the health probe (%s)", hc)
	}
	for svc, bin := range appServices {
		s := c.Services[svc]
		if s.Build == nil || s.Build.Dockerfile != "Dockerfile" || s.Build.Args["BINARY"] != bin {
			t.Errorf("%s must build Dockerfile with BINARY=%s, got %+v", svc, bin, s.Build)
			continue
		}
		// The Dockerfile builds BINARY from cmd/<BINARY>, as the dev stack does.
		pkg := stack.MainPackage(bin)
		if !strings.Contains(string(dockerfile), `-o /out/app "./cmd/$BINARY"`) {
			t.Errorf("Dockerfile does not build %s from %s", bin, pkg)
		}
		if !stack.PackageExists(root(t), pkg) {
			t.Errorf("%s: package %s does not exist", svc, pkg)
		}
	}
}

// Each app service listens where it is published and health-checked, on the
// path the dev stack waits for.
func TestComposeAppPortsAndHealthChecks(t *testing.T) {
	c := load(t)
	listen := map[string]string{
		"a55sandbox":  flagValue(t, c.Services["a55sandbox"], "-addr"),
		"codecserver": c.Services["codecserver"].Environment["CODEC_LISTEN_ADDR"],
		"receiver":    c.Services["receiver"].Environment["RECEIVER_ADDR"],
		"worker":      c.Services["worker"].Environment["METRICS_ADDR"],
		"cardintake":  c.Services["cardintake"].Environment["CARD_INTAKE_ADDR"],
	}
	for svc, bin := range appServices {
		s := c.Services[svc]
		port := containerPort(t, listen[svc])
		if !strings.HasPrefix(listen[svc], "0.0.0.0:") {
			t.Errorf("%s listens on %q: in a container it must bind 0.0.0.0", svc, listen[svc])
		}
		publishedPort(t, s, port)
		if s.Healthcheck == nil {
			t.Errorf("%s has no health check", svc)
			continue
		}
		want := []string{"CMD", "/healthcheck", "http://127.0.0.1:" + port + stack.HealthPaths[bin]}
		if !slices.Equal(s.Healthcheck.Test, want) {
			t.Errorf("%s health check = %v, want %v", svc, s.Healthcheck.Test, want)
		}
	}
	// The worker's defaults point at the sandbox and the receiver as they listen.
	w := c.Services["worker"].Environment
	sandboxPort := containerPort(t, listen["a55sandbox"])
	checkURL(t, "worker A55_BASE_URL", resolve(w["A55_BASE_URL"]), "a55sandbox", sandboxPort)
	checkURL(t, "worker A55_TOKEN_URL", resolve(w["A55_TOKEN_URL"]), "a55sandbox", sandboxPort)
	checkURL(t, "worker WEBHOOK_BASE_URL", resolve(w["WEBHOOK_BASE_URL"]), "receiver", containerPort(t, listen["receiver"]))
	for _, svc := range []string{"worker", "receiver"} {
		if got := c.Services[svc].Environment["TEMPORAL_ADDRESS"]; got != "temporal:7233" {
			t.Errorf("%s TEMPORAL_ADDRESS = %q, want temporal:7233", svc, got)
		}
	}
}

// Secrets are never written in the compose file: each one is a required
// ${NAME:?...} from .env, and the example env file lists every one of them.
func TestComposeTakesSecretsFromTheEnvFile(t *testing.T) {
	c := load(t)
	example, err := stack.ReadEnvFile(filepath.Join(root(t), "deploy", "compose.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	secret := regexp.MustCompile(`SECRET|PASSWORD|TOKEN|KEYS|PWD`)
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if !secret.MatchString(k) || k == "A55_TOKEN_URL" {
				continue
			}
			m := interp.FindStringSubmatch(v)
			if m == nil || m[0] != v || m[2] != "?" {
				t.Errorf("%s: %s = %q must be a required ${VAR:?message} from .env", name, k, v)
				continue
			}
			if _, ok := example[m[1]]; !ok {
				t.Errorf("%s: %s comes from ${%s}, which deploy/compose.env.example does not list", name, k, m[1])
			}
		}
	}
}

// Every variable compose gives a binary is one that binary reads: a typo or
// a renamed variable would otherwise be silently ignored in production.
func TestComposeEnvironmentIsWhatTheBinariesRead(t *testing.T) {
	c := load(t)
	for svc, bin := range appServices {
		reads := namesRead(t, stack.MainPackage(bin))
		if bin == stack.BinSandbox {
			for _, f := range sandboxFlags(t) {
				reads["A55_SANDBOX_"+strings.ToUpper(strings.ReplaceAll(f, "-", "_"))] = true
			}
		}
		for k := range c.Services[svc].Environment {
			if !reads[k] {
				t.Errorf("%s: compose sets %s, which %s never reads", svc, k, stack.MainPackage(bin))
			}
		}
	}
}

// namesRead collects the upper-case string constants (environment variable
// names) in the non-test Go files of pkg and of every package it imports from
// this module or from the SDK's envconfig.
func namesRead(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,GoFiles", pkg)
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	names := map[string]bool{}
	envName := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath, Dir string
			GoFiles         []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ImportPath, stack.ModulePath) && !strings.HasSuffix(p.ImportPath, "/contrib/envconfig") {
			continue
		}
		fset := token.NewFileSet()
		for _, f := range p.GoFiles {
			file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(s) {
						names[s] = true
					}
				}
				return true
			})
		}
	}
	return names
}

// sandboxFlags lists the sandbox command's flags (each is also an
// A55_SANDBOX_<FLAG> variable).
func sandboxFlags(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "run", stack.MainPackage(stack.BinSandbox), "-h")
	cmd.Dir = root(t)
	out, _ := cmd.CombinedOutput() // -h exits non-zero
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) == 0 {
		t.Fatalf("no flags in a55sandbox -h:\n%s", out)
	}
	return flags
}

func commandText(s service) string {
	switch c := s.Command.(type) {
	case string:
		return c
	case []any:
		var parts []string
		for _, p := range c {
			parts = append(parts, p.(string))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func flagValue(t *testing.T, s service, name string) string {
	t.Helper()
	args, ok := s.Command.([]any)
	if ok {
		for i := 0; i+1 < len(args); i++ {
			if args[i] == name {
				return args[i+1].(string)
			}
		}
	}
	t.Fatalf("command %v has no %s", s.Command, name)
	return ""
}

func containerPort(t *testing.T, addr string) string {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("%q is not host:port", addr)
	}
	return addr[i+1:]
}

// publishedPort checks that the service publishes container port on the
// same host port of 127.0.0.1, and returns the host port.
func publishedPort(t *testing.T, s service, port string) string {
	t.Helper()
	for _, p := range s.Ports {
		parts := strings.Split(p, ":")
		if parts[len(parts)-1] == port {
			if len(parts) != 3 || parts[0] != "127.0.0.1" {
				t.Errorf("port %q should publish on 127.0.0.1 only", p)
			}
			return parts[len(parts)-2]
		}
	}
	t.Errorf("container port %s is not published (ports %v)", port, s.Ports)
	return ""
}

func portOfURL(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return u.Port()
}

func checkURL(t *testing.T, what, raw, host, port string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() != host || u.Port() != port {
		t.Errorf("%s = %q, want http://%s:%s...", what, raw, host, port)
	}
}
