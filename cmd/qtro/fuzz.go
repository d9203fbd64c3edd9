package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qtro/qtro/specs/conformance"
	"github.com/qtro/qtro/specs/fuzz"
)

// errCrashes is the exit status of a fuzz run that found crashes or hangs
// (or a replay whose verdict was not the expected one).
var errCrashes = errors.New("fuzz: failures found")

func newFuzzCmd() *cobra.Command {
	var (
		targets, out, kinds, expect string
		role                        string
		replays                     []string
		seed                        uint64
		duration, settle, wait      time.Duration
		count, budget, depth        int
		noMin, verbose, allowCrash  bool
	)
	cmd := &cobra.Command{
		Use:   "fuzz",
		Short: "Network fuzzing of any QtRO host or replica: find crashes, minimise them to reproducers",
		Long: `fuzz attacks each target in the roles --role names (targets as for qtro conformance: go,
go5, go6, qt5, qt6, qt@QT, adapter:CMD, image:IMG, url:URL).

As a host (--role host): fuzz starts the target as a host, connects as a raw client, learns the
sources it remotes (ObjectList, InitDynamic), and sends hostile inputs, one connection each:
Invokes on sources it does not have ("Registry"), declared methods and signals with wrong
argument counts and types, deeply nested QVariantLists, huge counts, truncated frames, unknown
packet types, random size fields, mutated golden frames and runs of random frames. After each
input a fresh client must get a Handshake and a Pong: else the host crashed (its process exited)
or hangs.

As a replica (--role replica): fuzz listens, starts the target as a node that connects to it and
acquires its test object (static and dynamic, as the target declares; the budget is split
between them), checks that a well-formed session makes the replica Valid, then plays a hostile
host to a fresh replica per input: Handshakes missing or of the wrong version, ObjectLists that
lie, Init/InitDynamic with the wrong value counts or types, class definitions that lie,
PropertyChange and signal Invokes with out-of-range indexes or the wrong values, InvokeReplies
nobody asked for, frames for sources it does not have, deep nesting, huge counts, truncated
frames, unknown packet types, random sizes. After each input the replica's process must still
run and answer the adapter's state command: else it crashed (exited) or hangs.

Each kind of failure (per role and replica kind) is replayed against a freshly started target
and minimised (delta debugging over connections, frames and bytes) into a reproducer: a hex
transcript that 'qtro dump FILE' decodes and 'qtro fuzz --replay FILE --target T' re-sends
(a replica-role reproducer says so in its '# role: replica' line, and replay starts the target
as a replica of the kind it records).

--role defaults to both for targets fuzz starts and to host for url: targets (a host it only
connects to cannot be started as a replica). --duration and --count bound each role.
Reports (fuzz.json, report.html, crashes/*.txt) go to --out; each finding names its role.
A host fuzz started and that never crashed is also judged on memory: if its RSS a second after
the last input is more than twice its RSS after learning its sources plus 64 MiB, the run
reports memory growth, a failure like a crash. Deterministic inputs for a --seed. The exit code
is non-zero iff a target crashed, hung or grew, unless --allow-crashes; with --expect crashed it is non-zero iff a target crashed in none of
the roles fuzzed (CI fuzzes Qt, whose host crashes are known, as a positive control of the
fuzzer). With --replay the exit code says whether every reproducer left the target alive, or
with --expect crashed, crashed it.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, err := conformance.ParseTargets(targets)
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join("out", "fuzz")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			var logw io.Writer
			if verbose {
				logw = os.Stderr
			}
			logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
			var res fuzz.Results
			failed := false
			if len(replays) > 0 {
				want := fuzz.Alive
				if expect != "" {
					want = fuzz.Health(expect)
				}
				for _, t := range ts {
					s := &fuzz.TargetStarter{T: t, Log: logw}
					for _, f := range replays {
						r, err := fuzz.ReadReproducerFile(f)
						if err != nil {
							return err
						}
						rr, err := fuzz.Replay(ctx, s, r, settle, wait)
						s.Cleanup()
						if err != nil {
							return fmt.Errorf("replay %s on %s: %w", f, t.Name, err)
						}
						rr.File = f
						res.Replays = append(res.Replays, rr)
						ok := rr.Health == want || want == fuzz.Crashed && rr.Health == fuzz.Hung
						if !ok {
							failed = true
						}
						fmt.Printf("%-10s %-60s %-7s %s %s\n", t.Name, f, rr.Role, rr.Health, rr.Detail)
					}
				}
			} else {
				var ks []string
				if kinds != "" {
					ks = strings.Split(kinds, ",")
				}
				for _, t := range ts {
					roles, err := fuzzRoles(role, t)
					if err != nil {
						return err
					}
					s := &fuzz.TargetStarter{T: t, Log: logw}
					crashes := 0
					for _, r := range roles {
						if len(ks) > 0 && !slices.ContainsFunc(ks, func(k string) bool { return slices.Contains(fuzz.KindsFor(r), k) }) {
							fmt.Printf("%-14s none of --kinds is a %s-role mutator: not fuzzed in that role\n", t.Name, r)
							continue
						}
						rep, err := fuzz.Run(ctx, fuzz.Config{Starter: s, Role: r, Seed: seed, Duration: duration, Count: count, Kinds: ks,
							Settle: settle, ProbeWait: wait, MinimizeBudget: budget, NoMinimize: noMin, MaxDepth: depth,
							Out: out, Logf: logf})
						if err != nil {
							s.Cleanup()
							return err
						}
						res.Runs = append(res.Runs, rep)
						printRun(rep)
						crashes += len(rep.Crashes)
						if (len(rep.Crashes) > 0 || rep.MemoryGrowth != "") && !allowCrash && expect != string(fuzz.Crashed) {
							failed = true
						}
					}
					s.Cleanup()
					if expect == string(fuzz.Crashed) && crashes == 0 {
						// The positive control: a target known to crash did
						// not, so the fuzzer (or the budget) lost its teeth.
						fmt.Printf("%-10s   expected crashes, found none\n", t.Name)
						failed = true
					}
				}
			}
			if err := fuzz.WriteReports(out, res); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "fuzz: reports in %s\n", out)
			if failed {
				return errCrashes
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&targets, "target", "go", "comma-separated targets, as for qtro conformance")
	f.StringVar(&out, "out", "", "report directory (default out/fuzz)")
	f.StringVar(&role, "role", "", "host, replica or both: the roles the targets are fuzzed in (default: both for started targets, host for url: targets)")
	f.Uint64Var(&seed, "seed", 1, "seed of the inputs")
	f.DurationVar(&duration, "duration", 60*time.Second, "fuzzing time per target and role (minimisation comes after)")
	f.IntVar(&count, "count", 0, "maximum inputs per target and role (0: no limit)")
	f.StringVar(&kinds, "kinds", "", "comma-separated mutators; each role runs those it has (default all; host: "+strings.Join(fuzz.Kinds, ",")+"; replica: "+strings.Join(fuzz.ReplicaKinds, ",")+")")
	f.DurationVar(&settle, "settle", 0, "wait after an input before probing (default 30ms; replay 100ms)")
	f.DurationVar(&wait, "probe-wait", 0, "deadline of a fresh client's Handshake and Pong, or of a replica's answer to state (default 3s)")
	f.IntVar(&budget, "minimize-budget", 0, "target starts one crash's minimisation may use (default 40)")
	f.BoolVar(&noMin, "no-minimize", false, "write crashing inputs as found")
	f.IntVar(&depth, "max-depth", 0, "deepest nesting the deep-nesting mutator sends (default 200000)")
	f.StringArrayVar(&replays, "replay", nil, "replay a reproducer file instead of fuzzing (repeatable)")
	f.StringVar(&expect, "expect", "", "alive (default): every replay must leave the host alive; crashed: every replay, and every fuzzed target, must crash")
	f.BoolVar(&allowCrash, "allow-crashes", false, "exit 0 even when a target crashed (the report still lists it)")
	f.BoolVarP(&verbose, "verbose", "v", false, "show the targets' own output")
	return cmd
}

// fuzzRoles returns the roles to fuzz target t in: --role, or by default
// both for a target fuzz starts and host for an url: target.
func fuzzRoles(role string, t *conformance.Target) ([]fuzz.Role, error) {
	if role == "" {
		if t.URL != "" {
			return []fuzz.Role{fuzz.RoleHost}, nil
		}
		role = "both"
	}
	roles, err := fuzz.ParseRoles(role)
	if err != nil {
		return nil, err
	}
	if t.URL != "" && slices.Contains(roles, fuzz.RoleReplica) {
		return nil, fmt.Errorf("fuzz: %s is a host fuzz only connects to; it cannot be started as a replica (--role host)", t.Name)
	}
	return roles, nil
}

// printRun prints one run's summary and findings.
func printRun(rep *fuzz.Report) {
	name := rep.Target + " " + string(rep.Role)
	starts := fmt.Sprintf("%d restarts", rep.Restarts)
	if rep.Role == fuzz.RoleReplica {
		starts = fmt.Sprintf("%d replicas started", rep.Replicas)
	}
	fmt.Printf("%-14s %d inputs in %.0f s: %d failure kinds, %d failing inputs, %s\n",
		name, rep.Inputs, rep.Elapsed, len(rep.Crashes), rep.Failures(), starts)
	for _, b := range rep.Baseline {
		fmt.Printf("%-14s   baseline %s\n", "", b)
	}
	if rep.RSSStartKiB > 0 {
		idle := ""
		if rep.RSSIdleKiB > 0 {
			idle = fmt.Sprintf(", idle after %d KiB", rep.RSSIdleKiB)
		}
		fmt.Printf("%-14s   host RSS %d KiB at start, peak %d KiB, last %d KiB%s\n", "", rep.RSSStartKiB, rep.RSSPeakKiB, rep.RSSEndKiB, idle)
	}
	if rep.MemoryGrowth != "" {
		fmt.Printf("%-14s   MEMORY GROWTH: %s\n", "", rep.MemoryGrowth)
	}
	if rep.Stopped != "" {
		fmt.Printf("%-14s   stopped early: %s\n", "", rep.Stopped)
	}
	for _, c := range rep.Crashes {
		kind := c.Kind
		if c.Mode != "" {
			kind = c.Mode + "/" + c.Kind
		}
		fmt.Printf("%-14s   %-24s %s x%d: %s (%d -> %d bytes) %s\n", "", kind, c.Health, c.Count, c.Note, c.OriginalSize, c.MinimalSize, c.Reproducer)
	}
}
