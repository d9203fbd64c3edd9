package contract

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUsage marks a bad command line (exit code 2, §2).
var ErrUsage = errors.New("usage")

// Usagef is an ErrUsage error with a message.
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// CommandLine is an adapter's command line (§2).
type CommandLine struct {
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
	// Help is set by -h/--help.
	Help bool
}

// ObjectName is --object or the class name of --type.
func (o *CommandLine) ObjectName() string {
	if o.Object != "" {
		return o.Object
	}
	return ClassName(o.Type)
}

// ParseCommandLine parses ROLE and the flags of §2, in any order, "--flag value"
// or "--flag=value". extra handles the flags the contract does not define
// (an adapter's own): it reports whether it knows flag, and reads its value
// with value. Errors wrap ErrUsage. The role is not checked: an unknown role
// is "unsupported" (exit 127), not a usage error.
func ParseCommandLine(args []string, extra func(flag string, value func() (string, error)) (bool, error)) (*CommandLine, error) {
	o := &CommandLine{Type: TypeTestObject, SourceAPI: ModeStatic, CallTimeoutMs: 5000}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			// The role: first in the contract, but a wrapper may put its own
			// flags before it.
			if o.Role != "" {
				return nil, Usagef("unexpected argument %s", a)
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
				return "", Usagef("missing value for %s", a)
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
				return 0, Usagef("bad value %q for %s", v, a)
			}
			return n, nil
		}
		noValue := func() error {
			if inline != nil {
				return Usagef("%s takes no value", a)
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
			if err == nil && o.Type != TypeTestObject && o.Type != TypeTick && o.Type != TypePlain {
				err = Usagef("--type must be testobject, tick or plain")
			}
		case "--dynamic", "--static":
			err = noValue()
			o.Dynamic, o.ModeGiven = a == "--dynamic", true
		case "--heartbeat":
			o.HeartbeatMs, err = number()
		case "--source-api":
			o.SourceAPI, err = value()
			if err == nil && o.SourceAPI != ModeStatic && o.SourceAPI != ModeDynamic {
				err = Usagef("--source-api must be static or dynamic")
			}
		case "--no-acquire":
			err = noValue()
			o.NoAcquire = true
		case "--call-timeout":
			o.CallTimeoutMs, err = number()
		case "--ignore-stdin-eof":
			err = noValue()
			o.IgnoreStdinEOF = true
		case "-h", "--help":
			o.Help = true
		default:
			var known bool
			if extra != nil {
				known, err = extra(a, value)
			}
			if !known && err == nil {
				err = Usagef("unknown argument %s", a)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if o.Role == "" && !o.Help {
		return nil, Usagef("missing role")
	}
	return o, nil
}
