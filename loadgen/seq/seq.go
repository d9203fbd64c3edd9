// Package seq checks one stream of sequence numbers for the promises QtRO
// makes while a replica is Valid: every update arrives, once, in order.
//
// A Detector is fed the sequence numbers a replica observes. It counts
// holes (lost), repeats (duplicated) and late arrivals that fill a hole
// (reordered). Gaps across a Suspect period (connection lost, source
// removed) are not losses under QtRO's contract — the replica is
// re-initialised with the current state — so they are counted apart, as
// SuspectGap.
//
// It owns the counting only, not timing; a Detector is not safe for
// concurrent use.
package seq

// DefaultWindow bounds how far back a Detector remembers. A hole pushed out
// of the window stays lost even if its update turns up later; any update
// that old counts as Stale (late or duplicated: it cannot tell).
const DefaultWindow = 1 << 16

// Detector checks one stream. The zero value is ready: its first update
// sets the expectation (see Expect to set it in advance).
type Detector struct {
	// Window bounds the remembered holes (0: DefaultWindow).
	Window int

	next    int64 // next expected sequence number; 0: none yet
	missing map[int64]struct{}
	evicted int64 // holes forgotten because of the window: lost for good

	suspended bool  // between Suspend and the next Expect/first update
	resumeAt  int64 // the next expected number when the replica went Suspect

	// Counters; Lost is computed (see Lost).
	Received   int64 // updates observed, duplicates included
	Duplicated int64 // updates seen before
	Reordered  int64 // updates that filled a hole (arrived after a higher number)
	Stale      int64 // updates older than the window: late or duplicated, cannot tell
	SuspectGap int64 // numbers skipped across Suspect periods (not losses)
	Suspects   int64 // Suspect periods
	Restarts   int64 // times the numbering started over (a restarted sender)
	LastSeen   int64 // highest number observed (0: none)
	FirstSeen  int64 // first number observed (0: none)
}

// Expect sets the next expected number, as when a property replica is
// (re)initialised with the counter's current value n-1. After a Suspect
// period, the numbers between the last one seen and n are a suspect gap.
func (d *Detector) Expect(n int64) {
	wasSuspended := d.suspended
	if wasSuspended {
		d.closeSuspect(n)
	}
	if d.next != 0 && n < d.next {
		// Going backwards (a host restarted its counter): start over.
		d.restart(n)
		return
	}
	if d.next != 0 && n > d.next && !wasSuspended {
		// A jump forward without a Suspect period is a real hole.
		d.addHoles(d.next, n)
	}
	d.next = n
}

// restart starts the numbering over at n. Holes still open can no longer
// be filled (the new numbers are another sender's): they are lost for good.
func (d *Detector) restart(n int64) {
	d.evicted += int64(len(d.missing))
	d.missing = nil
	d.next = n
	d.Restarts++
}

// Suspend records that the replica left Valid. Holes still open are kept
// (they are losses that happened while Valid); what is skipped until the
// stream resumes is a suspect gap.
func (d *Detector) Suspend() {
	if d.suspended {
		return
	}
	d.suspended = true
	d.resumeAt = d.next
	d.Suspects++
}

// Pause is Suspend for a replica that was released on purpose (churn):
// the skipped numbers are a gap, but no Suspect period is counted.
func (d *Detector) Pause() {
	if d.suspended {
		return
	}
	d.Suspend()
	d.Suspects--
}

func (d *Detector) closeSuspect(n int64) {
	d.suspended = false
	if d.resumeAt != 0 && n > d.resumeAt {
		d.SuspectGap += n - d.resumeAt
	}
	d.resumeAt = 0
}

// Observe records update n.
func (d *Detector) Observe(n int64) {
	d.Received++
	if d.FirstSeen == 0 {
		d.FirstSeen = n
	}
	if n > d.LastSeen {
		d.LastSeen = n
	}
	if d.suspended {
		// First update after a Suspect period without an Expect (signals
		// carry no state): it defines where the stream resumes.
		d.closeSuspect(n)
		if n < d.next && d.next != 0 {
			// Lower than expected right after a Suspect period: the
			// sender numbers from the start again (a restarted host; a
			// live host never resends what a replica missed).
			d.restart(n)
		}
		d.next = n + 1
		return
	}
	switch {
	case d.next == 0:
		d.next = n + 1
	case n == d.next:
		d.next++
	case n > d.next:
		d.addHoles(d.next, n)
		d.next = n + 1
	default: // n < next
		if _, ok := d.missing[n]; ok {
			delete(d.missing, n)
			d.Reordered++
		} else if n < d.next-int64(d.window()) {
			d.Stale++
		} else {
			d.Duplicated++
		}
	}
}

func (d *Detector) window() int {
	if d.Window > 0 {
		return d.Window
	}
	return DefaultWindow
}

// addHoles marks [from, to) missing, keeping at most the window's worth.
func (d *Detector) addHoles(from, to int64) {
	w := int64(d.window())
	if to-from > w {
		d.evicted += to - from - w
		from = to - w
	}
	if d.missing == nil {
		d.missing = make(map[int64]struct{})
	}
	for n := from; n < to; n++ {
		d.missing[n] = struct{}{}
	}
	if over := len(d.missing) - int(w); over > 0 {
		// Forget the oldest holes: they stay lost.
		lim := to - w
		for n := range d.missing {
			if n < lim {
				delete(d.missing, n)
				d.evicted++
			}
		}
	}
}

// Lost returns the updates never seen inside the observed range: open
// holes plus holes forgotten by the window.
func (d *Detector) Lost() int64 { return int64(len(d.missing)) + d.evicted }

// Next returns the next expected number (0 before any expectation).
func (d *Detector) Next() int64 { return d.next }

// Suspended reports whether the stream is in a Suspect period.
func (d *Detector) Suspended() bool { return d.suspended }

// Tail returns how many updates up to last (the sender's last number) were
// never seen after the last one observed: losses at the end of a run when
// the replica is still Valid, or a suspect gap when it is not.
func (d *Detector) Tail(last int64) int64 {
	if d.next == 0 || last < d.next {
		return 0
	}
	return last - d.next + 1
}
