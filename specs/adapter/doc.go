// Package adapter launches and drives qtro adapters: processes that speak the JSON-lines contract of
// specs/ADAPTER.md (commands on stdin, events on stdout, logs on stderr, exit code 127 for
// "unsupported"). The real Qt 5 and Qt 6 peers built from fixtures/peer are the first adapters; the
// Go reference node gets one too, and third parties can bring their own.
//
// A typical use:
//
//	bin, _ := adapter.QtPeer(ctx, 6)
//	host, err := adapter.Start(ctx, adapter.Config{Command: []string{bin}, Role: adapter.Host,
//		Args: []string{"--url", "tcp://127.0.0.1:0"}})
//	if errors.Is(err, adapter.ErrUnsupported) { /* report unsupported, not failed */ }
//	defer host.Close()
//	mark := host.Mark()
//	host.Do(ctx, adapter.Set("intProp", 5))
//	host.WaitFor(ctx, mark, adapter.Named(contract.EvPropertyChanged, adapter.Field("property", "intProp")))
package adapter
