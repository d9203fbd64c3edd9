package dump

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/capture"
)

// TestWriteLineMatchesLineFormat: writeLine writes what
// fmt.Fprintf(lineFormat) writes, for short, exact and overlong columns.
func TestWriteLineMatchesLineFormat(t *testing.T) {
	for _, tc := range []struct {
		ts     string
		dir    capture.Direction
		offset int64
		size   string
		desc   string
	}{
		{"-", capture.HostToClient, 0, "-", "Handshake"},
		{"0.000123", capture.ClientToHost, 12345678, "65536", "a\n" + descIndent[1:] + "b"},
		{"123456.123456", capture.HostToClient, -5, "4294967295", "é"},
		{"é", capture.Direction(7), math.MinInt64, "", ""},
		{"1234567890", capture.ClientToHost, math.MaxInt64, "123456", "x"},
	} {
		var got bytes.Buffer
		bw := bufio.NewWriter(&got)
		writeLine(bw, tc.ts, tc.dir, tc.offset, tc.size, tc.desc)
		bw.Flush()
		if want := fmt.Sprintf(lineFormat, tc.ts, tc.dir, tc.offset, tc.size, tc.desc); got.String() != want {
			t.Errorf("got  %q\nwant %q", got.String(), want)
		}
	}
	// The time column: strconv's 'f' with 6 digits is fmt's %.6f.
	for _, d := range []time.Duration{0, 1, 999, 1500 * time.Microsecond, 59*time.Minute + 999999999, math.MaxInt64} {
		if got, want := string(strconv.AppendFloat(nil, d.Seconds(), 'f', 6, 64)), fmt.Sprintf("%.6f", d.Seconds()); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
