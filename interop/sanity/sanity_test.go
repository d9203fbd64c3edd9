package sanity

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf16"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/interop/harness"
)

// stepTimeout bounds every wait for one observable effect; Qt needs
// milliseconds, containers a little more.
const stepTimeout = 20 * time.Second

// dialect is what distinguishes the two Qt peers on the wire.
type dialect struct {
	flavor  harness.Flavor
	version string // the Handshake string
	order   binary.AppendByteOrder
}

var (
	qt5 = dialect{harness.Qt5, "QtRO 1.3", binary.BigEndian}
	qt6 = dialect{harness.Qt6, "QtRO 2.0", binary.LittleEndian}
)

// handshakeFrame is the exact first frame a host of dialect d sends
// (QTRO-PROTOCOL.md §1.2, §4.1): size, type 1, QString version.
func handshakeFrame(d dialect) []byte {
	u := utf16.Encode([]rune(d.version))
	b := d.order.AppendUint32(nil, uint32(2+4+2*len(u)))
	b = d.order.AppendUint16(b, 1)
	b = d.order.AppendUint32(b, uint32(2*len(u)))
	for _, r := range u {
		b = d.order.AppendUint16(b, r)
	}
	return b
}

// stringProp is the value a host sets while a replica watches: non-ASCII, so
// the UTF-16 byte order of each dialect matters.
const stringProp = "interop ✓ Grüße"

// hostSetup is what the host does before any replica connects.
func hostSetup(ctx context.Context, host *peer) error {
	from := 0
	if _, err := host.awaitEvent(ctx, &from, "ready", nil); err != nil {
		return err
	}
	if _, err := host.awaitEvent(ctx, &from, "remoting", func(e event) bool { return e["enabled"] == true }); err != nil {
		return err
	}
	// A value the replica must see in its Init, not the .rep default (42).
	_, err := host.do(ctx, map[string]any{"cmd": "set", "property": "intProp", "value": 7})
	return err
}

// checkReplica checks that node's replica mirrors host's source: the Init
// value, a property change, a signal with arguments and two slot replies. It
// returns the first mismatch or timeout, so the negative control can show it
// fails.
func checkReplica(ctx context.Context, host, node *peer) error {
	step := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, stepTimeout) }
	from := 0
	sctx, cancel := step()
	defer cancel()
	init, err := node.awaitEvent(sctx, &from, "initialized", nil)
	if err != nil {
		return err
	}
	values, _ := init["values"].(map[string]any)
	if got := values["intProp"]; got != float64(7) {
		return fmt.Errorf("initialized: intProp = %v, want 7 (set on the host before Init)", got)
	}
	if got := values["constantProp"]; got != "const" {
		return fmt.Errorf("initialized: constantProp = %v, want \"const\"", got)
	}

	if _, err := host.do(sctx, map[string]any{"cmd": "set", "property": "stringProp", "value": stringProp}); err != nil {
		return err
	}
	if _, err := node.awaitEvent(sctx, &from, "propertyChanged", func(e event) bool {
		return e.str("property") == "stringProp" && e["value"] == stringProp
	}); err != nil {
		return err
	}

	// fire(5) runs on the host and emits multi(5, "fire", 2.5, true, "fire").
	if _, err := node.do(sctx, map[string]any{"cmd": "call", "method": "fire", "args": []any{5}}); err != nil {
		return err
	}
	sig, err := node.awaitEvent(sctx, &from, "signal", func(e event) bool { return e.str("signal") == "multi" })
	if err != nil {
		return err
	}
	args, _ := sig["args"].([]any)
	if len(args) != 5 || args[0] != float64(5) || args[1] != "fire" || args[2] != 2.5 || args[3] != true {
		return fmt.Errorf("signal multi: args %v, want [5 fire 2.5 true <bytes>]", sig["args"])
	}

	res, err := node.do(sctx, map[string]any{"cmd": "call", "method": "add", "args": []any{2, 40}})
	if err != nil {
		return err
	}
	if res["value"] != float64(42) {
		return fmt.Errorf("add(2, 40) returned %v, want 42", res["value"])
	}
	res, err = node.do(sctx, map[string]any{"cmd": "call", "method": "echo", "args": []any{stringProp}})
	if err != nil {
		return err
	}
	if res["value"] != stringProp {
		return fmt.Errorf("echo returned %v, want %q", res["value"], stringProp)
	}
	return nil
}

// expectCleanExit closes a peer's stdin and expects exit code 0.
func expectCleanExit(ctx context.Context, pe *peer) {
	code, err := pe.p.Stop(ctx, 10*time.Second)
	Expect(err).NotTo(HaveOccurred())
	Expect(code).To(Equal(0), "%s exit code; stderr: %s", pe.name, tail(pe.p.StderrTail()))
}

// expectHandshakeCaptured checks that the case's pcaps hold a connection that
// starts with d's exact Handshake frame: the capture saw real QtRO traffic.
func expectHandshakeCaptured(c *harness.Case, d dialect) {
	if len(c.Notes()) > 0 && len(c.Pcaps()) == 0 {
		Skip(fmt.Sprintf("no capture here: %v", c.Notes()))
	}
	Expect(c.Pcaps()).NotTo(BeEmpty())
	want := handshakeFrame(d)
	var seen []string
	for _, path := range c.Pcaps() {
		cp, err := capture.Open(path, capture.Limits{})
		Expect(err).NotTo(HaveOccurred())
		for _, s := range cp.Streams {
			for d, f := range s.Flows {
				if bytes.HasPrefix(f.Data, want) {
					return
				}
				seen = append(seen, fmt.Sprintf("%s %s>%s %d bytes", capture.Direction(d), s.Client, s.Host, len(f.Data)))
			}
		}
	}
	Fail(fmt.Sprintf("no captured flow starts with the %s handshake % x; flows: %v", d.version, want, seen))
}

var _ = Describe("Qt <-> Qt", func() {
	for _, d := range []dialect{qt5, qt6} {
		transports := []harness.Transport{harness.TCP, harness.Local}
		if d.flavor.Name == "qt6" {
			transports = append(transports, harness.LocalAbstract)
		}
		Context(d.flavor.Name, func() {
			for _, tr := range transports {
				It(fmt.Sprintf("a %s replica mirrors a %s host over %s", d.flavor.Name, d.flavor.Name, tr), func(ctx SpecContext) {
					c := newCase(ctx, fmt.Sprintf("%s-%s", d.flavor.Name, tr))
					url := c.URL("host", tr)
					host := launch(ctx, c, "host", d.flavor, []string{"host", "--url", url})
					Expect(hostSetup(ctx, host)).To(Succeed())
					connect, err := c.Tap(ctx, url)
					if err != nil && !errors.Is(err, harness.ErrCaptureUnavailable) {
						Expect(err).NotTo(HaveOccurred())
					}
					var opts []harness.StartOption
					if tr == harness.LocalAbstract {
						opts = append(opts, harness.SharingNetworkWith("host"))
					}
					node := launch(ctx, c, "node", d.flavor, []string{"node", "--url", connect}, opts...)
					Expect(checkReplica(ctx, host, node)).To(Succeed())
					expectCleanExit(ctx, node)
					expectCleanExit(ctx, host)
					Expect(c.Close(ctx)).To(Succeed())
					expectHandshakeCaptured(c, d)
				}, SpecTimeout(2*time.Minute))
			}

			It(fmt.Sprintf("a %s replica finds a %s host through a %s registry over tcp", d.flavor.Name, d.flavor.Name, d.flavor.Name), func(ctx SpecContext) {
				c := newCase(ctx, d.flavor.Name+"-registry")
				regURL := c.URL("registry", harness.TCP)
				hostURL := c.URL("host", harness.TCP)
				reg := launch(ctx, c, "registry", d.flavor, []string{"registry", "--url", regURL})
				from := 0
				_, err := reg.awaitEvent(ctx, &from, "ready", nil)
				Expect(err).NotTo(HaveOccurred())
				_, _ = c.Tap(ctx, regURL)
				host := launch(ctx, c, "host", d.flavor, []string{"host", "--url", hostURL, "--registry", regURL})
				Expect(hostSetup(ctx, host)).To(Succeed())
				_, _ = c.Tap(ctx, hostURL)
				// The node is given only the registry: the host's address comes
				// from the registry's sourceLocations.
				node := launch(ctx, c, "node", d.flavor, []string{"node", "--registry", regURL})
				Expect(checkReplica(ctx, host, node)).To(Succeed())
				expectCleanExit(ctx, node)
				expectCleanExit(ctx, host)
				expectCleanExit(ctx, reg)
				Expect(c.Close(ctx)).To(Succeed())
				expectHandshakeCaptured(c, d)
			}, SpecTimeout(2*time.Minute))
		})
	}

	It("negative control: a Qt 5 node pointed at a Qt 6 host is detected as a failure", func(ctx SpecContext) {
		c := newCase(ctx, "negative-qt5-node-qt6-host")
		url := c.URL("host", harness.TCP)
		host := launch(ctx, c, "host", harness.Qt6, []string{"host", "--url", url})
		Expect(hostSetup(ctx, host)).To(Succeed())
		_, _ = c.Tap(ctx, url)
		node := launch(ctx, c, "node", harness.Qt5, []string{"node", "--url", url})
		// The same check the positive cases pass must fail, within a bound.
		cctx, cancel := context.WithTimeout(ctx, 8*time.Second)
		defer cancel()
		start := time.Now()
		err := checkReplica(cctx, host, node)
		Expect(err).To(HaveOccurred(), "a Qt 5 replica initialized from a Qt 6 host")
		Expect(err).To(MatchError(ContainSubstring("initialized")))
		Expect(time.Since(start)).To(BeNumerically("<", 15*time.Second))
		AddReportEntry("negative control", err.Error())
		Expect(c.Close(ctx)).To(Succeed())
		// The Qt 5 node did reach the Qt 6 host: the capture holds Qt 6's
		// little-endian handshake, which a Qt 5 node cannot parse.
		expectHandshakeCaptured(c, qt6)
	}, SpecTimeout(2*time.Minute))
})
