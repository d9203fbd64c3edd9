package nodeadapter

import (
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

// Options is the parsed command line: the contract's and the Go
// adapter's own flags.
type Options struct {
	contract.CommandLine
	// Dialect is what hosts and registries listen in and what ready reports
	// (--dialect, else $QTRO_DIALECT, else Qt 6).
	Dialect wire.Dialect
	// DialectGiven says --dialect or $QTRO_DIALECT chose Dialect. A node then
	// speaks only that dialect, as a Qt node does (conformance HS-5: a host
	// of the other dialect is never accepted); without it a node detects the
	// dialect of each host it connects to.
	DialectGiven bool
	// Capabilities narrows what the adapter declares and does (nil: all
	// of FullCapabilities).
	Capabilities *Capabilities
}

// ParseArgs parses the command line (contract.ParseCommandLine plus --dialect and
// --capabilities); env looks up environment variables (os.Getenv). Errors
// wrap contract.ErrUsage.
func ParseArgs(args []string, env func(string) string) (*Options, error) {
	o := &Options{Dialect: wire.Qt6}
	if env != nil && env(EnvDialect) != "" {
		d, ok := wire.ParseDialect(env(EnvDialect))
		if !ok {
			return nil, contract.Usagef("%s=%q: want qt5 or qt6", EnvDialect, env(EnvDialect))
		}
		o.Dialect, o.DialectGiven = d, true
	}
	a, err := contract.ParseCommandLine(args, func(flag string, value func() (string, error)) (bool, error) {
		switch flag {
		case "--dialect":
			v, err := value()
			if err == nil {
				var ok bool
				if o.Dialect, ok = wire.ParseDialect(v); !ok {
					err = contract.Usagef("--dialect must be qt5 or qt6")
				}
				o.DialectGiven = true
			}
			return true, err
		case "--capabilities":
			v, err := value()
			if err == nil {
				o.Capabilities, err = FullCapabilities().Narrow(v, "the Go node")
			}
			return true, err
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	o.CommandLine = *a
	return o, nil
}
