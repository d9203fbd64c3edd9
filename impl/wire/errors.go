package wire

import (
	"errors"
	"fmt"
)

// ErrorCode mirrors QRemoteObjectNode::ErrorCode (identical in Qt 5.15 and 6.4).
type ErrorCode int

// QRemoteObjectNode::ErrorCode values.
const (
	NoError                       ErrorCode = 0
	RegistryNotAcquired           ErrorCode = 1
	RegistryAlreadyHosted         ErrorCode = 2
	NodeIsNoServer                ErrorCode = 3
	ServerAlreadyCreated          ErrorCode = 4
	UnintendedRegistryHosting     ErrorCode = 5
	OperationNotValidOnClientNode ErrorCode = 6
	SourceNotRegistered           ErrorCode = 7
	MissingObjectName             ErrorCode = 8
	HostUrlInvalid                ErrorCode = 9
	ProtocolMismatch              ErrorCode = 10
	ListenFailed                  ErrorCode = 11
	SocketAccessError             ErrorCode = 12
)

var errorCodeNames = [...]string{
	"NoError", "RegistryNotAcquired", "RegistryAlreadyHosted", "NodeIsNoServer",
	"ServerAlreadyCreated", "UnintendedRegistryHosting", "OperationNotValidOnClientNode",
	"SourceNotRegistered", "MissingObjectName", "HostUrlInvalid", "ProtocolMismatch",
	"ListenFailed", "SocketAccessError",
}

// String returns Qt's enumerator name.
func (c ErrorCode) String() string {
	if c >= 0 && int(c) < len(errorCodeNames) {
		return errorCodeNames[c]
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// ParseErrorCode returns the code named by Qt's enumerator name.
func ParseErrorCode(s string) (ErrorCode, bool) {
	for i, n := range errorCodeNames {
		if n == s {
			return ErrorCode(i), true
		}
	}
	return 0, false
}

// Sentinels for framing and packet faults; a *ProtocolError wraps one.
var (
	// ErrFrameTooLarge means a size prefix exceeded Limits.MaxFrameSize.
	ErrFrameTooLarge = errors.New("frame too large")
	// ErrFrameTooSmall means a size prefix was below 2 (no room for the type).
	ErrFrameTooSmall = errors.New("frame too small")
	// ErrTrailingBytes means a packet's fields ended before its frame did.
	ErrTrailingBytes = errors.New("trailing bytes after packet")
	// ErrUnknownPacket means the packet type is not one QtRO defines.
	ErrUnknownPacket = errors.New("unknown packet type")
	// ErrVersionMismatch means the Handshake named another protocol version.
	ErrVersionMismatch = errors.New("protocol version mismatch")
	// ErrNoHandshake means the first packet from a host was not a Handshake.
	ErrNoHandshake = errors.New("first packet is not a Handshake")
)

// ProtocolError is a fault in what a peer sent: which packet, where in the
// stream, and the Qt node error code it corresponds to.
type ProtocolError struct {
	Code   ErrorCode  // Qt's closest node error (ProtocolMismatch for wire faults)
	Packet PacketType // the packet being read; Invalid if the header itself was bad
	Offset int64      // stream offset of the frame's size field
	Err    error      // the cause: a sentinel of this package or of qds
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("qtro: %s: %s frame at stream offset %d: %v", e.Code, e.Packet, e.Offset, e.Err)
}

func (e *ProtocolError) Unwrap() error { return e.Err }
