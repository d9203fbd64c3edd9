package harness

import "github.com/qtro/qtro/internal/checkout"

// Flavor is one kind of peer: the image it runs as in a container and the
// binary it runs as natively, with the same arguments either way.
type Flavor struct {
	// Name is short and unique: "qt5", "qt6", "go".
	Name string
	// Image is the local image ci/build-images.sh builds, e.g. "qtro/peer-qt5:latest".
	Image string
	// Binary is the native executable, relative to the module root unless absolute.
	Binary string
	// BinaryEnv, if set, names an environment variable that overrides Binary
	// (the same variable ci/build-images.sh reads).
	BinaryEnv string
	// Args are passed to the peer in both modes (after the image's entrypoint).
	Args []string
	// build names the image for ci/build-images.sh ("peer-qt5", "qtro").
	build string
	// peers is the ci/build-peers.sh argument that builds the native binary
	// ("5", "6", a suite of ci/qt-versions.tsv); empty for the Go node.
	peers string
}

// The peers qtro knows. Qt5 and Qt6 are the real Qt peer (ci/build-peers.sh)
// built against each Qt; Go is the reference node cmd/qtro, whose adapter is
// its "adapter" subcommand.
var (
	Qt5 = Flavor{Name: "qt5", Image: "qtro/peer-qt5:latest", Binary: checkout.Qt5Peer.Rel, BinaryEnv: checkout.Qt5Peer.Env, build: "peer-qt5", peers: "5"}
	Qt6 = Flavor{Name: "qt6", Image: "qtro/peer-qt6:latest", Binary: checkout.Qt6Peer.Rel, BinaryEnv: checkout.Qt6Peer.Env, build: "peer-qt6", peers: "6"}
	Go  = Flavor{Name: "go", Image: "qtro/qtro:latest", Binary: checkout.Qtro.Rel, BinaryEnv: checkout.Qtro.Env, Args: []string{"adapter"}, build: "qtro"}
)

// binaryPath resolves the native binary against the module root.
func (f Flavor) binaryPath(root string) string {
	return checkout.Program{Rel: f.Binary, Env: f.BinaryEnv}.Path(root)
}

// QtAt is the Qt peer built against the Qt 6 of a Debian suite of
// ci/qt-versions.tsv (ci/build-peers.sh SUITE, image qtro/peer-SUITE): Qt 6.8
// for trixie, the newest Qt for sid. Natively it runs through the wrapper
// that uses the suite root's loader and libraries.
func QtAt(suite string) Flavor {
	return Flavor{Name: "qt@" + suite, Image: "qtro/peer-" + suite + ":latest",
		Binary: "build/peers/" + suite + "/qtro-peer", build: "peer-" + suite, peers: suite}
}
