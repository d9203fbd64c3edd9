package node_test

import (
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// loc is the registry entry of a SpecObject source.
func loc(name, hostURL string) wire.SourceLocation {
	return wire.SourceLocation{Name: name, TypeName: "SpecObject", HostURL: hostURL}
}

// locationsOf decodes the location arguments of registry signals.
func locationsOf(calls [][]qds.Variant) []wire.SourceLocation {
	var out []wire.SourceLocation
	for _, args := range calls {
		for _, a := range args {
			if l, ok := a.Value().(wire.SourceLocation); ok {
				out = append(out, l)
			}
		}
	}
	return out
}

var _ = Describe("Registry", Label("registry"), func() {
	forEachEnv(func(e specEnv) {
		// registeredHost starts a host that registers with the registry at
		// regURL and remotes a SpecObject under name with count set.
		registeredHost := func(regURL, name string, count int, mods ...func(*node.Config)) (*node.Host, *node.Source) {
			GinkgoHelper()
			h := e.newHost(e.anyURL(), mods...)
			Expect(h.SetRegistryURL(regURL)).To(Succeed())
			src := specObject(e.D)
			Expect(src.SetProperty("count", count)).To(Succeed())
			remote(h, src, name)
			return h, src
		}
		registryNode := func(regURL string, mods ...func(*node.Config)) *node.Node {
			GinkgoHelper()
			n := newNode(mods...)
			rr, err := n.SetRegistryURL(regURL)
			Expect(err).NotTo(HaveOccurred())
			Expect(rr).NotTo(BeNil())
			Expect(n.Registry()).To(BeIdenticalTo(rr))
			return n
		}

		It("lets a node acquire by name a source a host registered (registryTest)", func() {
			reg := e.newRegistry(e.anyURL())
			h, _ := registeredHost(reg.URL(), "Obj", 4)
			Eventually(reg.Locations).Should(ConsistOf(loc("Obj", h.URL())))

			n := registryNode(reg.URL())
			Expect(n.WaitForRegistry(waitCtx(10 * time.Second))).To(Succeed())
			Expect(n.Registry().State()).To(Equal(node.Valid))
			Eventually(n.Locations).Should(ConsistOf(loc("Obj", h.URL())))
			r := acquireDynamic(n, "Obj") // no ConnectToNode: found through the registry
			waitValid(r)
			Expect(prop(r, "count").Int()).To(BeEquivalentTo(4))
			v, err := r.Call(waitCtx(5*time.Second), "add", 1, 2)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Int()).To(BeEquivalentTo(3))
		})

		// The registry's Init must reach the node's table even when it
		// arrives at once: here the connection to the registry is already
		// up when SetRegistryURL acquires the Registry replica. (A race:
		// repeated to make it show.)
		It("loads the table from the registry's Init when the registry connection is already up", func() {
			reg := e.newRegistry(e.anyURL())
			remote(reg.Host, specObject(e.D), "Own")
			want := loc("Own", reg.URL())
			for i := range 50 {
				n := node.NewNode(node.Config{})
				DeferCleanup(n.Close)
				Expect(n.ConnectToNode(reg.URL())).To(Succeed())
				Eventually(reg.Connections).Should(Equal(1))
				_, err := n.SetRegistryURL(reg.URL())
				Expect(err).NotTo(HaveOccurred())
				Expect(n.WaitForRegistry(waitCtx(5 * time.Second))).To(Succeed())
				Eventually(n.Locations, time.Second).Should(ConsistOf(want), "attempt %d: the node missed the registry's Init", i+1)
				Expect(n.Close()).To(Succeed())
				Eventually(reg.Connections).Should(BeZero())
			}
		})

		It("finds a source registered after the replica was acquired", func() {
			reg := e.newRegistry(e.anyURL())
			n := registryNode(reg.URL())
			Expect(n.WaitForRegistry(waitCtx(10 * time.Second))).To(Succeed())
			st := acquireStatic(n, "Obj", specClass(e.D, "SpecObject"))
			Consistently(st.State).Should(Equal(node.Default))
			registeredHost(reg.URL(), "Obj", 6)
			waitValid(st)
			Expect(prop(st, "count").Int()).To(BeEquivalentTo(6))
		})

		It("remotes itself as Registry, type Registry, no signature (§9.1)", func() {
			reg := e.newRegistry(e.anyURL())
			p := dialRaw(reg.URL(), e.D)
			objs := p.greet()
			Expect(objs).To(HaveLen(1))
			Expect(objs[0].Name).To(Equal("Registry"))
			Expect(objs[0].TypeName).To(Equal(qds.Str("Registry")))
			Expect(objs[0].Signature).To(BeNil())
			Expect(reg.Locations()).To(BeEmpty(), "the registry does not list itself")

			dyn := acquireDynamic(connectedNode(reg.URL()), "Registry")
			waitValid(dyn)
			c := dyn.Class()
			Expect(propNames(c.Properties)).To(Equal([]string{"sourceLocations"}))
			Expect(c.Properties[0].Notify).To(Equal(-1), "sourceLocations has no notify signal")
			Expect(methodNames(c.Signals)).To(Equal([]string{"remoteObjectAdded", "remoteObjectRemoved"}))
			Expect(methodNames(c.Methods)).To(Equal([]string{"addSource", "removeSource", "removeServer"}))
		})

		It("signals remoteObjectAdded and remoteObjectRemoved to every node, in the dialect's type (registryAddedTest)", func() {
			reg := e.newRegistry(e.anyURL())
			n := registryNode(reg.URL())
			rr := n.Registry()
			waitValid(rr)
			rec := record(rr)

			h, src := registeredHost(reg.URL(), "Obj", 1)
			Eventually(func() []wire.SourceLocation { return locationsOf(rec.signals("remoteObjectAdded")) }).
				Should(Equal([]wire.SourceLocation{loc("Obj", h.URL())}))
			Expect(rec.signals("remoteObjectAdded")[0][0].TypeName()).To(Equal(e.D.SourceLocationType()))
			Eventually(n.Locations).Should(ConsistOf(loc("Obj", h.URL())))

			Expect(h.DisableRemoting("Obj")).To(Succeed())
			Eventually(func() []wire.SourceLocation { return locationsOf(rec.signals("remoteObjectRemoved")) }).
				Should(Equal([]wire.SourceLocation{loc("Obj", h.URL())}))
			Expect(rec.signals("remoteObjectRemoved")[0][0].TypeName()).To(Equal(e.D.SourceLocationType()))
			Eventually(reg.Locations).Should(BeEmpty())
			Eventually(n.Locations).Should(BeEmpty())

			remote(h, src, "Obj") // re-enabled: registered again
			Eventually(reg.Locations).Should(ConsistOf(loc("Obj", h.URL())))
			Eventually(func() int { return len(rec.signals("remoteObjectAdded")) }).Should(Equal(2))
		})

		It("initialises a node's table from the registry's sourceLocations", func() {
			reg := e.newRegistry(e.anyURL())
			h1, _ := registeredHost(reg.URL(), "A", 1)
			h2, _ := registeredHost(reg.URL(), "B", 2)
			want := []wire.SourceLocation{loc("A", h1.URL()), loc("B", h2.URL())}
			Eventually(reg.Locations).Should(ConsistOf(want))
			n := registryNode(reg.URL())
			Expect(n.WaitForRegistry(waitCtx(10 * time.Second))).To(Succeed())
			Eventually(n.Locations).Should(ConsistOf(want))
			v := prop(n.Registry(), "sourceLocations")
			Expect(v.TypeName()).To(Equal(e.D.SourceLocationsType()))
			Expect(v.Value()).To(ConsistOf(want))
		})

		// §9.3: a host's registry connection closing makes the registry
		// call removeServer, which deletes silently.
		It("drops a dead host's entries without remoteObjectRemoved, as Qt does", func() {
			reg := e.newRegistry(e.anyURL())
			h1, _ := registeredHost(reg.URL(), "A", 1)
			h2, _ := registeredHost(reg.URL(), "B", 2)
			Eventually(reg.Locations).Should(ConsistOf(loc("A", h1.URL()), loc("B", h2.URL())))
			n := registryNode(reg.URL())
			ra := acquireDynamic(n, "A")
			rb := acquireDynamic(n, "B")
			waitValid(ra)
			waitValid(rb)
			rec := record(n.Registry())

			Expect(h1.Close()).To(Succeed())
			Eventually(reg.Locations).Should(ConsistOf(loc("B", h2.URL())))
			Eventually(ra.State).Should(Equal(node.Suspect))
			Consistently(func() [][]qds.Variant { return rec.signals("remoteObjectRemoved") }).Should(BeEmpty())
			Expect(rb.State()).To(Equal(node.Valid))
		})

		It("brings back a replica whose host restarts and registers again", func() {
			reg := e.newRegistry(e.anyURL())
			url := e.fixedURL()
			h1 := e.newHost(url)
			Expect(h1.SetRegistryURL(reg.URL())).To(Succeed())
			remote(h1, specObject(e.D), "Obj")
			n := registryNode(reg.URL())
			r := acquireDynamic(n, "Obj")
			waitValid(r)
			Expect(h1.Close()).To(Succeed())
			Eventually(r.State).Should(Equal(node.Suspect))
			Eventually(reg.Locations).Should(BeEmpty())

			h2 := e.newHost(url)
			Expect(h2.SetRegistryURL(reg.URL())).To(Succeed())
			src2 := specObject(e.D)
			Expect(src2.SetProperty("count", 2)).To(Succeed())
			remote(h2, src2, "Obj")
			Eventually(r.State).Should(Equal(node.Valid))
			Expect(prop(r, "count").Int()).To(BeEquivalentTo(2))
		})

		// Qt (5.15 and 6.4) puts every URL it opens into requestedUrls,
		// registry-found ones included, and onShouldReconnect retries all of
		// them every retryInterval: a host that comes back on its URL is
		// reconnected even while the registry is down.
		It("reconnects to a registry-found host that comes back while the registry is down, as Qt does", func() {
			regURL, hostURL := e.fixedURL(), e.fixedURL()
			reg1, err := node.NewRegistryHost(specCtx(), regURL, e.cfg())
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(reg1.Close)
			h1, err := node.NewHost(specCtx(), hostURL, e.cfg())
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(h1.Close)
			Expect(h1.SetRegistryURL(regURL)).To(Succeed())
			remote(h1, specObject(e.D), "Obj")
			n := registryNode(regURL, withRetry(50*time.Millisecond))
			r := acquireDynamic(n, "Obj")
			waitValid(r)

			Expect(reg1.Close()).To(Succeed())
			Eventually(n.Registry().State).Should(Equal(node.Suspect))
			Expect(h1.Close()).To(Succeed())
			Eventually(r.State).Should(Equal(node.Suspect))
			h2 := e.newHost(hostURL)
			src2 := specObject(e.D)
			Expect(src2.SetProperty("count", 2)).To(Succeed())
			remote(h2, src2, "Obj")
			Eventually(r.State).Should(Equal(node.Valid))
			Expect(prop(r, "count").Int()).To(BeEquivalentTo(2))
		})

		It("works when the node and the host start before the registry (delayedRegistryTest)", func() {
			url := e.fixedURL()
			h, _ := registeredHost(url, "Obj", 5, withRetry(20*time.Millisecond))
			n := registryNode(url, withRetry(20*time.Millisecond))
			r := acquireDynamic(n, "Obj")
			Consistently(r.State).Should(Equal(node.Uninitialized))
			Expect(n.Registry().State()).To(Equal(node.Default))

			reg := e.newRegistry(url)
			waitValid(r)
			Expect(prop(r, "count").Int()).To(BeEquivalentTo(5))
			Eventually(reg.Locations).Should(ConsistOf(loc("Obj", h.URL())))
		})

		It("survives a registry restart: hosts register again and nodes find new sources", func() {
			url := e.fixedURL()
			reg1, err := node.NewRegistryHost(specCtx(), url, e.cfg())
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(reg1.Close)
			h, _ := registeredHost(url, "Obj", 1, withRetry(20*time.Millisecond))
			n := registryNode(url, withRetry(20*time.Millisecond))
			r := acquireDynamic(n, "Obj")
			waitValid(r)
			rec := record(r)

			Expect(reg1.Close()).To(Succeed())
			Eventually(n.Registry().State).Should(Equal(node.Suspect))
			reg2 := e.newRegistry(url)
			Eventually(reg2.Locations).Should(ConsistOf(loc("Obj", h.URL())), "the host registers again")
			Eventually(n.Registry().State).Should(Equal(node.Valid))
			Eventually(n.Locations).Should(ConsistOf(loc("Obj", h.URL())))
			Expect(rec.transitions()).To(BeEmpty(), "the replica's own connection was not affected")

			h2, _ := registeredHost(url, "Obj2", 2)
			r2 := acquireDynamic(n, "Obj2")
			waitValid(r2)
			Expect(prop(r2, "count").Int()).To(BeEquivalentTo(2))
			Expect(reg2.Locations()).To(ConsistOf(loc("Obj", h.URL()), loc("Obj2", h2.URL())))
		})

		// QRegistrySource::addSource: a name already present is ignored.
		It("keeps the first registration of a name offered by two hosts", func() {
			reg := e.newRegistry(e.anyURL())
			h1, _ := registeredHost(reg.URL(), "Dup", 1)
			Eventually(reg.Locations).Should(ConsistOf(loc("Dup", h1.URL())))
			registeredHost(reg.URL(), "Dup", 2)
			registeredHost(reg.URL(), "Other", 3) // registered after the duplicate
			Eventually(func() int { return len(reg.Locations()) }).Should(Equal(2))
			Consistently(reg.Locations).Should(ContainElement(loc("Dup", h1.URL())))
			Expect(reg.Locations()).To(HaveLen(2))

			n := registryNode(reg.URL())
			r := acquireDynamic(n, "Dup")
			waitValid(r)
			Expect(prop(r, "count").Int()).To(BeEquivalentTo(1))
		})

		It("lists the registry host's own sources under its own URL", func() {
			reg := e.newRegistry(e.anyURL())
			own := specObject(e.D)
			Expect(own.SetProperty("count", 9)).To(Succeed())
			remote(reg.Host, own, "Own")
			Expect(reg.Locations()).To(ConsistOf(loc("Own", reg.URL())))

			n := registryNode(reg.URL())
			rr := n.Registry()
			r := acquireDynamic(n, "Own")
			waitValid(r)
			Expect(prop(r, "count").Int()).To(BeEquivalentTo(9))
			rec := record(rr)
			Expect(reg.DisableRemoting("Own")).To(Succeed())
			Expect(reg.Locations()).To(BeEmpty())
			Eventually(func() []wire.SourceLocation { return locationsOf(rec.signals("remoteObjectRemoved")) }).
				Should(Equal([]wire.SourceLocation{loc("Own", reg.URL())}))
			Eventually(r.State).Should(Equal(node.Suspect))
		})

		It("refuses a second registry on a host or a node (RegistryAlreadyHosted)", func() {
			reg := e.newRegistry(e.anyURL())
			h := e.newHost(e.anyURL())
			Expect(h.SetRegistryURL(reg.URL())).To(Succeed())
			Expect(node.CodeOf(h.SetRegistryURL(reg.URL()))).To(Equal(node.RegistryAlreadyHosted))
			Expect(node.CodeOf(reg.SetRegistryURL(reg.URL()))).To(Equal(node.RegistryAlreadyHosted))
			n := registryNode(reg.URL())
			_, err := n.SetRegistryURL(reg.URL())
			Expect(node.CodeOf(err)).To(Equal(node.RegistryAlreadyHosted))
		})

		It("reports a host's errors through LastError and OnError, and gives its registry replica", func() {
			reg := e.newRegistry(e.anyURL())
			h := e.newHost(e.anyURL())
			var got []node.ErrorCode
			var mu sync.Mutex
			h.OnError(func(err error) {
				mu.Lock()
				got = append(got, node.CodeOf(err))
				mu.Unlock()
			})
			codes := func() []node.ErrorCode {
				mu.Lock()
				defer mu.Unlock()
				return append([]node.ErrorCode(nil), got...)
			}
			Expect(h.LastError()).To(Equal(node.NoError))
			Expect(h.Registry()).To(BeNil())

			Expect(node.CodeOf(h.DisableRemoting("Nope"))).To(Equal(node.SourceNotRegistered))
			Expect(h.LastError()).To(Equal(node.SourceNotRegistered))
			_, err := h.Listen(waitCtx(5*time.Second), reg.URL(), e.D) // taken by the registry
			Expect(node.CodeOf(err)).To(Equal(node.ListenFailed))
			Expect(h.LastError()).To(Equal(node.ListenFailed))

			Expect(h.SetRegistryURL(reg.URL())).To(Succeed())
			Expect(h.Registry()).NotTo(BeNil())
			Eventually(h.Registry().State).Should(Equal(node.Valid))
			Expect(node.CodeOf(h.SetRegistryURL(reg.URL()))).To(Equal(node.RegistryAlreadyHosted))
			Eventually(codes).Should(Equal([]node.ErrorCode{node.SourceNotRegistered, node.ListenFailed, node.RegistryAlreadyHosted})) // OnError runs on its own goroutine
		})
	})
})
