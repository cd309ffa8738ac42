// Package clockcheck holds one test, run by `make test`: no test or fixture
// may carry a calendar date that the real clock will overtake, unless it says
// which clock reads it. A date like "check-out on 3 December 2026" passes the
// day it is written and fails, with nobody touching the code, once that day
// has gone by.
package clockcheck
