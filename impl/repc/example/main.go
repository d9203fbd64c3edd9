// Command example hosts a Tick (fixtures/rep/tick.rep) for Qt's TickReplica, e.g.
// build/peers/qt6/qtro-peer node --url tcp://127.0.0.1:9999 --type tick (README.md shows this file).
package main

//go:generate go run github.com/qtro/qtro/cmd/qtro repc -o tick/tick_rep.go ../../../fixtures/rep/tick.rep

import (
	"context"
	"log"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/repc/example/tick"
)

func main() {
	host, err := node.NewHost(context.Background(), "tcp://127.0.0.1:9999", node.Config{Dialect: node.Qt6})
	if err != nil {
		log.Fatal(err)
	}
	src, err := tick.NewTickSource(node.Qt6) // a Qt 6 repc class signature
	if err != nil {
		log.Fatal(err)
	}
	src.HandleEcho(func(_ context.Context, seq int64) (int64, error) { return seq, nil })
	if err := src.EnableRemoting(host, ""); err != nil {
		log.Fatal(err)
	}
	for n := int32(1); ; n++ {
		time.Sleep(time.Second)
		src.SetCounter(n) // Qt replicas get counterChanged(n)
		src.EmitTick(int64(n), time.Now().UnixNano())
	}
}
