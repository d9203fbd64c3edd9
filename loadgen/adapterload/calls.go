package adapterload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/specs/contract"
)

// Calls prepares a calls run (§9.4): count round trips of echo(qint64)
// with inflight calls outstanding, timed per call, within timeoutMs.
func Calls(c contract.Command, r Replica) (*Run, error) {
	if !r.Rep.IsInitialized() {
		return refuse(contract.BadArgs, fmt.Sprintf("replica %s is not initialized", r.Key))
	}
	cls := r.Rep.Class()
	echo := contract.FindMethod(cls.Methods, "echo", 1)
	if echo < 0 || cls.Methods[echo].Params[0].Type != "qint64" && cls.Methods[echo].Params[0].Type != "qlonglong" {
		return refuse(contract.BadArgs, "calls load needs a Tick replica (echo(qint64))")
	}
	count, inflight := c.Int("count", 0), c.Int("inflight", 1)
	if count <= 0 || inflight <= 0 || count > 100000000 {
		return refuse(contract.BadArgs, "need 0 < count <= 1e8 and inflight > 0")
	}
	timeout := timeoutOf(c, 60000)
	rep := r.Rep
	body := func(ctx context.Context, finish func(contract.Fields)) {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		var issued, completed, errs, mismatches atomic.Int64
		var mu sync.Mutex
		rtts := make([]int64, 0, count)
		start, cpu0 := clock.Now(), cpuNs()
		var wg sync.WaitGroup
		for range min(inflight, count) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rctx.Err() == nil {
					seq := issued.Add(1)
					if seq > count {
						return
					}
					sent := clock.Now()
					pc, err := rep.InvokeIndex(echo, []qds.Variant{qds.LongLongOf(seq)}, true)
					if err != nil {
						errs.Add(1)
						continue
					}
					v, err := pc.Wait(rctx)
					if err != nil {
						if rctx.Err() == nil {
							errs.Add(1)
						}
						continue
					}
					rtt := clock.Now() - sent
					mu.Lock()
					rtts = append(rtts, rtt)
					mu.Unlock()
					if v.Int() != seq {
						mismatches.Add(1)
					}
					completed.Add(1)
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		outcome := "complete"
		if errors.Is(rctx.Err(), context.DeadlineExceeded) && completed.Load()+errs.Load() < count {
			outcome = "timeout"
		}
		elapsed := clock.Now() - start
		finish(summary("role", contract.RoleNode, "mode", contract.LoadCalls, "outcome", outcome, "count", count,
			"inflight", inflight, "completed", completed.Load(), "errors", errs.Load(),
			"mismatches", mismatches.Load(), "elapsedNs", elapsed, "perSecond", perSecond(completed.Load(), elapsed),
			"cpuNs", cpuNs()-cpu0, "rtt", latencyJSON(rtts)))
	}
	return &Run{Body: body}, nil
}
