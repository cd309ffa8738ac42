package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestBuildIDFromBuildInfo(t *testing.T) {
	digest := func() string { return "0123456789ab" }
	settings := func(kv ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return info
	}
	rev := "eff639e1c0ffee00112233445566778899aabbcc"
	for name, tc := range map[string]struct {
		info *debug.BuildInfo
		want string
	}{
		"clean tree":      {settings("vcs.revision", rev, "vcs.modified", "false"), "eff639e1c0ff"},
		"dirty tree":      {settings("vcs.revision", rev, "vcs.modified", "true"), "eff639e1c0ff-dirty-0123456789ab"},
		"no vcs (a copy)": {settings("-trimpath", "true"), "exe-0123456789ab"},
		"no build info":   {nil, "exe-0123456789ab"},
	} {
		if got := fromBuildInfo(tc.info, digest); got != tc.want {
			t.Errorf("%s: build id %q, want %q", name, got, tc.want)
		}
	}
}

func TestLinkTimeBuildIDWins(t *testing.T) {
	old := buildID
	defer func() { buildID = old }()
	buildID = "release-42"
	if got := BuildID(); got != "release-42" {
		t.Errorf("BuildID() = %q, want the link-time id", got)
	}
	buildID = ""
	if got := BuildID(); got == "" || got == "release-42" {
		t.Errorf("BuildID() without a link-time id = %q", got)
	}
}

func TestExecutableDigestIsStable(t *testing.T) {
	a, b := executableDigest(), executableDigest()
	if a != b || len(a) != 12 || a == "unknown" {
		t.Errorf("digests %q, %q: want the same 12 hex digits", a, b)
	}
}
