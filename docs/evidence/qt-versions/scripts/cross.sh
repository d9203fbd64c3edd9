#!/bin/bash
# cross.sh HOSTVER CLIENTVER BASEPORT: model and static replica with a host of one Qt and a client of another, through proxy.py.
R=/work/main/build/qtroots
bin() { case $1 in qt64) echo /tmp/h5/bookworm;; qt68) echo $R/trixie/qtro-src/captures;; qt611) echo $R/sid/qtro-src/captures;; esac; }
root() { case $1 in qt64) echo "";; qt68) echo $R/trixie;; qt611) echo $R/sid;; esac; }
run() { local ROOT=$1; shift
  if [ -n "$ROOT" ]; then
    QT_PLUGIN_PATH="$ROOT/usr/lib/x86_64-linux-gnu/qt6/plugins" "$ROOT/lib64/ld-linux-x86-64.so.2" --library-path "$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu/libproxy:$ROOT/usr/lib/x86_64-linux-gnu" "$@"
  else "$@"; fi
}
H=$1; C=$2; P=$3; OUT=/tmp/h5/cross/${H}host_${C}client; mkdir -p $OUT; cd /work/main/fixtures/captures/harness
run "$(root $H)" $(bin $H)/model6 host tcp://127.0.0.1:$P 2>$OUT/model.host.err & hp=$!
/usr/bin/python3 proxy.py 6 $((P+1)) 127.0.0.1:$P 3.5 >$OUT/model.txt & pp=$!
sleep 0.3; run "$(root $C)" $(bin $C)/model6 client tcp://127.0.0.1:$((P+1)) 2>$OUT/model.client.err; wait $pp $hp
run "$(root $H)" $(bin $H)/static6 host tcp://127.0.0.1:$((P+2)) 2>$OUT/static.host.err & hp=$!
/usr/bin/python3 proxy.py 6 $((P+3)) 127.0.0.1:$((P+2)) 3.5 >$OUT/static.txt & pp=$!
sleep 0.3; run "$(root $C)" $(bin $C)/static6 replica tcp://127.0.0.1:$((P+3)) 2>$OUT/static.replica.err; wait $pp $hp
echo "== host $H client $C"; head -20 $OUT/*.err
