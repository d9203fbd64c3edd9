package fuzz

import (
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Minimisation: shrink a crashing sequence of inputs while it still
// crashes a freshly started target, as delta debugging (Zeller's ddmin)
// over inputs, then over the frames of each chunk, then over the bytes of
// each frame (keeping its size field consistent), within a budget of
// attempts, since each attempt starts a target.

// Oracle reports whether a sequence of inputs still crashes the target.
type Oracle func(seq []Input) bool

// ddmin returns a smaller xs for which keep still holds; budget counts
// the calls of keep left.
func ddmin[T any](xs []T, keep func([]T) bool, budget *int) []T {
	n := 2
	for len(xs) >= 2 && *budget > 0 {
		chunk := (len(xs) + n - 1) / n
		reduced := false
		for start := 0; start < len(xs) && *budget > 0; start += chunk {
			end := min(len(xs), start+chunk)
			cand := make([]T, 0, len(xs)-(end-start))
			cand = append(cand, xs[:start]...)
			cand = append(cand, xs[end:]...)
			*budget--
			if keep(cand) {
				xs = cand
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if n >= len(xs) {
				break
			}
			n = min(2*n, len(xs))
		}
	}
	return xs
}

// Minimize shrinks seq while oracle still reports a crash, calling it at
// most budget times. seq itself is assumed to crash. A nil chunk (the
// replica role's wait for AddObject) is kept or dropped like a frame.
func Minimize(d wire.Dialect, seq []Input, oracle Oracle, budget int) []Input {
	b := &budget
	// 1. Fewer connections.
	if len(seq) > 1 {
		seq = ddmin(seq, oracle, b)
	}
	// 2. Smaller scale (nesting depth, counts) where the mutator has a knob.
	for i := range seq {
		if seq[i].regen == nil {
			continue
		}
		good := 1.0 // the scale known to crash
		bad := 0.0  // the largest scale known not to
		for s := 0.5; *b > 0 && s > 1e-6; s /= 2 {
			*b--
			if oracle(with(seq, i, seq[i].regen(s))) {
				good = s
				continue
			}
			bad = s
			break
		}
		for step := 0; step < 6 && *b > 0 && bad > 0 && good-bad > good/64; step++ {
			mid := (good + bad) / 2
			*b--
			if oracle(with(seq, i, seq[i].regen(mid))) {
				good = mid
			} else {
				bad = mid
			}
		}
		if good < 1 {
			seq = with(seq, i, seq[i].regen(good))
		}
	}
	// 3. Fewer chunks, and fewer frames within each chunk.
	for i := range seq {
		in := seq[i]
		var frames [][]byte
		for _, c := range in.Chunks {
			if c == nil { // a replica-role wait for AddObject: dropped like a frame
				frames = append(frames, nil)
				continue
			}
			frames = append(frames, splitFrames(d, c)...)
		}
		if len(frames) > 1 {
			frames = ddmin(frames, func(fs [][]byte) bool {
				return oracle(with(seq, i, withChunks(in, fs)))
			}, b)
			seq = with(seq, i, withChunks(in, frames))
		}
	}
	// 4. Fewer bytes in each frame; well-formed frames keep their size
	// field consistent with their body (and their header whole).
	for i := range seq {
		for j := range seq[i].Chunks {
			c := seq[i].Chunks[j]
			in := seq[i]
			if c == nil {
				continue
			}
			if wellFormed(d, c) {
				// A frame that decodes stays decodable, so the reproducer
				// keeps telling its story ("an Invoke of Registry with no
				// arguments") instead of collapsing into a shorter garbage
				// frame that crashes for another reason.
				strict := decodes(d, c)
				head := append([]byte(nil), c[:6]...)
				body := ddmin(append([]byte(nil), c[6:]...), func(body []byte) bool {
					f := fixSize(d, append(append([]byte(nil), head...), body...))
					if strict && !decodes(d, f) {
						*b++ // refused without starting a target: no attempt spent
						return false
					}
					return oracle(with(seq, i, withChunk(in, j, f)))
				}, b)
				seq = with(seq, i, withChunk(in, j, fixSize(d, append(head, body...))))
				continue
			}
			raw := ddmin(append([]byte(nil), c...), func(raw []byte) bool {
				return oracle(with(seq, i, withChunk(in, j, raw)))
			}, b)
			seq = with(seq, i, withChunk(in, j, raw))
		}
	}
	return seq
}

// with returns a copy of seq with element i replaced.
func with(seq []Input, i int, in Input) []Input {
	out := append([]Input(nil), seq...)
	out[i] = in
	return out
}

func withChunks(in Input, chunks [][]byte) Input {
	in.Chunks = chunks
	in.regen = nil
	return in
}

func withChunk(in Input, j int, c []byte) Input {
	chunks := append([][]byte(nil), in.Chunks...)
	chunks[j] = c
	in.Chunks = chunks
	in.regen = nil
	return in
}

// decodes reports whether f is one frame that decodes as a packet whole.
func decodes(d wire.Dialect, f []byte) bool {
	if !wellFormed(d, f) {
		return false
	}
	typ := wire.PacketType(byteOrder(d).Uint16(f[4:]))
	if !typ.Known() || typ == wire.Invalid {
		return false
	}
	_, err := wire.Decode(d, qds.NewTypes(d.Types()), qds.Limits{}, wire.Frame{Type: typ, Body: f[6:]})
	return err == nil
}
