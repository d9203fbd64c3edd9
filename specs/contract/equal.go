package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// JSON equality (specs/ADAPTER.md §7.5).

// Normalize turns decoded JSON (json.Number, float64, Go integers) into a canonical Go value:
// integral numbers become int64 (or uint64 above MaxInt64), others float64; maps and slices recurse.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return u
		}
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return normFloat(f)
	case float64:
		return normFloat(x)
	case float32:
		return normFloat(float64(x))
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint:
		return normUint(uint64(x))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return normUint(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Normalize(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = Normalize(e)
		}
		return l
	case []string:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = e
		}
		return l
	case Command:
		return Normalize(map[string]any(x))
	default:
		return v
	}
}

func normUint(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

func normFloat(f float64) any {
	if f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 && !(f == 0 && math.Signbit(f)) {
		return int64(f)
	}
	return f
}

// Equal compares two JSON values semantically: object key order is irrelevant and numbers compare by
// value (2 == 2.0; integers exactly, without a detour through float64).
func Equal(a, b any) bool {
	return equalNorm(Normalize(a), Normalize(b))
}

func equalNorm(a, b any) bool {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case uint64:
		y, ok := b.(uint64)
		return ok && x == y
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y || (math.IsNaN(x) && math.IsNaN(y))
		case int64:
			return x == float64(y)
		}
		return false
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalNorm(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalNorm(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// Canonical renders a JSON value deterministically (sorted keys, integral numbers as integers), so
// that Canonical(a) == Canonical(b) exactly when Equal(a, b). Useful in failure messages and as a key.
func Canonical(v any) string {
	var b strings.Builder
	writeCanonical(&b, Normalize(v))
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		q, _ := json.Marshal(x)
		b.Write(q)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(k)
			b.Write(q)
			b.WriteByte(':')
			writeCanonical(b, x[k])
		}
		b.WriteByte('}')
	default:
		q, err := json.Marshal(x)
		if err != nil {
			fmt.Fprintf(b, "%q", fmt.Sprint(x))
			return
		}
		var back any
		dec := json.NewDecoder(bytes.NewReader(q))
		dec.UseNumber()
		if dec.Decode(&back) != nil {
			b.Write(q)
			return
		}
		writeCanonical(b, Normalize(back))
	}
}
