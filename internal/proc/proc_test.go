package proc

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	tl := NewTail(8)
	tl.WriteLine("first line")
	tl.WriteLine("ab")
	if got := tl.String(); got != "line\nab\n" {
		t.Fatalf("tail %q, want the last 8 bytes", got)
	}
	if n, err := tl.Write([]byte("xyz")); n != 3 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got := tl.String(); got != "e\nab\nxyz" {
		t.Fatalf("tail %q", got)
	}
}

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Fatal("this process is not alive")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	// Reaped: the pid is free (reuse within the test is very unlikely).
	if runtime.GOOS != "windows" && Alive(cmd.Process.Pid) {
		t.Skip("pid reused already")
	}
}

func TestSignalGroupReachesGrandchild(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process groups")
	}
	// A shell starts a grandchild that holds stdout open: stdout reaches EOF
	// only when the group kill ended both.
	cmd := exec.Command("sh", "-c", "sleep 30 & echo started; wait")
	SetGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	SignalGroup(cmd, syscall.SIGKILL, true)
	eof := make(chan error, 1)
	go func() { _, err := io.ReadAll(br); eof <- err }()
	select {
	case <-eof:
	case <-time.After(10 * time.Second):
		t.Fatal("the grandchild survived the group kill (stdout still open)")
	}
	_ = cmd.Wait()
}

func TestDieWithParent(t *testing.T) {
	err := DieWithParent(0) // signal 0 clears the setting
	if runtime.GOOS == "linux" && err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "linux" && err != ErrUnsupported {
		t.Fatalf("err %v, want ErrUnsupported", err)
	}
}
