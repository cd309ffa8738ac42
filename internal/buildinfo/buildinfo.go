// Package buildinfo names the build a process runs: the worker's Worker
// Deployment build id, which the Temporal UI shows for every workflow task
// (and so for every booking) the build ran.
package buildinfo

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime/debug"
)

// buildID is set by the image build (Dockerfile: -ldflags "-X
// github.com/hotelpay/a55-temporal/internal/buildinfo.buildID=<id>"), where
// the source has no .git for go build to read the revision from.
var buildID string

// BuildID is this binary's build id: the one given at link time, else the
// git revision go build recorded (its first 12 hex digits, with "-dirty-"
// and a digest of the executable when the tree had uncommitted changes),
// else "exe-" and a digest of the executable. Two different binaries never
// share an id unless the link-time one says so.
func BuildID() string {
	if buildID != "" {
		return buildID
	}
	info, _ := debug.ReadBuildInfo()
	return fromBuildInfo(info, executableDigest)
}

func fromBuildInfo(info *debug.BuildInfo, digest func() string) string {
	var revision string
	var modified bool
	if info != nil {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	switch {
	case revision == "":
		return "exe-" + digest()
	case modified:
		return short(revision) + "-dirty-" + digest()
	default:
		return short(revision)
	}
}

func short(rev string) string { return rev[:min(12, len(rev))] }

// executableDigest is the first 12 hex digits of the running executable's
// SHA-256 ("unknown" when it cannot be read).
func executableDigest() string {
	path, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
