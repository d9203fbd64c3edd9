package nodeadapter

import (
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/specs/contract"
)

// event starts an event with the contract's envelope; mono is loadgen's
// clock, the one load runs time with.
func event(name string) contract.Fields { return contract.Event(name, clock.Now()) }
