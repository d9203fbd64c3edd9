package rep

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRepcRuntime confirms at run time what TestRepc reads from header text.
// For runtime.rep and each Qt version it runs repc and moc, compiles a
// program that constructs every <Class>SourceAPI<<Class>Source> (the object
// QtRO serialises class definitions from) and prints what it returns:
// property names, signalSignature, methodSignature, typeName and parameter
// names, with serializeDefinition's class name replacement applied. The
// output must equal this package's API. It also logs each property's moc
// type name and notify signature, which the definition carries too but
// which come from moc rather than repc.
func TestRepcRuntime(t *testing.T) {
	bins := repcBinaries(t)
	build := buildTools(t)
	src := readFixture(t, "runtime.rep")
	f, err := Parse("runtime.rep", src)
	if err != nil {
		t.Fatal(err)
	}
	var calls strings.Builder
	for _, c := range f.Classes {
		for _, p := range c.Properties {
			if p.Kind != PlainProp {
				t.Fatalf("runtime.rep: class %s has a CLASS/MODEL member; SourceAPI would dereference a null object", c.Name)
			}
		}
		fmt.Fprintf(&calls, "    dump<%[1]sSource>(%[1]sSourceAPI<%[1]sSource>(nullptr));\n", c.Name)
	}
	program := strings.Replace(runtimeProgram, "$CALLS", calls.String(), 1)
	for _, d := range dialects {
		t.Run(fmt.Sprintf("qt%d", d), func(t *testing.T) {
			t.Parallel()
			out := buildAndRun(t, d, bins[d], build, src, program)
			var want []string
			for _, c := range f.Classes {
				a, err := f.API(c.Name, d)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, "class "+c.Name)
				for i, p := range a.Properties {
					want = append(want, fmt.Sprintf("property %d %s", i, p.Name))
				}
				names := func(ps []APIParam) string {
					var n []string
					for _, p := range ps {
						n = append(n, p.Name)
					}
					return strings.Join(n, ",")
				}
				for i, s := range a.Signals {
					want = append(want, fmt.Sprintf("signal %d %s (%s) prop=%d", i, s.Signature, names(s.Params), s.Property))
				}
				for i, m := range a.Methods {
					want = append(want, fmt.Sprintf("method %d %s (%s) -> %s", i, m.Signature, names(m.Params), m.ReturnType))
				}
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(l, "# ") {
					t.Log(l[2:])
					continue
				}
				got = append(got, l)
			}
			diffLines(t, "run-time SourceAPI vs ours", want, got)
		})
	}
}

type toolchain struct {
	cxx, pkgConfig string
}

// buildTools finds g++ and pkg-config with the same policy as repc: missing
// tools fail the test unless QTRO_ALLOW_NO_QT=1.
func buildTools(t *testing.T) toolchain {
	t.Helper()
	var tc toolchain
	var missing []string
	for _, x := range []struct {
		name string
		dst  *string
	}{{"g++", &tc.cxx}, {"pkg-config", &tc.pkgConfig}} {
		p, err := exec.LookPath(x.name)
		if err != nil {
			missing = append(missing, x.name)
		}
		*x.dst = p
	}
	if len(missing) > 0 {
		msg := "missing " + strings.Join(missing, ", ") + " (ci/setup.sh installs them)"
		if os.Getenv(allowNoQtEnv) == "1" {
			t.Skipf("!!! SKIPPING the run-time check against real QtRO because %s=1: %s. This is NOT a pass. !!!", allowNoQtEnv, msg)
		}
		t.Fatalf("%s; set %s=1 to skip this test deliberately", msg, allowNoQtEnv)
	}
	return tc
}

func buildAndRun(t *testing.T, d Dialect, repc string, tc toolchain, src []byte, program string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String()
	}
	mods := "Qt" + strconv.Itoa(int(d)) + "Core Qt" + strconv.Itoa(int(d)) + "RemoteObjects"
	incs := strings.Fields(run(tc.pkgConfig, "--cflags-only-I", mods))
	flags := strings.Fields(run(tc.pkgConfig, "--cflags", "--libs", mods))
	if err := os.WriteFile(filepath.Join(dir, "runtime.rep"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.cpp"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	run(repc, "-o", "merged", "runtime.rep", "rep_runtime.h")
	// Debian installs moc next to repc for both versions.
	run(filepath.Join(filepath.Dir(repc), "moc"), append(incs, "rep_runtime.h", "-o", "moc_rep_runtime.cpp")...)
	// One translation unit (main.cpp includes the moc output) halves the
	// compile time.
	run(tc.cxx, append([]string{"-std=c++17", "-fPIC", "-O0", "-I.", "main.cpp", "-o", "runtime"}, flags...)...)
	return run(filepath.Join(dir, "runtime"))
}

// runtimeProgram prints what the generated SourceAPIs return; $CALLS is
// one dump call per class.
const runtimeProgram = `#include "rep_runtime.h"
#include <cstdio>

template <class Src, class Api> void dump(const Api &api)
{
    // serializeDefinition replaces the C++ class name by the type name.
    const QByteArray orig = api.className();
    const QByteArray want = api.typeName().toLatin1();
    auto rep = [&](QByteArray s) { s.replace(orig, want); return s; };
    auto names = [](const QByteArrayList &l) { return l.join(','); };
    printf("class %s\n", want.constData());
    for (int i = 0; i < api.propertyCount(); ++i) {
        const QMetaProperty mp = Src::staticMetaObject.property(api.sourcePropertyIndex(i));
        printf("property %d %s\n", i, mp.name());
        printf("# qt%d %s property %d moc type=%s notify=%s\n", QT_VERSION_MAJOR, want.constData(), i, mp.typeName(),
               mp.hasNotifySignal() ? rep(mp.notifySignal().methodSignature()).constData() : "-");
    }
    for (int i = 0; i < api.signalCount(); ++i)
        printf("signal %d %s (%s) prop=%d\n", i, rep(api.signalSignature(i)).constData(),
               names(api.signalParameterNames(i)).constData(), api.propertyRawIndexFromSignal(i));
    for (int i = 0; i < api.methodCount(); ++i)
        printf("method %d %s (%s) -> %s\n", i, rep(api.methodSignature(i)).constData(),
               names(api.methodParameterNames(i)).constData(), rep(api.typeName(i)).constData());
}

int main()
{
$CALLS    return 0;
}

#include "moc_rep_runtime.cpp"
`
