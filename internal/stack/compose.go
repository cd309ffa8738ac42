package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
)

// ComposeFile is the production topology for machines with Docker, at the
// repository root. The production stack (ProdServer) runs the same
// topology without Docker and takes its values from this file, so the two
// cannot drift apart: the server version to build, the server's and the
// jobs' environment, and the jobs' scripts themselves.
const ComposeFile = "docker-compose.temporal.yml"

// The compose services the production stack reproduces.
const (
	ComposePostgres  = "postgres"
	ComposeSchemaJob = "temporal-schema"
	ComposeServer    = "temporal"
	ComposeNSJob     = "temporal-namespace"
	// ComposeCardKeysJob creates the card-key store's database and role;
	// ComposeWorker, ComposeCodec and ComposeCardIntake name it in their
	// CARD_KEY_STORE, one connection string for the three.
	ComposeCardKeysJob = "cardkeys-db"
	ComposeWorker      = "worker"
	ComposeCodec       = "codecserver"
	ComposeCardIntake  = "cardintake"
)

// EnvCardKeysDBPassword is the .env variable of the cardkeys role's password.
const EnvCardKeysDBPassword = "CARDKEYS_DB_PASSWORD"

// AdminToolsSchemaDir is where the admin-tools image keeps the server's SQL
// schemas; the schema job's script names it, and the production stack runs
// that script with the server module's own schema directory in its place.
const AdminToolsSchemaDir = "/etc/temporal/schema"

// Compose is what the production stack takes from the compose file, with
// the file's variables (${NAME}, ${NAME:-default}, ${NAME:?message})
// interpolated and compose's "$$" escapes undone.
type Compose struct {
	// ServerVersion is the Go module version of the temporalio/server
	// image's tag, e.g. "v1.29.1".
	ServerVersion string
	// PostgresEnv, ServerEnv, SchemaEnv and NamespaceEnv are the services'
	// environments.
	PostgresEnv, ServerEnv, SchemaEnv, NamespaceEnv map[string]string
	// SchemaScript and NamespaceScript are the one-shot jobs' /bin/sh -c
	// scripts.
	SchemaScript, NamespaceScript string
	// CardKeysEnv and CardKeysScript are the cardkeys-db job's environment
	// (PGHOST, PGPASSWORD, CARDKEYS_DB_PASSWORD...) and script (psql), its
	// bind-mounted files named by their path in the repository.
	CardKeysEnv    map[string]string
	CardKeysScript string
	// CardKeyStore is the CARD_KEY_STORE of the worker, the codec server and
	// the card intake (they must agree): the cardkeys role's DSN.
	CardKeyStore string
}

type composeService struct {
	Image       string            `yaml:"image"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
}

// LoadCompose reads root's compose file. vars are the .env values (e.g.
// POSTGRES_PASSWORD); a ${NAME:?...} variable missing from vars is an
// error, as it is for `docker compose up`.
func LoadCompose(root string, vars map[string]string) (Compose, error) {
	path := filepath.Join(root, ComposeFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Compose{}, err
	}
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return Compose{}, fmt.Errorf("%s: %w", path, err)
	}
	var c Compose
	var errs []string
	service := func(name string) composeService {
		s, ok := f.Services[name]
		if !ok {
			errs = append(errs, "no service "+name)
		}
		return s
	}
	env := func(s composeService) map[string]string {
		out := map[string]string{}
		for k, v := range s.Environment {
			val, err := interpolate(v, vars)
			if err != nil {
				errs = append(errs, err.Error())
			}
			out[k] = val
		}
		return out
	}
	script := func(name string, s composeService) string {
		if len(s.Entrypoint) != 2 || s.Entrypoint[0] != "/bin/sh" || s.Entrypoint[1] != "-c" || len(s.Command) != 1 {
			errs = append(errs, name+": want entrypoint [/bin/sh, -c] and a one-item command (the script)")
			return ""
		}
		val, err := interpolate(s.Command[0], vars)
		if err != nil {
			errs = append(errs, err.Error())
		}
		return val
	}
	server := service(ComposeServer)
	if tag, ok := strings.CutPrefix(server.Image, "temporalio/server:"); ok && tag != "" {
		c.ServerVersion = "v" + tag
	} else {
		errs = append(errs, fmt.Sprintf("service %s: image %q is not temporalio/server:<version>", ComposeServer, server.Image))
	}
	c.ServerEnv = env(server)
	c.PostgresEnv = env(service(ComposePostgres))
	schema := service(ComposeSchemaJob)
	c.SchemaEnv = env(schema)
	c.SchemaScript = script(ComposeSchemaJob, schema)
	ns := service(ComposeNSJob)
	c.NamespaceEnv = env(ns)
	c.NamespaceScript = script(ComposeNSJob, ns)
	cardKeys := service(ComposeCardKeysJob)
	c.CardKeysEnv = env(cardKeys)
	c.CardKeysScript = script(ComposeCardKeysJob, cardKeys)
	for _, v := range cardKeys.Volumes {
		// ./host/path:/container/path[:ro]: the script names the container path.
		parts := strings.Split(v, ":")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], "./") {
			errs = append(errs, fmt.Sprintf("%s: volume %q is not a bind mount of a repository file", ComposeCardKeysJob, v))
			continue
		}
		c.CardKeysScript = strings.ReplaceAll(c.CardKeysScript, parts[1], filepath.Join(root, filepath.FromSlash(parts[0])))
	}
	for _, name := range []string{ComposeWorker, ComposeCodec, ComposeCardIntake} {
		// That variable alone: the services' others (secrets the production
		// stack sets its own way) need not be given.
		store, err := interpolate(service(name).Environment[cardstore.EnvStore], vars)
		switch {
		case err != nil:
			errs = append(errs, err.Error())
		case store == "":
			errs = append(errs, fmt.Sprintf("service %s sets no %s", name, cardstore.EnvStore))
		case c.CardKeyStore == "":
			c.CardKeyStore = store
		case store != c.CardKeyStore:
			errs = append(errs, fmt.Sprintf("service %s: %s differs from the %s service's", name, cardstore.EnvStore, ComposeWorker))
		}
	}
	if c.SchemaScript != "" && !strings.Contains(c.SchemaScript, AdminToolsSchemaDir+"/") {
		errs = append(errs, fmt.Sprintf("%s: the script no longer names %s (the production stack substitutes the server module's schemas for it)", ComposeSchemaJob, AdminToolsSchemaDir))
	}
	if len(errs) > 0 {
		return Compose{}, fmt.Errorf("%s: %s", path, strings.Join(errs, "; "))
	}
	return c, nil
}

// composeVar is ${NAME}, ${NAME:-default} or ${NAME:?message}.
var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z0-9_]+)(?::([-?])([^}]*))?\}`)

// interpolate substitutes compose's variables from vars and turns "$$" into "$".
func interpolate(s string, vars map[string]string) (string, error) {
	var missing []string
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		p := composeVar.FindStringSubmatch(m)
		if v, ok := vars[p[1]]; ok && v != "" {
			return v
		}
		switch p[2] {
		case "-":
			return p[3]
		case "?":
			missing = append(missing, p[1]+" ("+p[3]+")")
		}
		return ""
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("missing variables: %s", strings.Join(missing, ", "))
	}
	return out, nil
}
