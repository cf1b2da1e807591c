package verify

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"

	"github.com/envlock/envlock/verify/elfscan"
)

// digestBuf is the read size for files too small to map: large enough
// that a typical library is one read, small enough to stay in the cache
// that sha256 then reads it from.
const digestBuf = 256 << 10

// A digester hashes the files one worker checks: its hash state and
// buffer are reused from file to file. With elf set it also inspects
// each regular file it hashes as the ELF scan would, from the bytes
// already read, so the scan does not read the file again.
type digester struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
	elf bool

	// seen collects the inspections, keyed by prefix-relative path.
	seen map[string]elfscan.Inspection
}

func newDigester(elf bool) *digester {
	d := &digester{h: sha256.New(), buf: make([]byte, digestBuf), elf: elf}
	if elf {
		d.seen = map[string]elfscan.Inspection{}
	}
	return d
}

// inspect records what the ELF scan makes of the regular file rel, of
// size bytes, read through r.
func (d *digester) inspect(rel string, r io.ReaderAt, size int64) {
	info, err := elfscan.Inspect(r, size, rel)
	d.seen[rel] = elfscan.Inspection{Info: info, Err: err}
}

// isELFHead says whether b, the start of a file, could be ELF: only
// those are worth handing to the ELF reader.
func isELFHead(b []byte) bool { return len(b) >= 4 && bytes.Equal(b[:4], []byte("\x7fELF")) }
