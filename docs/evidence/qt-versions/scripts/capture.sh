#!/bin/bash
# capture.sh NAME BINDIR ROOT BASEPORT: re-takes the fixtures/captures scenarios with the harness in BINDIR.
# ROOT is a Debian root whose loader and libraries run the binaries ("" = this machine's Qt).
name=$1; B=$2; ROOT=$3; P=$4
H=/work/main/fixtures/captures/harness
OUT=/tmp/h5/out/$name; mkdir -p $OUT
PY=/usr/bin/python3
run() { # run BIN ARGS...
  if [ -n "$ROOT" ]; then
    QT_PLUGIN_PATH="$ROOT/usr/lib/x86_64-linux-gnu/qt6/plugins" "$ROOT/lib64/ld-linux-x86-64.so.2" --library-path "$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu/libproxy:$ROOT/usr/lib/x86_64-linux-gnu" "$@"
  else "$@"; fi
}
cd $H
# 1. dynamic demo, raw client
run $B/host6 tcp://127.0.0.1:$P 2>$OUT/dynamic.host.err & hp=$!
sleep 0.3
$PY client.py 6 tcp:127.0.0.1:$P >$OUT/dynamic.txt 2>$OUT/dynamic.client.err
wait $hp
# 2. static repc replica through the proxy (host P+1, proxy P+2)
run $B/static6 host tcp://127.0.0.1:$((P+1)) 2>$OUT/static.host.err & hp=$!
$PY proxy.py 6 $((P+2)) 127.0.0.1:$((P+1)) 3.5 >$OUT/static.txt & pp=$!
sleep 0.3
run $B/static6 replica tcp://127.0.0.1:$((P+2)) 2>$OUT/static.replica.err
wait $pp $hp
# 3. registry: registry P+3, proxy P+4, host P+5
run $B/reg6 registry tcp://127.0.0.1:$((P+3)) 2>$OUT/registry.reg.err & rp=$!
$PY proxy.py 6 $((P+4)) 127.0.0.1:$((P+3)) 5.5 >$OUT/registry.txt & pp=$!
sleep 0.3
run $B/reg6 client tcp://127.0.0.1:$((P+4)) 2>$OUT/registry.client.err & cp=$!
sleep 0.7
run $B/reg6 host tcp://127.0.0.1:$((P+5)) tcp://127.0.0.1:$((P+4)) 2>$OUT/registry.host.err & hp=$!
wait $cp $hp $pp $rp
# 4. model: host P+6, proxy P+7
run $B/model6 host tcp://127.0.0.1:$((P+6)) 2>$OUT/model.host.err & hp=$!
$PY proxy.py 6 $((P+7)) 127.0.0.1:$((P+6)) 3.5 >$OUT/model.txt & pp=$!
sleep 0.3
run $B/model6 client tcp://127.0.0.1:$((P+7)) 2>$OUT/model.client.err
wait $pp $hp
# 5. qvariant encodings (dump.cpp half)
run $B/dump6 >$OUT/qvariant.txt 2>$OUT/qvariant.err
echo done $name
