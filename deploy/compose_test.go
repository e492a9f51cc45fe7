// Package deploy_test checks the repository's docker-compose.yml and the helper
// files it mounts from deploy/: that the file loads as Docker Compose would load
// it, that the stack starts in a working order, and that no secret is written in it.
package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"gopkg.in/yaml.v3"

	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// Placeholder secrets handed to the loader; a value equal to one of them came
// from the environment, as every secret must.
const (
	testPostgresPassword = "test-postgres-password"
	testOpenAIKey        = "test-openai-key"
)

// secretName matches environment variable names that hold credentials.
var secretName = regexp.MustCompile(`(?i)(KEY|PASSWORD|PWD|SECRET|TOKEN)`)

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// load reads docker-compose.yml as `docker compose` run in the repository root
// would, with env as the only environment (no .env file, nothing from the host).
func load(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(env),
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
	)
	require.NoError(t, err)
	return opts.LoadProject(t.Context())
}

func mustLoad(t *testing.T, env ...string) *types.Project {
	t.Helper()
	if len(env) == 0 {
		env = []string{"POSTGRES_PASSWORD=" + testPostgresPassword, "OPENAI_API_KEY=" + testOpenAIKey}
	}
	p, err := load(t, env...)
	require.NoError(t, err)
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	require.NoError(t, err)
	return s
}

func workflowSearchAttributes() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{
		workflows.SearchAttrOptimizer,
		workflows.SearchAttrProgram,
		workflows.SearchAttrBestScore,
		workflows.SearchAttrStatus,
	}
}

func TestComposeFileDefinesTheWholeStack(t *testing.T) {
	p := mustLoad(t)
	assert.Equal(t, "durable-dspy", p.Name)
	assert.ElementsMatch(t,
		[]string{"postgresql", "temporal", "temporal-ui", "temporal-search-attributes", "worker", "server"},
		p.ServiceNames())
}

func TestWorkerIsBuiltFromTheRepositoryDockerfile(t *testing.T) {
	p := mustLoad(t)
	w := service(t, p, "worker")
	require.NotNil(t, w.Build, "the worker is built, not pulled")
	assert.Equal(t, repoRoot(t), w.Build.Context)
	assert.Equal(t, "Dockerfile", filepath.Base(w.Build.Dockerfile))

	dockerfile, err := os.ReadFile(filepath.Join(w.Build.Context, "Dockerfile"))
	require.NoError(t, err)
	assert.Contains(t, string(dockerfile), "go build", "the image compiles the worker")
	assert.Contains(t, string(dockerfile), "./worker")
	assert.Regexp(t, `(?m)^USER nonroot`, string(dockerfile), "the worker does not run as root")
}

func TestServerServesTheMountedSpecWithStarterFromTheSameImage(t *testing.T) {
	p := mustLoad(t)
	srv := service(t, p, "server")
	w := service(t, p, "worker")
	require.NotNil(t, srv.Build, "the server is built, not pulled")
	assert.Equal(t, w.Build.Context, srv.Build.Context)
	assert.Equal(t, w.Build.Dockerfile, srv.Build.Dockerfile)
	assert.Equal(t, w.Image, srv.Image, "one image holds both binaries")

	dockerfile, err := os.ReadFile(filepath.Join(srv.Build.Context, "Dockerfile"))
	require.NoError(t, err)
	assert.Contains(t, string(dockerfile), "./starter", "the image compiles the CLI")
	assert.Contains(t, string(dockerfile), "/out/starter", "the image ships the CLI")
	assert.Equal(t, []string{"/usr/local/bin/starter"}, []string(srv.Entrypoint))
	require.NotEmpty(t, srv.Command)
	assert.Equal(t, "serve", srv.Command[0])

	var specArg string
	for _, arg := range srv.Command {
		if v, ok := strings.CutPrefix(arg, "--spec="); ok {
			specArg = v
		}
	}
	require.NotEmpty(t, specArg, "the server serves a spec")
	var specFile string
	for _, v := range srv.Volumes {
		if strings.HasPrefix(specArg, v.Target+"/") {
			specFile = filepath.Join(v.Source, strings.TrimPrefix(specArg, v.Target+"/"))
		}
	}
	require.NotEmpty(t, specFile, "the spec %s is mounted from the repository", specArg)
	_, err = spec.Load(specFile)
	require.NoError(t, err, "the mounted spec is a valid program")

	require.Len(t, srv.Ports, 1)
	assert.Equal(t, "127.0.0.1", srv.Ports[0].HostIP, "the server is published on loopback only")
	assert.Contains(t, srv.Command, fmt.Sprintf("--addr=0.0.0.0:%d", srv.Ports[0].Target), "the server listens on the published port inside its container")
	require.NotNil(t, srv.StopGracePeriod)
	assert.Greater(t, time.Duration(*srv.StopGracePeriod), 30*time.Second, "compose waits longer than the drain timeout")
	for _, name := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "DSPY_SERVE_TOKENS"} {
		assert.Contains(t, srv.Environment, name, "the server takes %s from the environment", name)
	}
}

func TestServicesStartInDependencyOrderOnHealth(t *testing.T) {
	p := mustLoad(t)
	for _, dep := range []struct{ service, on, condition string }{
		{"temporal", "postgresql", types.ServiceConditionHealthy},
		{"temporal-ui", "temporal", types.ServiceConditionHealthy},
		{"temporal-search-attributes", "temporal", types.ServiceConditionHealthy},
		{"worker", "temporal-search-attributes", types.ServiceConditionCompletedSuccessfully},
	} {
		s := service(t, p, dep.service)
		require.Contains(t, s.DependsOn, dep.on, "%s depends on %s", dep.service, dep.on)
		assert.Equal(t, dep.condition, s.DependsOn[dep.on].Condition, "%s waits for %s", dep.service, dep.on)
	}
	for _, name := range []string{"postgresql", "temporal"} {
		s := service(t, p, name)
		require.NotNil(t, s.HealthCheck, "%s has a healthcheck", name)
		assert.NotEmpty(t, s.HealthCheck.Test, "%s has a healthcheck", name)
	}
}

func TestWorkerReachesTheComposeTemporal(t *testing.T) {
	p := mustLoad(t)
	env := service(t, p, "worker").Environment
	require.NotNil(t, env["TEMPORAL_ADDRESS"])
	assert.Equal(t, "temporal:7233", *env["TEMPORAL_ADDRESS"])
	for _, name := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"} {
		assert.Contains(t, env, name, "the worker takes %s from the environment", name)
	}
}

func TestSearchAttributeStepCreatesEveryWorkflowAttribute(t *testing.T) {
	p := mustLoad(t)
	job := service(t, p, "temporal-search-attributes")
	args := strings.Join(job.Command, " ")
	for _, k := range workflowSearchAttributes() {
		assert.Contains(t, job.Command, k.GetName()+"="+k.GetValueType().String(),
			"the job creates %s as the type the workflows set (command: %s)", k.GetName(), args)
	}
	assert.Len(t, job.Command, len(workflowSearchAttributes()), "no stray attribute")

	var script string
	for _, v := range job.Volumes {
		if strings.HasSuffix(v.Source, "create-search-attributes.sh") {
			script = v.Source
		}
	}
	require.NotEmpty(t, script, "the job mounts its script from deploy/")
	body, err := os.ReadFile(script)
	require.NoError(t, err)
	assert.Contains(t, string(body), "temporal operator search-attribute create")
	assert.Contains(t, strings.Join(job.Entrypoint, " "), filepath.Base(script))
}

func TestTemporalLoadsTheDynamicConfigFromDeploy(t *testing.T) {
	p := mustLoad(t)
	temporalSvc := service(t, p, "temporal")
	require.NotNil(t, temporalSvc.Environment["DYNAMIC_CONFIG_FILE_PATH"])
	file := filepath.Base(*temporalSvc.Environment["DYNAMIC_CONFIG_FILE_PATH"])

	var dir string
	for _, v := range temporalSvc.Volumes {
		if v.Target == "/etc/temporal/config/dynamicconfig" {
			dir = v.Source
		}
	}
	require.NotEmpty(t, dir, "the dynamic config directory is mounted")
	raw, err := os.ReadFile(filepath.Join(dir, file))
	require.NoError(t, err)
	var conf map[string][]map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &conf), "every key is a list of constrained values")
	assert.Contains(t, conf, "system.forceSearchAttributesCacheRefreshOnRead")
}

func TestNoSecretIsHardCoded(t *testing.T) {
	// Loaded twice with different secrets: a value that does not change was
	// written in the file.
	a := mustLoad(t, "POSTGRES_PASSWORD=first-password", "OPENAI_API_KEY=first-key", "TEMPORAL_API_KEY=first-key", "DSPY_SERVE_TOKENS=first-token")
	b := mustLoad(t, "POSTGRES_PASSWORD=second-password", "OPENAI_API_KEY=second-key", "TEMPORAL_API_KEY=second-key", "DSPY_SERVE_TOKENS=second-token")
	checked := 0
	for _, name := range a.ServiceNames() {
		envA, envB := service(t, a, name).Environment, service(t, b, name).Environment
		for key, valA := range envA {
			if !secretName.MatchString(key) {
				continue
			}
			checked++
			valB := envB[key]
			require.NotNil(t, valA, "%s.%s", name, key)
			require.NotNil(t, valB, "%s.%s", name, key)
			assert.NotEqual(t, *valA, *valB, "%s.%s must come from the environment", name, key)
		}
	}
	assert.Positive(t, checked, "the secrets checked exist")

	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "docker-compose.yml"))
	require.NoError(t, err)
	assert.NotRegexp(t, `sk-[A-Za-z0-9]{8,}`, string(raw), "no API key is pasted in")
}

func TestAnOpenAIKeyIsOptional(t *testing.T) {
	p := mustLoad(t, "POSTGRES_PASSWORD="+testPostgresPassword)
	key := service(t, p, "worker").Environment["OPENAI_API_KEY"]
	require.NotNil(t, key)
	assert.Empty(t, *key, "without a key the worker uses the simulated LM")
}

func TestThePostgresPasswordIsRequired(t *testing.T) {
	_, err := load(t, "OPENAI_API_KEY="+testOpenAIKey)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "POSTGRES_PASSWORD")
}
