package qds

import "fmt"

// Stream versions QtRO uses (QDataStream::Version values).
const (
	Qt_5_12 = 18 // Qt 5.15's QtRO packet stream
	Qt_5_15 = 19 // Qt 5.15's nested blobs (the QDataStream default)
	Qt_6_2  = 20 // Qt 6.4's packet stream and nested blobs
)

// Format is how a stream is laid out: its byte order and QDataStream version.
type Format struct {
	// LittleEndian selects little-endian scalars (Qt 6's packet stream);
	// the zero value is QDataStream's default big-endian order.
	LittleEndian bool
	// Version is the QDataStream version; it decides the QVariant user-type id.
	Version int
}

// UserTypeID is the QVariant type id that announces a type sent by name:
// QMetaType::User, 1024 before Qt 6 and 65536 from Qt 6 on.
func (f Format) UserTypeID() uint32 {
	if f.Version >= Qt_6_2 {
		return 65536
	}
	return 1024
}

func (f Format) String() string {
	o := "BE"
	if f.LittleEndian {
		o = "LE"
	}
	return fmt.Sprintf("%s/v%d", o, f.Version)
}

// Limits bounds what a Decoder accepts. Zero fields take the defaults.
type Limits struct {
	// MaxDepth bounds nesting of variants and containers (default 64).
	MaxDepth int
	// MaxElements bounds the count of any one container (default 1<<20).
	MaxElements int
	// MaxBytes bounds one QString or QByteArray, in bytes (default 16 MiB).
	MaxBytes int
}

// DefaultLimits are the limits used for zero fields of Limits.
var DefaultLimits = Limits{MaxDepth: 64, MaxElements: 1 << 20, MaxBytes: 16 << 20}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultLimits.MaxElements
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	return l
}
