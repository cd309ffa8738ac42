// Package a55seeds holds A55's create-charge request examples (the H2H and
// 3DS pages of the seeds), verbatim, for the tests of the client and the
// sandbox: one copy, so both are checked against the same text.
package a55seeds

import _ "embed"

// H2HCharge is the seeds' host-to-host create-charge example (no 3DS).
//
//go:embed testdata/h2h-charge.json
var H2HCharge string

// ThreeDSCharge is the seeds' create-charge example with 3DS and device_info.
//
//go:embed testdata/3ds-charge.json
var ThreeDSCharge string
