// Package fuzz is network fuzzing of any QtRO target in both roles.
//
// As a host (RoleHost) the target is attacked by a raw client: the fuzzer
// connects, learns what the host remotes, and sends hostile inputs
// (mutated golden frames, random sizes, unknown packet types, wrong
// argument counts and types, deep nesting, huge counts, truncated frames).
// As a replica (RoleReplica) the fuzzer is the host: it listens, starts
// the target as a node that acquires its test object (static and dynamic),
// checks that a well-formed session makes it Valid, and then answers a
// fresh replica per input with hostile host frames (Handshakes, ObjectLists,
// Init and InitDynamic, lying class definitions, property changes and
// signals out of range or of the wrong types, replies nobody asked for).
//
// In both roles it detects crashes and hangs, minimises each crash against
// a freshly started target, and writes it as a reproducer (recording the
// role) that Replay re-sends and `qtro dump` decodes.
//
// It owns the mutators, the minimiser, the reproducer format and the
// reports; starting targets is package conformance's (the same target
// spellings as `qtro conformance`), and speaking the wire is package wire's.
// It does not use the reference node, so it can judge it.
package fuzz
