// Command gofloor is the Go floor of a connection storm: storm.c's byte
// pattern (120 bytes on accept, 40 back, 300 more) with the plainest Go a
// node could have — one goroutine per connection on each side, net.Conn
// reads and writes, nothing parsed. What it costs over storm.c is the Go
// runtime's share; what a QtRO node costs over it is the node's.
//
//	gofloor host tcp 127.0.0.1:7400 | gofloor host unix /tmp/floor.sock
//	gofloor clients tcp 127.0.0.1:7400 10000 [P]
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

const (
	greet = 120
	add   = 40
	init_ = 300
)

func host(network, addr string) error {
	if network == "unix" {
		os.Remove(addr)
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	g, in := make([]byte, greet), make([]byte, init_)
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			b := make([]byte, 512)
			if _, err := c.Write(g); err != nil {
				return
			}
			if _, err := io.ReadFull(c, b[:add]); err != nil {
				return
			}
			if _, err := c.Write(in); err != nil {
				return
			}
			_, _ = c.Read(b) // hold the connection until the client goes
		}()
	}
}

func clients(network, addr string, n, par int) error {
	if par <= 0 {
		par = n
	}
	sem := make(chan struct{}, par)
	took := make([]time.Duration, n)
	conns := make([]net.Conn, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for k := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			var c net.Conn
			var err error
			for {
				if c, err = net.Dial(network, addr); err == nil {
					break
				}
				time.Sleep(time.Millisecond) // a full unix backlog (EAGAIN): try again
			}
			conns[k] = c
			b := make([]byte, 512)
			if _, err := io.ReadFull(c, b[:greet]); err != nil {
				errs <- err
				return
			}
			if _, err := c.Write(b[:add]); err != nil {
				errs <- err
				return
			}
			if _, err := io.ReadFull(c, b[:init_]); err != nil {
				errs <- err
				return
			}
			took[k] = time.Since(t0)
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	close(errs)
	for err := range errs {
		return err
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	fmt.Printf("%s N=%d P=%d: all Valid after %.1f ms; per connection p50 %.1f ms, max %.1f ms\n", network, n, par,
		float64(wall)/1e6, float64(took[n/2])/1e6, float64(took[n-1])/1e6)
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return nil
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: gofloor host|clients tcp|unix ADDR [N [P]]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "host":
		err = host(os.Args[2], os.Args[3])
	case "clients":
		n, par := 10000, 0
		if len(os.Args) > 4 {
			n, _ = strconv.Atoi(os.Args[4])
		}
		if len(os.Args) > 5 {
			par, _ = strconv.Atoi(os.Args[5])
		}
		err = clients(os.Args[2], os.Args[3], n, par)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gofloor:", err)
		os.Exit(1)
	}
}
