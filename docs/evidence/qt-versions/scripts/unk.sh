#!/bin/bash
name=$1; B=$2; ROOT=$3; P=$4; OUT=/tmp/h5/unk/$name; mkdir -p $OUT
run() { if [ -n "$ROOT" ]; then "$ROOT/lib64/ld-linux-x86-64.so.2" --library-path "$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu/libproxy:$ROOT/usr/lib/x86_64-linux-gnu" "$@"; else "$@"; fi; }
i=0
for m in one split; do for k in 1 2 3; do
  /usr/bin/python3 /tmp/h5/unk.py $((P+i)) $m >$OUT/$m.$k.out 2>&1 & fp=$!; sleep 0.2
  run $B/static6 replica tcp://127.0.0.1:$((P+i)) >$OUT/$m.$k.err 2>&1; wait $fp; i=$((i+1))
done; done
