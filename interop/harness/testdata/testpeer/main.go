// Command testpeer is the harness's own test peer: a static binary that reads
// line commands on stdin and reports on stdout, exercising what a real peer
// needs from the harness (stdio, exit codes, tcp/unix sockets, shared dirs).
//
//	listen NETWORK ADDR     listen; print "listening"; echo every line received as "echo LINE"
//	dial NETWORK ADDR MSG   connect (retrying 5 s), send MSG, print "reply LINE"
//	stderr TEXT             write TEXT to stderr
//	env NAME                print "env NAME=VALUE"
//	exit N                  exit with code N
//
// End of stdin exits 0.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "listen":
			ln, err := net.Listen(f[1], f[2])
			if err != nil {
				fmt.Println("error", err)
				continue
			}
			fmt.Println("listening", ln.Addr())
			go serve(ln)
		case "dial":
			dial(f[1], f[2], strings.Join(f[3:], " "))
		case "stderr":
			fmt.Fprintln(os.Stderr, strings.Join(f[1:], " "))
		case "env":
			fmt.Printf("env %s=%s\n", f[1], os.Getenv(f[1]))
		case "exit":
			n, _ := strconv.Atoi(f[1])
			os.Exit(n)
		default:
			fmt.Println("error unknown command", f[0])
		}
	}
}

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				fmt.Fprintf(c, "echo %s\n", sc.Text())
			}
		}()
	}
}

func dial(network, addr, msg string) {
	var c net.Conn
	var err error
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if c, err = net.Dial(network, addr); err == nil {
			break
		}
	}
	if err != nil {
		fmt.Println("error", err)
		return
	}
	defer c.Close()
	fmt.Fprintln(c, msg)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Println("error", err)
		return
	}
	fmt.Println("reply", strings.TrimSpace(line))
}
