#!/bin/bash
# stormrun.sh HOSTVER NODEVER N PORT
R=/work/main/build/qtroots
bin() { case $1 in qt64) echo /tmp/h5/bookworm;; qt68) echo $R/trixie/qtro-src/captures;; qt611) echo $R/sid/qtro-src/captures;; esac; }
root() { case $1 in qt64) echo "";; qt68) echo $R/trixie;; qt611) echo $R/sid;; esac; }
run() { local ROOT=$1; shift; if [ -n "$ROOT" ]; then "$ROOT/lib64/ld-linux-x86-64.so.2" --library-path "$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu/libproxy:$ROOT/usr/lib/x86_64-linux-gnu" "$@"; else "$@"; fi; }
ulimit -n $(ulimit -Hn) 2>/dev/null
run "$(root $1)" $(bin $1)/storm6 host tcp://127.0.0.1:$4 90000 2>/tmp/h5/stormhost.$$ & hp=$!
for i in $(seq 100); do ss -ltn | grep -q ":$4 " && break; sleep 0.05; done; ss -ltn | grep -q ":$4 " || echo 'host not listening'
echo "host $1, nodes $2: $(run "$(root $2)" $(bin $2)/storm6 nodes $3 tcp://127.0.0.1:$4 2>/dev/null | tr '\n' ';')"
kill $hp; wait $hp 2>/dev/null
