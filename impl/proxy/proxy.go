// Package proxy forwards the sources of one QtRO network to another, as Qt's
// QRemoteObjectHostBase::proxy and reverseProxy do: a dynamic replica of
// each source a registry lists is remoted again by a host, so that nodes
// that can only reach that host (say over tcp://) use sources whose hosts
// they cannot reach (say on local:).
//
// Forward (Qt's proxy) watches the registry of the inner network and
// remotes every source it lists, that passes a filter, on the outer host.
// Reverse (Qt's reverseProxy) watches the outer host's own registry — the
// outer host must then be a RegistryHost — and remotes every source it
// lists on the proxy's inner host, which registers them with the inner
// registry. As in Qt, a source hosted by the proxy itself is never sent
// back, and a source the registry drops is no longer remoted.
//
// A proxied source is a mirror of its replica: property values and
// signals of the original reach the outer replicas, slot calls and
// property writes of the outer replicas go to the original, and a call's
// reply comes back from it. Item models (Qt proxies them with
// acquireModel) are not proxied yet: their names are reported as skipped.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/node"
)

// Filter decides whether the source name, of class typeName, is proxied
// (Qt: RemoteObjectNameFilter). Nil proxies everything.
type Filter func(name, typeName string) bool

// ModelAdapterType is the class Qt remotes item models as; Forward and
// Reverse skip such sources (see the package doc).
const ModelAdapterType = "QAbstractItemModelAdapter"

// callTimeout bounds how long a proxied slot call waits for the original's
// reply before the outer replica gets an invalid one.
const callTimeout = 30 * time.Second

// ErrReverse means Reverse was refused: as in Qt, it needs a proxy made
// with a host URL, on an outer host that is a registry.
var ErrReverse = errors.New("qtro proxy: reverse proxy needs a host URL and an outer RegistryHost")

// Proxy forwards sources between an outer host and an inner network.
type Proxy struct {
	outer    *node.Host
	outerReg *node.RegistryHost // set when the outer host is a registry (Reverse)
	inner    *node.Host         // the proxy's node on the inner network (a host if hostURL was given)
	innerURL string             // its URL, "" when it only acquires
	logger   *slog.Logger

	mu      sync.Mutex
	closed  bool
	forward map[string]*mirror // by name: proxied from inner to outer
	reverse map[string]*mirror // by name: proxied from outer to inner
	cancels []func()
}

// Options configure Forward.
type Options struct {
	// HostURL, if set, makes the proxy's inner node a host listening there
	// and registered with the inner registry (Qt: proxy's hostUrl); Reverse
	// needs it.
	HostURL string
	// Config configures the inner node or host (default: the zero Config).
	Config node.Config
	// Logger receives what the proxy skips and why (default: discard).
	Logger *slog.Logger
}

// Forward makes outer remote every source the registry at registryURL
// lists and filter accepts, for as long as the registry lists it (Qt:
// outer.proxy(registryURL, hostURL, filter)). outer may be a *node.Host
// or a *node.RegistryHost.
func Forward(ctx context.Context, outer *node.Host, registryURL string, filter Filter, o Options) (*Proxy, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	inner, err := node.NewHost(ctx, o.HostURL, o.Config)
	if err != nil {
		return nil, fmt.Errorf("qtro proxy: inner host: %w", err)
	}
	p := &Proxy{outer: outer, inner: inner, innerURL: inner.URL(), logger: o.Logger,
		forward: map[string]*mirror{}, reverse: map[string]*mirror{}}
	if err := inner.SetRegistryURL(registryURL); err != nil {
		inner.Close()
		return nil, fmt.Errorf("qtro proxy: inner registry: %w", err)
	}
	p.watch(inner.Registry(), func(l node.SourceLocation) bool {
		// Not back what the proxy itself hosts on the inner network.
		return !(p.innerURL != "" && l.HostURL == p.innerURL) && accept(filter, l)
	}, inner, outer, p.forward)
	return p, nil
}

// Reverse makes the proxy's inner host remote every source that outer's
// registry lists and filter accepts, except those outer hosts itself (the
// forwarded ones), so that the inner network's nodes find them through the
// inner registry (Qt: reverseProxy). outerReg must be the RegistryHost the
// proxy's outer host is.
func (p *Proxy) Reverse(outerReg *node.RegistryHost, filter Filter) error {
	if p.innerURL == "" || outerReg == nil || outerReg.Host != p.outer {
		return ErrReverse
	}
	reg, err := outerReg.AcquireDynamic("Registry")
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.outerReg = outerReg
	p.cancels = append(p.cancels, reg.Release)
	p.mu.Unlock()
	p.watch(reg, func(l node.SourceLocation) bool {
		return l.HostURL != outerReg.URL() && accept(filter, l)
	}, p.outer, p.inner, p.reverse)
	return nil
}

func accept(filter Filter, l node.SourceLocation) bool {
	return filter == nil || filter(l.Name, l.TypeName)
}

// watch follows a registry replica: every location that want accepts is
// acquired through from and remoted on to; a removed one is unremoted, and
// so is everything when the registry is lost (Qt: Suspect).
func (p *Proxy) watch(reg *node.Replica, want func(node.SourceLocation) bool, from, to *node.Host, set map[string]*mirror) {
	add := func(l node.SourceLocation) {
		if !want(l) {
			return
		}
		if l.TypeName == ModelAdapterType {
			p.logger.Warn("not proxying an item model (not supported yet)", "name", l.Name)
			return
		}
		p.mu.Lock()
		if p.closed || set[l.Name] != nil {
			p.mu.Unlock()
			return
		}
		m := &mirror{p: p, name: l.Name, to: to, acquired: make(chan struct{})}
		set[l.Name] = m
		p.mu.Unlock()
		m.start(from)
	}
	drop := func(name string) {
		p.mu.Lock()
		m := set[name]
		delete(set, name)
		p.mu.Unlock()
		if m != nil {
			m.stop()
		}
	}
	cancel := reg.Subscribe(func(ev node.Event) {
		switch {
		case ev.Kind == node.Initialized:
			for _, v := range ev.Values {
				if ls, ok := v.Value().([]node.SourceLocation); ok {
					for _, l := range ls {
						add(l)
					}
				}
			}
		case ev.Kind == node.StateChanged && ev.New == node.Suspect:
			p.mu.Lock()
			names := make([]string, 0, len(set))
			for n := range set {
				names = append(names, n)
			}
			p.mu.Unlock()
			for _, n := range names {
				drop(n)
			}
		default:
			if l, added, ok := node.RegistryChange(ev); ok {
				if added {
					add(l)
				} else {
					drop(l.Name)
				}
			}
		}
	})
	p.mu.Lock()
	p.cancels = append(p.cancels, cancel)
	p.mu.Unlock()
	// The registry's Init, and signals after it, may have come before the
	// subscription: the node side's table has them (adding twice is
	// harmless).
	for _, l := range from.Locations() {
		add(l)
	}
}

// Proxied returns the names of the sources the proxy forwards to the
// outer host and, with Reverse, to the inner host.
func (p *Proxy) Proxied() (forward, reverse []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n, m := range p.forward {
		if m.remoted() {
			forward = append(forward, n)
		}
	}
	for n, m := range p.reverse {
		if m.remoted() {
			reverse = append(reverse, n)
		}
	}
	return forward, reverse
}

// InnerURL is the URL of the proxy's inner host ("" without Options.HostURL).
func (p *Proxy) InnerURL() string { return p.innerURL }

// Close stops proxying: every proxied source is unremoted and the inner
// node closed. The outer host stays open.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	cancels := p.cancels
	var ms []*mirror
	for _, m := range p.forward {
		ms = append(ms, m)
	}
	for _, m := range p.reverse {
		ms = append(ms, m)
	}
	p.forward, p.reverse = map[string]*mirror{}, map[string]*mirror{}
	p.mu.Unlock()
	for _, c := range cancels {
		c()
	}
	for _, m := range ms {
		m.stop()
	}
	return p.inner.Close()
}

// mirror is one proxied source: a dynamic replica of the original, and a
// source of the same class that a host remotes.
type mirror struct {
	p        *Proxy
	name     string
	to       *node.Host
	acquired chan struct{} // closed when start has set r (or failed)

	mu      sync.Mutex
	r       *node.Replica
	src     *node.Source
	stopped bool
	cancel  func()
}

func (m *mirror) remoted() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.src != nil
}

// start acquires the original; once its first Init arrives, the mirror
// source is made with its class and values and remoted.
func (m *mirror) start(from *node.Host) {
	defer close(m.acquired)
	r, err := from.AcquireDynamic(m.name, node.WithSubscriber(m.event))
	if err != nil {
		m.p.logger.Warn("cannot acquire a source to proxy", "name", m.name, "err", err)
		return
	}
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		r.Release()
		return
	}
	m.r = r
	m.mu.Unlock()
}

// event applies an event of the original to the mirror source. Events of
// child replicas (Child != "") are applied to the matching child source.
func (m *mirror) event(ev node.Event) {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	src := m.src
	if src == nil && ev.Kind == node.Initialized {
		m.mu.Unlock()
		m.remote(ev)
		return
	}
	m.mu.Unlock()
	if src == nil {
		return
	}
	if ev.Child != "" {
		if src = src.Child(ev.Child); src == nil {
			return
		}
	}
	switch ev.Kind {
	case node.Initialized:
		for _, i := range ev.Changed {
			_ = src.SetPropertyValue(i, ev.Values[i])
		}
	case node.PropertyChanged:
		if !ev.FromInit {
			_ = src.SetPropertyValue(ev.Index, ev.Value)
		}
	case node.SignalEmitted:
		if src.Class().Signals[ev.Index].Property < 0 { // notify signals follow SetPropertyValue
			_ = src.EmitValues(ev.Index, ev.Args...)
		}
	}
}

// remote makes the mirror source from the original's first Init and
// remotes it.
func (m *mirror) remote(ev node.Event) {
	<-m.acquired // the Init may be delivered before AcquireDynamic returns
	m.mu.Lock()
	r := m.r
	m.mu.Unlock()
	if r == nil {
		return
	}
	c := r.Class()
	src := node.NewSource(c)
	for i, v := range ev.Values {
		if i < len(c.Properties) && v.IsValid() {
			_ = src.SetPropertyValue(i, v)
		}
	}
	for i := range c.Methods {
		meth := &c.Methods[i]
		if meth.Property >= 0 {
			continue // push slots set their property, and the write goes on below
		}
		idx := i
		_ = src.HandleMethod(meth.Signature, func(ctx context.Context, args []node.Variant) (node.Variant, error) {
			pc, err := r.InvokeIndex(idx, args, !meth.Void())
			if err != nil || meth.Void() {
				return node.Variant{}, err
			}
			ctx, cancel := context.WithTimeout(ctx, callTimeout)
			defer cancel()
			return pc.Wait(ctx)
		})
	}
	cancel := src.Observe(func(e node.SourceEvent) {
		if e.Property >= 0 && e.Changed {
			// A write by an outer replica goes on to the original, whose
			// change comes back as any other.
			_ = r.SetProperty(c.Properties[e.Property].Name, e.Value)
		}
	})
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		cancel()
		return
	}
	defer m.mu.Unlock() // so stop cannot run between the two
	m.src, m.cancel = src, cancel
	if err := m.to.EnableRemoting(src, m.name); err != nil {
		m.p.logger.Warn("cannot remote a proxied source", "name", m.name, "err", err)
	}
}

// stop unremotes the mirror and releases the replica.
func (m *mirror) stop() {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.stopped = true
	r, src, cancel := m.r, m.src, m.cancel
	m.mu.Unlock()
	if src != nil {
		_ = m.to.DisableRemoting(m.name)
		cancel()
	}
	if r != nil {
		r.Release()
	}
}
