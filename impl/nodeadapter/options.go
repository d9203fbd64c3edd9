package nodeadapter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/contract"
)

// EnvDialect is the environment variable that sets the default of --dialect.
const EnvDialect = "QTRO_DIALECT"

// Usage is the command line (specs/ADAPTER.md §2 plus --dialect).
const Usage = `usage: qtro adapter host|registry|node [--url URL] [--registry URL] [--object NAME]
       [--type testobject|tick|plain] [--dynamic|--static] [--heartbeat MS]
       [--source-api static|dynamic] [--no-acquire] [--call-timeout MS] [--ignore-stdin-eof]
       [--dialect qt5|qt6] [--capabilities JSON]
       qtro adapter hello [--capabilities JSON]   (contract 2: print what the adapter can do)`

// ErrUsage marks a bad command line (exit code 2).
var ErrUsage = errors.New("usage")

// Options is the parsed command line.
type Options struct {
	Role           string
	URL            string
	Registry       string
	Object         string // empty: the class name of Type
	Type           string
	TypeGiven      bool
	Dynamic        bool
	ModeGiven      bool
	HeartbeatMs    int
	SourceAPI      string
	NoAcquire      bool
	CallTimeoutMs  int
	IgnoreStdinEOF bool
	// Dialect is what hosts and registries listen in and what ready reports
	// (--dialect, else $QTRO_DIALECT, else Qt 6).
	Dialect wire.Dialect
	// DialectGiven says --dialect or $QTRO_DIALECT chose Dialect. A node then
	// speaks only that dialect, as a Qt node does (conformance HS-5: a host
	// of the other dialect is never accepted); without it a node detects the
	// dialect of each host it connects to.
	DialectGiven bool
	// Help is set by -h/--help.
	Help bool
	// Capabilities narrows what the adapter declares and does (nil: all
	// of FullCapabilities).
	Capabilities *Capabilities
}

// ObjectName is --object or the class name of --type.
func (o *Options) ObjectName() string {
	if o.Object != "" {
		return o.Object
	}
	return contract.ClassName(o.Type)
}

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// ParseDialect reads qt5/qt6 (also 5/6).
func ParseDialect(s string) (wire.Dialect, bool) {
	switch strings.ToLower(s) {
	case "qt5", "5":
		return wire.Qt5, true
	case "qt6", "6":
		return wire.Qt6, true
	}
	return 0, false
}

// ParseArgs parses ROLE and the flags (in any order); env looks up environment variables
// (os.Getenv). Errors wrap ErrUsage. The role is not checked here: an
// unknown role is "unsupported" (exit 127), not a usage error.
func ParseArgs(args []string, env func(string) string) (*Options, error) {
	o := &Options{Type: contract.TypeTestObject, SourceAPI: "static", CallTimeoutMs: 5000, Dialect: wire.Qt6}
	if env != nil && env(EnvDialect) != "" {
		d, ok := ParseDialect(env(EnvDialect))
		if !ok {
			return nil, usagef("%s=%q: want qt5 or qt6", EnvDialect, env(EnvDialect))
		}
		o.Dialect, o.DialectGiven = d, true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			// The role: first in the contract, but a wrapper may put its own
			// flags (--dialect) before it.
			if o.Role != "" {
				return nil, usagef("unexpected argument %s", a)
			}
			o.Role = a
			continue
		}
		var inline *string
		if strings.HasPrefix(a, "--") {
			if k, v, ok := strings.Cut(a, "="); ok {
				a, inline = k, &v
			}
		}
		value := func() (string, error) {
			if inline != nil {
				return *inline, nil
			}
			if i+1 >= len(args) {
				return "", usagef("missing value for %s", a)
			}
			i++
			return args[i], nil
		}
		number := func() (int, error) {
			v, err := value()
			if err != nil {
				return 0, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, usagef("bad value %q for %s", v, a)
			}
			return n, nil
		}
		noValue := func() error {
			if inline != nil {
				return usagef("%s takes no value", a)
			}
			return nil
		}
		var err error
		switch a {
		case "--url":
			o.URL, err = value()
		case "--registry":
			o.Registry, err = value()
		case "--object":
			o.Object, err = value()
		case "--type":
			o.Type, err = value()
			o.TypeGiven = true
			if err == nil && o.Type != contract.TypeTestObject && o.Type != contract.TypeTick && o.Type != contract.TypePlain {
				err = usagef("--type must be testobject, tick or plain")
			}
		case "--dynamic", "--static":
			err = noValue()
			o.Dynamic, o.ModeGiven = a == "--dynamic", true
		case "--heartbeat":
			o.HeartbeatMs, err = number()
		case "--source-api":
			o.SourceAPI, err = value()
			if err == nil && o.SourceAPI != "static" && o.SourceAPI != "dynamic" {
				err = usagef("--source-api must be static or dynamic")
			}
		case "--no-acquire":
			err = noValue()
			o.NoAcquire = true
		case "--call-timeout":
			o.CallTimeoutMs, err = number()
		case "--ignore-stdin-eof":
			err = noValue()
			o.IgnoreStdinEOF = true
		case "--dialect":
			var v string
			if v, err = value(); err == nil {
				var ok bool
				if o.Dialect, ok = ParseDialect(v); !ok {
					err = usagef("--dialect must be qt5 or qt6")
				}
				o.DialectGiven = true
			}
		case "--capabilities":
			var v string
			if v, err = value(); err == nil {
				o.Capabilities, err = parseCapabilities(v)
			}
		case "-h", "--help":
			o.Help = true
		default:
			err = usagef("unknown argument %s", a)
		}
		if err != nil {
			return nil, err
		}
	}
	if o.Role == "" && !o.Help {
		return nil, usagef("missing role")
	}
	return o, nil
}
