//go:build linux

// The Qt peers are built and driven on Linux only (/proc, SIGSTOP).

package adapter_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/specs/adapter"
)

var b64 = base64.StdEncoding.EncodeToString

// testPod is the canonical JSON of a TestPod.
func testPod(id int, label any, weight float64) map[string]any {
	return map[string]any{"id": id, "label": label, "weight": weight}
}

var _ = Describe("Qt peer adapter", func() {
	for _, major := range []int{5, 6} {
		major := major
		other := 11 - major
		protocol := map[int]string{5: "QtRO 1.3", 6: "QtRO 2.0"}[major]

		Context(fmt.Sprintf("Qt %d", major), Label(fmt.Sprintf("qt%d", major)), func() {
			var e *env
			BeforeEach(func() { e = newEnv() })

			It("reports ready with the URL actually listened on, the Qt version and the protocol", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
				ready := host.Ready()
				Expect(ready.Str("role")).To(Equal("host"))
				Expect(ready.Str("adapter")).To(Equal("qtro-peer"))
				Expect(ready.Fields["qtMajor"]).To(EqualJSON(major))
				Expect(ready.Str("qt")).To(HavePrefix(fmt.Sprintf("%d.", major)))
				Expect(ready.Str("protocol")).To(Equal(protocol))
				Expect(ready.Str("object")).To(Equal("TestObject"))
				u := ready.Str("url")
				Expect(u).To(MatchRegexp(`^tcp://127\.0\.0\.1:[1-9][0-9]*$`), "the ephemeral port must be resolved")
				// The port really is open.
				conn, err := net.DialTimeout("tcp", u[len("tcp://"):], 5*time.Second)
				Expect(err).NotTo(HaveOccurred())
				Expect(conn.Close()).To(Succeed())
				Expect(waitFor(ctx, host, 0, adapter.Named("remoting"), "remoting event").Fields["enabled"]).To(BeTrue())
				Expect(ready.Mono).To(BeNumerically(">", 0))
				Expect(ready.Wall).To(BeTemporally("~", time.Now(), time.Minute))
			}, SpecTimeout(specTimeout))

			for _, transport := range []string{"tcp", "local", "localabstract"} {
				for _, mode := range []string{"static", "dynamic"} {
					transport, mode := transport, mode
					It(fmt.Sprintf("replicates a Qt host over %s to a %s replica: init, properties, signals, slots, writes, pushes, remoting", transport, mode), func(ctx SpecContext) {
						if transport == "localabstract" && major == 5 {
							_, err := e.startErr(ctx, major, adapter.Host, "--url", hostURL(transport))
							Expect(errors.Is(err, adapter.ErrUnsupported)).To(BeTrue(), "Qt 5 has no localabstract: %v", err)
							var ue *adapter.UnsupportedError
							Expect(errors.As(err, &ue)).To(BeTrue())
							Expect(ue.Feature).To(Equal("localabstract"))
							// Qt 5 itself reports the scheme as HostUrlInvalid before the adapter gives up.
							Expect(countEvents(ue.Events, adapter.Named("nodeError", adapter.Field("error", "HostUrlInvalid"), adapter.Field("code", 9), adapter.Field("node", "host")))).To(Equal(1))
							// A Qt 5 node's connectToNode reports an unknown scheme as RegistryNotAcquired.
							_, err = e.startErr(ctx, major, adapter.Node, "--url", hostURL(transport), "--"+mode)
							Expect(errors.As(err, &ue)).To(BeTrue(), "node: %v", err)
							Expect(countEvents(ue.Events, adapter.Named("nodeError", adapter.Field("error", "RegistryNotAcquired"), adapter.Field("node", "node")))).To(Equal(1))
							return
						}
						replicationScenario(ctx, e, major, transport, mode)
					}, SpecTimeout(specTimeout))
				}
			}

			for _, mode := range []string{"static", "dynamic"} {
				mode := mode
				It(fmt.Sprintf("carries every TestObject property type exactly to a %s replica", mode), func(ctx SpecContext) {
					valueScenario(ctx, e, major, mode)
				}, SpecTimeout(specTimeout))
			}

			It("finds a host through a Qt registry and reports remoteObjectAdded/Removed", func(ctx SpecContext) {
				registryScenario(ctx, e, major)
			}, SpecTimeout(specTimeout))

			It("describes the remoted API with the wire indices and the repc signature", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
				res := do(ctx, host, adapter.Describe())
				Expect(field(res, "api", "signature")).To(Equal(testObjectSignature[major]))
				Expect(field(res, "api", "typeName")).To(Equal("TestObject"))
				Expect(field(res, "api", "properties", "0", "name")).To(Equal("constantProp"))
				Expect(field(res, "api", "properties", "21", "name")).To(Equal("child"))
				Expect(res.Fields["api"].(map[string]any)["properties"]).To(HaveLen(22))
				Expect(res.Fields["api"].(map[string]any)["signals"]).To(HaveLen(25))
				Expect(res.Fields["api"].(map[string]any)["methods"]).To(HaveLen(16))
				// Notify signal 0 belongs to property 1: constantProp (CONSTANT) has none.
				Expect(field(res, "api", "signals", "0", "signature")).To(Equal("boolPropChanged(bool)"))
				Expect(field(res, "api", "signals", "0", "propertyIndex")).To(EqualJSON(1))
				Expect(field(res, "api", "signals", "21", "signature")).To(Equal("pulse()"))
				Expect(field(res, "api", "signals", "21", "propertyIndex")).To(EqualJSON(-1))
				Expect(field(res, "api", "methods", "9", "signature")).To(Equal("reset()"))
				Expect(field(res, "api", "methods", "11", "signature")).To(Equal("add(int,int)"))
				Expect(field(res, "api", "methods", "11", "returnType")).To(Equal("int"))
				Expect(field(res, "childApi", "signature")).To(Equal("4f7f456a145fd14108e94728d34fd7b5adbc959e"))
				// The whole wire API, exactly as documented at the top of fixtures/rep/testobject.rep.
				Expect(apiNames(res, "properties", "name")).To(Equal(testObjectProperties))
				Expect(apiNames(res, "signals", "signature")).To(Equal(testObjectSignals))
				Expect(apiNames(res, "methods", "signature")).To(Equal(testObjectMethods))

				// A dynamic replica's metaobject is built from the wire definition: same order.
				node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--dynamic")
				waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "Valid"), "Valid")
				d := do(ctx, node, adapter.Describe())
				Expect(field(d, "metaObject", "typeName")).To(Equal("TestObject"))
				Expect(field(d, "metaObject", "properties", "18", "name")).To(Equal("colorProp"))
				Expect(field(d, "metaObject", "signals", "22", "signature")).To(Equal("multi(int,QString,double,bool,QByteArray)"))
				Expect(field(d, "metaObject", "methods", "11", "signature")).To(Equal("add(int,int)"))
				Expect(field(d, "metaObject", "methods", "15", "signature")).To(Equal("echoVariant(QVariant)"))

				// A static replica carries the signature of the repc that built it.
				st := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--static")
				s := do(ctx, st, adapter.Describe())
				Expect(field(s, "metaObject", "signature")).To(Equal(testObjectSignature[major]))
			}, SpecTimeout(specTimeout))

			It("answers every command with one result and reports command errors with codes", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
				node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--static")
				waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "Valid"), "Valid")

				r := do(ctx, host, adapter.Sync())
				Expect(r.Str("cmd")).To(Equal("sync"))
				st := do(ctx, host, adapter.State())
				Expect(st.Str("role")).To(Equal("host"))
				Expect(st.Str("url")).To(Equal(host.Ready().Str("url")))
				Expect(field(st, "remoting", "TestObject")).To(BeTrue())
				Expect(st.Str("lastError")).To(Equal("NoError"))

				doFail(ctx, host, adapter.Command{"cmd": "frobnicate"}, "unknownCommand")
				doFail(ctx, host, adapter.Set("noSuchProp", 1), "unknownProperty")
				doFail(ctx, host, adapter.Set("intProp", "five"), "badValue")
				doFail(ctx, host, adapter.Set("intProp", 1<<40), "badValue")
				doFail(ctx, host, adapter.Set("constantProp", "x"), "notWritable")
				doFail(ctx, host, adapter.Emit("noSuchSignal"), "unknownSignal")
				doFail(ctx, host, adapter.Emit("multi", 1), "badArgs")
				doFail(ctx, host, adapter.Call("add", 1, 2), "wrongRole")
				doFail(ctx, host, adapter.EnableRemoting(), "alreadyEnabled")
				doFail(ctx, node, adapter.Set("intProp", 1), "wrongRole")
				doFail(ctx, node, adapter.Call("noSuchSlot"), "unknownMethod")
				doFail(ctx, node, adapter.Call("add", 1), "badArgs")
				doFail(ctx, node, adapter.Call("add", "a", "b"), "badArgs")
				doFail(ctx, node, adapter.Write("boolProp", true), "notWritable") // READPUSH: no setter on a static replica
				doFail(ctx, node, adapter.Push("intProp", 1), "noPushSlot")       // READWRITE: no push slot
				doFail(ctx, node, adapter.Get("nope"), "unknownProperty")
				doFail(ctx, node, adapter.Command{"cmd": "call", "replica": "Other", "method": "add", "args": []any{1, 2}}, "noReplica")
				doFail(ctx, node, adapter.Load("nonsense", nil), "unsupported")

				// A line that is not JSON gets a result with a null id.
				mark := host.Mark()
				Expect(host.SendRaw([]byte("{this is not json\n"))).To(Succeed())
				bad := waitFor(ctx, host, mark, adapter.Named("result", adapter.Field("ok", false)), "badJson result")
				Expect(bad.Str("error")).To(Equal("badJson"))
				Expect(bad.Fields).To(HaveKeyWithValue("id", BeNil()))

				// Ids are echoed as given (strings and numbers).
				mark = host.Mark()
				_, err := host.Send(adapter.Command{"cmd": "sync", "id": "my-id"})
				Expect(err).NotTo(HaveOccurred())
				waitFor(ctx, host, mark, adapter.Named("result", adapter.Field("id", "my-id")), "string id")
				Expect(host.SendRaw([]byte(`{"cmd":"sync","id":42}` + "\n"))).To(Succeed())
				waitFor(ctx, host, mark, adapter.Named("result", adapter.Field("id", 42)), "numeric id")

				// Client-side call timeout: a frozen host never answers. The stop
				// takes a few ms to land; wait until the kernel shows it.
				Expect(host.Signal(syscall.SIGSTOP)).To(Succeed())
				Eventually(func() string { return procState(host.Pid()) }).Should(Equal("T"))
				cont := func() { _ = host.Signal(syscall.SIGCONT) }
				defer cont()
				start := time.Now()
				res := doFail(ctx, node, adapter.Call("add", 1, 2).With("timeoutMs", 400), "timeout")
				Expect(time.Since(start)).To(BeNumerically(">=", 350*time.Millisecond))
				Expect(res.Str("cmd")).To(Equal("call"))
				cont()
				r = do(ctx, node, adapter.Call("add", 20, 22))
				Expect(r.Fields["value"]).To(EqualJSON(42))
			}, SpecTimeout(specTimeout))

			It("acquires and releases replicas on command", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
				node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--no-acquire")
				st := do(ctx, node, adapter.State())
				Expect(st.Object("replicas")).To(BeEmpty())

				mark := node.Mark()
				r := do(ctx, node, adapter.Acquire("TestObject", "static"))
				Expect(r.Str("replica")).To(Equal("TestObject"))
				Expect(r.Str("state")).To(Equal("Default"))
				waitFor(ctx, node, mark, adapter.StateChanged("TestObject", "Valid"), "static Valid")
				doFail(ctx, node, adapter.Acquire("TestObject", "dynamic"), "acquireFailed") // the key is taken

				// A second replica of the same object on the same node. (Not the other way round: with a
				// dynamic replica first, a later static one shares its implementation, and its slot calls
				// carry wrong method indices: Qt 5 hosts ignore them, Qt 6.4 hosts crash.)
				mark = node.Mark()
				r = do(ctx, node, adapter.Acquire("TestObject", "dynamic").With("as", "second"))
				Expect(r.Str("replica")).To(Equal("second"))
				// Qt shares one replica implementation per name and node: a second replica of an object
				// that is already Valid on this node is Valid at once, without a new AddObject/Init.
				Expect(r.Str("state")).To(BeElementOf("Uninitialized", "Valid"))
				if r.Str("state") != "Valid" {
					waitFor(ctx, node, mark, adapter.StateChanged("second", "Valid"), "second Valid")
				}
				AddReportEntry("state of a second replica right after acquire", r.Str("state"))
				res := do(ctx, node, adapter.Call("add", 1, 2).With("replica", "second"))
				Expect(res.Fields["value"]).To(EqualJSON(3))
				mark = node.Mark()
				do(ctx, host, adapter.Set("intProp", 8))
				waitFor(ctx, node, mark, adapter.Named("propertyChanged", adapter.Field("replica", "second"), adapter.Field("value", 8)), "second sees intProp 8")

				st = do(ctx, node, adapter.State())
				Expect(field(st, "replicas", "TestObject", "state")).To(Equal("Valid"))
				Expect(field(st, "replicas", "TestObject", "mode")).To(Equal("static"))
				Expect(field(st, "replicas", "second", "mode")).To(Equal("dynamic"))
				do(ctx, node, adapter.Release("second"))
				st = do(ctx, node, adapter.State())
				Expect(st.Object("replicas")).To(HaveLen(1))
				doFail(ctx, node, adapter.Release("second"), "noReplica")

				// The remaining replica still works.
				mark = node.Mark()
				do(ctx, host, adapter.Set("intProp", 9))
				waitFor(ctx, node, mark, adapter.PropertyChanged("intProp", 9), "intProp 9")
			}, SpecTimeout(specTimeout))

			It("remotes an item model to a Qt model replica (contract 3): state, rows, changes, header, current index", func(ctx SpecContext) {
				modelScenario(ctx, e, major)
			}, SpecTimeout(specTimeout))

			It("exits with the requested code, on SIGTERM and on stdin EOF", func(ctx SpecContext) {
				a := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
				mark := a.Mark()
				do(ctx, a, adapter.Exit(3))
				ex := waitFor(ctx, a, mark, adapter.Named("exiting"), "exiting")
				Expect(ex.Str("reason")).To(Equal("command"))
				Expect(a.Wait(ctx)).To(Equal(3))

				b := e.start(ctx, major, adapter.Node, "--url", "tcp://127.0.0.1:1")
				mark = b.Mark()
				Expect(b.Signal(syscall.SIGTERM)).To(Succeed())
				ex = waitFor(ctx, b, mark, adapter.Named("exiting"), "exiting")
				Expect(ex.Str("reason")).To(Equal("signal"))
				Expect(b.Wait(ctx)).To(Equal(0))

				c := e.start(ctx, major, adapter.Registry, "--url", "tcp://127.0.0.1:0")
				mark = c.Mark()
				Expect(c.CloseStdin()).To(Succeed())
				ex = waitFor(ctx, c, mark, adapter.Named("exiting"), "exiting")
				Expect(ex.Str("reason")).To(Equal("stdinClosed"))
				Expect(c.Wait(ctx)).To(Equal(0))
			}, SpecTimeout(specTimeout))

			It("exits 127 for an unsupported role and 1 with a fatal event when it cannot listen", func(ctx SpecContext) {
				_, err := e.startErr(ctx, major, adapter.Role("proxy"), "--url", "tcp://127.0.0.1:0")
				Expect(errors.Is(err, adapter.ErrUnsupported)).To(BeTrue(), "got %v", err)

				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
				_, err = e.startErr(ctx, major, adapter.Host, "--url", host.Ready().Str("url"))
				var ee *adapter.ExitError
				Expect(errors.As(err, &ee)).To(BeTrue(), "got %v", err)
				Expect(ee.Code).To(Equal(1))
				Expect(ee.Fatal).NotTo(BeNil())
				Expect(ee.Fatal.Str("stage")).To(Equal("listen"))
				Expect(ee.Fatal.Str("error")).To(Equal("ListenFailed"))
				Expect(countEvents(ee.Events, adapter.Named("nodeError", adapter.Field("error", "ListenFailed"), adapter.Field("code", 11)))).To(BeNumerically(">=", 1))
				Expect(countEvents(ee.Events, adapter.Named("ready"))).To(Equal(0))
				Expect(errors.Is(err, adapter.ErrUnsupported)).To(BeFalse())

				_, err = e.startErr(ctx, major, adapter.Node)
				Expect(errors.As(err, &ee)).To(BeTrue(), "a node without --url/--registry: %v", err)
				Expect(ee.Code).To(Equal(2))
			}, SpecTimeout(specTimeout))

			It("detects a frozen host with the heartbeat (Suspect) and recovers (Valid)", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
				node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--static", "--heartbeat", "200")
				Expect(node.Ready().Fields["heartbeatMs"]).To(EqualJSON(200))
				waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "Valid"), "Valid")
				Expect(field(do(ctx, node, adapter.State()), "heartbeatMs")).To(EqualJSON(200))
				mark := node.Mark()
				Expect(host.Signal(syscall.SIGSTOP)).To(Succeed())
				cont := func() { _ = host.Signal(syscall.SIGCONT) }
				defer cont()
				// The TCP connection stays open; only the unanswered Ping can reveal the frozen host.
				waitFor(ctx, node, mark, adapter.StateChanged("TestObject", "Suspect"), "Suspect after missed Pong")
				mark = node.Mark()
				cont()
				waitFor(ctx, node, mark, adapter.StateChanged("TestObject", "Valid"), "Valid after reconnect")
			}, SpecTimeout(specTimeout))

			It("remotes a plain QObject through the dynamic API", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0", "--type", "plain")
				Expect(host.Ready().Str("object")).To(Equal("Plain"))
				node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--type", "plain", "--dynamic")
				ini := waitFor(ctx, node, 0, adapter.Named("initialized"), "initialized")
				Expect(ini.Fields["values"]).To(EqualJSON(map[string]any{"number": 3, "text": "plain", "ratio": 0.25, "color": 1}))
				d := do(ctx, node, adapter.Describe())
				Expect(d.Fields["metaObject"].(map[string]any)["signature"]).To(BeNil(), "no repc, no signature")
				mark := node.Mark()
				do(ctx, host, adapter.Set("number", 8))
				waitFor(ctx, node, mark, adapter.PropertyChanged("number", 8), "number 8")
				r := do(ctx, node, adapter.Call("add", 2, 3))
				Expect(r.Fields["value"]).To(EqualJSON(5))
				mark = node.Mark()
				do(ctx, host, adapter.Emit("pulsed", 4, "four"))
				sig := waitFor(ctx, node, mark, adapter.Signal("pulsed"), "pulsed")
				Expect(sig.Fields["args"]).To(EqualJSON([]any{4, "four"}))
			}, SpecTimeout(specTimeout))

			It("reports SignatureMismatch when a static replica meets a source of another class", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0", "--type", "tick", "--object", "TestObject")
				node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--static")
				ev := waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "SignatureMismatch"), "SignatureMismatch")
				Expect(ev.Str("oldState")).To(Equal("Default"))
				Expect(node.EventsSince(0, adapter.Named("initialized"))).To(BeEmpty())
				// A dynamic replica has no signature to compare: it takes whatever class arrives.
				dyn := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--dynamic")
				ini := waitFor(ctx, dyn, 0, adapter.Named("initialized"), "dynamic initialized")
				Expect(ini.Fields["values"]).To(EqualJSON(map[string]any{"counter": 0}))
			}, SpecTimeout(specTimeout))

			It("remotes the repc source through the dynamic API (--source-api dynamic)", func(ctx SpecContext) {
				host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0", "--source-api", "dynamic")
				Expect(do(ctx, host, adapter.Describe()).Fields).NotTo(HaveKey("api"))
				for _, mode := range []string{"static", "dynamic"} {
					node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--"+mode)
					waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "Valid"), mode+" Valid")
					Expect(do(ctx, node, adapter.Call("add", 40, 2)).Fields["value"]).To(EqualJSON(42))
					mark := node.Mark()
					do(ctx, host, adapter.Emit("multi", 1, "d", 0.5, false, ""))
					sig := waitFor(ctx, node, mark, adapter.Signal("multi"), "multi")
					Expect(sig.Fields["args"]).To(EqualJSON([]any{1, "d", 0.5, false, ""}))
				}
			}, SpecTimeout(specTimeout))

			It("runs the load modes: host batches, node sequence checks, replica storm, echo round trips", func(ctx SpecContext) {
				loadScenario(ctx, e, major)
			}, SpecTimeout(specTimeout))

			It(fmt.Sprintf("negative control: a Qt %d node never gets a Qt %d host's object", major, other), func(ctx SpecContext) {
				host := e.start(ctx, other, adapter.Host, "--url", "tcp://127.0.0.1:0")
				node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--static")
				// The dialects differ in byte order, so the node reads the other's Handshake size as
				// ~369 MB and waits for it; Qt may also report ProtocolMismatch. Either way: never Valid.
				wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				defer cancel()
				_, err := node.WaitFor(wctx, 0, adapter.AnyOf(adapter.StateChanged("", "Valid"), adapter.Named("initialized")))
				Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "cross-version replica must not initialize: %v", err)
				st := do(ctx, node, adapter.State())
				Expect(field(st, "replicas", "TestObject", "state")).To(Equal("Default"))
				mismatch := node.EventsSince(0, adapter.Named("nodeError", adapter.Field("error", "ProtocolMismatch")))
				AddReportEntry(fmt.Sprintf("Qt%d node -> Qt%d host ProtocolMismatch events", major, other), len(mismatch))
			}, SpecTimeout(specTimeout))
		})
	}
})

// The wire API of TestObject (fixtures/rep/testobject.rep header); enum types unqualified.
var (
	testObjectProperties = []string{"constantProp", "boolProp", "intProp", "uintProp", "longProp", "doubleProp",
		"floatProp", "stringProp", "bytesProp", "stringListProp", "variantListProp", "variantMapProp", "dateTimeProp",
		"urlProp", "pointProp", "sizeProp", "rectProp", "pointFProp", "colorProp", "podProp", "sourceOnlyProp", "child"}
	testObjectSignals = []string{"boolPropChanged(bool)", "intPropChanged(int)", "uintPropChanged(uint)",
		"longPropChanged(qlonglong)", "doublePropChanged(double)", "floatPropChanged(float)", "stringPropChanged(QString)",
		"bytesPropChanged(QByteArray)", "stringListPropChanged(QStringList)", "variantListPropChanged(QVariantList)",
		"variantMapPropChanged(QVariantMap)", "dateTimePropChanged(QDateTime)", "urlPropChanged(QUrl)",
		"pointPropChanged(QPoint)", "sizePropChanged(QSize)", "rectPropChanged(QRect)", "pointFPropChanged(QPointF)",
		"colorPropChanged(Color)", "podPropChanged(TestPod)", "sourceOnlyPropChanged(int)",
		"childChanged(TestChildSource*)", "pulse()", "multi(int,QString,double,bool,QByteArray)",
		"colorPod(Color,TestPod)", "containers(QStringList,QVariantList,QVariantMap)"}
	testObjectMethods = []string{"pushBoolProp(bool)", "pushLongProp(qlonglong)", "pushFloatProp(float)",
		"pushBytesProp(QByteArray)", "pushVariantListProp(QVariantList)", "pushDateTimeProp(QDateTime)",
		"pushPointProp(QPoint)", "pushRectProp(QRect)", "pushPodProp(TestPod)", "reset()", "fire(int)", "add(int,int)",
		"echo(QString)", "makePod(int,QString)", "nextColor(Color)", "echoVariant(QVariant)"}
)

// apiNames lists one field of a describe api section, in index order, with the enum's class
// qualifier removed (it differs between Qt versions).
func apiNames(res adapter.Event, section, key string) []string {
	GinkgoHelper()
	items, ok := res.Object("api")[section].([]any)
	Expect(ok).To(BeTrue(), "describe api has no %s", section)
	var out []string
	for i, it := range items {
		m := it.(map[string]any)
		Expect(m["index"]).To(EqualJSON(i), "%s are listed in index order", section)
		s, _ := m[key].(string)
		out = append(out, strings.ReplaceAll(s, "TestObjectSource::", ""))
	}
	return out
}

func countEvents(evs []adapter.Event, p adapter.Predicate) int {
	n := 0
	for _, e := range evs {
		if p(e) {
			n++
		}
	}
	return n
}

// replicationScenario is the core interop check of one transport and replica mode.
func replicationScenario(ctx context.Context, e *env, major int, transport, mode string) {
	host := e.start(ctx, major, adapter.Host, "--url", hostURL(transport))
	url := host.Ready().Str("url")
	Expect(url).To(HavePrefix(transport + ":"))
	node := e.start(ctx, major, adapter.Node, "--url", url, "--"+mode)
	Expect(node.Ready().Str("mode")).To(Equal(mode))
	initial := map[string]string{"static": "Default", "dynamic": "Uninitialized"}[mode]
	acq := waitFor(ctx, node, 0, adapter.Named("acquired"), "acquired")
	Expect(acq.Str("state")).To(Equal(initial))

	valid := waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "Valid"), "Valid")
	Expect(valid.Str("oldState")).To(Equal(initial))
	ini := waitFor(ctx, node, 0, adapter.Named("initialized"), "initialized")
	Expect(ini.Str("replica")).To(Equal("TestObject"))
	vals := ini.Object("values")
	Expect(vals).To(HaveLen(22))
	Expect(vals["constantProp"]).To(Equal("const"))
	Expect(vals["intProp"]).To(EqualJSON(42))
	Expect(vals["uintProp"]).To(EqualJSON(7))
	Expect(vals["doubleProp"]).To(EqualJSON(0.5))
	Expect(vals["floatProp"]).To(EqualJSON(1.5))
	Expect(vals["colorProp"]).To(EqualJSON(1))
	Expect(vals["stringProp"]).To(BeNil())
	Expect(vals["podProp"]).To(EqualJSON(testPod(0, nil, 0)))
	Expect(vals["child"]).To(EqualJSON(map[string]any{"value": 7}))
	Expect(vals["sourceOnlyProp"]).To(EqualJSON(3))

	// Host property change -> replica.
	mark := node.Mark()
	hmark := host.Mark()
	do(ctx, host, adapter.Set("intProp", 5))
	waitFor(ctx, host, hmark, adapter.PropertyChanged("intProp", 5), "host-side propertyChanged")
	waitFor(ctx, node, mark, adapter.PropertyChanged("intProp", 5), "intProp 5")
	do(ctx, host, adapter.Set("child.value", 9))
	waitFor(ctx, node, mark, adapter.PropertyChanged("child.value", 9), "child.value 9")

	// Signals with arguments, in order.
	mark = node.Mark()
	do(ctx, host, adapter.Emit("multi", 7, "sig", 2.5, true, b64([]byte{0, 0xff, 'x'})))
	do(ctx, host, adapter.Emit("colorPod", 7, testPod(1, "p", 0.5)))
	do(ctx, host, adapter.Emit("containers", []any{"a", ""}, []any{adapter.Tagged("int", 1)}, map[string]any{"k": adapter.Tagged("QString", "v")}))
	do(ctx, host, adapter.Emit("pulse"))
	cursor := mark
	next := func(p adapter.Predicate, what string) adapter.Event {
		GinkgoHelper()
		wctx, cancel := context.WithTimeout(ctx, waitTimeout)
		defer cancel()
		ev, err := node.Next(wctx, &cursor, p)
		Expect(err).NotTo(HaveOccurred(), what)
		return ev
	}
	sig := next(adapter.Named("signal"), "multi")
	Expect(sig.Str("signal")).To(Equal("multi"))
	Expect(sig.Fields["args"]).To(EqualJSON([]any{7, "sig", 2.5, true, b64([]byte{0, 0xff, 'x'})}))
	sig = next(adapter.Named("signal"), "colorPod")
	Expect(sig.Str("signal")).To(Equal("colorPod"))
	Expect(sig.Fields["args"]).To(EqualJSON([]any{7, testPod(1, "p", 0.5)}))
	sig = next(adapter.Named("signal"), "containers")
	Expect(sig.Fields["args"]).To(EqualJSON([]any{[]any{"a", ""}, []any{adapter.Tagged("int", 1)}, map[string]any{"k": adapter.Tagged("QString", "v")}}))
	sig = next(adapter.Named("signal"), "pulse")
	Expect(sig.Str("signal")).To(Equal("pulse"))
	Expect(sig.Fields["args"]).To(EqualJSON([]any{}))

	// Slots with replies.
	call := func(c adapter.Command) adapter.Event { GinkgoHelper(); return do(ctx, node, c) }
	r := call(adapter.Call("add", 2, 3))
	Expect(r.Fields["value"]).To(EqualJSON(5))
	Expect(r.Str("valueType")).To(Equal("int"))
	r = call(adapter.Call("echo", "héllo ☃"))
	Expect(r.Fields["value"]).To(Equal("héllo ☃"))
	Expect(r.Str("valueType")).To(Equal("QString"))
	r = call(adapter.Call("makePod", 4, "q"))
	Expect(r.Fields["value"]).To(EqualJSON(testPod(4, "q", 2)))
	Expect(r.Str("valueType")).To(Equal("TestPod"))
	r = call(adapter.Call("nextColor", 1))
	Expect(r.Fields["value"]).To(EqualJSON(7), "Green -> Blue")
	Expect(r.Str("valueType")).To(Equal("int"), "enums travel as int")
	r = call(adapter.Call("echoVariant", adapter.Tagged("QPoint", map[string]any{"x": 1, "y": -2})))
	Expect(r.Fields["value"]).To(EqualJSON(map[string]any{"x": 1, "y": -2}))
	Expect(r.Str("valueType")).To(Equal("QPoint"))
	hmark = host.Mark()
	mark = node.Mark()
	r = call(adapter.Call("reset"))
	Expect(r.Fields["void"]).To(BeTrue())
	Expect(r.Fields["value"]).To(BeNil())
	inv := waitFor(ctx, host, hmark, adapter.Named("invoked", adapter.Field("method", "reset")), "reset invoked")
	Expect(inv.Fields["args"]).To(EqualJSON([]any{}))
	waitFor(ctx, node, mark, adapter.PropertyChanged("intProp", 0), "reset -> intProp 0")
	waitFor(ctx, node, mark, adapter.Signal("pulse"), "reset -> pulse")

	// READWRITE write from the replica: Invoke call=2; the host applies it and echoes the change.
	mark, hmark = node.Mark(), host.Mark()
	do(ctx, node, adapter.Write("intProp", 77))
	waitFor(ctx, host, hmark, adapter.PropertyChanged("intProp", 77), "host sees the write")
	waitFor(ctx, node, mark, adapter.PropertyChanged("intProp", 77), "replica sees the write")
	Expect(do(ctx, node, adapter.Get("intProp")).Fields["value"]).To(EqualJSON(77))
	Expect(field(do(ctx, host, adapter.Get("")), "values", "intProp")).To(EqualJSON(77))

	// READPUSH push slot from the replica.
	mark, hmark = node.Mark(), host.Mark()
	do(ctx, node, adapter.Push("boolProp", true))
	inv = waitFor(ctx, host, hmark, adapter.Named("invoked", adapter.Field("method", "pushBoolProp")), "pushBoolProp invoked")
	Expect(inv.Fields["args"]).To(EqualJSON([]any{true}))
	waitFor(ctx, node, mark, adapter.PropertyChanged("boolProp", true), "boolProp pushed")
	do(ctx, node, adapter.Push("child.value", 11))
	waitFor(ctx, host, hmark, adapter.Named("invoked", adapter.Field("object", "TestObject.child"), adapter.Field("method", "pushValue")), "child push")
	waitFor(ctx, node, mark, adapter.PropertyChanged("child.value", 11), "child.value pushed")
	do(ctx, node, adapter.Call("child.pushValue", 13))
	waitFor(ctx, node, mark, adapter.PropertyChanged("child.value", 13), "child.value via call")
	if mode == "static" {
		doFail(ctx, node, adapter.Write("boolProp", false), "notWritable")
	}

	// disableRemoting -> Suspect; enableRemoting -> Valid again with the current values.
	mark, hmark = node.Mark(), host.Mark()
	do(ctx, host, adapter.DisableRemoting())
	Expect(waitFor(ctx, host, hmark, adapter.Named("remoting"), "remoting disabled").Fields["enabled"]).To(BeFalse())
	sus := waitFor(ctx, node, mark, adapter.StateChanged("TestObject", "Suspect"), "Suspect")
	Expect(sus.Str("oldState")).To(Equal("Valid"))
	doFail(ctx, host, adapter.DisableRemoting(), "notEnabled")
	do(ctx, host, adapter.Set("intProp", 123)) // changed while nobody listens
	mark = node.Mark()
	do(ctx, host, adapter.EnableRemoting())
	waitFor(ctx, node, mark, adapter.StateChanged("TestObject", "Valid"), "Valid again")
	Eventually(func() any {
		return do(ctx, node, adapter.Get("intProp")).Fields["value"]
	}).WithContext(ctx).WithTimeout(waitTimeout).Should(EqualJSON(123))
	st := do(ctx, node, adapter.State())
	Expect(field(st, "replicas", "TestObject", "state")).To(Equal("Valid"))
}

// valueScenario sets every property type on the host and checks the replica receives the identical
// canonical JSON.
func valueScenario(ctx context.Context, e *env, major int, mode string) {
	host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
	node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--"+mode)
	waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "Valid"), "Valid")
	waitFor(ctx, node, 0, adapter.Named("initialized"), "initialized")
	// A dynamic replica follows initialized with a notify for every property, in the same event-loop
	// turn; a sync result is written after them, so marks taken now see only new changes.
	do(ctx, node, adapter.Sync())

	type tc struct {
		prop  string
		value any
		want  any // what the host reports back (nil: the value itself)
	}
	bytes := make([]byte, 256)
	for i := range bytes {
		bytes[i] = byte(i)
	}
	cases := []tc{
		{prop: "boolProp", value: true},
		{prop: "intProp", value: -2147483648},
		{prop: "uintProp", value: uint64(4294967295)},
		{prop: "longProp", value: int64(9007199254740993)}, // 2^53+1: exact only without a float detour
		{prop: "longProp", value: int64(-9223372036854775808)},
		{prop: "doubleProp", value: 0.1},
		{prop: "doubleProp", value: -1.5e300},
		{prop: "doubleProp", value: "Infinity"},
		{prop: "floatProp", value: 0.1, want: 0.10000000149011612}, // float precision, widened to double
		{prop: "stringProp", value: "héllo ☃ 𝄞 \"q\" \\ \n\t\u0001"},
		{prop: "stringProp", value: ""},
		{prop: "bytesProp", value: b64(bytes)},
		{prop: "bytesProp", value: ""},
		{prop: "stringListProp", value: []any{"a", "", "ü"}},
		{prop: "variantListProp", value: []any{
			adapter.Tagged("int", 1), adapter.Tagged("QString", "x"), adapter.Tagged("double", 2.5),
			adapter.Tagged("bool", true), adapter.Tagged("qlonglong", int64(1)<<40), adapter.Tagged("uint", 7),
			adapter.Tagged("QByteArray", b64([]byte{1, 2})), adapter.Tagged("QStringList", []any{"s"}),
			adapter.Tagged("QVariantList", []any{adapter.Tagged("int", 2)}),
			adapter.Tagged("QVariantMap", map[string]any{"k": adapter.Tagged("QString", "v")}),
			adapter.Tagged("QPoint", map[string]any{"x": 3, "y": 4}),
			adapter.Tagged("QDateTime", map[string]any{"jd": 2458851, "ms": 1000, "spec": "UTC"}),
			adapter.Tagged("QUrl", "tcp://127.0.0.1:1"),
		}},
		{prop: "variantMapProp", value: map[string]any{
			"a": adapter.Tagged("int", -1), "b": adapter.Tagged("QString", "ß"), "": adapter.Tagged("double", 0.25),
			"nested": adapter.Tagged("QVariantMap", map[string]any{"x": adapter.Tagged("bool", false)}),
		}},
		{prop: "dateTimeProp", value: map[string]any{"jd": 2458851, "ms": 3723004, "spec": "UTC"}},
		{prop: "dateTimeProp", value: map[string]any{"jd": 2458852, "ms": 0, "spec": "OffsetFromUTC", "offset": 3600}},
		{prop: "dateTimeProp", value: map[string]any{"jd": 2458853, "ms": 86399999, "spec": "TimeZone", "tz": "Europe/Berlin"}},
		{prop: "urlProp", value: "https://example.com/a%20b?q=1#frag"},
		{prop: "pointProp", value: map[string]any{"x": -1, "y": 2147483647}},
		{prop: "sizeProp", value: map[string]any{"width": 3, "height": 4}},
		{prop: "rectProp", value: map[string]any{"x": 1, "y": 2, "width": 3, "height": 4}},
		{prop: "pointFProp", value: map[string]any{"x": 0.5, "y": -0.001}},
		{prop: "colorProp", value: 7},
		{prop: "colorProp", value: 0},
		{prop: "podProp", value: testPod(-1, "π", -0.25)},
		{prop: "sourceOnlyProp", value: 99},
		{prop: "child.value", value: -12},
	}
	for _, c := range cases {
		want := c.want
		if want == nil {
			want = c.value
		}
		mark := node.Mark()
		res := do(ctx, host, adapter.Set(c.prop, c.value))
		Expect(res.Fields["value"]).To(EqualJSON(want), "host value of %s", c.prop)
		ev := waitFor(ctx, node, mark, adapter.PropertyChanged(c.prop), c.prop)
		Expect(ev.Fields["value"]).To(EqualJSON(want), "replica value of %s (%s replica)", c.prop, mode)
		got := do(ctx, node, adapter.Get(c.prop))
		Expect(got.Fields["value"]).To(EqualJSON(want), "get %s", c.prop)
	}
	// Null and empty strings are different values on the wire; Qt's source setters compare them equal,
	// so a change null -> "" produces no update. Check the null round trip explicitly.
	mark := node.Mark()
	do(ctx, host, adapter.Set("stringProp", "x"))
	waitFor(ctx, node, mark, adapter.PropertyChanged("stringProp", "x"), "stringProp x")
	mark = node.Mark()
	do(ctx, host, adapter.Set("stringProp", nil))
	ev := waitFor(ctx, node, mark, adapter.PropertyChanged("stringProp"), "stringProp null")
	Expect(ev.Fields["value"]).To(BeNil())
}

// registryScenario: a node that only knows the registry finds the host.
func registryScenario(ctx context.Context, e *env, major int) {
	reg := e.start(ctx, major, adapter.Registry, "--url", "tcp://127.0.0.1:0")
	regURL := reg.Ready().Str("url")
	Expect(regURL).To(MatchRegexp(`^tcp://127\.0\.0\.1:[1-9][0-9]*$`))
	node := e.start(ctx, major, adapter.Node, "--registry", regURL, "--static")
	Expect(node.Ready().Str("registry")).To(Equal(regURL))
	host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0", "--registry", regURL)
	hostURL := host.Ready().Str("url")

	added := waitFor(ctx, node, 0, adapter.Named("remoteObjectAdded", adapter.Field("name", "TestObject")), "remoteObjectAdded")
	Expect(added.Str("typeName")).To(Equal("TestObject"))
	Expect(added.Str("hostUrl")).To(Equal(hostURL))
	waitFor(ctx, node, 0, adapter.StateChanged("TestObject", "Valid"), "Valid via registry")
	st := do(ctx, node, adapter.State())
	Expect(field(st, "sourceLocations", "TestObject", "hostUrl")).To(Equal(hostURL))

	mark := node.Mark()
	do(ctx, host, adapter.Set("intProp", 31))
	waitFor(ctx, node, mark, adapter.PropertyChanged("intProp", 31), "intProp through the registry-found connection")

	mark = node.Mark()
	do(ctx, host, adapter.DisableRemoting())
	removed := waitFor(ctx, node, mark, adapter.Named("remoteObjectRemoved", adapter.Field("name", "TestObject")), "remoteObjectRemoved")
	Expect(removed.Str("hostUrl")).To(Equal(hostURL))
	waitFor(ctx, node, mark, adapter.StateChanged("TestObject", "Suspect"), "Suspect")

	// A registry can remote an object itself.
	reg2 := e.start(ctx, major, adapter.Registry, "--url", "tcp://127.0.0.1:0", "--type", "tick")
	Expect(reg2.Ready().Str("object")).To(Equal("Tick"))
	n2 := e.start(ctx, major, adapter.Node, "--registry", reg2.Ready().Str("url"), "--type", "tick", "--static")
	waitFor(ctx, n2, 0, adapter.StateChanged("Tick", "Valid"), "Tick from the registry host")
}

// loadScenario runs every load mode briefly and checks the accounting, not the speed.
func loadScenario(ctx context.Context, e *env, major int) {
	host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0", "--type", "tick")
	url := host.Ready().Str("url")
	node := e.start(ctx, major, adapter.Node, "--url", url, "--type", "tick", "--static")
	waitFor(ctx, node, 0, adapter.StateChanged("Tick", "Valid"), "Valid")

	const n = 2000
	nmark := node.Mark()
	r := do(ctx, node, adapter.Load("receive", map[string]any{"count": n, "streams": []string{"props", "signals"}, "timeoutMs": 60000}))
	Expect(r.Fields["baseline"]).To(EqualJSON(0))
	hmark := host.Mark()
	r = do(ctx, host, adapter.Load("both", map[string]any{"count": n, "batch": 100}))
	Expect(r.Fields["firstCounter"]).To(EqualJSON(1))
	hs := waitFor(ctx, host, hmark, adapter.Named("loadSummary"), "host loadSummary")
	Expect(hs.Fields["sent"]).To(EqualJSON(n))
	Expect(hs.Fields["turns"]).To(EqualJSON(n / 100))
	ns := waitFor(ctx, node, nmark, adapter.Named("loadSummary"), "node loadSummary")
	Expect(ns.Str("outcome")).To(Equal("complete"))
	for _, stream := range []string{"props", "signals"} {
		Expect(field(ns, "streams", stream, "unique")).To(EqualJSON(n), stream)
		Expect(field(ns, "streams", stream, "missing")).To(EqualJSON(0), stream)
		Expect(field(ns, "streams", stream, "duplicates")).To(EqualJSON(0), stream)
		Expect(field(ns, "streams", stream, "reordered")).To(EqualJSON(0), stream)
	}
	Expect(field(ns, "streams", "signals", "latency", "count")).To(EqualJSON(n))
	Expect(ns.Object("streams")["props"].(map[string]any)).NotTo(HaveKey("latency"))
	// No per-update events were written during the run.
	Expect(node.EventsSince(nmark, adapter.Named("propertyChanged"))).To(BeEmpty())

	// A paced payload run, then the counter continues from where it was (baseline = n).
	nmark = node.Mark()
	r = do(ctx, node, adapter.Load("receive", map[string]any{"count": 50, "streams": []string{"payload"}}))
	Expect(r.Fields["baseline"]).To(EqualJSON(n))
	hmark = host.Mark()
	do(ctx, host, adapter.Load("payload", map[string]any{"count": 50, "batch": 1, "rate": 500, "payloadBytes": 4096, "progressMs": 10}))
	hs = waitFor(ctx, host, hmark, adapter.Named("loadSummary"), "paced host summary")
	progress := host.EventsSince(hmark, adapter.Named("loadProgress", adapter.Field("mode", "payload")))
	Expect(progress).NotTo(BeEmpty(), "a 100 ms run with progressMs 10 reports progress")
	for _, p := range progress {
		sent, _ := p.Int("sent")
		Expect(sent).To(BeNumerically(">", 0))
		Expect(sent).To(BeNumerically("<", 50))
	}
	Expect(hs.Fields["payloadBytes"]).To(EqualJSON(4096))
	elapsed, _ := hs.Int("elapsedNs")
	Expect(elapsed).To(BeNumerically(">=", int64(80*time.Millisecond)), "50 at 500/s takes ~100 ms")
	ns = waitFor(ctx, node, nmark, adapter.Named("loadSummary"), "payload summary")
	Expect(field(ns, "streams", "payload", "unique")).To(EqualJSON(50))

	// Echo round trips.
	nmark = node.Mark()
	do(ctx, node, adapter.Load("calls", map[string]any{"count": 200, "inflight": 4}))
	cs := waitFor(ctx, node, nmark, adapter.Named("loadSummary", adapter.Field("mode", "calls")), "calls summary")
	Expect(cs.Fields["completed"]).To(EqualJSON(200))
	Expect(cs.Fields["mismatches"]).To(EqualJSON(0))
	Expect(field(cs, "rtt", "count")).To(EqualJSON(200))

	// Replica storm: many nodes, one replica each.
	nmark = node.Mark()
	do(ctx, node, adapter.Load("replicas", map[string]any{"count": 50}))
	rs := waitFor(ctx, node, nmark, adapter.Named("loadSummary", adapter.Field("mode", "replicas")), "replicas summary")
	Expect(rs.Str("outcome")).To(Equal("complete"))
	Expect(rs.Fields["valid"]).To(EqualJSON(50))
	Expect(rs.Fields["nodeErrors"]).To(EqualJSON(0))

	doFail(ctx, host, adapter.Load("props", map[string]any{"count": 0}), "badArgs")
	testObjHost := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
	doFail(ctx, testObjHost, adapter.Load("props", map[string]any{"count": 10}), "badArgs")
}

// procState returns the one-letter state of a process from /proc (T: stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2])
}

// modelScenario drives the item-model commands (ADAPTER.md §6.5) between a
// Qt host and a Qt node of one version.
func modelScenario(ctx context.Context, e *env, major int) {
	host := e.start(ctx, major, adapter.Host, "--url", "tcp://127.0.0.1:0")
	Expect(host.Ready().Fields["contract"]).To(EqualJSON(3))
	Expect(host.Ready().Fields["capabilities"].(map[string]any)["models"]).To(EqualJSON([]any{"host", "node"}))
	waitFor(ctx, host, 0, adapter.Named("remoting"), "remoting")
	do(ctx, host, adapter.Command{"cmd": "remoteModel", "name": "M", "rows": 4, "columns": 2, "roles": []any{0, 257}, "childRows": 1})
	doFail(ctx, host, adapter.Command{"cmd": "remoteModel", "name": "M", "rows": 1}, "alreadyEnabled")
	doFail(ctx, host, adapter.Command{"cmd": "modelMoveRows", "name": "M", "row": 0, "count": 2, "dest": 1}, "badArgs")
	doFail(ctx, host, adapter.Command{"cmd": "acquireModel", "name": "M"}, "wrongRole")

	node := e.start(ctx, major, adapter.Node, "--url", host.Ready().Str("url"), "--no-acquire")
	do(ctx, node, adapter.Command{"cmd": "acquireModel", "name": "M", "action": "fetchRootSize"})
	Eventually(func() []any {
		st := do(ctx, node, adapter.Command{"cmd": "modelState", "model": "M"})
		return []any{st.Fields["initialized"], st.Fields["rows"], st.Fields["columns"], st.Fields["availableRoles"]}
	}).WithContext(ctx).WithTimeout(15 * time.Second).Should(EqualJSON([]any{true, 4, 2, []any{0, 257}}))
	rows := do(ctx, node, adapter.Command{"cmd": "modelRows", "model": "M", "first": 2, "last": 2, "roles": []any{0, 257}})
	Expect(rows.Fields["rows"]).To(EqualJSON([]any{[]any{
		map[string]any{"0": map[string]any{"type": "QString", "value": "r2c0"}, "257": map[string]any{"type": "QString", "value": "257:r2c0"}},
		map[string]any{"0": map[string]any{"type": "QString", "value": "r2c1"}, "257": map[string]any{"type": "QString", "value": "257:r2c1"}},
	}}))

	mark := len(node.Events())
	Expect(do(ctx, host, adapter.Command{"cmd": "modelInsertRows", "name": "M", "row": 4, "count": 2, "label": "a"}).Fields["rows"]).To(EqualJSON(6))
	waitFor(ctx, node, mark, adapter.Named("modelChanged", adapter.Field("change", "rowsInserted"), adapter.Field("first", 4),
		adapter.Field("last", 5), adapter.Field("rows", 6)), "rowsInserted")
	do(ctx, host, adapter.Command{"cmd": "modelSetHeader", "name": "M", "section": 1, "value": "H1"})
	waitFor(ctx, node, mark, adapter.Named("modelChanged", adapter.Field("change", "headerDataChanged"), adapter.Field("first", 1)), "headerDataChanged")
	Expect(do(ctx, node, adapter.Command{"cmd": "modelHeader", "model": "M", "section": 1}).Fields["value"]).
		To(EqualJSON(map[string]any{"type": "QString", "value": "H1"}))
	// The reset comes before the current index: a Qt replica echoes the host's current index back
	// (replicaSetCurrentIndex), and a Qt host that has shrunk meanwhile aborts on it (PROTOCOL-ERRATA.md).
	do(ctx, host, adapter.Command{"cmd": "modelReset", "name": "M", "rows": 1, "label": "z"})
	waitFor(ctx, node, mark, adapter.Named("modelChanged", adapter.Field("change", "modelReset")), "modelReset")
	Eventually(func() any {
		return do(ctx, node, adapter.Command{"cmd": "modelRows", "model": "M", "first": 0, "last": 0, "roles": []any{0}}).Fields["rows"]
	}).WithContext(ctx).WithTimeout(10 * time.Second).Should(EqualJSON([]any{[]any{
		map[string]any{"0": map[string]any{"type": "QString", "value": "z0c0"}},
		map[string]any{"0": map[string]any{"type": "QString", "value": "z0c1"}},
	}}))
	do(ctx, host, adapter.Command{"cmd": "modelSetCurrentIndex", "name": "M", "row": 0, "column": 1})
	waitFor(ctx, node, mark, adapter.Named("modelChanged", adapter.Field("change", "currentChanged"),
		adapter.Field("current", map[string]any{"row": 0, "column": 1})), "currentChanged")
	doFail(ctx, node, adapter.Command{"cmd": "modelRows", "model": "M", "first": 0, "last": 0, "parent": []any{}}, "unsupported")
	doFail(ctx, node, adapter.Command{"cmd": "modelState", "model": "nope"}, "noReplica")
}
