package matrix

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/interop/harness"
)

// Scenario is a row of the matrix: what the peers do.
type Scenario struct {
	// ID is short and label-safe: "static", "dynamic", "registry".
	ID string
	// Title is the row header.
	Title string
	// Mode is the replica kind the node acquires ("static" or "dynamic").
	Mode string
	// Registry: the host registers with a registry and the node is given
	// only the registry's URL.
	Registry bool
	// Model: the host also remotes an item model and the node acquires it
	// (contract 3 model commands); the script is ModelCheckNames' instead
	// of CheckNames'.
	Model bool
}

// The scenarios, in row order.
var Scenarios = []Scenario{
	{ID: "static", Title: "host → static replica", Mode: "static"},
	{ID: "dynamic", Title: "host → dynamic replica", Mode: "dynamic"},
	{ID: "registry", Title: "host registered with a registry → static replica found through it", Mode: "static", Registry: true},
	{ID: "model", Title: "host remotes an item model → model replica (acquireModel)", Mode: "static", Model: true},
}

// Side is one implementation: the Go reference node or the Qt peer of the
// cell's dialect.
type Side string

// The two implementations.
const (
	Go Side = "go"
	Qt Side = "qt"
)

// Direction says which implementation plays which role.
type Direction struct {
	// ID is label-safe: "go-qt" (Go serves, Qt consumes), "qt-go", and the
	// reference pairings "go-go", "qt-qt".
	ID string
	// Title is the column header part.
	Title string
	// Host and Node are the implementations of the host and the replica's
	// node; Registry is the registry's (registry scenario only).
	Host, Node, Registry Side
	// Reference marks a same-implementation pairing (a baseline, not interop).
	Reference bool
}

// The directions, in column order. In the registry scenario the registry is
// the consumer's implementation: a Go host registers with a Qt registry and
// a Qt node finds it; a Qt host registers with a Go registry and a Go node
// finds it.
var Directions = []Direction{
	{ID: "go-qt", Title: "Go → Qt", Host: Go, Node: Qt, Registry: Qt},
	{ID: "qt-go", Title: "Qt → Go", Host: Qt, Node: Go, Registry: Go},
	{ID: "go-go", Title: "Go → Go", Host: Go, Node: Go, Registry: Go, Reference: true},
	{ID: "qt-qt", Title: "Qt → Qt", Host: Qt, Node: Qt, Registry: Qt, Reference: true},
}

// Dialect is a Qt version and what tells its dialect apart on the wire.
type Dialect struct {
	// ID is "qt5", "qt6", or "qt@SUITE" for the Qt 6 of another Debian
	// suite (ci/qt-versions.tsv: qt@trixie is Qt 6.8, qt@sid the newest).
	ID string
	// Wire is the wire dialect, "qt5" or "qt6" (the Go adapter's --dialect).
	Wire string
	// Title is the column header part.
	Title string
	// Qt is the Qt peer of this version.
	Qt harness.Flavor
	// Version is the Handshake string.
	Version string
	// Order is the byte order of the dialect's QDataStream.
	Order binary.AppendByteOrder
}

// The dialects, in column order: the machine's Qt 5.15 and Qt 6.4, then a
// column per row of ci/qt-versions.tsv.
var Dialects = append([]Dialect{
	{ID: "qt5", Wire: "qt5", Title: "Qt 5", Qt: harness.Qt5, Version: "QtRO 1.3", Order: binary.BigEndian},
	{ID: "qt6", Wire: "qt6", Title: "Qt 6", Qt: harness.Qt6, Version: "QtRO 2.0", Order: binary.LittleEndian},
}, newerQts()...)

// newerQts are the Qt 6 versions of ci/qt-versions.tsv. Without a checkout
// (a test binary run elsewhere) there are none; the cells of qt5 and qt6
// still run.
func newerQts() []Dialect {
	suites, err := checkout.QtSuites()
	if err != nil {
		return nil
	}
	var out []Dialect
	for _, s := range suites {
		title := "Qt " + s.Series + " (" + s.Suite + ")"
		if s.Series == "" {
			title = "newest Qt (" + s.Suite + ")"
		}
		out = append(out, Dialect{ID: "qt@" + s.Suite, Wire: "qt6", Title: title,
			Qt: harness.QtAt(s.Suite), Version: "QtRO 2.0", Order: binary.LittleEndian})
	}
	return out
}

// Handshake is the exact first frame a host of dialect d sends
// (QTRO-PROTOCOL.md §1.2, §4.1): size, type 1, QString version.
func (d Dialect) Handshake() []byte {
	u := utf16.Encode([]rune(d.Version))
	b := d.Order.AppendUint32(nil, uint32(2+4+2*len(u)))
	b = d.Order.AppendUint16(b, 1)
	b = d.Order.AppendUint32(b, uint32(2*len(u)))
	for _, r := range u {
		b = d.Order.AppendUint16(b, r)
	}
	return b
}

// Transports are the URL schemes, in column order. localabstract is Qt 6
// only; its Qt 5 cells run anyway and must come out unsupported (exit 127).
var Transports = []harness.Transport{harness.TCP, harness.Local, harness.LocalAbstract}

// Cell is one run of the matrix.
type Cell struct {
	Scenario  Scenario
	Direction Direction
	Dialect   Dialect
	Transport harness.Transport
	// Negative makes the cell a negative control: the node speaks the other
	// dialect, so the script must fail at init. It proves the checks can fail.
	Negative bool
}

// ID names the cell and its artifact directory:
// <scenario>-<direction>-<dialect>-<transport>, prefixed with "negative-"
// for a negative control (whose dialect is the host's).
func (c Cell) ID() string {
	id := fmt.Sprintf("%s-%s-%s-%s", c.Scenario.ID, c.Direction.ID, c.Dialect.ID, c.Transport)
	if c.Negative {
		id = "negative-" + id
	}
	return id
}

// dialectOf is the dialect the peer of role plays: the cell's, except the
// node of a negative control, which speaks the other one.
func (c Cell) dialectOf(role string) Dialect {
	if !c.Negative || role != "node" {
		return c.Dialect
	}
	for _, d := range Dialects {
		if d.Wire != c.Dialect.Wire {
			return d
		}
	}
	return c.Dialect
}

// Column is the cell's column key: <dialect>/<transport>/<direction>.
func (c Cell) Column() string {
	return fmt.Sprintf("%s/%s/%s", c.Dialect.ID, c.Transport, c.Direction.ID)
}

// Labels are the cell's Ginkgo labels: scenario, direction, dialect and
// transport IDs, "reference" for same-implementation pairings, and "interop"
// for the others.
func (c Cell) Labels() []string {
	kind := "interop"
	if c.Direction.Reference {
		kind = "reference"
	}
	if c.Negative {
		kind = "negative"
	}
	return []string{c.Scenario.ID, c.Direction.ID, c.Dialect.ID, string(c.Transport), kind}
}

// Title describes the cell in a sentence.
func (c Cell) Title() string {
	kind := c.Scenario.Mode
	if c.Scenario.Model {
		kind = "item-model"
	}
	s := fmt.Sprintf("%s host, %s %s replica", name(c.Direction.Host, c.Dialect), name(c.Direction.Node, c.dialectOf("node")), kind)
	if c.Scenario.Registry {
		s += fmt.Sprintf(", through a %s registry", name(c.Direction.Registry, c.Dialect))
	}
	s += " over " + string(c.Transport)
	if c.Negative {
		s = "negative control (must fail): " + s
	}
	return s
}

func name(s Side, d Dialect) string {
	if s == Go {
		return "Go (" + d.Wire + ")"
	}
	return d.Title
}

// flavor is the harness flavor of side s in dialect d.
func flavor(s Side, d Dialect) harness.Flavor {
	if s == Go {
		return harness.Go
	}
	return d.Qt
}

// Cells returns every cell in report order: scenario, then dialect,
// transport, direction.
func Cells() []Cell {
	var out []Cell
	for _, s := range Scenarios {
		for _, d := range Dialects {
			for _, t := range Transports {
				for _, dir := range Directions {
					out = append(out, Cell{Scenario: s, Direction: dir, Dialect: d, Transport: t})
				}
			}
		}
	}
	return out
}

// NegativeControls are cells whose node speaks the other dialect than the
// host (Qt 5 and Qt 6 never talk to each other): the script must fail at
// init within StepTimeout, and the suite checks that it does. One per
// direction that involves the Go node.
func NegativeControls() []Cell {
	var out []Cell
	for _, dir := range Directions[:3] {
		out = append(out, Cell{Scenario: Scenarios[0], Direction: dir, Dialect: Dialects[1], Transport: harness.TCP, Negative: true})
	}
	return out
}
