//go:build linux

// The Qt peers are built and driven on Linux only (/proc, SIGSTOP).

package adapter_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/qtro/qtro/specs/adapter"
)

// TestQtPeers runs the adapter-contract specs against the real Qt 5 and Qt 6 peers.
func TestQtPeers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Qt peers: adapter contract")
}

// peers maps a Qt major version to its qtro-peer binary (built in BeforeSuite).
var peers = map[int]string{}

var _ = BeforeSuite(func(ctx SpecContext) {
	for _, major := range []int{5, 6} {
		bin, err := adapter.QtPeer(ctx, major)
		Expect(err).NotTo(HaveOccurred(), "building the Qt %d peer (ci/build-peers.sh)", major)
		peers[major] = bin
	}
}, NodeTimeout(20*time.Minute))

// Generous bounds: CI machines are small and shared; a healthy exchange takes milliseconds.
const (
	waitTimeout = 20 * time.Second
	specTimeout = 3 * time.Minute
)

// signatures of TestObject per Qt major (fixtures/rep/testobject.rep header).
var testObjectSignature = map[int]string{
	5: "8201863cf011e03704a50965c2867508ab1b95fb",
	6: "0665f1db134d15f0e5ab83d0dcd9173e3c75c4d0",
}

var nameSeq atomic.Int64

// uniqueName returns a fresh socket name for local:/localabstract: URLs.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), nameSeq.Add(1))
}

// env is the per-spec adapter environment (one TMPDIR shared by the spec's peers, so that relative
// local: names resolve to the same socket file).
type env struct {
	tmp string
}

func newEnv() *env {
	return &env{tmp: GinkgoT().TempDir()}
}

// startErr launches the Qt <major> peer in role with args; the adapter is closed and checked at the
// end of the spec.
func (e *env) startErr(ctx context.Context, major int, role adapter.Role, args ...string) (*adapter.Adapter, error) {
	a, err := adapter.Start(ctx, adapter.Config{
		Command: []string{peers[major]},
		Role:    role,
		Args:    args,
		TempDir: e.tmp,
		Name:    fmt.Sprintf("qt%d-%s", major, role),
		Log:     GinkgoWriter,
	})
	if err != nil {
		return nil, err
	}
	DeferCleanup(func() { closeAndCheck(a) })
	return a, nil
}

func (e *env) start(ctx context.Context, major int, role adapter.Role, args ...string) *adapter.Adapter {
	GinkgoHelper()
	a, err := e.startErr(ctx, major, role, args...)
	Expect(err).NotTo(HaveOccurred())
	return a
}

// closeAndCheck stops the adapter and checks what every adapter run must satisfy: stdout held only
// events, and the peer did not trip over its own Qt plumbing.
func closeAndCheck(a *adapter.Adapter) {
	GinkgoHelper()
	Expect(a.Close()).To(Succeed())
	Expect(a.Violations()).To(BeEmpty(), "%s wrote non-event lines on stdout", a.Name())
	Expect(a.Stderr()).NotTo(ContainSubstring("QObject::connect"), "%s: Qt connection warnings", a.Name())
}

// waitFor waits (bounded) for an event at or after mark.
func waitFor(ctx context.Context, a *adapter.Adapter, mark int, p adapter.Predicate, what string) adapter.Event {
	GinkgoHelper()
	wctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	ev, err := a.WaitFor(wctx, mark, p)
	Expect(err).NotTo(HaveOccurred(), "%s: waiting for %s", a.Name(), what)
	return ev
}

// do runs a command that must succeed.
func do(ctx context.Context, a *adapter.Adapter, c adapter.Command) adapter.Event {
	GinkgoHelper()
	wctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	ev, err := a.Do(wctx, c)
	Expect(err).NotTo(HaveOccurred(), "%s: %v", a.Name(), c)
	return ev
}

// doFail runs a command that must fail with the given error code.
func doFail(ctx context.Context, a *adapter.Adapter, c adapter.Command, code string) adapter.Event {
	GinkgoHelper()
	wctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	_, err := a.Do(wctx, c)
	var ce *adapter.CommandError
	Expect(errors.As(err, &ce)).To(BeTrue(), "%s: %v should fail with %s, got %v", a.Name(), c, code, err)
	Expect(ce.Code).To(Equal(code), "%s: %v: %s", a.Name(), c, ce.Message)
	Expect(ce.Message).NotTo(BeEmpty())
	return ce.Result
}

// hostURL starts a host listening on a fresh address of the given transport and returns it with the
// URL it reports.
func hostURL(transport string) string {
	switch transport {
	case "tcp":
		return "tcp://127.0.0.1:0"
	case "local":
		return "local:" + uniqueName("qtro")
	case "localabstract":
		return "localabstract:" + uniqueName("qtro")
	}
	Fail("unknown transport " + transport)
	return ""
}

// EqualJSON matches a decoded JSON value against an expected value using adapter.Equal.
func EqualJSON(want any) types.GomegaMatcher { return &jsonMatcher{want: want} }

type jsonMatcher struct{ want any }

func (m *jsonMatcher) Match(actual any) (bool, error) {
	if ev, ok := actual.(adapter.Event); ok {
		actual = ev.Fields
	}
	return adapter.Equal(actual, m.want), nil
}

func (m *jsonMatcher) FailureMessage(actual any) string {
	return fmt.Sprintf("Expected JSON\n\t%s\nto equal\n\t%s", adapter.Canonical(actual), adapter.Canonical(m.want))
}

func (m *jsonMatcher) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("Expected JSON\n\t%s\nnot to equal\n\t%s", adapter.Canonical(actual), adapter.Canonical(m.want))
}

// field returns an event field (or nested path) for assertions.
func field(ev adapter.Event, path ...string) any {
	GinkgoHelper()
	v, ok := ev.Path(path...)
	Expect(ok).To(BeTrue(), "event %s has no field %s", ev, strings.Join(path, "."))
	return v
}
