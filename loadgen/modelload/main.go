package modelload

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/node"
)

// ProfileEnv names the environment variable that makes a Go model load
// process write a CPU profile (pprof) to $QTRO_MODELLOAD_CPUPROFILE +
// "host|replica.PID.pprof" until it ends.
const ProfileEnv = "QTRO_MODELLOAD_CPUPROFILE"

// Main runs a model host or replica process of the protocol from its
// command line (--model-load-host URL NAME [--dialect qt5|qt6] or
// --model-load-replica URL NAME [--cache ROWS]) until stdin ends or ctx
// does; it returns the exit status (2: usage).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "model-peer: %s\nusage: --model-load-host URL NAME [--dialect qt5|qt6] | --model-load-replica URL NAME [--cache ROWS]\n", msg)
		return 2
	}
	if len(args) < 3 {
		return usage("missing arguments")
	}
	mode, url, name := args[0], args[1], args[2]
	dialect, cache := node.Qt6, 0
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return usage("flag " + args[i] + " without a value")
		}
		switch args[i] {
		case "--dialect":
			switch args[i+1] {
			case "qt5":
				dialect = node.Qt5
			case "qt6":
				dialect = node.Qt6
			default:
				return usage("unknown dialect " + args[i+1])
			}
		case "--cache":
			n, err := strconv.Atoi(args[i+1])
			if err != nil || n <= 0 {
				return usage("bad --cache " + args[i+1])
			}
			cache = n
		default:
			return usage("unknown flag " + args[i])
		}
	}
	if prefix := os.Getenv(ProfileEnv); prefix != "" {
		f, err := os.Create(fmt.Sprintf("%s%s.%d.pprof", prefix, strings.TrimPrefix(mode, "--model-load-"), os.Getpid()))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() {
				pprof.StopCPUProfile()
				_ = f.Close()
			}()
		}
	}
	var err error
	switch mode {
	case "--model-load-host":
		err = Host(ctx, url, name, dialect, stdin, stdout)
	case "--model-load-replica":
		err = Replicas(ctx, url, name, cache, stdin, stdout)
	default:
		return usage("unknown mode " + mode)
	}
	if err != nil {
		fmt.Fprintf(stderr, "model-peer: %v\n", err)
		return 1
	}
	return 0
}
