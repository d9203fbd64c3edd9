// Package fuzz is network fuzzing of any QtRO target: it connects to a host
// as a raw client, learns what the host remotes, sends hostile inputs
// (mutated golden frames, random sizes, unknown packet types, wrong
// argument counts and types, deep nesting, huge counts, truncated frames),
// detects crashes and hangs, minimises each crash against a freshly started
// target, and writes it as a reproducer that Replay re-sends and `qtro
// dump` decodes.
//
// It owns the mutators, the minimiser, the reproducer format and the
// reports; starting targets is package conformance's (the same target
// spellings as `qtro conformance`), and speaking the wire is package wire's.
// It does not use the reference node, so it can judge it.
package fuzz
