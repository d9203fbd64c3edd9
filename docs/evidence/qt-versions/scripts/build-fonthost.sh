set -e; cd "$1"; MOC=/usr/lib/qt6/libexec/moc; [ -x $MOC ] || MOC=/usr/lib/qt6/bin/moc
$MOC fonthost.cpp -o fonthost.moc; g++ -std=c++17 -fPIC -I. -o fonthost fonthost.cpp $(pkg-config --cflags --libs Qt6Gui Qt6RemoteObjects) 2>fb.log
