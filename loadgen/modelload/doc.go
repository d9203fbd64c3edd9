// Package modelload runs the item-model workloads of `qtro loadgen compare`
// (issue 18 item 7) on a model host process and a model replica process of
// one implementation: the Go node (`qtro loadgen model-peer`, this
// package's Host and Replicas) or real Qt (fixtures/qtapps: `qtro-qtapp
// --model-load-host|--model-load-replica`, the same protocol in C++).
// loadgen drives both processes with Driver and only orchestrates: every
// time is taken inside the processes on CLOCK_MONOTONIC (package clock),
// so times from the host and the replica process subtract.
//
// # The model
//
// A list model (one column) remoted under NAME with the roles
// Qt::DisplayRole (0, "display") and Qt::UserRole (256, "value"). Row data
// carries its own identity, so that replicas check content, not counts:
// DisplayRole is "r<ID>" and UserRole the integer ID. Replicas acquire with
// FetchRootSize and the roles hint {0, 256}, and a root cache large enough
// for every row of the workload (Qt: setRootCacheSize; Go: WithCacheSize).
//
// # Processes
//
//	PROG --model-load-host URL NAME [--dialect qt5|qt6]     prints "listening URL"
//	PROG --model-load-replica URL NAME [--cache ROWS]       prints "ready"
//
// Commands are read one a line from stdin; each is answered with one JSON
// object on stdout (an "error" field when refused). Times ("…Ns") are
// CLOCK_MONOTONIC nanoseconds.
//
// Host commands:
//
//	reset N                     the model becomes rows 0..N-1 with IDs 0..N-1
//	                            → {"event":"reset","rows":N}
//	insert AT N ID0 ATNS        at the monotonic time ATNS, one insertion
//	                            (beginInsertRows/endInsertRows) of N rows before
//	                            row AT with IDs ID0.. → {"event":"inserted",
//	                            "rows":R,"startNs":S,"endNs":E}
//	changes FIRST COUNT RATE T0NS
//	                            COUNT data changes, change j (0-based) at
//	                            T0NS + j·1e9/RATE: UserRole of row
//	                            (FIRST+j) mod rows becomes FIRST+j (one
//	                            setData, one dataChanged); the sender wakes
//	                            at most every millisecond (Qt's timers have
//	                            millisecond resolution) and sends what is due,
//	                            up to 64 changes a turn →
//	                            {"event":"changed","count":COUNT,
//	                            "endNs":E,"lagMaxNs":L}
//
// Replica commands:
//
//	first K ROWS TIMEOUTMS      K fresh replicas one after another, each its
//	                            own node and connection: connect, acquire,
//	                            read rows 0..ROWS-1 until they all have data;
//	                            each one's time from its connect to its
//	                            ROWS-th row, and rows whose content is not
//	                            their ID → {"event":"first","done":D,
//	                            "bad":B,"samples":[ns...]}
//	replicas N FETCH TIMEOUTMS  N replicas (N nodes, N connections) kept
//	                            up, each initialised and holding rows
//	                            0..FETCH-1 → {"event":"replicas","ready":R,
//	                            "rows":ROWS}
//	insert AT N ID0 ATNS TIMEOUTMS
//	                            every kept replica waits for the insertion,
//	                            reads the new rows (fetches them) and is
//	                            complete when each of them arrived with its
//	                            ID; then every replica's whole content is
//	                            checked: rows, IDs lost (expected, not
//	                            present), duplicated (present more than
//	                            once), misplaced (not at their row) →
//	                            {"event":"insert","complete":C,"lost":L,
//	                            "duplicated":D,"misplaced":M,"rowsBad":B,
//	                            "samples":[per replica: ns after ATNS]}
//	changes FIRST COUNT RATE T0NS TIMEOUTMS
//	                            every kept replica records each change it
//	                            sees (a row's UserRole in FIRST..FIRST+COUNT-1,
//	                            at the row it belongs to) once, with its
//	                            latency from the change's intended time;
//	                            done when each replica has the last value of
//	                            every row → {"event":"changes","complete":C,
//	                            "seen":S,"misplaced":M,"lastNs":L,
//	                            "samples":[latency ns...]}
//	close                       releases the kept replicas → {"event":"closed"}
//
// A replica that sees a value of a change more than once (the same value
// refetched) counts it once; values it never sees (a row changed again
// before the replica's refetch came back) are "missed", reported apart
// from loss: Qt's replica refetches rows on dataChanged and shows what the
// row holds when the reply comes.
package modelload
