package main

import "sort"

// Flaw names the one thing a degenerate host does wrong.
type Flaw string

// The flaws. FlawNone is a conforming host; every other one changes exactly
// one behaviour of it.
const (
	// FlawNone changes nothing: the host and the node conform.
	FlawNone Flaw = "none"
	// FlawEmptyInit sends Init and InitDynamic with zero property values.
	FlawEmptyInit Flaw = "empty-init"
	// FlawShortInit sends one property value fewer than there are properties.
	FlawShortInit Flaw = "short-init"
	// FlawNoChanges never sends PropertyChange or notify Invokes (the stored
	// value and the propertyChanged events still change).
	FlawNoChanges Flaw = "no-changes"
	// FlawNoNotify sends PropertyChange without the notify Invoke.
	FlawNoNotify Flaw = "no-notify"
	// FlawNotifySeparate sends PropertyChange and its notify Invoke in two
	// writes, 20 ms apart.
	FlawNotifySeparate Flaw = "notify-separate"
	// FlawEmptySignature lists the object with an empty, non-null signature.
	FlawEmptySignature Flaw = "empty-signature"
	// FlawWrongType sends the Init value of number as the QString "3".
	FlawWrongType Flaw = "wrong-type"
	// FlawVoidNoReply does not answer a void slot called with a serial.
	FlawVoidNoReply Flaw = "void-no-reply"
	// FlawReplyToMinus1 answers calls made with serial -1 (with serial -1).
	FlawReplyToMinus1 Flaw = "reply-to-minus1"
	// FlawPongKnownOnly answers Ping only for the remoted source's name.
	FlawPongKnownOnly Flaw = "pong-known-only"
	// FlawNoHandshake greets a connection with ObjectList but no Handshake.
	FlawNoHandshake Flaw = "no-handshake"
	// FlawCrashOnGarbage exits the process (code 3) on any malformed frame.
	FlawCrashOnGarbage Flaw = "crash-on-garbage"

	// Node flaws: the node role changes, the host stays conforming.

	// FlawNodeNoReconnect never reconnects after the host's connection drops.
	FlawNodeNoReconnect Flaw = "node-no-reconnect"
	// FlawNodeStaticLie declares replicaModes static and dynamic, accepts
	// --static, and then sends AddObject(name, true) and behaves dynamically.
	FlawNodeStaticLie Flaw = "node-static-lie"
	// FlawNodeSendsHandshake sends a Handshake as its first packet.
	FlawNodeSendsHandshake Flaw = "node-sends-handshake"
	// FlawNodeSerialZero calls every non-void slot with serial 0.
	FlawNodeSerialZero Flaw = "node-serial-zero"
	// FlawNodeNoRetry gives up when its first connection attempt fails.
	FlawNodeNoRetry Flaw = "node-no-retry"
	// FlawNodeIgnoresMismatch accepts a Handshake of any protocol version.
	FlawNodeIgnoresMismatch Flaw = "node-ignores-mismatch"
)

// Flaws describes every flaw, by name.
var Flaws = map[Flaw]string{
	FlawNone:           "a conforming host",
	FlawEmptyInit:      "Init and InitDynamic carry 0 property values",
	FlawShortInit:      "Init and InitDynamic carry one value fewer than there are properties",
	FlawNoChanges:      "never sends PropertyChange or notify Invokes",
	FlawNoNotify:       "PropertyChange without the notify Invoke",
	FlawNotifySeparate: "PropertyChange and its notify Invoke in two writes, 20 ms apart",
	FlawEmptySignature: "ObjectList signature is an empty non-null QByteArray",
	FlawWrongType:      "the Init/InitDynamic value of number is a QString",
	FlawVoidNoReply:    "a void slot called with a serial gets no InvokeReply",
	FlawReplyToMinus1:  "calls with serial -1 get an InvokeReply with serial -1",
	FlawPongKnownOnly:  "Pong only for the remoted source's name",
	FlawNoHandshake:    "ObjectList without a Handshake first",
	FlawCrashOnGarbage: "the process exits with code 3 on any malformed frame",

	FlawNodeNoReconnect:     "the node never reconnects after the host's connection drops",
	FlawNodeStaticLie:       "the node declares static replicas but sends AddObject(name, true) when started --static",
	FlawNodeSendsHandshake:  "the node sends a Handshake as its first packet",
	FlawNodeSerialZero:      "the node calls non-void slots with serial 0",
	FlawNodeNoRetry:         "the node gives up when its first connection attempt fails",
	FlawNodeIgnoresMismatch: "the node accepts a Handshake of any protocol version",
}

// ParseFlaw returns the flaw called name.
func ParseFlaw(name string) (Flaw, bool) {
	_, ok := Flaws[Flaw(name)]
	return Flaw(name), ok
}

// FlawNames returns every flaw name, sorted.
func FlawNames() []string {
	out := make([]string, 0, len(Flaws))
	for f := range Flaws {
		out = append(out, string(f))
	}
	sort.Strings(out)
	return out
}
