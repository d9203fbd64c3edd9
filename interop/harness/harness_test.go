package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/capture"
)

// testPeer is the flavor of testdata/testpeer, built by TestMain.
var testPeer = Flavor{Name: "testpeer", Image: "qtro/harness-testpeer:latest"}

// dockerOK says whether TestMain could build the test image.
var dockerOK bool

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "harness-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "testpeer")
		build := exec.Command("go", "build", "-o", bin, "./testdata/testpeer")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build testpeer: %v\n%s", err, out)
			return 1
		}
		testPeer.Binary = bin
		if err := importTestImage(dir, bin); err != nil {
			fmt.Fprintln(os.Stderr, "harness tests: container cases will be skipped:", err)
		} else {
			dockerOK = true
			defer exec.Command("docker", "rmi", testPeer.Image).Run()
		}
		return m.Run()
	}()
	if code == 0 {
		// Goroutines of the Docker client's HTTP keep-alive are not ours.
		if err := goleak.Find(goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// importTestImage makes a FROM scratch image holding just the test peer and a
// /tmp, the same way ci/build-images.sh does.
func importTestImage(dir, bin string) error {
	if os.Getenv(NativeEnv) == "1" {
		return fmt.Errorf("%s=1", NativeEnv)
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		return fmt.Errorf("docker info: %w", err)
	}
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "testpeer"), data, 0o755); err != nil {
		return err
	}
	tarball := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("tar: %v: %s", err, out)
	}
	out, err := exec.Command("docker", "import", "--change", `ENTRYPOINT ["/testpeer"]`, tarball, testPeer.Image).CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker import: %v: %s", err, out)
	}
	return nil
}

// modes returns the modes this machine can test.
func modes(t *testing.T) []Mode {
	if dockerOK {
		return []Mode{Native, Containers}
	}
	t.Log("Docker unavailable: testing native mode only")
	return []Mode{Native}
}

func newRunner(t *testing.T, m Mode) *Runner {
	t.Helper()
	var log bytes.Buffer
	r, err := NewRunner(context.Background(), Options{Mode: m, OutDir: testOut(t), Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if r.Mode() != m {
		t.Fatalf("mode %v, want %v", r.Mode(), m)
	}
	if m == Native && !strings.Contains(log.String(), "NATIVELY") {
		t.Fatalf("native banner missing: %q", log.String())
	}
	return r
}

// lines reads a peer's stdout line by line in the background.
type lines struct {
	ch chan string
}

func readLines(r io.Reader) *lines {
	l := &lines{ch: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.ch <- sc.Text()
		}
		close(l.ch)
	}()
	return l
}

// expect waits for the next line and checks its prefix.
func (l *lines) expect(t *testing.T, prefix string) string {
	t.Helper()
	select {
	case s, ok := <-l.ch:
		if !ok {
			t.Fatalf("stdout ended, want %q", prefix)
		}
		if !strings.HasPrefix(s, prefix) {
			t.Fatalf("got %q, want prefix %q", s, prefix)
		}
		return s
	case <-time.After(15 * time.Second):
		t.Fatalf("timeout waiting for %q", prefix)
	}
	return ""
}

func send(t *testing.T, p *Process, line string) {
	t.Helper()
	if _, err := io.WriteString(p.Stdin(), line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func TestStdioExitAndArtifacts(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.String(), func(t *testing.T) {
			ctx := context.Background()
			r := newRunner(t, m)
			c, err := r.NewCase(ctx, "stdio "+m.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			p, err := c.Start(ctx, "one", testPeer)
			if err != nil {
				t.Fatal(err)
			}
			out := readLines(p.Stdout())
			send(t, p, "env TMPDIR")
			if got := out.expect(t, "env "); got != "env TMPDIR="+c.SocketDir() {
				t.Errorf("got %q, want TMPDIR=%s", got, c.SocketDir())
			}
			send(t, p, "stderr oops")
			send(t, p, "exit 3")
			code, err := p.Wait(ctx)
			if err != nil || code != 3 {
				t.Fatalf("exit %d %v, want 3", code, err)
			}
			if !strings.Contains(p.StderrTail(), "oops") {
				t.Errorf("stderr tail %q", p.StderrTail())
			}
			if b, err := io.ReadAll(p.Stderr()); err != nil || string(b) != "oops\n" {
				t.Errorf("stderr stream %q %v", b, err)
			}
			// Output ends after exit.
			if _, ok := <-out.ch; ok {
				t.Error("stdout not at EOF after exit")
			}
			// Stdin closed: a second peer exits 0 on EOF.
			q, err := c.Start(ctx, "two", testPeer)
			if err != nil {
				t.Fatal(err)
			}
			if code, err := q.Stop(ctx, 5*time.Second); err != nil || code != 0 {
				t.Errorf("stop after EOF: %d %v, want 0", code, err)
			}
			// Kill.
			k, err := c.Start(ctx, "three", testPeer)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Kill(ctx); err != nil {
				t.Fatal(err)
			}
			if code, _ := k.Wait(ctx); code != 137 {
				t.Errorf("killed: exit %d, want 137", code)
			}
			if err := c.Close(ctx); err != nil {
				t.Fatal(err)
			}
			for f, want := range map[string]string{
				"one.stdin": "exit 3", "one.stdout": "env TMPDIR", "one.stderr": "oops",
				"transcript.log": "one        stdout env TMPDIR", "case.txt": "exit 3",
			} {
				data, err := os.ReadFile(filepath.Join(c.Dir(), f))
				if err != nil || !strings.Contains(string(data), want) {
					t.Errorf("%s: %v, want it to contain %q; got:\n%s", f, err, want, data)
				}
			}
		})
	}
}

// TestTransports connects two peers over tcp, local and localabstract, each
// tapped, and checks both the echoed reply and the capture.
func TestTransports(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("not root: captures will be missing and are not checked")
	}
	for _, m := range modes(t) {
		for _, tr := range []Transport{TCP, Local, LocalAbstract} {
			t.Run(m.String()+"/"+string(tr), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				r := newRunner(t, m)
				c, err := r.NewCase(ctx, "transport-"+string(tr))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close(ctx)
				srv, err := c.Start(ctx, "server", testPeer)
				if err != nil {
					t.Fatal(err)
				}
				sout := readLines(srv.Stdout())
				url := c.URL("server", tr)
				network, listenAddr, dialAddr := addrs(c, url)
				send(t, srv, "listen "+network+" "+listenAddr)
				sout.expect(t, "listening")
				tapped, err := c.Tap(ctx, url)
				captured := err == nil
				if err != nil {
					t.Logf("no capture: %v", err)
				}
				if tr == LocalAbstract {
					_, _, dialAddr = addrs(c, tapped)
				}
				var opts []StartOption
				if tr == LocalAbstract {
					opts = append(opts, SharingNetworkWith("server"))
				}
				cl, err := c.Start(ctx, "client", testPeer, opts...)
				if err != nil {
					t.Fatal(err)
				}
				cout := readLines(cl.Stdout())
				send(t, cl, "dial "+network+" "+dialAddr+" ping-"+string(tr))
				if got := cout.expect(t, "reply"); got != "reply echo ping-"+string(tr) {
					t.Fatalf("got %q", got)
				}
				if err := c.Close(ctx); err != nil {
					t.Fatal(err)
				}
				if !captured {
					return
				}
				pcaps := c.Pcaps()
				if len(pcaps) == 0 {
					t.Fatal("no pcap")
				}
				var all []byte
				for _, p := range pcaps {
					cp, err := capture.Open(p, capture.Limits{})
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range cp.Streams {
						all = append(append(all, s.Flows[0].Data...), s.Flows[1].Data...)
					}
				}
				for _, want := range []string{"ping-" + string(tr) + "\n", "echo ping-" + string(tr) + "\n"} {
					if !bytes.Contains(all, []byte(want)) {
						t.Errorf("capture %v lacks %q", pcaps, want)
					}
				}
			})
		}
	}
}

// addrs turns a case URL into the test peer's network and addresses.
func addrs(c *Case, url string) (network, listen, dial string) {
	scheme, rest, _ := strings.Cut(url, ":")
	switch Transport(scheme) {
	case TCP:
		hostport := strings.TrimPrefix(url, "tcp://")
		if c.Mode() == Containers {
			_, port, _ := strings.Cut(hostport, ":")
			return "tcp", ":" + port, hostport
		}
		return "tcp", hostport, hostport
	case Local:
		p := filepath.Join(c.SocketDir(), rest)
		return "unix", p, p
	default:
		return "unix", "@" + rest, "@" + rest
	}
}

func TestStartErrors(t *testing.T) {
	r := newRunner(t, Native)
	ctx := context.Background()
	c, err := r.NewCase(ctx, "errors")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Start(ctx, "Bad_Name", testPeer); err == nil {
		t.Error("bad name accepted")
	}
	missing := testPeer
	missing.Binary = "/nonexistent/peer"
	if _, err := c.Start(ctx, "x", missing); err == nil || !strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("missing binary: %v", err)
	}
	if _, err := c.Start(ctx, "y", testPeer, SharingNetworkWith("nobody")); err == nil {
		t.Error("unknown SharingNetworkWith accepted")
	}
	if _, err := r.NewCase(ctx, "///"); err == nil {
		t.Error("empty case name accepted")
	}
}

// testOut is where a test's cases write artifacts: $QTRO_HARNESS_TEST_OUT/<test>
// when set (to inspect them), else a temporary directory.
func testOut(t *testing.T) string {
	if d := os.Getenv("QTRO_HARNESS_TEST_OUT"); d != "" {
		return filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_"))
	}
	return t.TempDir()
}

// TestLocalAbstractNeedsSharedNetwork shows why SharingNetworkWith exists: a
// container on the case network but in its own namespace cannot reach
// another's abstract socket.
func TestLocalAbstractNeedsSharedNetwork(t *testing.T) {
	if !dockerOK {
		t.Skip("Docker unavailable")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := newRunner(t, Containers)
	c, err := r.NewCase(ctx, "abstract-unshared")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	srv, err := c.Start(ctx, "server", testPeer)
	if err != nil {
		t.Fatal(err)
	}
	sout := readLines(srv.Stdout())
	_, listen, dial := addrs(c, c.URL("server", LocalAbstract))
	send(t, srv, "listen unix "+listen)
	sout.expect(t, "listening")
	cl, err := c.Start(ctx, "client", testPeer)
	if err != nil {
		t.Fatal(err)
	}
	cout := readLines(cl.Stdout())
	send(t, cl, "dial unix "+dial+" hello")
	if got := cout.expect(t, ""); !strings.HasPrefix(got, "error") {
		t.Fatalf("dial from another namespace: %q, want an error", got)
	}
}

// TestCommand runs a peer from the argv Case.Command hands out, the way
// specs/adapter does, next to a peer from Start, and checks they talk.
func TestCommand(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r := newRunner(t, m)
			c, err := r.NewCase(ctx, "command")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			srv, err := c.Start(ctx, "server", testPeer)
			if err != nil {
				t.Fatal(err)
			}
			sout := readLines(srv.Stdout())
			network, listen, dial := addrs(c, c.URL("server", TCP))
			send(t, srv, "listen "+network+" "+listen)
			sout.expect(t, "listening")

			argv, err := c.Command(ctx, "client", testPeer)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Command(ctx, "client", testPeer); err == nil {
				t.Error("duplicate peer name accepted")
			}
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Stdin = strings.NewReader("env TMPDIR\ndial " + network + " " + dial + " via-command\n")
			log := c.LogWriter("client")
			var out bytes.Buffer
			cmd.Stdout = io.MultiWriter(&out, log)
			cmd.Stderr = log
			if err := cmd.Run(); err != nil {
				t.Fatalf("%q: %v; output %s", argv, err, out.String())
			}
			want := "env TMPDIR=" + c.SocketDir() + "\nreply echo via-command\n"
			if out.String() != want {
				t.Errorf("output %q, want %q", out.String(), want)
			}
			if err := c.Close(ctx); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(c.Dir(), "client.log"))
			if err != nil || !strings.Contains(string(data), "reply echo via-command") {
				t.Errorf("client.log: %v %q", err, data)
			}
		})
	}
}

// TestReapOrphans checks that a runner removes what a killed test process
// left (no ryuk here) and leaves alone what a live one owns.
func TestReapOrphans(t *testing.T) {
	if !dockerOK {
		t.Skip("Docker unavailable")
	}
	dead := "2147483646" // no such pid
	run := func(args ...string) string {
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	net := run("network", "create", "--label", ownerLabel+"="+dead, "qtro-orphan-test")
	ctr := run("create", "--label", ownerLabel+"="+dead, "--network", "qtro-orphan-test", testPeer.Image)
	live := run("create", "--label", ownerLabel+"=1", testPeer.Image) // pid 1 always exists
	defer run("rm", "-f", live)
	newRunner(t, Containers)
	for _, id := range []string{ctr, net} {
		if out, err := exec.Command("docker", "inspect", id).CombinedOutput(); err == nil {
			t.Errorf("orphan %s still there", id)
			_ = exec.Command("docker", "rm", "-f", id).Run()
			_ = exec.Command("docker", "network", "rm", id).Run()
		} else if !strings.Contains(string(out), "No such") {
			t.Errorf("inspect %s: %s", id, out)
		}
	}
	if err := exec.Command("docker", "inspect", live).Run(); err != nil {
		t.Errorf("a live owner's container was removed: %v", err)
	}
}
