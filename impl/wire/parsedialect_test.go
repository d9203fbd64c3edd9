package wire

import "testing"

func TestParseDialect(t *testing.T) {
	for s, want := range map[string]Dialect{"qt5": Qt5, "Qt5": Qt5, "5": Qt5, "qt6": Qt6, "QT6": Qt6, "6": Qt6, "": 0, "qt7": 0} {
		d, ok := ParseDialect(s)
		if d != want || ok != (want != 0) {
			t.Errorf("ParseDialect(%q) = %v, %v; want %v", s, d, ok, want)
		}
	}
}
