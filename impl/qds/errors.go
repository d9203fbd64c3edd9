package qds

import (
	"errors"
	"fmt"
)

// Sentinels wrapped by *Error; test with errors.Is.
var (
	// ErrTruncated means the input ended inside a value.
	ErrTruncated = errors.New("truncated input")
	// ErrLimit means a length, count or depth exceeded the Decoder's Limits.
	ErrLimit = errors.New("limit exceeded")
	// ErrOddLength means a QString byte length was odd (Qt: ReadCorruptData).
	ErrOddLength = errors.New("odd QString byte length")
	// ErrUnknownType means a QVariant carried a type id this codec does not know.
	ErrUnknownType = errors.New("unknown QVariant type id")
	// ErrUnknownUserType means a QVariant named a user type nobody registered;
	// Qt fails the whole stream in that case.
	ErrUnknownUserType = errors.New("unknown QVariant user type")
	// ErrUnsupported means the type is known but this codec cannot encode or decode it.
	ErrUnsupported = errors.New("unsupported type")
	// ErrBadValue means a value could not be encoded as the requested type.
	ErrBadValue = errors.New("bad value for type")
)

// Error reports a decoding or encoding fault and where it happened.
type Error struct {
	Offset int    // byte offset in the decoder's input (or encoder's output)
	What   string // what was being read or written
	Err    error  // one of the sentinels, possibly wrapped with detail
}

func (e *Error) Error() string {
	return fmt.Sprintf("qds: %s at offset %d: %v", e.What, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
