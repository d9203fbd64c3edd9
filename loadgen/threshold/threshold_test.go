package threshold

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in     string
		metric string
		op     string
		value  float64
	}{
		{"p99<2ms", "p99", "<", 2e6},
		{" p99.9 <= 1.5ms ", "p99.9", "<=", 1.5e6},
		{"p999<1s", "p99.9", "<", 1e9},
		{"lost==0", "lost", "==", 0},
		{"dup == 0", "duplicated", "==", 0},
		{"throughput>=100k", "throughput", ">=", 1e5},
		{"throughput>2.5M/s", "throughput", ">", 2.5e6},
		{"rss<512MiB", "rss", "<", 512 << 20},
		{"rss<1GB", "rss", "<", 1e9},
		{"init_max<1s", "init_max", "<", 1e9},
		{"lag_p99<250us", "lag_p99", "<", 250e3},
		{"max<0", "max", "<", 0},
		{"errors!=3", "errors", "!=", 3},
	}
	for _, c := range cases {
		th, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if th.Metric != c.metric || th.Op != c.op || th.Value != c.value {
			t.Errorf("Parse(%q) = %+v, want %s %s %g", c.in, th, c.metric, c.op, c.value)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		in  string
		err error
	}{
		{"p99", ErrSyntax},
		{"p99<2", ErrSyntax},      // duration without a unit
		{"p99<2MiB", ErrSyntax},   // wrong kind of unit
		{"lost==zero", ErrSyntax}, // not a number
		{"latency<2ms", ErrUnknownMetric},
		{"<2ms", ErrUnknownMetric},
	} {
		if _, err := Parse(c.in); !errors.Is(err, c.err) {
			t.Errorf("Parse(%q) error %v, want %v", c.in, err, c.err)
		}
	}
}

func TestCheck(t *testing.T) {
	ts, err := ParseAll([]string{"p99<2ms", "lost==0", "throughput>1000", "rss<1GiB"})
	if err != nil {
		t.Fatal(err)
	}
	res, ok := Check(ts, map[string]float64{"p99": 1.9e6, "lost": 0, "throughput": 5000})
	if ok {
		t.Fatal("a missing metric (rss) must fail the run")
	}
	wantPass := []bool{true, true, true, false}
	for i, r := range res {
		if r.Pass != wantPass[i] {
			t.Errorf("%s: pass %v, want %v", r.Expr, r.Pass, wantPass[i])
		}
	}
	if !res[3].Missing {
		t.Error("rss should be reported missing")
	}
	res, ok = Check(ts[:2], map[string]float64{"p99": 2e6, "lost": 0})
	if ok || res[0].Pass {
		t.Error("p99 == 2ms must fail p99<2ms")
	}
	if _, ok := Check(ts[1:2], map[string]float64{"lost": 1}); ok {
		t.Error("lost 1 must fail lost==0")
	}
}

func TestBoundaries(t *testing.T) {
	for _, c := range []struct {
		expr string
		v    float64
		pass bool
	}{
		{"lost<=0", 0, true}, {"lost<0", 0, false}, {"lost>=1", 1, true}, {"lost>1", 1, false},
		{"lost!=0", 0, false}, {"lost==1", 1, true},
	} {
		th, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		if th.Pass(c.v) != c.pass {
			t.Errorf("%s at %g: pass %v, want %v", c.expr, c.v, !c.pass, c.pass)
		}
	}
}
