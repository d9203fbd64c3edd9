package node

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/qtro/qtro/impl/wire"
)

// ErrorCode mirrors QRemoteObjectNode::ErrorCode.
type ErrorCode = wire.ErrorCode

// Node error codes, as in Qt.
const (
	NoError                       = wire.NoError
	RegistryNotAcquired           = wire.RegistryNotAcquired
	RegistryAlreadyHosted         = wire.RegistryAlreadyHosted
	NodeIsNoServer                = wire.NodeIsNoServer
	ServerAlreadyCreated          = wire.ServerAlreadyCreated
	UnintendedRegistryHosting     = wire.UnintendedRegistryHosting
	OperationNotValidOnClientNode = wire.OperationNotValidOnClientNode
	SourceNotRegistered           = wire.SourceNotRegistered
	MissingObjectName             = wire.MissingObjectName
	HostUrlInvalid                = wire.HostUrlInvalid
	ProtocolMismatch              = wire.ProtocolMismatch
	ListenFailed                  = wire.ListenFailed
	SocketAccessError             = wire.SocketAccessError
)

// Error is a node error with Qt's code, what was being done and the cause.
type Error struct {
	Code ErrorCode
	Op   string // e.g. "listen", "connect", "enableRemoting"
	URL  string // the URL involved, if any
	Err  error
}

func (e *Error) Error() string {
	s := "qtro node: " + e.Code.String() + ": " + e.Op
	if e.URL != "" {
		s += " " + e.URL
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, &Error{Code: c}) match any error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Err == nil && t.URL == "" && t.Code == e.Code
}

// CodeOf returns the node error code carried by err (NoError if none).
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var pe *wire.ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	if err != nil {
		return NoError
	}
	return NoError
}

// Sentinels for conditions that are not Qt node errors.
var (
	// ErrClosed means the host, node or replica was closed.
	ErrClosed = errors.New("qtro node: closed")
	// ErrNotValid means the replica has not been initialised (or is Suspect).
	ErrNotValid = errors.New("qtro node: replica not valid")
	// ErrNoSuchMember means a property, signal or method name is unknown.
	ErrNoSuchMember = errors.New("qtro node: no such member")
	// ErrNotWritable means the property may not be written from a replica.
	ErrNotWritable = errors.New("qtro node: property not writable")
	// ErrDisconnected means the connection dropped while a call was pending.
	ErrDisconnected = errors.New("qtro node: disconnected")
	// ErrSlowConsumer means a peer did not read fast enough and was cut off.
	ErrSlowConsumer = errors.New("qtro node: slow consumer")
	// ErrSendBudget means a peer was cut off as a slow consumer because the
	// host's send queues together passed Config.MaxSendQueueTotal while its
	// own held more than an even share. errors.Is(err, ErrSlowConsumer) holds.
	ErrSendBudget = fmt.Errorf("%w: the host's send budget (MaxSendQueueTotal) is exhausted", ErrSlowConsumer)
	// ErrHeartbeat means a Ping went unanswered for a whole interval.
	ErrHeartbeat = errors.New("qtro node: heartbeat timeout")
	// ErrSignatureMismatch means a static replica's signature differs from the source's.
	ErrSignatureMismatch = errors.New("qtro node: signature mismatch")
)

func errorf(code ErrorCode, op, url string, format string, args ...any) error {
	return &Error{Code: code, Op: op, URL: url, Err: fmt.Errorf(format, args...)}
}

// errorSink keeps a node's last error and its subscribers (Qt: lastError()
// and the error signal), for Node and Host alike. Each subscriber gets
// the errors on a goroutine of its own (counted in g).
type errorSink struct {
	g       *drainGroup
	dropped *atomic.Uint64 // errors a full subscriber queue refused
	max     int            // Config.MaxQueuedEvents

	mu      sync.Mutex
	forward *errorSink // also gets every error (a host's registry node's go to the host)
	last    ErrorCode
	subs    []errorSub // copy on write: set reads without the lock
	nextID  int
}

type errorSub struct {
	id int
	d  *deliverer[error]
}

// set records err (nil is ignored) and tells subscribers; it returns err.
func (s *errorSink) set(err error) error {
	if err == nil {
		return nil
	}
	s.mu.Lock()
	s.last = CodeOf(err)
	fwd := s.forward
	s.mu.Unlock()
	s.report(err)
	if fwd != nil {
		fwd.set(err)
	}
	return err
}

// forwardTo makes every error set here be set on t as well, synchronously
// (LastError of both agree as soon as set returns).
func (s *errorSink) forwardTo(t *errorSink) {
	s.mu.Lock()
	s.forward = t
	s.mu.Unlock()
}

// report tells subscribers of err without making it the last error: for
// conditions that are not Qt node errors (OverflowError).
func (s *errorSink) report(err error) {
	s.mu.Lock()
	subs := s.subs
	s.mu.Unlock()
	for _, sub := range subs {
		if n, _ := sub.d.push(s.g, err); n > 0 {
			// Not reported again: the subscriber that would hear of it is
			// the one not keeping up.
			s.dropped.Add(uint64(n))
		}
	}
}

func (s *errorSink) lastError() ErrorCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *errorSink) subscribe(fn func(error)) (cancel func()) {
	d := newDeliverer(fn, s.max)
	s.mu.Lock()
	id := s.nextID
	s.nextID++
	s.subs = append(s.subs[:len(s.subs):len(s.subs)], errorSub{id, d})
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		for i, sub := range s.subs {
			if sub.id == id {
				s.subs = append(s.subs[:i:i], s.subs[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		d.cancel()
	}
}
