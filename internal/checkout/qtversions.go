package checkout

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// QtSuite is a Qt beyond the machine's own 5.15 and 6.4: a row of
// ci/qt-versions.tsv, a Debian suite whose Qt 6 packages ci/build-qtroot.sh
// installs in a debootstrap root where ci/build-peers.sh builds the peer.
type QtSuite struct {
	// Suite is the Debian suite ("trixie", "sid").
	Suite string
	// Series is the Qt series the suite is known to carry ("6.8"), or ""
	// when it moves (sid).
	Series string
	// Note describes the row.
	Note string
}

// ErrUnknownQt means a qt@ name matches no row of ci/qt-versions.tsv.
var ErrUnknownQt = errors.New("checkout: no such Qt in ci/qt-versions.tsv")

// QtSuites reads ci/qt-versions.tsv.
func QtSuites() ([]QtSuite, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, "ci", "qt-versions.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []QtSuite
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		s := QtSuite{Suite: fields[0]}
		if len(fields) > 1 && fields[1] != "-" {
			s.Series = fields[1]
		}
		if len(fields) > 2 {
			s.Note = strings.Join(fields[2:], " ")
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// QtAt is a peer built against a suite's Qt.
type QtAt struct {
	Suite   string // the Debian suite
	Version string // the Qt version its root's packages report ("6.8.2")
	Peer    string // the peer: a wrapper that runs it with the root's loader
}

// QtPeerAt returns the peer for the Qt that at names: a suite ("trixie"),
// "newest" (the last row), or a version or series ("6.8", "6.11.2") that
// the Qt of a suite's root has as prefix. It builds the root and the peer
// when needed (ci/build-peers.sh SUITE; minutes cold, a second when cached).
// A version is matched against the roots already built, then the rows'
// known series, then by building the remaining rows in order.
func QtPeerAt(ctx context.Context, at string) (QtAt, error) {
	suites, err := QtSuites()
	if err != nil {
		return QtAt{}, err
	}
	if len(suites) == 0 {
		return QtAt{}, fmt.Errorf("%w: the table is empty", ErrUnknownQt)
	}
	build := func(s QtSuite) (QtAt, error) {
		p, err := buildPeer(ctx, s.Suite)
		if err != nil {
			return QtAt{}, err
		}
		v, err := os.ReadFile(filepath.Join(filepath.Dir(p), "QT_VERSION"))
		if err != nil {
			return QtAt{}, fmt.Errorf("checkout: the %s peer has no QT_VERSION: %w", s.Suite, err)
		}
		return QtAt{Suite: s.Suite, Version: strings.TrimSpace(string(v)), Peer: p}, nil
	}
	if at == "newest" {
		return build(suites[len(suites)-1])
	}
	for _, s := range suites {
		if s.Suite == at {
			return build(s)
		}
	}
	matches := func(v string) bool { return v == at || strings.HasPrefix(v, at+".") }
	root, err := Root()
	if err != nil {
		return QtAt{}, err
	}
	tried := map[string]bool{}
	for _, s := range suites { // roots already built
		if v, err := os.ReadFile(filepath.Join(root, "build", "peers", s.Suite, "QT_VERSION")); err == nil && matches(strings.TrimSpace(string(v))) {
			if q, err := build(s); err == nil && matches(q.Version) {
				return q, nil
			}
			tried[s.Suite] = true
		}
	}
	for _, s := range suites { // known series
		if s.Series != "" && !tried[s.Suite] && (matches(s.Series) || strings.HasPrefix(at, s.Series+".")) {
			q, err := build(s)
			if err != nil {
				return QtAt{}, err
			}
			tried[s.Suite] = true
			if matches(q.Version) {
				return q, nil
			}
		}
	}
	for _, s := range suites { // the rest, in order
		if tried[s.Suite] {
			continue
		}
		q, err := build(s)
		if err != nil {
			return QtAt{}, err
		}
		if matches(q.Version) {
			return q, nil
		}
	}
	return QtAt{}, fmt.Errorf("%w: qt@%s", ErrUnknownQt, at)
}
