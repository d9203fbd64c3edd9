#!/usr/bin/env python3
"""Records a real Qt model session on loopback with tcpdump, for model_test.go.

Usage (as root, from the checkout root, after ci/build-qtapps.sh 5 6 trixie sid):
  impl/dump/testdata/model/record_qt_model.py QT PORT OUT.pcap
QT is 5 or 6 (the machine's Qt 5.15 and 6.4), or a suite of ci/qt-versions.tsv (trixie: Qt 6.8,
sid: the newest).

A Qt host (build/qtapps/*/qtro-qtapp --model-host: a 5x2 QAbstractTableModel remoted with
enableRemoting(model, "Model", {DisplayRole, UserRole}, selectionModel)) is read by two Qt
QAbstractItemModelReplicas (--model-replica: FetchRootSize, and --prefetch: PrefetchData, which
starts with replicaCacheRequest). The host then changes data, inserts, removes and moves rows,
changes a header and the current index and resets the model; the first replica writes a cell
(replicaSetData) and sets its current index (replicaSetCurrentIndex). See fixtures/qtapps/README.md.
"""
import queue
import signal
import subprocess
import sys
import threading
import time

qt, port, out = sys.argv[1], sys.argv[2], sys.argv[3]
binary = f"build/qtapps/{'qt' + qt if qt in ('5', '6') else qt}/qtro-qtapp"


class Proc:
    def __init__(self, *args):
        self.p = subprocess.Popen([binary, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.strip())

    def wait(self, pred, what):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if pred(line):
                return line
        sys.exit(f"timed out waiting for {what}")

    def command(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        self.wait(lambda l: l in (f'{{"ok":"{cmd}"}}', f'{{"error":"{cmd}"}}'), cmd)
        time.sleep(0.3)  # let the replicas fetch what the change made them ask for

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", out, f"tcp port {port}"],
                        stderr=subprocess.DEVNULL)
time.sleep(1.5)
host = Proc("--model-host", f"tcp://127.0.0.1:{port}", "Model")
host.wait(lambda l: l.startswith("listening "), "the host")
plain = Proc("--model-replica", f"tcp://127.0.0.1:{port}", "Model")
plain.wait(lambda l: '"event":"ready"' in l, "the first replica")
pre = Proc("--model-replica", f"tcp://127.0.0.1:{port}", "Model", "--prefetch")
pre.wait(lambda l: '"event":"ready"' in l, "the prefetching replica")
for cmd in ["set 1 0 0 changed", "set 2 0 256 42", "insert 2 n1 n2", "remove 0 1", "move 0 1 3",
            "header 0 Name", "current 1 1", "reset 3"]:
    host.command(cmd)
for cmd in ["set 0 1 0 fromReplica", "current 2 0"]:
    plain.command(cmd)
time.sleep(0.5)
pre.stop()
plain.stop()
host.stop()
time.sleep(0.5)
dump.send_signal(signal.SIGINT)
dump.wait(timeout=10)
