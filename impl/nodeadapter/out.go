package nodeadapter

import (
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/specs/contract"
)

// event starts an event with the contract's envelope and the fields kv
// (key, value pairs); mono is loadgen's clock, the one load runs time with.
func event(name string, kv ...any) contract.Fields {
	return set(contract.Event(name, clock.Now()), kv...)
}

// set sets fields given as key, value pairs.
func set(f contract.Fields, kv ...any) contract.Fields {
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i].(string), kv[i+1])
	}
	return f
}
