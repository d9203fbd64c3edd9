package matrix

import (
	"context"
	"fmt"
	"sync"
)

// Pool runs cells ahead of the specs that report them, a few at a time:
// Ginkgo runs specs one after another in a plain `go test`, while a cell
// spends most of its time waiting for containers and peers.
type Pool struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	futures map[string]*future
}

type future struct {
	done chan struct{}
	res  *Result
}

// NewPool starts workers goroutines that run cells in the given order with
// run. Close stops them.
func NewPool(ctx context.Context, cells []Cell, workers int, run func(context.Context, Cell) *Result) *Pool {
	ctx, cancel := context.WithCancel(ctx)
	p := &Pool{cancel: cancel, futures: map[string]*future{}}
	queue := make(chan Cell, len(cells))
	for _, c := range cells {
		p.futures[c.ID()] = &future{done: make(chan struct{})}
		queue <- c
	}
	close(queue)
	for range max(workers, 1) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for c := range queue {
				f := p.futures[c.ID()]
				if ctx.Err() != nil {
					f.res = &Result{Cell: c.ID(), Status: Fail, Reason: "not run: " + ctx.Err().Error()}
				} else {
					f.res = run(ctx, c)
				}
				close(f.done)
			}
		}()
	}
	return p
}

// Has says whether the pool runs cell id.
func (p *Pool) Has(id string) bool {
	if p == nil {
		return false
	}
	_, ok := p.futures[id]
	return ok
}

// Result waits for cell id's result.
func (p *Pool) Result(ctx context.Context, id string) (*Result, error) {
	f, ok := p.futures[id]
	if !ok {
		return nil, fmt.Errorf("matrix: cell %s is not in the pool", id)
	}
	select {
	case <-f.done:
		return f.res, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for cell %s: %w", id, ctx.Err())
	}
}

// Close cancels the cells still running and waits for the workers.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
}
