// Package loadgen runs QtRO load tests: it lays out a mesh of hosts and
// replica nodes (1:1, fan-out, fan-in, M×N through a registry, connection
// storms and churn, heartbeat load), drives a workload on it (property
// changes, signals with payloads, echo slot calls; open model on a rate
// schedule or closed model with N in flight), and measures it correctly:
//
//   - latency from each update's intended send time, never from when the
//     sender got around to it (no coordinated omission, as wrk2);
//   - loss, duplication and reordering per replica while it is Valid, with
//     gaps across Suspect periods reported apart;
//   - every distribution in HdrHistograms that merge exactly across shards;
//   - the generator's own capacity: sender lag and dropped sends (k6's
//     dropped_iterations), and its CPU use.
//
// What runs is a target.Target (the Go reference node, a raw-socket
// reference, later real Qt peers). Results are a result.Summary; reports
// and the command line live in report, progress and cmd/qtro.
package loadgen
