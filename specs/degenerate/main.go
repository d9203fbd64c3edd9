// Command degenerate is a family of deliberately flawed QtRO hosts. Each
// one implements the host role of the adapter contract (specs/ADAPTER.md)
// for the Plain test object only, and `--flaw NAME` breaks exactly one
// thing on the wire (see README.md and the Flaws table). Running the
// conformance suite against them proves that its verdicts are right on
// implementations it has never seen: flaw `none` must pass, every other
// flaw must fail the requirement it violates.
//
// It is deliberately independent of the reference node (impl/node,
// impl/nodeadapter, impl/transport's listeners): it uses only the packet
// codec (impl/wire) and the QVariant codec (impl/qds), plain net.Listen,
// and a class definition written by hand.
//
// Usage:
//
//	degenerate [--flaw NAME] [--dialect qt5|qt6] ROLE [contract flags...]
//
// ROLE is `host` (listen on --url and remote Plain) or `hello` (print one
// hello event describing the adapter and exit 0). Other roles, object
// types, URL schemes, --registry and --source-api static are reported as
// unsupported (exit 127), as the contract requires.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/wire"
)

// ContractVersion is the adapter contract version this adapter speaks.
const ContractVersion = 2

// Exit codes of the adapter contract (specs/ADAPTER.md §3).
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitCrash       = 3 // the crash-on-garbage flaw "crashes" with this code
	ExitUnsupported = 127
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Options is the parsed command line.
type Options struct {
	Flaw           Flaw
	Dialect        wire.Dialect
	Role           string
	URL            string
	Registry       string
	Object         string
	Type           string
	SourceAPI      string
	IgnoreStdinEOF bool

	// HostOnly declares and plays only the host role, with types [plain]:
	// the capabilities degenerate had before it had a node (see README).
	HostOnly bool

	// Node flags.
	Static, Dynamic bool
	NoAcquire       bool
	CallTimeoutMs   int
	HeartbeatMs     int
}

// usageError is a bad command line (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseArgs parses the command line. --flaw and --dialect may come anywhere;
// the contract flags of every role are accepted (node-only ones are ignored
// by the host), and anything else is a usage error.
func parseArgs(args []string) (Options, error) {
	o := Options{Flaw: FlawNone, Dialect: wire.Qt6, Type: "testobject"}
	valued := map[string]*string{"--url": &o.URL, "--registry": &o.Registry, "--object": &o.Object,
		"--type": &o.Type, "--source-api": &o.SourceAPI}
	intValued := map[string]*int{"--heartbeat": &o.HeartbeatMs, "--call-timeout": &o.CallTimeoutMs}
	boolFlags := map[string]*bool{"--static": &o.Static, "--dynamic": &o.Dynamic, "--no-acquire": &o.NoAcquire,
		"--ignore-stdin-eof": &o.IgnoreStdinEOF}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "--") {
			if o.Role != "" {
				return o, usageError{fmt.Sprintf("unexpected argument %q", a)}
			}
			o.Role = a
			continue
		}
		next := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", usageError{fmt.Sprintf("%s needs a value", name)}
			}
			i++
			return args[i], nil
		}
		switch {
		case name == "--flaw":
			v, err := next()
			if err != nil {
				return o, err
			}
			f, ok := ParseFlaw(v)
			if !ok {
				return o, usageError{fmt.Sprintf("unknown flaw %q (known: %s)", v, strings.Join(FlawNames(), ", "))}
			}
			o.Flaw = f
		case name == "--host-only" && !hasVal:
			o.HostOnly = true
		case name == "--dialect":
			v, err := next()
			if err != nil {
				return o, err
			}
			switch strings.ToLower(v) {
			case "qt5", "5":
				o.Dialect = wire.Qt5
			case "qt6", "6":
				o.Dialect = wire.Qt6
			default:
				return o, usageError{fmt.Sprintf("--dialect must be qt5 or qt6, not %q", v)}
			}
		case valued[name] != nil:
			v, err := next()
			if err != nil {
				return o, err
			}
			*valued[name] = v
		case intValued[name] != nil:
			v, err := next()
			if err != nil {
				return o, err
			}
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 {
				return o, usageError{fmt.Sprintf("%s needs a non-negative integer, not %q", name, v)}
			}
			*intValued[name] = i
		case boolFlags[name] != nil && !hasVal:
			*boolFlags[name] = true
		default:
			return o, usageError{fmt.Sprintf("unknown flag %q", a)}
		}
	}
	if o.Role == "" {
		return o, usageError{"missing ROLE (host, node or hello)"}
	}
	switch o.Role {
	case "host", "hello", "node", "registry":
	default:
		return o, usageError{fmt.Sprintf("unknown role %q", o.Role)}
	}
	if o.SourceAPI != "" && o.SourceAPI != "static" && o.SourceAPI != "dynamic" {
		return o, usageError{fmt.Sprintf("--source-api must be static or dynamic, not %q", o.SourceAPI)}
	}
	if o.Role == "host" && o.URL == "" {
		return o, usageError{"host needs --url"}
	}
	if o.Role == "node" {
		switch {
		case o.URL == "" && o.Registry == "":
			return o, usageError{"node needs --url or --registry"}
		case o.Static && o.Dynamic:
			return o, usageError{"--static and --dynamic exclude each other"}
		case o.Static && o.Type == "plain":
			return o, usageError{"--type plain has no static replica"}
		case !o.Static && !o.Dynamic && o.Type != "plain":
			o.Static = true // the contract's default replica kind
		}
	}
	return o, nil
}

// adapterName is the "adapter" field of hello and ready.
func (o Options) adapterName() string { return "degenerate/" + string(o.Flaw) }

// qtMajor is 5 or 6, the dialect.
func (o Options) qtMajor() int {
	if o.Dialect == wire.Qt5 {
		return 5
	}
	return 6
}

// nodeTypes are the objects the node acquires: any, because a dynamic
// replica learns its class from the InitDynamicPacket. The host remotes
// only Plain: hello declares them per role (hostTypes, nodeTypes).
var nodeTypes = []string{"plain", "testobject"}

// capabilities is what hello and ready announce.
func (o Options) capabilities() map[string]any {
	if o.HostOnly {
		return map[string]any{"roles": []string{"host"}, "transports": []string{"tcp", "local"}, "types": []string{"plain"},
			"sourceApis": []string{"dynamic"}, "replicaModes": []string{}, "registry": false, "heartbeat": false, "load": []string{}}
	}
	modes := []string{"dynamic"}
	if o.Flaw == FlawNodeStaticLie {
		modes = []string{"static", "dynamic"}
	}
	return map[string]any{
		"roles":        []string{"host", "node"},
		"transports":   []string{"tcp", "local"},
		"hostTypes":    []string{"plain"},
		"nodeTypes":    nodeTypes,
		"sourceApis":   []string{"dynamic"},
		"replicaModes": modes,
		"registry":     false,
		"heartbeat":    false,
		"load":         []string{},
	}
}

// run is the whole program: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ev := newEmitter(stdout)
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "degenerate: %v\n", err)
		fmt.Fprintf(stderr, "usage: degenerate [--flaw NAME] [--dialect qt5|qt6] [--host-only] host|node|hello [--url URL] [--type plain] ...\n")
		ev.emit("fatal", map[string]any{"stage": "args", "error": "usage", "message": err.Error()})
		return ExitUsage
	}
	if o.Role == "hello" {
		ev.emit("hello", map[string]any{"contract": ContractVersion, "adapter": o.adapterName(),
			"qtMajor": o.qtMajor(), "protocol": o.Dialect.ProtocolVersion(), "capabilities": o.capabilities()})
		return ExitOK
	}
	unsupported := func(feature, msg string) int {
		fmt.Fprintf(stderr, "degenerate: unsupported: %s\n", msg)
		ev.emit("unsupported", map[string]any{"feature": feature, "message": msg})
		return ExitUnsupported
	}
	if o.Role == "node" && !o.HostOnly {
		return runNode(o, ev, stdin, stderr, unsupported)
	}
	switch {
	case o.Role != "host":
		return unsupported("role:"+o.Role, "degenerate implements the host role (and, without --host-only, the node role)")
	case o.Type != "plain":
		return unsupported("type:"+o.Type, "degenerate remotes only --type plain")
	case o.Registry != "":
		return unsupported("registry", "degenerate does not use a registry")
	case o.SourceAPI == "static":
		return unsupported("sourceApi:static", "Plain has only the dynamic source API")
	}
	if o.Object == "" {
		o.Object = "Plain"
	}
	h := newHost(o, ev, stderr)
	if code, ok := h.listen(); !ok {
		return code
	}
	return h.serve(stdin)
}

// runNode checks what a node start needs, then runs the node role.
func runNode(o Options, ev *emitter, stdin io.Reader, stderr io.Writer, unsupported func(feature, msg string) int) int {
	switch {
	case o.Registry != "":
		return unsupported("registry", "degenerate does not use a registry")
	case o.HeartbeatMs > 0:
		return unsupported("heartbeat", "degenerate's node has no heartbeat")
	case !slices.Contains(nodeTypes, o.Type):
		return unsupported("type:"+o.Type, "degenerate's node acquires only "+strings.Join(nodeTypes, ", "))
	case o.Static && o.Flaw != FlawNodeStaticLie:
		return unsupported("replicaMode:static", "degenerate's node has only dynamic replicas")
	}
	if scheme, _, _ := strings.Cut(o.URL, ":"); scheme != "tcp" && scheme != "local" {
		return unsupported(scheme, "degenerate connects only to tcp: and local: URLs")
	}
	if o.Object == "" {
		o.Object = map[string]string{"plain": "Plain", "testobject": "TestObject", "tick": "Tick"}[o.Type]
	}
	return newNode(o, ev, stderr).serve(stdin)
}
