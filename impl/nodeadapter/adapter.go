package nodeadapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/loadgen/adapterload"
	"github.com/qtro/qtro/specs/contract"
)

// AdapterName is the "adapter" field of the ready event.
const AdapterName = "qtro-go"

// IO is what an adapter process talks through.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Signals delivers SIGTERM/SIGINT: a clean exit with code 0.
	Signals <-chan os.Signal
	// Getenv looks up environment variables (default os.Getenv).
	Getenv func(string) string
}

// Main runs the adapter for args (ROLE and flags, specs/ADAPTER.md §2) and
// returns the process exit code. It returns when the adapter exits: on the
// exit command, a signal, EOF on stdin, or a failed start. Every goroutine it
// started has ended by then, except the one reading Stdin if a Read blocks.
func Main(args []string, pio IO) int {
	if pio.Getenv == nil {
		pio.Getenv = os.Getenv
	}
	opt, err := ParseArgs(args, pio.Getenv)
	if err != nil {
		fmt.Fprintf(pio.Stderr, "qtro adapter: %v\n%s\n", err, Usage)
		return contract.ExitUsage
	}
	if opt.Help {
		fmt.Fprintln(pio.Stderr, Usage)
		return contract.ExitOK
	}
	a := newAdapter(opt, pio)
	switch opt.Role {
	case "hello":
		a.ev.Send(event(contract.EvHello, "contract", contract.ContractVersion, "adapter", AdapterName,
			"qtMajor", int(opt.Dialect), "protocol", opt.Dialect.ProtocolVersion(),
			"capabilities", a.capabilities()))
		a.close()
		return contract.ExitOK
	case contract.RoleHost, contract.RoleRegistry, contract.RoleNode:
	default:
		return a.unsupported("role:"+opt.Role, "the Go adapter has no role "+opt.Role)
	}
	if feature, reason, refused := a.capabilities().Refuses(&opt.CommandLine); opt.Capabilities != nil && refused {
		return a.unsupported(feature, "outside the capabilities given with --capabilities: "+reason)
	}
	if code := a.start(); code >= 0 {
		a.close()
		return code
	}
	return a.loop(pio.Stdin, pio.Signals)
}

// adapter is one running role.
type adapter struct {
	opt *Options
	ev  *contract.EventWriter
	log *slog.Logger
	// nodeLog receives what impl/node warns about (what Qt prints).
	nodeLog *slog.Logger
	// schemes: the built-in ones plus tls+tcp, ws and wss (secureSchemes).
	schemes *node.Schemes

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // call waiters, load runs

	// host and registry roles
	host *node.Host
	src  *source // nil: a registry without an object

	// node role
	node      *node.Node
	registry  *node.Replica
	mu        sync.Mutex
	replicas  map[string]*replicaEntry
	lastError wire.ErrorCode

	loads adapterload.Runs

	modelSt *modelState // item models (contract 3), made on first use
}

func newAdapter(opt *Options, pio IO) *adapter {
	a := &adapter{opt: opt, ev: contract.NewEventWriter(pio.Stdout), replicas: map[string]*replicaEntry{}}
	h := slog.NewTextHandler(pio.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	a.log = slog.New(h).With("adapter", opt.Role)
	a.nodeLog = slog.New(slog.NewTextHandler(pio.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", opt.Role)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.loads.Report = a.loadEvent
	a.schemes = a.secureSchemes()
	return a
}

// config is the impl/node configuration of the role.
func (a *adapter) config() node.Config {
	cfg := node.Config{Logger: a.nodeLog}
	if a.opt.Role != contract.RoleNode || a.opt.DialectGiven {
		cfg.Dialect = a.opt.Dialect
	}
	cfg.Schemes = a.schemes
	return cfg
}

// secureSchemes are the built-in schemes plus tls+tcp, ws and wss with the
// TLS configuration of §11's environment (QTRO_TLS_CERT, QTRO_TLS_KEY,
// QTRO_TLS_CA), made once: a load run makes thousands of nodes.
func (a *adapter) secureSchemes() *node.Schemes {
	tc, err := transport.LoadTLSConfig(os.Getenv("QTRO_TLS_CERT"), os.Getenv("QTRO_TLS_KEY"), os.Getenv("QTRO_TLS_CA"), a.opt.Role != contract.RoleNode)
	if err != nil {
		a.log.Error("TLS configuration from the environment", "err", err)
		tc = nil // a listener then fails for want of a certificate; a dialer trusts the system's roots
	}
	return transport.WithSecure(tc)
}

// ---- start-up events ----

func (a *adapter) unsupported(feature, message string) int {
	a.ev.Send(event(contract.EvUnsupported, "feature", feature, "message", message))
	return contract.ExitUnsupported
}

func (a *adapter) fatal(stage string, errName contract.ErrorName, message string, code int) int {
	a.ev.Send(event(contract.EvFatal, "stage", stage, "error", errName, "message", message))
	return code
}

func (a *adapter) nodeError(which string, code wire.ErrorCode) {
	a.ev.Send(event(contract.EvNodeError, "node", which, "error", code.String(), "code", int(code)))
}

func implVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return "qtro " + bi.Main.Version
	}
	return "qtro devel"
}

func (a *adapter) readyEvent(url string) contract.Fields {
	e := event(contract.EvReady, "role", a.opt.Role, "adapter", AdapterName,
		"contract", contract.ContractVersion, "capabilities", a.capabilities(), "qt", implVersion(),
		"qtMajor", int(a.opt.Dialect), "protocol", a.opt.Dialect.ProtocolVersion(), "url", url)
	if a.opt.Registry != "" {
		e.Set("registry", a.opt.Registry)
	}
	e.Set("pid", os.Getpid())
	return e
}

// capabilities is what this adapter declares: --capabilities, else all.
func (a *adapter) capabilities() Capabilities {
	if a.opt.Capabilities != nil {
		return *a.opt.Capabilities
	}
	return FullCapabilities()
}

// start performs the role's setup (§2.1). It returns -1 on success, else
// the exit code.
func (a *adapter) start() int {
	if a.opt.Role == contract.RoleNode {
		return a.startNode()
	}
	return a.startHost()
}

// ---- the command loop ----

func (a *adapter) loop(stdin io.Reader, signals <-chan os.Signal) int {
	lines := make(chan contract.Line)
	eof := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go contract.ReadLines(stdin, contract.MaxLine, lines, eof, done)
	for {
		select {
		case l := <-lines:
			if l.TooLong {
				a.fail(contract.Command{}, contract.BadJSON, fmt.Sprintf("a command line is at most %d bytes", contract.MaxLine))
				continue
			}
			if code, exit := a.handleLine(l.B); exit {
				return a.shutdown("command", code)
			}
		case err := <-eof:
			if a.opt.IgnoreStdinEOF {
				eof = nil
				continue
			}
			if errors.Is(err, io.EOF) {
				return a.shutdown("stdinClosed", contract.ExitOK)
			}
			a.log.Error("reading stdin", "err", err)
			return a.shutdown("stdinError", contract.ExitFailure)
		case <-signals:
			return a.shutdown("signal", contract.ExitOK)
		}
	}
}

// shutdown writes exiting, stops everything (bounded) and returns code.
func (a *adapter) shutdown(reason string, code int) int {
	a.ev.Send(event(contract.EvExiting, "reason", reason, "code", code))
	a.ev.Silence()
	a.close()
	return code
}

// close stops load runs, call waiters, nodes and hosts. Every step is
// bounded: a peer that does not read cannot hold the exit up.
func (a *adapter) close() {
	a.cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.loads.Stop()
		a.releaseModels()
		a.wg.Wait()
		if a.node != nil {
			_ = a.node.Close()
		}
		if a.host != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			_ = a.host.Shutdown(ctx)
			cancel()
		}
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		a.log.Warn("shutdown did not finish in 3 s; exiting anyway")
	}
}

// handleLine runs one command line; exit reports an exit command.
func (a *adapter) handleLine(raw []byte) (code int, exit bool) {
	c, err := contract.ParseCommand(raw)
	if err != nil {
		a.fail(contract.Command{}, contract.BadJSON, err.Error())
		return 0, false
	}
	if c == nil {
		return 0, false
	}
	return a.dispatch(c)
}

// result writes the command's result event: failed when errName is set.
func (a *adapter) result(c contract.Command, fields contract.Fields, errName contract.ErrorName, message string) {
	a.ev.Send(contract.Result(event(contract.EvResult), c, fields, errName, message))
}

// ok writes a successful result with fields given as key, value pairs.
func (a *adapter) ok(c contract.Command, kv ...any) {
	a.result(c, set(nil, kv...), "", "")
}

func (a *adapter) fail(c contract.Command, errName contract.ErrorName, message string) {
	a.result(c, nil, errName, message)
}

// A command's handler and the role it needs (§6): a source (host and
// registry with an object) or a node.
type handler struct {
	source, node bool
	run          func(a *adapter, c contract.Command)
}

var handlers = map[string]handler{
	"sync":            {run: func(a *adapter, c contract.Command) { a.ok(c) }},
	"state":           {run: (*adapter).cmdState},
	"describe":        {run: (*adapter).cmdDescribe},
	"get":             {run: (*adapter).cmdGet},
	"load":            {run: (*adapter).cmdLoad},
	"set":             {source: true, run: (*adapter).cmdSet},
	"emit":            {source: true, run: (*adapter).cmdEmit},
	"disableRemoting": {source: true, run: func(a *adapter, c contract.Command) { a.cmdRemoting(c, false) }},
	"enableRemoting":  {source: true, run: func(a *adapter, c contract.Command) { a.cmdRemoting(c, true) }},
	"call":            {node: true, run: onReplica((*adapter).cmdCall)},
	"write":           {node: true, run: onReplica((*adapter).cmdWrite)},
	"push":            {node: true, run: onReplica((*adapter).cmdWrite)},
	"acquire":         {node: true, run: (*adapter).cmdAcquire},
	"release":         {node: true, run: (*adapter).cmdRelease},
}

// dispatch runs command c; exit reports the exit command and its code.
func (a *adapter) dispatch(c contract.Command) (code int, exit bool) {
	h, known := handlers[c.Name()]
	switch {
	case c.Name() == "exit":
		a.ok(c)
		return int(c.Int("code", 0)), true
	case !known:
		a.fail(c, contract.UnknownCommand, fmt.Sprintf("unknown command %q", c.Name()))
	case h.source && a.src == nil || h.node && a.node == nil:
		a.fail(c, contract.WrongRole, fmt.Sprintf("%s is not available in role %s", c.Name(), a.opt.Role))
	default:
		h.run(a, c)
	}
	return 0, false
}

func (a *adapter) cmdState(c contract.Command) {
	f := contract.Fields{{Key: "role", Value: a.opt.Role}}
	switch {
	case a.node != nil:
		f = set(f, "lastError", a.node.LastError().String(), "url", a.opt.URL)
	case a.host != nil:
		a.mu.Lock()
		lastError := a.lastError
		a.mu.Unlock()
		f = set(f, "lastError", lastError.String(), "url", a.host.URL())
	}
	if a.src != nil {
		f.Set("remoting", map[string]any{a.src.name: a.src.remoting.Load()})
	}
	if a.node != nil {
		f = set(f, "replicas", a.replicaStates(), "heartbeatMs", a.opt.HeartbeatMs)
		if a.opt.Registry != "" {
			locs := map[string]any{}
			for _, l := range a.node.Locations() {
				locs[l.Name] = map[string]any{"typeName": l.TypeName, "hostUrl": l.HostURL}
			}
			f.Set("sourceLocations", locs)
		}
	}
	a.result(c, f, "", "")
}

func (a *adapter) cmdDescribe(c contract.Command) {
	if a.host != nil {
		var f contract.Fields
		if a.src != nil && a.src.typ != contract.TypePlain {
			f.Set("api", contract.DescribeAPI(a.src.name, a.src.cls))
			for _, p := range a.src.cls.Properties {
				if p.Child != nil {
					f.Set("childApi", contract.DescribeAPI(p.Child.TypeName, p.Child))
					break
				}
			}
		}
		a.result(c, f, "", "")
		return
	}
	onReplica((*adapter).describeReplica)(a, c)
}

func (a *adapter) cmdGet(c contract.Command) {
	if a.node != nil {
		onReplica((*adapter).getReplica)(a, c)
		return
	}
	if a.src == nil {
		a.fail(c, contract.WrongRole, "no object to read")
		return
	}
	path := c.Str("property", "")
	if path == "" {
		a.ok(c, "values", a.src.values(a.src.root))
		return
	}
	owner, i, err := a.src.resolve(path)
	if err != nil {
		a.fail(c, contract.UnknownProperty, err.Error())
		return
	}
	a.ok(c, "value", a.src.propertyJSON(owner, i))
}

// codeName is the node error name of err (§8 nodeError), as a result's or
// fatal event's error.
func codeName(err error) contract.ErrorName { return contract.ErrorName(node.CodeOf(err).String()) }
