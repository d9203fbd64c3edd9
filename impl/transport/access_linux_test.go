package transport_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/qtro/qtro/impl/transport"
)

// dialAsEnv makes the test binary a child that dials the socket in this
// variable as another user (TestLocalSocketAccessOtherUser).
const dialAsEnv = "QTRO_TEST_DIAL_LOCAL"

func init() {
	if path := os.Getenv(dialAsEnv); path != "" {
		c, err := net.Dial("unix", path)
		if err != nil {
			fmt.Println("refused:", err)
			os.Exit(3)
		}
		c.Close()
		fmt.Println("connected")
		os.Exit(0)
	}
}

// Another user cannot connect to a socket whose access is the owner's
// only, and can where it is everyone's. Needs root (to run the dialler as
// nobody); anywhere else it is skipped, and says so.
func TestLocalSocketAccessOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to dial as another user")
	}
	dir, err := os.MkdirTemp("", "qtro-access-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // nobody may reach the socket file
		t.Fatal(err)
	}
	// A copy of this test binary nobody may run (the go tool's is in a
	// directory only root may enter).
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "dialer")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		access transport.SocketAccess
		ok     bool
	}{{transport.UserAccess, false}, {transport.UserAccess | transport.GroupAccess, false}, {transport.WorldAccess, true}} {
		s := transport.Default()
		s.Register(transport.Local, transport.LocalSocket{Access: c.access})
		path := filepath.Join(dir, uniqueName("who"))
		ln, _, err := s.Listen(testCtx(t), "local:"+path)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
			}
		}()
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), dialAsEnv+"="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		got := strings.TrimSpace(string(out))
		switch {
		case c.ok && (err != nil || got != "connected"):
			t.Errorf("access %b: nobody could not connect: %s %v", c.access, got, err)
		case !c.ok && !strings.HasPrefix(got, "refused:"):
			t.Errorf("access %b: nobody was not refused: %s %v", c.access, got, err)
		case !c.ok && !strings.Contains(got, "permission denied"):
			t.Errorf("access %b: nobody refused for another reason: %s", c.access, got)
		}
		ln.Close()
	}
}
