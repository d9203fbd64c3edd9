package repc_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/repc/golden/lamp"
	"github.com/qtro/qtro/impl/repc/golden/signatureenums"
	"github.com/qtro/qtro/impl/repc/golden/signatureqt6"
	"github.com/qtro/qtro/impl/repc/golden/testobject"
	"github.com/qtro/qtro/impl/repc/repcrt"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var dialects = []node.Dialect{node.Qt5, node.Qt6}

// latest keeps the last value a callback saw.
type latest[T any] struct {
	mu sync.Mutex
	v  T
	n  int
}

func (l *latest[T]) set(v T) { l.mu.Lock(); l.v, l.n = v, l.n+1; l.mu.Unlock() }
func (l *latest[T]) get() (T, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v, l.n
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func host(t *testing.T, d node.Dialect) *node.Host {
	t.Helper()
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0", node.Config{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func client(t *testing.T, url string) *node.Node {
	t.Helper()
	n := node.NewNode(node.Config{RetryInterval: 20 * time.Millisecond})
	t.Cleanup(func() { _ = n.Close() })
	if err := n.ConnectToNode(url); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGeneratedGoToGo runs the generated TestObject source and replica
// against each other in both dialects: typed defaults, changes both ways,
// push slots, typed slot calls with POD and enum results, a signal with an
// enum and a POD, and the CLASS child.
func TestGeneratedGoToGo(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h := host(t, d)
			src, err := testobject.NewTestObjectSource(d)
			if err != nil {
				t.Fatal(err)
			}
			must(t, src.HandleAdd(func(_ context.Context, a, b int32) (int32, error) { return a + b, nil }))
			must(t, src.HandleMakePod(func(_ context.Context, id int32, label string) (testobject.TestPod, error) {
				return testobject.TestPod{Id: id, Label: label, Weight: float64(id) * 0.5}, nil
			}))
			must(t, src.HandleNextColor(func(_ context.Context, c testobject.TestObjectColor) (testobject.TestObjectColor, error) {
				if c == testobject.TestObjectColorGreen {
					return testobject.TestObjectColorBlue, nil
				}
				return testobject.TestObjectColorRed, nil
			}))
			must(t, src.SetIntProp(7))
			must(t, src.EnableRemoting(h, ""))

			n := client(t, h.URL())
			rep, err := testobject.AcquireTestObject(n, "")
			if err != nil {
				t.Fatal(err)
			}
			var ints latest[int32]
			cancelInts := rep.OnIntPropChanged(ints.set)
			defer cancelInts()
			var pods latest[testobject.TestPod]
			var colors latest[testobject.TestObjectColor]
			rep.OnColorPod(func(c testobject.TestObjectColor, p testobject.TestPod) { colors.set(c); pods.set(p) })
			if err := rep.WaitForSource(ctx); err != nil {
				t.Fatal(err)
			}
			if got := rep.IntProp(); got != 7 {
				t.Errorf("IntProp after Init = %d, want 7", got)
			}
			if got := rep.ConstantProp(); got != "const" {
				t.Errorf("ConstantProp = %q", got)
			}
			if got := rep.ColorProp(); got != testobject.TestObjectColorGreen {
				t.Errorf("ColorProp = %v, want Green", got)
			}

			must(t, src.SetIntProp(11))
			eventually(t, "intProp 11 at the replica", func() bool { v, _ := ints.get(); return v == 11 })
			var written latest[int32]
			var pushed latest[bool]
			defer src.OnIntPropWritten(written.set)()
			defer src.OnBoolPropWritten(pushed.set)()
			must(t, rep.SetIntProp(12)) // READWRITE
			eventually(t, "intProp 12 at the source", func() bool { return src.IntProp() == 12 })
			eventually(t, "OnIntPropWritten(12)", func() bool { v, n := written.get(); return v == 12 && n == 1 })
			must(t, rep.PushBoolProp(true)) // READPUSH
			eventually(t, "boolProp at the source", func() bool { return src.BoolProp() })
			eventually(t, "OnBoolPropWritten(true)", func() bool { v, n := pushed.get(); return v && n == 1 })
			eventually(t, "boolProp back at the replica", func() bool { return rep.BoolProp() })

			pod := testobject.TestPod{Id: 3, Label: "π", Weight: 2.5}
			must(t, src.SetPodProp(pod))
			when := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
			must(t, src.SetDateTimeProp(when))
			must(t, src.SetPointProp(repcrt.Point{X: 1, Y: -2}))
			eventually(t, "podProp, dateTimeProp, pointProp", func() bool {
				return rep.PodProp() == pod && rep.DateTimeProp().Equal(when) && rep.PointProp() == repcrt.Point{X: 1, Y: -2}
			})

			if sum, err := rep.Add(ctx, 2, 40); err != nil || sum != 42 {
				t.Errorf("Add(2, 40) = %d, %v", sum, err)
			}
			if p, err := rep.MakePod(ctx, 4, "four"); err != nil || p != (testobject.TestPod{Id: 4, Label: "four", Weight: 2}) {
				t.Errorf("MakePod = %+v, %v", p, err)
			}
			if c, err := rep.NextColor(ctx, testobject.TestObjectColorGreen); err != nil || c != testobject.TestObjectColorBlue {
				t.Errorf("NextColor(Green) = %v, %v", c, err)
			}

			must(t, src.EmitColorPod(testobject.TestObjectColorBlue, pod))
			eventually(t, "colorPod signal", func() bool {
				c, n := colors.get()
				p, _ := pods.get()
				return n == 1 && c == testobject.TestObjectColorBlue && p == pod
			})

			eventually(t, "child replica", func() bool { return rep.Child() != nil })
			if got := rep.Child().Value(); got != 7 {
				t.Errorf("child value = %d, want 7", got)
			}
			must(t, src.Child().SetValue(8))
			eventually(t, "child value 8", func() bool { return rep.Child().Value() == 8 })
		})
	}
}

// TestGeneratedSignatureMismatch acquires a Lamp whose .rep differs from
// the hosted Lamp's: the replica must end in SignatureMismatch.
func TestGeneratedSignatureMismatch(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h := host(t, d)
			other, err := signatureenums.NewLampSource(d)
			if err != nil {
				t.Fatal(err)
			}
			must(t, other.EnableRemoting(h, ""))
			n := client(t, h.URL())
			rep, err := lamp.AcquireLamp(n, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.WaitForState(ctx, node.SignatureMismatch); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestQt6OnlyFileHasNoQt5Source: Qt 5.15 repc rejects Qt 6 syntax, so the
// generated code refuses a Qt 5 source instead of inventing a signature.
func TestQt6OnlyFileHasNoQt5Source(t *testing.T) {
	if _, err := signatureqt6.NewModernSource(node.Qt5); err == nil {
		t.Fatal("a Qt 5 source of a Qt 6 only .rep was built")
	}
	if _, err := signatureqt6.NewModernSource(node.Qt6); err != nil {
		t.Fatal(err)
	}
	if _, err := testobject.NewTestObjectSource(0); err == nil {
		t.Fatal("a source of dialect 0 was built")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
