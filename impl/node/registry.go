package node

import (
	"context"
	"sync"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

const registryName = "Registry"

// registryClass is the API of Qt's registry source (QRegistrySource),
// identical in Qt 5.15 and 6.4 except for type names, which the source
// keeps in Qt 5 spelling and localize renames per connection.
func registryClass() *Class {
	loc := wire.Qt5.SourceLocationType()
	entry := []meta.Param{{Name: "entry", Type: loc}}
	return &meta.Class{
		TypeName: registryName,
		Properties: []meta.Property{{
			Name: "sourceLocations", Type: wire.Qt5.SourceLocationsType(), Modifier: meta.Constant,
			Notify: -1, Push: -1, Default: qds.UserOf(wire.Qt5.SourceLocationsType(), []SourceLocation{}),
		}},
		Signals: []meta.Method{
			{Name: "remoteObjectAdded", Signature: "remoteObjectAdded(" + loc + ")", ReturnType: "void", Params: entry, Property: -1},
			{Name: "remoteObjectRemoved", Signature: "remoteObjectRemoved(" + loc + ")", ReturnType: "void", Params: entry, Property: -1},
		},
		Methods: []meta.Method{
			{Name: "addSource", Signature: "addSource(" + loc + ")", ReturnType: "void", Params: entry, Property: -1},
			{Name: "removeSource", Signature: "removeSource(" + loc + ")", ReturnType: "void", Params: entry, Property: -1},
			{Name: "removeServer", Signature: "removeServer(QUrl)", ReturnType: "void", Params: []meta.Param{{Name: "url", Type: "QUrl"}}, Property: -1},
		},
	}
}

// Registry signal and method indices.
const (
	sigRemoteObjectAdded   = 0
	sigRemoteObjectRemoved = 1
	methAddSource          = 0
	methRemoveSource       = 1
	methRemoveServer       = 2
)

func locationOf(v Variant) (SourceLocation, bool) {
	l, ok := v.Value().(SourceLocation)
	return l, ok
}

// RegistryChange decodes an event of the registry replica (the one
// SetRegistryURL returns): the source location a remoteObjectAdded or
// remoteObjectRemoved signal carries and whether it was added. ok is false
// for every other event (and added then means nothing).
func RegistryChange(ev Event) (l SourceLocation, added, ok bool) {
	if ev.Kind != SignalEmitted || len(ev.Args) != 1 {
		return SourceLocation{}, false, false
	}
	l, ok = locationOf(ev.Args[0])
	return l, ev.Index == sigRemoteObjectAdded, ok
}

func locationVariant(l SourceLocation) Variant {
	return qds.UserOf(wire.Qt5.SourceLocationType(), l)
}

// RegistryHost is a host that also keeps the registry of source locations
// (QRemoteObjectRegistryHost): hosts register their sources with it and
// nodes find sources through it.
type RegistryHost struct {
	*Host
	src   *Source
	mu    sync.Mutex
	table []SourceLocation
}

// NewRegistryHost returns a registry listening on url.
func NewRegistryHost(ctx context.Context, url string, cfg Config) (*RegistryHost, error) {
	h, err := NewHost(ctx, url, cfg)
	if err != nil {
		return nil, err
	}
	rh := &RegistryHost{Host: h, src: NewSource(registryClass())}
	h.hooks = rh
	_ = rh.src.HandleMethod("addSource", func(_ context.Context, args []Variant) (Variant, error) {
		if l, ok := firstLocation(args); ok {
			rh.add(l)
		}
		return Variant{}, nil
	})
	_ = rh.src.HandleMethod("removeSource", func(_ context.Context, args []Variant) (Variant, error) {
		if l, ok := firstLocation(args); ok {
			rh.remove(l)
		}
		return Variant{}, nil
	})
	_ = rh.src.HandleMethod("removeServer", func(_ context.Context, args []Variant) (Variant, error) {
		if len(args) == 1 {
			rh.removeServer(args[0].Str())
		}
		return Variant{}, nil
	})
	if err := h.EnableRemoting(rh.src, registryName); err != nil {
		h.Close()
		return nil, err
	}
	return rh, nil
}

func firstLocation(args []Variant) (SourceLocation, bool) {
	if len(args) == 0 {
		return SourceLocation{}, false
	}
	return locationOf(args[0])
}

// Locations returns the registry's table.
func (rh *RegistryHost) Locations() []SourceLocation {
	rh.mu.Lock()
	defer rh.mu.Unlock()
	return append([]SourceLocation(nil), rh.table...)
}

func (rh *RegistryHost) storeLocked() {
	rh.src.mu.Lock()
	rh.src.values[0] = qds.UserOf(wire.Qt5.SourceLocationsType(), append([]SourceLocation(nil), rh.table...))
	rh.src.valGen++
	rh.src.mu.Unlock()
}

// add is QRegistrySource::addSource: the first registration of a name wins.
func (rh *RegistryHost) add(l SourceLocation) {
	rh.mu.Lock()
	for _, e := range rh.table {
		if e.Name == l.Name {
			rh.mu.Unlock()
			rh.cfg.Logger.Warn("registry: ignoring source, name already registered", "name", l.Name, "url", l.HostURL, "registered", e.HostURL)
			return
		}
	}
	rh.table = append(rh.table, l)
	rh.storeLocked()
	rh.mu.Unlock()
	rh.src.emit(sigRemoteObjectAdded, []Variant{locationVariant(l)})
}

// remove is QRegistrySource::removeSource: name and URL must both match.
func (rh *RegistryHost) remove(l SourceLocation) {
	rh.mu.Lock()
	found := false
	for i, e := range rh.table {
		if e.Name == l.Name && e.HostURL == l.HostURL {
			rh.table = append(rh.table[:i:i], rh.table[i+1:]...)
			found = true
			break
		}
	}
	if found {
		rh.storeLocked()
	}
	rh.mu.Unlock()
	if found {
		rh.src.emit(sigRemoteObjectRemoved, []Variant{locationVariant(l)})
	}
}

// removeServer drops every entry of a host URL silently, as Qt does when a
// registered host's connection closes (no remoteObjectRemoved is emitted).
func (rh *RegistryHost) removeServer(url string) {
	rh.mu.Lock()
	defer rh.mu.Unlock()
	kept := rh.table[:0]
	for _, e := range rh.table {
		if e.HostURL != url {
			kept = append(kept, e)
		}
	}
	rh.table = kept
	rh.storeLocked()
}

// hostHooks lets a RegistryHost follow its Host: the registry's special
// cases live in one place instead of checks spread through Host. Each
// method is called without the host's lock.
type hostHooks interface {
	// sourceEnabled and sourceDisabled follow EnableRemoting and DisableRemoting.
	sourceEnabled(name string, src *Source)
	sourceDisabled(name string)
	// invoked sees every Invoke (call or property write) c makes on src.
	invoked(c *hostConn, src *Source, args []Variant)
	// connClosed follows a connection's end.
	connClosed(c *hostConn)
}

var _ hostHooks = (*RegistryHost)(nil)

// sourceEnabled adds a source of the registry host itself to its table.
func (rh *RegistryHost) sourceEnabled(name string, src *Source) {
	if src != rh.src {
		rh.add(SourceLocation{Name: name, TypeName: src.class.TypeName, HostURL: rh.advertisedURL()})
	}
}

// sourceDisabled removes a source of the registry host itself.
func (rh *RegistryHost) sourceDisabled(name string) {
	url := rh.advertisedURL()
	for _, l := range rh.Locations() {
		if l.Name == name && l.HostURL == url {
			rh.remove(l)
		}
	}
}

// invoked remembers the host URL of the first Invoke a connection makes
// on the registry (Qt reads args[0] as a location): when that connection
// closes, the host's entries go (connClosed).
func (rh *RegistryHost) invoked(c *hostConn, src *Source, args []Variant) {
	if src != rh.src {
		return
	}
	l, ok := firstLocation(args)
	if !ok {
		return
	}
	c.mu.Lock()
	if c.registryURL == "" {
		c.registryURL = l.HostURL
	}
	c.mu.Unlock()
}

// connClosed drops the entries of the host that connection c registered.
func (rh *RegistryHost) connClosed(c *hostConn) {
	c.mu.Lock()
	url := c.registryURL
	c.mu.Unlock()
	if url != "" {
		rh.removeServer(url)
	}
}

func (h *Host) advertisedURL() string { return h.URL() }

// SetRegistryURL makes the host register its sources with the registry at
// url (Qt: QRemoteObjectHost(url, registryUrl) / setRegistryUrl). The
// registry may start later or restart: the connection is retried, and
// sources are registered again whenever the registry replica becomes Valid.
func (h *Host) SetRegistryURL(url string) error {
	h.mu.Lock()
	hosted := h.hooks != nil
	h.mu.Unlock()
	if hosted {
		return h.errs.set(&Error{Code: RegistryAlreadyHosted, Op: "setRegistryUrl", URL: url})
	}
	n, err := h.clientNode()
	if err != nil {
		return err
	}
	r, err := n.SetRegistryURL(url)
	if err != nil {
		return h.errs.set(err)
	}
	r.Subscribe(func(ev Event) {
		if ev.Kind == StateChanged && ev.New == Valid {
			go h.announceAll(r)
		}
	})
	h.mu.Lock()
	h.registry = r
	valid := r.State() == Valid
	h.mu.Unlock()
	if valid {
		go h.announceAll(r)
	}
	return nil
}

// announceAll pushes every source to the registry, except names its table
// already lists (Qt: pushToRegistryIfNeeded).
func (h *Host) announceAll(r *Replica) {
	known := map[string]bool{}
	if v, err := r.Property("sourceLocations"); err == nil {
		if ls, ok := v.Value().([]SourceLocation); ok {
			for _, l := range ls {
				known[l.Name] = true
			}
		}
	}
	h.mu.Lock()
	names := append([]string(nil), h.order...)
	srcs := make([]*Source, len(names))
	for i, n := range names {
		srcs[i] = h.sources[n]
	}
	h.mu.Unlock()
	for i, name := range names {
		if known[name] {
			h.cfg.Logger.Warn("registry already lists a source of this name; not registering", "name", name)
			continue
		}
		if srcs[i] != nil {
			h.announce(r, name, srcs[i], methAddSource)
		}
	}
}

// announce sends addSource (method 0) or removeSource (1) to the registry.
func (h *Host) announce(r *Replica, name string, src *Source, method int) {
	if r.State() != Valid {
		return // pushed when the registry replica becomes Valid
	}
	l := SourceLocation{Name: name, TypeName: src.class.TypeName, HostURL: h.advertisedURL()}
	if _, err := r.InvokeIndex(method, []Variant{locationVariant(l)}, false); err != nil {
		h.cfg.Logger.Warn("cannot update registry", "name", name, "err", err)
	}
}

// SetRegistryURL makes the node use the registry at url to find sources
// (Qt: setRegistryUrl), and returns the registry replica. The connection
// is retried until the registry is reachable.
func (n *Node) SetRegistryURL(url string) (*Replica, error) {
	return n.useRegistry(url, true)
}

// useRegistry is SetRegistryURL; without dial the registry is reached
// through a connection the node has (a registry host's node side, in
// process).
func (n *Node) useRegistry(url string, dial bool) (*Replica, error) {
	n.mu.Lock()
	if n.registry != nil {
		n.mu.Unlock()
		return nil, &Error{Code: RegistryAlreadyHosted, Op: "setRegistryUrl", URL: url}
	}
	n.registryURL = url
	n.mu.Unlock()
	if dial {
		if err := n.checkURL(url); err != nil {
			return nil, err
		}
	}
	// Acquire and subscribe before connecting, so the registry's Init (and
	// the table it carries) cannot arrive before anyone listens.
	r, err := n.Acquire(registryName, StaticClass{registryClass()})
	if err != nil {
		return nil, err
	}
	r.Subscribe(func(ev Event) { n.registryEvent(r, ev) })
	if r.State() == Valid {
		// A connection to the registry was already up: its Init came before
		// the subscription. Loading the table twice is harmless.
		n.registryEvent(r, Event{Kind: Initialized})
	}
	n.mu.Lock()
	n.registry = r
	n.mu.Unlock()
	if !dial {
		return r, nil
	}
	if err := n.ConnectToNode(url); err != nil {
		return nil, err
	}
	return r, nil
}

// Registry returns the registry replica, or nil.
func (n *Node) Registry() *Replica {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.registry
}

// WaitForRegistry waits until the registry replica is Valid.
func (n *Node) WaitForRegistry(ctx context.Context) error {
	r := n.Registry()
	if r == nil {
		return &Error{Code: RegistryNotAcquired, Op: "waitForRegistry"}
	}
	return r.WaitForSource(ctx)
}

// Locations returns the registry's table as this node knows it.
func (n *Node) Locations() []SourceLocation {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]SourceLocation, 0, len(n.locations))
	for _, l := range n.locations {
		out = append(out, l)
	}
	return out
}

// registryEvent keeps the node's table current and connects to hosts of
// sources that replicas wait for.
func (n *Node) registryEvent(r *Replica, ev Event) {
	var added []SourceLocation
	switch {
	case ev.Kind == Initialized:
		v, _ := r.Property("sourceLocations")
		ls, _ := v.Value().([]SourceLocation)
		n.mu.Lock()
		n.locations = map[string]SourceLocation{}
		for _, l := range ls {
			n.locations[l.Name] = l
		}
		n.mu.Unlock()
		added = ls
	case ev.Kind == SignalEmitted && len(ev.Args) >= 1:
		l, ok := locationOf(ev.Args[0])
		if !ok {
			return
		}
		n.mu.Lock()
		if ev.Index == sigRemoteObjectAdded {
			n.locations[l.Name] = l
			added = []SourceLocation{l}
		} else if cur, ok := n.locations[l.Name]; ok && cur.HostURL == l.HostURL {
			delete(n.locations, l.Name)
		}
		n.mu.Unlock()
	}
	for _, l := range added {
		n.mu.Lock()
		_, waiting := n.impls[l.Name]
		_, bound := n.sources[l.Name]
		n.mu.Unlock()
		if waiting && !bound && l.Name != registryName {
			n.connect(l.HostURL, true)
		}
	}
}
