//go:build !unix

package extract

import (
	"testing"
	"time"
)

// cpuTime is not measured here.
func cpuTime(b *testing.B) time.Duration { return 0 }
