package node

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// A family of Qt 6 spellings (RegisterQt6Spellings): each spelling maps
// the Qt 5 names sources and replicas keep to the names of one kind of
// Qt 6 peer.
type spellingFamily []map[string]string

// spellings is the registered families, immutable once published.
type spellings struct {
	families []spellingFamily
	// learn maps a Qt 6 name that only one spelling of a family uses to
	// that family and spelling.
	learn map[string][2]int
	// byPref[k] chooses each family's spelling k (its last if it has
	// fewer): the table of a connection that learnt nothing yet, for a
	// source that prefers spelling k (Source.SetQt6Spelling).
	byPref []*renames
}

// renames is the rename table of one choice of spelling per family;
// tables are interned (one per choice), so connections that chose alike
// share one and a broadcast encodes once for them.
type renames struct {
	m      map[string]string
	choice []int // spelling per family
}

var (
	spellMu     sync.Mutex
	spellReg    atomic.Pointer[spellings]
	spellTables = map[string]*renames{} // by choice key, under spellMu
)

// RegisterQt6Spellings declares the names Qt 6 peers give a family of
// user types that sources and replicas keep under their Qt 5 names: each
// spelling maps every Qt 5 name of the family to its name for one kind of
// Qt 6 peer. Qt's QAbstractItemModel adapter needs it: a Qt 6 peer built
// with GCC sends "QList<ModelIndex>" and "DataEntries" from Qt 6.4 but
// "QList<QtPrivate::ModelIndex>" and "QtPrivate::DataEntries" from
// Qt 6.8, and loads only its own names.
//
// The spelling is chosen per connection: a Qt 6 connection sends the
// family's first spelling (or the one its source prefers,
// Source.SetQt6Spelling) until its peer sends a value (a property, signal
// or slot argument, or a reply) whose type name only one spelling has;
// from then on that connection sends that spelling. Only top-level
// Variants are renamed, not values nested inside them.
func RegisterQt6Spellings(spelling ...map[string]string) {
	if len(spelling) == 0 {
		return
	}
	spellMu.Lock()
	defer spellMu.Unlock()
	old := spellReg.Load()
	next := &spellings{learn: map[string][2]int{}}
	if old != nil {
		next.families = append(next.families, old.families...)
	}
	fam := make(spellingFamily, len(spelling))
	for i, s := range spelling {
		fam[i] = make(map[string]string, len(s))
		for k, v := range s {
			if k != "" && v != "" {
				fam[i][k] = v
			}
		}
	}
	next.families = append(next.families, fam)
	for f, fam := range next.families {
		uses := map[string]int{} // Qt 6 name -> how many spellings of the family use it
		for _, s := range fam {
			seen := map[string]bool{}
			for _, v := range s {
				if !seen[v] {
					seen[v] = true
					uses[v]++
				}
			}
		}
		for k, s := range fam {
			for _, v := range s {
				if uses[v] == 1 {
					next.learn[v] = [2]int{f, k}
				}
			}
		}
	}
	clear(spellTables)
	most := 0
	for _, fam := range next.families {
		most = max(most, len(fam))
	}
	for k := range most {
		choice := make([]int, len(next.families))
		for f, fam := range next.families {
			choice[f] = min(k, len(fam)-1)
		}
		next.byPref = append(next.byPref, internLocked(next, choice))
	}
	spellReg.Store(next)
}

// internLocked returns the table of a choice of spellings (under spellMu).
func internLocked(reg *spellings, choice []int) *renames {
	var key strings.Builder
	for _, c := range choice {
		key.WriteString(strconv.Itoa(c))
		key.WriteByte(',')
	}
	if t, ok := spellTables[key.String()]; ok {
		return t
	}
	t := &renames{m: map[string]string{}, choice: choice}
	for f, fam := range reg.families {
		for k, v := range fam[choice[f]] {
			if k != v {
				t.m[k] = v
			}
		}
	}
	spellTables[key.String()] = t
	return t
}

// spellingOf returns the rename table a connection sends with: the one it
// learnt, else (and for a nil learnt) the one of spelling pref (see
// Source.SetQt6Spelling); nil when nothing is registered or d is not
// Qt 6.
func spellingOf(d Dialect, learnt *atomic.Pointer[renames], pref int) *renames {
	if d != wire.Qt6 {
		return nil
	}
	reg := spellReg.Load()
	if reg == nil {
		return nil
	}
	if learnt != nil {
		if t := learnt.Load(); t != nil && len(t.choice) == len(reg.families) {
			return t
		}
	}
	return reg.byPref[min(max(pref, 0), len(reg.byPref)-1)]
}

// learnSpelling looks at the values a Qt 6 peer sent on a connection and,
// when one's type name belongs to one spelling of a family only, makes
// the connection send that spelling of the family from then on.
func learnSpelling(d Dialect, learnt *atomic.Pointer[renames], vs ...Variant) {
	if d != wire.Qt6 {
		return
	}
	reg := spellReg.Load()
	if reg == nil {
		return
	}
	for _, v := range vs {
		if v.Type() != qds.User {
			continue
		}
		fk, ok := reg.learn[v.TypeName()]
		if !ok {
			continue
		}
		// Stored even when it is the first spelling: a source may prefer
		// another for connections that learnt nothing.
		cur := spellingOf(d, learnt, 0)
		if learnt.Load() == cur && cur.choice[fk[0]] == fk[1] {
			continue
		}
		choice := append([]int(nil), cur.choice...)
		choice[fk[0]] = fk[1]
		spellMu.Lock()
		if spellReg.Load() == reg {
			learnt.Store(internLocked(reg, choice))
		}
		spellMu.Unlock()
	}
}

// rename renames v by table t; ok is false when v's type has no entry.
func (t *renames) rename(v Variant) (Variant, bool) {
	if t == nil || v.Type() != qds.User {
		return v, false
	}
	n, ok := t.m[v.TypeName()]
	if !ok {
		return v, false
	}
	return qds.UserOf(n, v.Value()).WithNullFlag(v.IsNull()), true
}

// learnSpelling learns the spelling of the connection's peer from values
// it sent (see the function of that name).
func (c *clientConn) learnSpelling(vs ...Variant) {
	if spellReg.Load() == nil || !slices.ContainsFunc(vs, func(v Variant) bool { return v.Type() == qds.User }) {
		return
	}
	if q, d := c.queue(); q != nil {
		learnSpelling(d, &q.spelling, vs...)
	}
}

// SetQt6Spelling makes the source send spelling k of each family of
// RegisterQt6Spellings (0 is the first) to Qt 6 connections whose peer
// has not shown its own yet; once a peer has, the source follows the
// peer. A peer may never show it: Qt's model replica with PrefetchData
// sends no model type before it needs the reply to its first request.
// Call it before remoting the source; on a child it has no effect (the
// root's applies).
func (s *Source) SetQt6Spelling(k int) {
	s.mu.Lock()
	s.spelling = k
	s.mu.Unlock()
}

// replySpelling is the spelling of a reply from src on c.
func (c *hostConn) replySpelling(src *Source) *renames {
	root := src.root()
	root.mu.Lock()
	pref := root.spelling
	root.mu.Unlock()
	return spellingOf(c.d, &c.q.spelling, pref)
}
