#!/bin/sh
# build.sh DIR: builds the capture harness (fixtures/captures/harness) for Qt 6 in DIR.
set -e
cd "$1"
MOC=/usr/lib/qt6/libexec/moc; REPC=/usr/lib/qt6/libexec/repc
[ -x $MOC ] || MOC=/usr/lib/qt6/bin/moc
[ -x $REPC ] || REPC=/usr/lib/qt6/bin/repc
PC="$(pkg-config --cflags --libs Qt6Core Qt6RemoteObjects)"
PCG="$(pkg-config --cflags --libs Qt6Core Qt6Gui Qt6RemoteObjects)"
INC="$(pkg-config --variable=includedir Qt6Core)"
$MOC demo.h -o moc6_demo.cpp
g++ -std=c++17 -fPIC -o host6 host.cpp moc6_demo.cpp $PC 2>build-host.log
$REPC -o merged simple.rep rep_simple6.h
$MOC -I"$INC" -I"$INC/QtRemoteObjects" rep_simple6.h -o moc_rep_simple6.cpp
g++ -std=c++17 -fPIC -o static6 static.cpp moc_rep_simple6.cpp $PC 2>build-static.log
g++ -std=c++17 -fPIC -o reg6 reg.cpp moc_rep_simple6.cpp $PC 2>build-reg.log
g++ -std=c++17 -fPIC -o model6 model.cpp $PCG 2>build-model.log
g++ -std=c++17 -fPIC -o dump6 dump.cpp $PC 2>build-dump.log
ls -la host6 static6 reg6 model6 dump6
