package node_test

import (
	"context"
	"fmt"
	"time"

	"github.com/qtro/qtro/impl/node"
)

// thermostatRep is the .rep text the examples share: what Qt's repc would
// read, and what a Qt replica or source of the same class is built from.
const thermostatRep = `
class Thermostat
{
    PROP(double target = 20.5 READWRITE)
    PROP(QString room = "hall")
    SIGNAL(alarm(const QString &why))
    SLOT(int boost(int minutes))
};
`

// Hosting a source: build its class from .rep text, serve it, and handle
// its slot. A Qt 6 replica of Thermostat (or a Go one) can now acquire it.
func ExampleHost_EnableRemoting() {
	ctx := context.Background()
	rc, err := node.ClassFromRep(thermostatRep, "Thermostat")
	if err != nil {
		panic(err)
	}
	cls, _ := rc.ForDialect(node.Qt6)
	src := node.NewSource(cls)
	_ = src.HandleMethod("boost", func(_ context.Context, args []node.Variant) (node.Variant, error) {
		return node.ValueOf(args[0].Int() * 60) // seconds of boost
	})

	host, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: node.Qt6})
	if err != nil {
		panic(err)
	}
	defer host.Close()
	if err := host.EnableRemoting(src, "Thermostat"); err != nil {
		panic(err)
	}
	_ = src.SetProperty("target", 21.0) // every replica is told
	v, _ := src.Property("target")
	fmt.Println("target:", v.Float())
	// Output: target: 21
}

// Acquiring a dynamic replica: its class comes from the source. Read,
// write and call, then shut the node down.
func ExampleNode_AcquireDynamic() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host, url := exampleHost(ctx)
	defer host.Close()

	n := node.NewNode(node.Config{})
	if err := n.ConnectToNode(url); err != nil {
		panic(err)
	}
	r, _ := n.AcquireDynamic("Thermostat")
	if err := r.WaitForSource(ctx); err != nil {
		panic(err)
	}
	room, _ := r.Property("room")
	fmt.Println("room:", room.Str())

	secs, err := r.Call(ctx, "boost", 5) // waits for the reply
	fmt.Println("boost:", secs.Int(), err)

	if err := n.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// room: hall
	// boost: 300 <nil>
}

// Acquiring a static replica: the class is compiled in (here from .rep
// text), and the node checks the source's signature as Qt does.
func ExampleNode_Acquire() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host, url := exampleHost(ctx)
	defer host.Close()

	rc, err := node.ClassFromRep(thermostatRep, "Thermostat")
	if err != nil {
		panic(err)
	}
	n := node.NewNode(node.Config{})
	defer n.Close()
	_ = n.ConnectToNode(url)
	r, _ := n.Acquire("Thermostat", rc)
	fmt.Println("before the source:", r.State()) // .rep defaults until Init
	if err := r.WaitForSource(ctx); err != nil {
		panic(err)
	}
	fmt.Println("then:", r.State())
	// Output:
	// before the source: Default
	// then: Valid
}

// Observing a replica: property changes and signals arrive in order on
// the subscription's own goroutine; the returned function stops them.
func ExampleReplica_Subscribe() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host, url := exampleHost(ctx)
	defer host.Close()
	src := host.Source("Thermostat")

	n := node.NewNode(node.Config{})
	defer n.Close()
	_ = n.ConnectToNode(url)
	r, _ := n.AcquireDynamic("Thermostat")
	if err := r.WaitForSource(ctx); err != nil {
		panic(err)
	}
	events := make(chan string, 8)
	stop := r.Subscribe(func(ev node.Event) {
		switch {
		case ev.FromInit:
			// The Init may still be being delivered: its notifications
			// repeat what WaitForSource already made readable.
		case ev.Kind == node.PropertyChanged:
			events <- fmt.Sprintf("%s = %v", ev.Name, ev.Value.Float())
		case ev.Kind == node.SignalEmitted:
			events <- fmt.Sprintf("%s(%q)", ev.Name, ev.Args[0].Str())
		}
	})
	defer stop()

	_ = r.SetProperty("target", 18.5) // a write from the replica...
	fmt.Println(<-events)             // ...comes back as a change
	_ = src.Emit("alarm", "window open")
	fmt.Println(<-events)
	// Output:
	// target = 18.5
	// alarm("window open")
}

// Calling a slot without waiting: Invoke returns a PendingCall (already
// complete for a void slot).
func ExampleReplica_Invoke() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host, url := exampleHost(ctx)
	defer host.Close()

	n := node.NewNode(node.Config{})
	defer n.Close()
	_ = n.ConnectToNode(url)
	r, _ := n.AcquireDynamic("Thermostat")
	if err := r.WaitForSource(ctx); err != nil {
		panic(err)
	}
	pc, err := r.Invoke("boost", 2)
	if err != nil {
		panic(err)
	}
	v, err := pc.Wait(ctx)
	fmt.Println(v.Int(), err)
	// Output: 120 <nil>
}

// Shutting down: a node writes what it queued before closing; a host
// does the same for each connection.
func ExampleNode_Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host, url := exampleHost(ctx)
	src := host.Source("Thermostat")
	written := make(chan float64, 1)
	stop := src.Observe(func(ev node.SourceEvent) { written <- ev.Value.Float() })
	defer stop()

	n := node.NewNode(node.Config{})
	_ = n.ConnectToNode(url)
	r, _ := n.AcquireDynamic("Thermostat")
	if err := r.WaitForSource(ctx); err != nil {
		panic(err)
	}
	_ = r.SetProperty("target", 17.0)
	fmt.Println("node:", n.Shutdown(ctx))
	fmt.Println("source got:", <-written)
	fmt.Println("host:", host.Shutdown(ctx))
	// Output:
	// node: <nil>
	// source got: 17
	// host: <nil>
}

// exampleHost serves a Thermostat source on a free local TCP port.
func exampleHost(ctx context.Context) (*node.Host, string) {
	rc, err := node.ClassFromRep(thermostatRep, "Thermostat")
	if err != nil {
		panic(err)
	}
	cls, _ := rc.ForDialect(node.Qt6)
	src := node.NewSource(cls)
	_ = src.HandleMethod("boost", func(_ context.Context, args []node.Variant) (node.Variant, error) {
		return node.ValueOf(args[0].Int() * 60)
	})
	host, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		panic(err)
	}
	if err := host.EnableRemoting(src, "Thermostat"); err != nil {
		panic(err)
	}
	return host, host.URL()
}
