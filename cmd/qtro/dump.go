package main

import (
	"fmt"
	"strings"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/wire"
	"github.com/spf13/cobra"
)

// newDumpCmd is `qtro dump`: a thin wrapper over package dump.
func newDumpCmd() *cobra.Command {
	var (
		opts    dump.Options
		dialect string
		gadgets []string
		strict  bool
	)
	cmd := &cobra.Command{
		Use:   "dump FILE...",
		Short: "Decode recorded QtRO traffic (pcap, pcapng, hex transcripts) into packets",
		Long: `dump decodes recorded QtRO traffic into readable packets, one line per packet:
time since the first packet, direction (S->C host to client, C->S client to host),
the frame's offset in the sender's byte stream, its size field, and the packet.

Input: pcap or pcapng (optionally gzip'd; Ethernet, Linux SLL/SLL2, raw IP,
loopback), whose TCP connections are reassembled, or hex transcripts as in
fixtures/captures; "-" reads standard input. The dialect of each connection
comes from the host's Handshake; the host is the side that sent it (else the
side that accepted the connection, else a guess from the ports, said so in
the output).

Traffic of a remoted item model (an object of class QAbstractItemModelAdapter,
which Qt's enableRemoting(QAbstractItemModel*) creates) is shown as the model
operations it carries, with index paths as [row,column] from the root:
  model "Sheet": rowRequest rows [0,0]..[9,1] roles [0,256] (serial 2)
  model "Sheet": reply to rowRequest (serial 2): DataEntries 20 cells: [0,0] 0="a" 256=7, ...
  model "Sheet": rowsInserted parent=root first=3 last=4
With --json those packets also get a "model" object with the operation's
arguments, unclipped.

User types the recorded programs had compiled in are unknown to a generic
dumper; declare them so the rest decodes:
  --gadget 'MyPOD=x,s'              one QVariant per field (repc PODs)
  --gadget 'MyPod=x:int,s:QString'  bare fields (hand-written stream operators)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch strings.ToLower(dialect) {
			case "":
			case "qt5", "5":
				opts.Dialect = wire.Qt5
			case "qt6", "6":
				opts.Dialect = wire.Qt6
			default:
				return fmt.Errorf("--dialect %q: want qt5 or qt6", dialect)
			}
			for _, g := range gadgets {
				gd, err := dump.ParseGadget(g)
				if err != nil {
					return err
				}
				opts.Gadgets = append(opts.Gadgets, gd)
			}
			out := cmd.OutOrStdout()
			errors := 0
			for _, path := range args {
				if len(args) > 1 && !opts.JSON {
					fmt.Fprintf(out, "==> %s <==\n", path)
				}
				var (
					sum dump.Summary
					err error
				)
				if path == "-" {
					var c *capture.Capture
					if c, err = capture.Read(cmd.InOrStdin(), opts.Capture); err == nil {
						sum, err = dump.Write(out, c, opts)
					}
				} else {
					sum, err = dump.File(out, path, opts)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				errors += sum.Errors
			}
			if strict && errors > 0 {
				return fmt.Errorf("%d frames could not be decoded", errors)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Hex, "hex", false, "also print each frame's bytes in hex")
	f.BoolVar(&opts.JSON, "json", false, "write one JSON object per line (kinds: capture, connection, packet, error, end, summary)")
	f.StringVar(&dialect, "dialect", "", "force the dialect of every connection: qt5 or qt6 (default: from the Handshake)")
	f.IntSliceVar(&opts.Conns, "conn", nil, "show only these connections (numbers as printed; repeatable)")
	f.StringArrayVar(&gadgets, "gadget", nil, "declare a user type: 'Name=field,...' or 'Name=field:type,...' (repeatable)")
	f.BoolVar(&strict, "strict", false, "exit with an error if any frame could not be decoded")
	return cmd
}
