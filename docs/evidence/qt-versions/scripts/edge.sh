#!/bin/bash
# edge.sh NAME BINDIR ROOT BASEPORT: the harness's misbehaving-peer scripts against one Qt.
name=$1; B=$2; ROOT=$3; P=$4; OUT=/tmp/h5/edge/$name; mkdir -p $OUT; PY=/usr/bin/python3
run() { if [ -n "$ROOT" ]; then "$ROOT/lib64/ld-linux-x86-64.so.2" --library-path "$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu/libproxy:$ROOT/usr/lib/x86_64-linux-gnu" "$@"; else "$@"; fi; }
cd /work/main/fixtures/captures/harness
i=0
for sc in badversion nohandshake unknowntype; do
  $PY fakeserver.py 6 $((P+i)) $sc >$OUT/fake_$sc.out 2>&1 & fp=$!; sleep 0.2
  run $B/static6 replica tcp://127.0.0.1:$((P+i)) >$OUT/fake_$sc.replica.err 2>&1; wait $fp; i=$((i+1))
done
$PY hbserver.py 6 $((P+i)) >$OUT/hb.out 2>&1 & fp=$!; sleep 0.2
run $B/static6 replica tcp://127.0.0.1:$((P+i)) >$OUT/hb.replica.err 2>&1; wait $fp; i=$((i+1))
for sc in benign unknown huge short; do
  run $B/host6 tcp://127.0.0.1:$((P+i)) >$OUT/bad_$sc.host.err 2>&1 & hp=$!; sleep 0.3
  $PY badclient.py 6 $((P+i)) $sc >$OUT/bad_$sc.out 2>&1; wait $hp; i=$((i+1))
done
echo done $name
