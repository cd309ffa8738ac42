// Package testclock is the tests' hand-moved clock, for the code that takes
// an injected one (the A55 client, the sandbox, the activities).
package testclock

import (
	"sync"
	"time"
)

// Clock reads the time it was set to until a test moves it; it is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New is a clock that reads start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
