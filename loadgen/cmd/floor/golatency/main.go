// Command golatency is the Go floor of the comparison's signal-latency row:
// one process writes a 64-byte message carrying its CLOCK_MONOTONIC time
// every 200 µs (5,000/s) over loopback TCP, another reads them with a
// goroutine blocked in Read; the one-way time is the reader's clock minus
// the writer's. No QtRO: what is left is the Go runtime's wake-up path on
// this machine, which the Go node's latency cannot go below.
//
//	golatency [COUNT]
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"github.com/qtro/qtro/loadgen/clock"
)

func send(addr string, n int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	b := make([]byte, 64)
	start := clock.Now()
	for i := range n {
		clock.SleepUntil(start + int64(i+1)*int64(200*time.Microsecond))
		binary.LittleEndian.PutUint64(b, uint64(clock.Now()))
		if _, err := c.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	n := 15000
	if len(os.Args) > 2 && os.Args[1] == "send" {
		if len(os.Args) > 3 {
			n, _ = strconv.Atoi(os.Args[3])
		}
		if err := send(os.Args[2], n); err != nil {
			fmt.Fprintln(os.Stderr, "golatency send:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "golatency:", err)
		os.Exit(1)
	}
	cmd := exec.Command(os.Args[0], "send", ln.Addr().String(), strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "golatency:", err)
		os.Exit(1)
	}
	c, err := ln.Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, "golatency:", err)
		os.Exit(1)
	}
	b := make([]byte, 64)
	lat := make([]int64, 0, n)
	for {
		if _, err := io.ReadFull(c, b); err != nil {
			break
		}
		lat = append(lat, clock.Now()-int64(binary.LittleEndian.Uint64(b)))
	}
	_ = cmd.Wait()
	if len(lat) == 0 {
		fmt.Fprintln(os.Stderr, "golatency: nothing received")
		os.Exit(1)
	}
	slices.Sort(lat)
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	fmt.Printf("Go one-way at 5,000/s over loopback TCP: p50 %.0f µs, p99 %.0f µs, max %.0f µs (n=%d)\n",
		us(lat[len(lat)/2]), us(lat[len(lat)*99/100]), us(lat[len(lat)-1]), len(lat))
}
