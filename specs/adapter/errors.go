package adapter

import (
	"errors"
	"fmt"
)

// ErrUnsupported is matched (errors.Is) by every error that means the adapter exited with code 127:
// the role or feature asked for is not supported. Callers report it as "unsupported", not "failed".
var ErrUnsupported = errors.New("adapter: unsupported")

// ErrClosed is returned by operations on an adapter after Close.
var ErrClosed = errors.New("adapter: closed")

// ErrExited is matched by every ExitError: the adapter process ended while something waited on it.
var ErrExited = errors.New("adapter: process exited")

// UnsupportedError says the adapter exited with code 127.
type UnsupportedError struct {
	// Name is the adapter's label (Config.Name).
	Name string
	// Feature is the "feature" field of the adapter's "unsupported" event, if it sent one.
	Feature string
	// Message is the "message" field of that event, if any.
	Message string
	// Events are all events the adapter wrote before exiting.
	Events []Event
	// Stderr is the tail of the adapter's stderr.
	Stderr string
}

// Error describes what was unsupported.
func (e *UnsupportedError) Error() string {
	s := fmt.Sprintf("adapter %s: unsupported (exit 127)", e.Name)
	if e.Feature != "" {
		s += ": " + e.Feature
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// ExitError says the adapter process ended (with a code other than 127) while it was needed.
type ExitError struct {
	// Name is the adapter's label.
	Name string
	// Code is the exit code, or -1 if the process was killed by a signal.
	Code int
	// Waiting says what the caller was waiting for when the process ended.
	Waiting string
	// Fatal is the "fatal" event the adapter sent before exiting, if any.
	Fatal *Event
	// Events are all events the adapter wrote before exiting.
	Events []Event
	// Stderr is the tail of the adapter's stderr.
	Stderr string
}

// Error describes the exit.
func (e *ExitError) Error() string {
	s := fmt.Sprintf("adapter %s: exited with code %d", e.Name, e.Code)
	if e.Waiting != "" {
		s += " while waiting for " + e.Waiting
	}
	if e.Fatal != nil {
		s += fmt.Sprintf(" (fatal %s: %s %s)", e.Fatal.Str("stage"), e.Fatal.Str("error"), e.Fatal.Str("message"))
	}
	if e.Stderr != "" {
		s += "; stderr: " + e.Stderr
	}
	return s
}

// Is makes errors.Is(err, ErrExited) true.
func (e *ExitError) Is(target error) bool { return target == ErrExited }

// CommandError is a "result" event with "ok": false.
type CommandError struct {
	// Cmd is the command name.
	Cmd string
	// Code is the result's "error" field (e.g. "unknownProperty", "timeout").
	Code string
	// Message is the result's "message" field.
	Message string
	// Result is the whole result event.
	Result Event
}

// Error describes the failed command.
func (e *CommandError) Error() string {
	return fmt.Sprintf("command %s failed: %s: %s", e.Cmd, e.Code, e.Message)
}

// ProtocolError says the adapter broke the contract (e.g. wrote a line on stdout that is not an event).
type ProtocolError struct {
	// Name is the adapter's label.
	Name string
	// Problem describes the violation.
	Problem string
}

// Error describes the violation.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("adapter %s broke the contract: %s", e.Name, e.Problem)
}
