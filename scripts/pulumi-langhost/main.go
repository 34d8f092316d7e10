// pulumi-language-nodejs: the precog-db stand-in (scripts/pulumi-engine.sh, docs/pulumi-engine.md).
//
// The Go module proxy that precog-db's machines reach refuses every version of
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3. This host implements the part
// of the LanguageRuntime service that preview, up, refresh and destroy use: Handshake,
// GetPluginInfo, GetRequiredPackages and GetRequiredPlugins (the Pulumi resource packages at the top
// of the nearest node_modules), and Run, which starts `node <node_modules/@pulumi/pulumi/cmd/run>`
// with the program's settings, like upstream. Every other method answers Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is set at build time: -ldflags "-X main.version=3.X.Y".
var version = "0.0.0-dev"

// @pulumi/pulumi's cmd/run exits with 32 after it has reported the error to the engine itself.
const bailExitCode = 32

func main() {
	fs := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	tracing := fs.String("tracing", "", "Zipkin-compatible tracing endpoint, passed on to the program")
	// Flags the engine may pass; accepted and ignored.
	fs.Bool("logtostderr", false, "")
	fs.Bool("logflow", false, "")
	fs.Int("v", 0, "")
	fs.String("root", "", "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(2)
	}
	host := &nodeHost{tracing: *tracing}
	if args := fs.Args(); len(args) > 0 {
		host.engineAddress = args[0]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
	tracing       string
}

func (h *nodeHost) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// packageJSON holds the package.json fields that say whether a package has a Pulumi plugin.
type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// findUp returns dir/rel for the first dir, from dir up to the root, where it exists.
func findUp(dir, rel string) (string, bool) {
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// resourcePackages lists the packages at the top of the nearest node_modules (scoped ones too)
// whose package.json declares a Pulumi resource plugin.
func resourcePackages(programDir string) ([]*pulumirpc.PackageDependency, error) {
	nm, ok := findUp(programDir, "node_modules")
	if !ok {
		return nil, nil
	}
	entries, err := os.ReadDir(nm)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case strings.HasPrefix(name, "@"):
			scoped, err := os.ReadDir(filepath.Join(nm, name))
			if err != nil {
				continue
			}
			for _, s := range scoped {
				dirs = append(dirs, filepath.Join(nm, name, s.Name()))
			}
		default:
			dirs = append(dirs, filepath.Join(nm, name))
		}
	}
	sort.Strings(dirs)
	seen := map[string]bool{}
	var deps []*pulumirpc.PackageDependency
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "package.json"))
		if err != nil {
			continue
		}
		var pkg packageJSON
		if json.Unmarshal(b, &pkg) != nil || !pkg.Pulumi.Resource {
			continue
		}
		name := pkg.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(pkg.Name, "@pulumi/"), "@")
		}
		ver := pkg.Pulumi.Version
		if ver == "" {
			ver = pkg.Version
		}
		if name == "" || ver == "" {
			continue
		}
		if !strings.HasPrefix(ver, "v") {
			ver = "v" + ver
		}
		if seen[name+"@"+ver] {
			continue
		}
		seen[name+"@"+ver] = true
		deps = append(deps, &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: ver, Server: pkg.Pulumi.Server,
		})
	}
	return deps, nil
}

func programDirOf(info *pulumirpc.ProgramInfo, fallback string) string {
	if info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func (h *nodeHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := resourcePackages(programDirOf(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *nodeHost) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := resourcePackages(programDirOf(req.GetInfo(), req.GetPwd()))
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, d := range deps {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// runtimeOptions are the Pulumi.yaml `runtime.options` this host honours.
type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func optionsOf(s *structpb.Struct) runtimeOptions {
	o := runtimeOptions{typescript: true}
	if s == nil {
		return o
	}
	m := s.AsMap()
	if v, ok := m["typescript"].(bool); ok {
		o.typescript = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		o.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		o.nodeargs = strings.Fields(v)
	}
	return o
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	programDir := programDirOf(req.GetInfo(), req.GetPwd())
	runPath, ok := findUp(programDir, filepath.Join("node_modules", "@pulumi", "pulumi", "cmd", "run"))
	if !ok {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"node_modules/@pulumi/pulumi/cmd/run not found from %s up: has `npm ci` been run?", programDir)}, nil
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "`node` is not on PATH"}, nil
	}
	opts := optionsOf(req.GetInfo().GetOptions())

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("root-directory", req.GetInfo().GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = programDir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == bailExitCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf(
				"Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the program with node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}
