package wire

import (
	"fmt"
	"strings"

	"github.com/qtro/qtro/impl/qds"
)

// Dialect is one of the two incompatible wire protocols Qt speaks.
type Dialect uint8

// The dialects. The zero Dialect is not valid.
const (
	Qt5 Dialect = 5 // Qt 5.15: "QtRO 1.3", QDataStream 18, big-endian
	Qt6 Dialect = 6 // Qt 6.4: "QtRO 2.0", QDataStream 20, little-endian
)

// Dialects lists both dialects, Qt 5 first.
var Dialects = []Dialect{Qt5, Qt6}

// ParseDialect reads a dialect's name: "qt5" or "qt6" (also "5", "6";
// any case). The command lines and target specs of qtro's tools use these.
func ParseDialect(s string) (Dialect, bool) {
	switch strings.ToLower(s) {
	case "qt5", "5":
		return Qt5, true
	case "qt6", "6":
		return Qt6, true
	}
	return 0, false
}

// Valid reports whether d is Qt5 or Qt6.
func (d Dialect) Valid() bool { return d == Qt5 || d == Qt6 }

func (d Dialect) String() string {
	switch d {
	case Qt5:
		return "Qt5"
	case Qt6:
		return "Qt6"
	}
	return fmt.Sprintf("Dialect(%d)", uint8(d))
}

// ProtocolVersion is the Handshake string of the dialect.
func (d Dialect) ProtocolVersion() string {
	if d == Qt6 {
		return "QtRO 2.0"
	}
	return "QtRO 1.3"
}

// Stream is the format of the packet stream.
func (d Dialect) Stream() qds.Format {
	if d == Qt6 {
		return qds.Format{LittleEndian: true, Version: qds.Qt_6_2}
	}
	return qds.Format{Version: qds.Qt_5_12}
}

// Nested is the format of blobs nested in packets (class definitions and
// parameters inside QRO_): big-endian in both dialects.
func (d Dialect) Nested() qds.Format {
	if d == Qt6 {
		return qds.Format{Version: qds.Qt_6_2}
	}
	return qds.Format{Version: qds.Qt_5_15}
}

// SourceLocationType is the registered name of a registry entry.
func (d Dialect) SourceLocationType() string {
	if d == Qt6 {
		return "std::pair<QString,QRemoteObjectSourceLocationInfo>"
	}
	return "QRemoteObjectSourceLocation"
}

// SourceLocationsType is the registered name of the registry's table.
func (d Dialect) SourceLocationsType() string {
	if d == Qt6 {
		return "QHash<QString,QRemoteObjectSourceLocationInfo>"
	}
	return "QRemoteObjectSourceLocations"
}

// ChildName is the source name Qt gives a child QObject published through
// property prop of the source parent with class-name-derived prefix kind
// ("Class" or "Model"): Qt 5 "Class::prop", Qt 6 "Class::parent::prop".
func (d Dialect) ChildName(kind, parent, prop string) string {
	if d == Qt6 {
		return kind + "::" + parent + "::" + prop
	}
	return kind + "::" + prop
}

// DetectDialect tells the dialect from the first six bytes a host sends
// (the Handshake frame header); ok is false if they are neither.
func DetectDialect(b []byte) (d Dialect, ok bool) {
	if len(b) < 6 {
		return 0, false
	}
	switch {
	case b[0] == 0 && b[1] == 0 && b[4] == 0 && b[5] == byte(Handshake):
		return Qt5, true
	case b[2] == 0 && b[3] == 0 && b[4] == byte(Handshake) && b[5] == 0:
		return Qt6, true
	}
	return 0, false
}

// ByDialect holds one T per dialect: a table indexed by Dialect instead of
// an array sized by the largest dialect value. The zero value holds zero
// Ts. Its methods take a valid dialect (Dialect.Valid); any other is a
// programming error and panics.
type ByDialect[T any] [numDialects]T

// numDialects is len(Dialects).
const numDialects = 2

func (d Dialect) index() int {
	switch d {
	case Qt5:
		return 0
	case Qt6:
		return 1
	}
	panic(fmt.Sprintf("wire: ByDialect used with %s", d))
}

// Get returns d's value.
func (b *ByDialect[T]) Get(d Dialect) T { return b[d.index()] }

// Set sets d's value.
func (b *ByDialect[T]) Set(d Dialect, v T) { b[d.index()] = v }

// At returns a pointer to d's value, for changing it in place.
func (b *ByDialect[T]) At(d Dialect) *T { return &b[d.index()] }
