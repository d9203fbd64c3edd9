package sanity

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/qtro/qtro/interop/harness"
)

// event is one JSON line a peer wrote on stdout (specs/ADAPTER.md).
type event map[string]any

func (e event) str(k string) string {
	s, _ := e[k].(string)
	return s
}

func (e event) String() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// peer drives one adapter process over JSON lines: commands with ids on stdin,
// events on stdout. It keeps every event, so awaiting one never misses it.
type peer struct {
	name string
	p    *harness.Process

	mu     sync.Mutex
	events []event
	bad    []string
	eof    bool
	wake   chan struct{}
	nextID int
}

func newPeer(p *harness.Process) *peer {
	pe := &peer{name: p.Name(), p: p, wake: make(chan struct{})}
	go pe.read(p.Stdout())
	return pe
}

func (pe *peer) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		err := json.Unmarshal(sc.Bytes(), &e)
		pe.mu.Lock()
		if err != nil || e.str("event") == "" {
			pe.bad = append(pe.bad, sc.Text())
		} else {
			pe.events = append(pe.events, e)
		}
		close(pe.wake)
		pe.wake = make(chan struct{})
		pe.mu.Unlock()
	}
	pe.mu.Lock()
	pe.eof = true
	close(pe.wake)
	pe.wake = make(chan struct{})
	pe.mu.Unlock()
}

// await returns the first event at or after index *from that matches; *from
// moves past it. It fails when ctx ends or the peer's stdout ends.
func (pe *peer) await(ctx context.Context, from *int, what string, match func(event) bool) (event, error) {
	for {
		pe.mu.Lock()
		for i := *from; i < len(pe.events); i++ {
			if match(pe.events[i]) {
				*from = i + 1
				e := pe.events[i]
				pe.mu.Unlock()
				return e, nil
			}
		}
		eof, wake := pe.eof, pe.wake
		pe.mu.Unlock()
		if eof {
			code, err := pe.p.ExitCode()
			return nil, fmt.Errorf("%s: waiting for %s: stdout ended (exit %d %v); stderr: %s", pe.name, what, code, err, tail(pe.p.StderrTail()))
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: waiting for %s: %w; last events: %s", pe.name, what, ctx.Err(), pe.lastEvents(3))
		}
	}
}

// awaitEvent waits for the next event named name that also matches match (nil: any).
func (pe *peer) awaitEvent(ctx context.Context, from *int, name string, match func(event) bool) (event, error) {
	return pe.await(ctx, from, name, func(e event) bool {
		return e.str("event") == name && (match == nil || match(e))
	})
}

// do sends a command and waits for its result event; a result with ok=false
// is an error.
func (pe *peer) do(ctx context.Context, cmd map[string]any) (event, error) {
	pe.mu.Lock()
	pe.nextID++
	id := pe.nextID
	from := len(pe.events)
	pe.mu.Unlock()
	cmd["id"] = id
	line, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := pe.p.Stdin().Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("%s: send %s: %w", pe.name, line, err)
	}
	res, err := pe.awaitEvent(ctx, &from, "result", func(e event) bool {
		n, ok := e["id"].(float64)
		return ok && int(n) == id
	})
	if err != nil {
		return nil, err
	}
	if ok, _ := res["ok"].(bool); !ok {
		return res, fmt.Errorf("%s: %s failed: %s %s", pe.name, cmd["cmd"], res.str("error"), res.str("message"))
	}
	return res, nil
}

func (pe *peer) lastEvents(n int) string {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	var b []string
	for i := max(0, len(pe.events)-n); i < len(pe.events); i++ {
		b = append(b, pe.events[i].String())
	}
	return strings.Join(b, " ")
}

func tail(s string) string {
	if len(s) > 600 {
		s = "..." + s[len(s)-600:]
	}
	return strings.TrimSpace(s)
}
