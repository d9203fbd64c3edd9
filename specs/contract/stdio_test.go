package contract

import (
	"bytes"
	"strings"
	"testing"
)

// TestReadLines checks the bound on command lines (§6).
func TestReadLines(t *testing.T) {
	in := "a\n" + strings.Repeat("x", 100) + "\nb\n" + strings.Repeat("y", 10) + "\nlast"
	lines := make(chan Line, 10)
	eof := make(chan error, 1)
	ReadLines(strings.NewReader(in), 10, lines, eof, make(chan struct{}))
	if err := <-eof; err == nil || err.Error() != "EOF" {
		t.Fatalf("end: %v", err)
	}
	close(lines)
	var got []string
	for l := range lines {
		if l.TooLong {
			got = append(got, "<too long>")
		} else {
			got = append(got, strings.TrimSuffix(string(l.B), "\n"))
		}
	}
	want := []string{"a", "<too long>", "b", strings.Repeat("y", 10), "last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
	// Lines longer than the read buffer are put together.
	big := strings.Repeat("z", 300000)
	lines = make(chan Line, 10)
	ReadLines(strings.NewReader(big+"\n"+big+"z\n"), len(big), lines, eof, make(chan struct{}))
	<-eof
	if l := <-lines; l.TooLong || string(l.B) != big+"\n" {
		t.Errorf("a line of %d bytes: tooLong=%v, %d bytes", len(big), l.TooLong, len(l.B))
	}
	if l := <-lines; !l.TooLong {
		t.Errorf("a line of %d bytes with max %d is not too long", len(big)+1, len(big))
	}
}

// TestEventWriter: Send writes its events in one write; nothing after
// Silence.
func TestEventWriter(t *testing.T) {
	var buf bytes.Buffer
	ev := NewEventWriter(&buf)
	ev.Send(Fields{{Key: "event", Value: "a"}}, Fields{{Key: "event", Value: "b"}})
	ev.Silence()
	ev.Send(Fields{{Key: "event", Value: "c"}})
	if buf.String() != "{\"event\":\"a\"}\n{\"event\":\"b\"}\n" {
		t.Errorf("event stream %q", buf.String())
	}
}

// TestParseCommand: one JSON object per line; an empty line is no command;
// anything else is an error (badJson).
func TestParseCommand(t *testing.T) {
	c, err := ParseCommand([]byte(` {"cmd":"get","id":12345678901234567890} ` + "\n"))
	if err != nil || c.Name() != "get" || c["id"].(interface{ String() string }).String() != "12345678901234567890" {
		t.Errorf("parsed %v, %v", c, err)
	}
	if c, err := ParseCommand([]byte(" \n")); c != nil || err != nil {
		t.Errorf("empty line: %v, %v", c, err)
	}
	for _, bad := range []string{`[1]`, `{"cmd":"a"} {}`, `{`, `"x"`} {
		if _, err := ParseCommand([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
