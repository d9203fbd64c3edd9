package adapter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/qtro/qtro/internal/proc"
	"github.com/qtro/qtro/specs/contract"
)

// ContractVersion is the newest adapter contract the harness speaks
// (specs/ADAPTER.md). Version 2 adds the `hello` invocation and the
// `capabilities` of ready; a version-1 adapter keeps working unchanged.
const ContractVersion = contract.ContractVersion

// HelloTimeout bounds `ADAPTER hello`.
const HelloTimeout = 15 * time.Second

// Capabilities is what an adapter declares it can do (specs/ADAPTER.md
// §2.3). A nil list means "not declared": the harness then tries, and exit
// code 127 decides, as in contract version 1. An empty list means "none".
type Capabilities struct {
	// Declared is false for an adapter that answered no `hello` (contract 1).
	Declared bool
	// Contract is the contract version the adapter speaks (1 when undeclared).
	Contract int
	// Adapter, QtMajor and Protocol are the adapter's name, dialect and
	// protocol version, as in ready; Qt is the Qt version it runs on
	// ("6.8.2"), empty for a stack not built on Qt.
	Adapter  string
	QtMajor  int
	Protocol string
	Qt       string

	Roles        []string // host, registry, node
	Transports   []string // tcp, local, localabstract
	Types        []string // testobject, tick, plain
	SourceAPIs   []string // static, dynamic (host and registry)
	ReplicaModes []string // static, dynamic (node)
	Load         []string // load modes (§9)
	Registry     *bool    // --registry on host and node
	Heartbeat    *bool    // --heartbeat on node

	// HostTypes and NodeTypes, when declared, replace Types for the host
	// and registry roles and for the node role: a dynamic replica may
	// acquire any class while its host remotes only one.
	HostTypes, NodeTypes []string

	// Models (contract 3) lists the roles, "host" and "node", whose
	// item-model commands (§6.5) the adapter carries out.
	Models []string
}

// Capability kinds, as Can takes them.
const (
	CapRole        = "role"
	CapTransport   = "transport"
	CapType        = "type"     // any role (Types)
	CapHostType    = "hostType" // host and registry: HostTypes, else Types
	CapNodeType    = "nodeType" // node: NodeTypes, else Types
	CapSourceAPI   = "sourceApi"
	CapReplicaMode = "replicaMode"
	CapLoad        = "load"
	CapRegistry    = "registry"
	CapHeartbeat   = "heartbeat"
	// CapModel is the item-model commands (contract 3) in a role: value
	// "host" or "node". An adapter of contract 1 or 2 has none.
	CapModel = "model"
)

// Can reports whether the adapter may do value of kind: declared, or not
// declared at all (then only trying tells).
func (c Capabilities) Can(kind, value string) bool {
	var list []string
	switch kind {
	case CapRole:
		list = c.Roles
	case CapTransport:
		list = c.Transports
	case CapType, CapHostType, CapNodeType:
		list = c.typesFor(kind)
	case CapSourceAPI:
		list = c.SourceAPIs
	case CapReplicaMode:
		list = c.ReplicaModes
	case CapLoad:
		list = c.Load
	case CapRegistry:
		return c.Registry == nil || *c.Registry
	case CapHeartbeat:
		return c.Heartbeat == nil || *c.Heartbeat
	case CapModel:
		if c.Declared && c.Contract < 3 {
			return false // the model commands are contract 3's
		}
		list = c.Models
	default:
		return true
	}
	return list == nil || slices.Contains(list, value)
}

// DeclaresYes reports whether the adapter explicitly declared it can do
// value of kind (so an exit 127 for it is a broken promise, not a gap).
func (c Capabilities) DeclaresYes(kind, value string) bool {
	if !c.Declared {
		return false
	}
	switch kind {
	case CapRole:
		return slices.Contains(c.Roles, value)
	case CapTransport:
		return slices.Contains(c.Transports, value)
	case CapType, CapHostType, CapNodeType:
		return slices.Contains(c.typesFor(kind), value)
	case CapSourceAPI:
		return slices.Contains(c.SourceAPIs, value)
	case CapReplicaMode:
		return slices.Contains(c.ReplicaModes, value)
	case CapLoad:
		return slices.Contains(c.Load, value)
	case CapRegistry:
		return c.Registry != nil && *c.Registry
	case CapHeartbeat:
		return c.Heartbeat != nil && *c.Heartbeat
	case CapModel:
		return c.Contract >= 3 && slices.Contains(c.Models, value)
	}
	return false
}

// typesFor is the types list that applies to kind's role.
func (c Capabilities) typesFor(kind string) []string {
	switch {
	case kind == CapHostType && c.HostTypes != nil:
		return c.HostTypes
	case kind == CapNodeType && c.NodeTypes != nil:
		return c.NodeTypes
	}
	return c.Types
}

// Need is one capability a start of the adapter needs.
type Need struct{ Kind, Value string }

func (n Need) String() string { return n.Kind + " " + n.Value }

// Needs lists what starting the adapter in role with args requires:
// the role, the URL's transport, the object type, the replica mode, the
// source API, a registry, a heartbeat.
func Needs(role Role, args []string) []Need {
	out := []Need{{CapRole, string(role)}}
	val := func(i int) string {
		if i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	mode := ""
	for i, a := range args {
		switch a {
		case "--url":
			if t := TransportOf(val(i)); t != "" {
				out = append(out, Need{CapTransport, t})
			}
		case "--registry":
			out = append(out, Need{CapRegistry, "yes"})
			if t := TransportOf(val(i)); t != "" {
				out = append(out, Need{CapTransport, t})
			}
		case "--type":
			kind := CapHostType
			if role == Node {
				kind = CapNodeType
			}
			out = append(out, Need{kind, val(i)})
		case "--source-api":
			out = append(out, Need{CapSourceAPI, val(i)})
		case "--heartbeat":
			if val(i) != "0" {
				out = append(out, Need{CapHeartbeat, "yes"})
			}
		case "--static":
			mode = "static"
		case "--dynamic":
			mode = "dynamic"
		}
	}
	if role == Node {
		if mode == "" {
			mode = "static" // the contract's default
		}
		out = append(out, Need{CapReplicaMode, mode})
	}
	return out
}

// Missing returns the first need the adapter declared it cannot meet.
func (c Capabilities) Missing(needs []Need) (Need, bool) {
	for _, n := range needs {
		if !c.Can(n.Kind, n.Value) {
			return n, true
		}
	}
	return Need{}, false
}

// TransportOf names the transport of a QtRO URL: tcp, local,
// localabstract, or the scheme of anything else.
func TransportOf(url string) string {
	i := strings.IndexByte(url, ':')
	if i <= 0 {
		return ""
	}
	return url[:i]
}

// Describe renders the declared capabilities for reports.
func (c Capabilities) Describe() string {
	if !c.Declared {
		return "no capabilities declared (contract 1): every role and feature is tried, exit 127 means unsupported"
	}
	list := func(l []string) string {
		if l == nil {
			return "any"
		}
		if len(l) == 0 {
			return "none"
		}
		return strings.Join(l, ",")
	}
	flag := func(b *bool) string {
		if b == nil {
			return "any"
		}
		return fmt.Sprint(*b)
	}
	types := "types=" + list(c.Types)
	if c.HostTypes != nil || c.NodeTypes != nil {
		types = "hostTypes=" + list(c.typesFor(CapHostType)) + " nodeTypes=" + list(c.typesFor(CapNodeType))
	}
	models := list(c.Models)
	if c.Contract < 3 {
		models = "none (contract " + fmt.Sprint(c.Contract) + ")"
	}
	return fmt.Sprintf("roles=%s transports=%s %s sourceApis=%s replicaModes=%s registry=%s heartbeat=%s load=%s models=%s",
		list(c.Roles), list(c.Transports), types, list(c.SourceAPIs), list(c.ReplicaModes),
		flag(c.Registry), flag(c.Heartbeat), list(c.Load), models)
}

// helloEvent is the one line `ADAPTER hello` writes.
type helloEvent struct {
	Event        string                 `json:"event"`
	Contract     int                    `json:"contract"`
	Adapter      string                 `json:"adapter"`
	QtMajor      int                    `json:"qtMajor"`
	Protocol     string                 `json:"protocol"`
	Qt           string                 `json:"qt"`
	Capabilities *contract.Capabilities `json:"capabilities"`
}

// Hello runs `COMMAND hello` and returns what the adapter declares. An
// adapter of contract 1 (any exit code but 0, or no hello line) declares
// nothing: the result has Declared false and Contract 1, and no error. An
// error means the adapter said hello but broke the contract doing so.
func Hello(ctx context.Context, cfg Config) (Capabilities, error) {
	legacy := Capabilities{Contract: 1}
	if len(cfg.Command) == 0 {
		return legacy, fmt.Errorf("adapter: empty Command")
	}
	ctx, cancel := context.WithTimeout(ctx, HelloTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.Command[0], append(append([]string{}, cfg.Command[1:]...), "hello")...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C.UTF-8", fmt.Sprintf("QTRO_ADAPTER_CONTRACT=%d", ContractVersion))
	if cfg.TempDir != "" {
		cmd.Env = append(cmd.Env, "TMPDIR="+cfg.TempDir)
	}
	cmd.Env = append(cmd.Env, cfg.Env...)
	proc.SetGroup(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return legacy, nil
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	if !sc.Scan() {
		return legacy, nil
	}
	var h helloEvent
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Event != "hello" {
		return legacy, nil
	}
	if h.Contract < 2 {
		return legacy, fmt.Errorf("adapter: hello declares contract %d; hello exists from contract 2", h.Contract)
	}
	if sc.Scan() {
		return legacy, fmt.Errorf("adapter: hello wrote more than one line: %q", truncate(sc.Text(), 200))
	}
	c := Capabilities{Declared: true, Contract: h.Contract, Adapter: h.Adapter, QtMajor: h.QtMajor, Protocol: h.Protocol, Qt: h.Qt}
	if k := h.Capabilities; k != nil {
		c.Roles, c.Transports, c.Types, c.SourceAPIs, c.ReplicaModes, c.Load = k.Roles, k.Transports, k.Types, k.SourceAPIs, k.ReplicaModes, k.Load
		c.HostTypes, c.NodeTypes = k.HostTypes, k.NodeTypes
		c.Registry, c.Heartbeat = k.Registry, k.Heartbeat
		c.Models = k.Models
	}
	for _, r := range c.Roles {
		switch Role(r) {
		case Host, Registry, Node:
		default:
			return c, fmt.Errorf("adapter: hello declares unknown role %q", r)
		}
	}
	return c, nil
}
