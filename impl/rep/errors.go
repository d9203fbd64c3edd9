package rep

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; every error this package returns wraps exactly one of them.
var (
	// ErrSyntax means repc would reject the input (lexer or grammar error).
	ErrSyntax = errors.New("rep: syntax error")
	// ErrSemantic means the input parses but repc refuses it (bad modifier, unknown FLAG enum, ...).
	ErrSemantic = errors.New("rep: invalid declaration")
	// ErrLimit means the input exceeds a configured hard limit.
	ErrLimit = errors.New("rep: limit exceeded")
	// ErrNoClass means the requested class is not declared in the file.
	ErrNoClass = errors.New("rep: no such class")
	// ErrQt6Only means the file uses syntax Qt 5.15 repc does not accept, so no Qt 5 signature exists.
	ErrQt6Only = errors.New("rep: Qt 6 only syntax")
	// ErrUndefined means repc's own behaviour is undefined for this input (it reads out of bounds).
	ErrUndefined = errors.New("rep: repc behaviour undefined")
)

// Pos is a position in a .rep file: 1-based line and 1-based byte column.
type Pos struct {
	Line, Col int
}

// String formats the position as line:column.
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Error is a parse or validation error with its position in the file.
type Error struct {
	File string // file name given to Parse, may be empty
	Pos  Pos
	Msg  string
	Err  error // one of the sentinels
}

// Error formats the error as file:line:col: message.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Pos.Line > 0 {
		b.WriteString(e.Pos.String())
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel so errors.Is works.
func (e *Error) Unwrap() error { return e.Err }

// position converts a byte offset into a line:column position.
func position(src string, off int) Pos {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return Pos{Line: line, Col: col}
}
