package install

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// Beside a prefix envlock makes only these names, all starting
// ".envlock-" and ending in the prefix's name (so two prefixes in one
// directory never touch each other's):
//
//	.envlock-<name>.lock                 the per-prefix lock, kept
//	.envlock-stage-<name>-<digits>       a staging directory
//	.envlock-old-<name>                  the previous prefix during a swap
//	.envlock-journal-<name>.json(.tmp)   the swap journal
//	.envlock-removing-<name>             a prefix being removed
//
// Every operation on them goes through an os.Root of the parent
// directory, and the next run, holding the lock, removes whatever a
// killed run left. Only entries owned by the user running envlock are
// acted on; a journal is trusted only when it names these same entries.

// A site is the directory holding a prefix, opened as an os.Root, with
// the prefix's lock held.
type site struct {
	dir, base string // the prefix is dir/base
	root      *os.Root
	lock      *os.File
}

func lockName(base string) string    { return ".envlock-" + base + ".lock" }
func oldName(base string) string     { return ".envlock-old-" + base }
func journalName(base string) string { return ".envlock-journal-" + base + ".json" }
func removingName(base string) string {
	return ".envlock-removing-" + base
}

// stageRE matches the staging directories of the prefix named base.
func stageRE(base string) *regexp.Regexp {
	return regexp.MustCompile(`^\.envlock-stage-` + regexp.QuoteMeta(base) + `-[0-9]+$`)
}

func journalPath(prefix string) string {
	return filepath.Join(filepath.Dir(prefix), journalName(filepath.Base(prefix)))
}

// ErrBusy is wrapped when another envlock run holds the prefix's lock and
// the caller asked not to wait.
var ErrBusy = errors.New("another envlock run is using this environment")

// openSite opens the directory holding prefix (making it) and takes the
// prefix's lock: when another run holds it, openSite says so through log
// and waits, or fails with ErrBusy when noWait.
func openSite(ctx context.Context, prefix string, noWait bool, log func(string)) (*site, error) {
	dir, base := filepath.Dir(prefix), filepath.Base(prefix)
	if base == "." || base == string(filepath.Separator) || base == ".." {
		return nil, fmt.Errorf("%s cannot be an environment path", prefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	s := &site{dir: dir, base: base, root: root}
	lp := filepath.Join(dir, lockName(base))
	f, err := root.OpenFile(lockName(base), os.O_CREATE|os.O_RDWR, 0o644)
	if errors.Is(err, fs.ErrPermission) {
		// Another user's lock file (a group's environment): flock
		// works on a descriptor open for reading too.
		f, err = root.OpenFile(lockName(base), os.O_RDONLY, 0)
	}
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("opening the lock of %s: %w", prefix, err)
	}
	got, err := tryLock(f)
	if err == nil && !got {
		if noWait {
			err = fmt.Errorf("%s: %w (its lock %s is held)", prefix, ErrBusy, lp)
		} else {
			log(fmt.Sprintf("waiting for another envlock run on %s to finish (lock %s)", prefix, lp))
			for !got && err == nil {
				select {
				case <-ctx.Done():
					err = ctx.Err()
				case <-time.After(100 * time.Millisecond):
					got, err = tryLock(f)
				}
			}
		}
	}
	if err != nil {
		f.Close()
		root.Close()
		return nil, err
	}
	s.lock = f
	return s, nil
}

// close releases the lock; the lock file stays, so that a waiting run
// and a new one lock the same file.
func (s *site) close() {
	if s.lock != nil {
		unlock(s.lock)
		s.lock.Close()
	}
	s.root.Close()
}

func (s *site) path(name string) string { return filepath.Join(s.dir, name) }

// mine reports whether the entry name beside the prefix exists and
// belongs to the user running envlock.
func (s *site) mine(name string) (fs.FileInfo, bool) {
	fi, err := s.root.Lstat(name)
	if err != nil {
		return nil, false
	}
	return fi, ownedByMe(fi)
}

// newStage makes an empty staging directory beside the prefix and
// returns its name.
func (s *site) newStage() (string, error) {
	for range 100 {
		name := ".envlock-stage-" + s.base + "-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
		err := s.root.Mkdir(name, 0o755)
		if err == nil {
			s.root.Chmod(name, 0o755)
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("cannot make a staging directory in %s", s.dir)
}

// A journal records a two-rename swap in progress so a run interrupted
// between the renames can be finished or undone by the next one.
type journal struct {
	Prefix string `json:"prefix"`
	Old    string `json:"old"`   // where the previous prefix was moved
	Stage  string `json:"stage"` // the new prefix before its rename
}

// swap moves the staging directory stage (a name beside the prefix) into
// place, keeping the old prefix until the new one is there. Where the
// file system can exchange two directories atomically the prefix is
// never absent; elsewhere two renames with a journal between them.
func (s *site) swap(stage string, trace func(event, pkg string)) error {
	if _, err := s.root.Lstat(s.base); errors.Is(err, fs.ErrNotExist) {
		return s.root.Rename(stage, s.base)
	}
	if !swapRenames {
		err := exchange(s.root, stage, s.base)
		if err == nil {
			// stage now holds the old prefix: the next run removes it
			// if this one is killed now.
			trace("swapped", "")
			return s.root.RemoveAll(stage)
		}
		if !errors.Is(err, errNoExchange) {
			return fmt.Errorf("moving the new environment into place: %v", err)
		}
	}
	old := oldName(s.base)
	if err := s.root.RemoveAll(old); err != nil {
		return err
	}
	b, _ := json.Marshal(journal{Prefix: s.path(s.base), Old: s.path(old), Stage: s.path(stage)})
	if err := s.writeJournal(b); err != nil {
		return err
	}
	trace("journal", "")
	if err := s.root.Rename(s.base, old); err != nil {
		s.root.Remove(journalName(s.base))
		return fmt.Errorf("moving the old environment aside: %v", err)
	}
	trace("swap", "")
	if err := s.root.Rename(stage, s.base); err != nil {
		s.root.Rename(old, s.base) // put the old one back
		s.root.Remove(journalName(s.base))
		return fmt.Errorf("moving the new environment into place: %v (the old one was restored)", err)
	}
	trace("swapped", "")
	if err := s.root.Remove(journalName(s.base)); err != nil {
		return err
	}
	return s.root.RemoveAll(old)
}

// writeJournal writes the journal through a temporary file, synced, then
// renamed over the journal's name.
func (s *site) writeJournal(b []byte) error {
	tmp := journalName(s.base) + ".tmp"
	if err := s.root.RemoveAll(tmp); err != nil {
		return err
	}
	f, err := s.root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		s.root.Remove(tmp)
		return err
	}
	return s.root.Rename(tmp, journalName(s.base))
}

// recover finishes or rolls back a swap that a killed run left, then
// removes what killed runs leave beside the prefix: staging directories,
// the moved-aside old prefix, a half-removed prefix. The caller holds the
// prefix's lock, so none of them belongs to a live run.
func (s *site) recover(log func(string)) error {
	if err := s.replayJournal(log); err != nil {
		return err
	}
	_, prefixErr := s.root.Lstat(s.base)
	d, err := s.root.Open(".")
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	stages := stageRE(s.base)
	for _, n := range names {
		switch {
		case stages.MatchString(n), n == removingName(s.base), n == journalName(s.base)+".tmp":
		case n == oldName(s.base) && prefixErr == nil:
			// The swap finished; its clean-up did not.
		default:
			continue
		}
		if _, mine := s.mine(n); !mine {
			log(fmt.Sprintf("not removing %s: another user owns it", s.path(n)))
			continue
		}
		if err := s.root.RemoveAll(n); err != nil {
			return fmt.Errorf("removing %s, left by an interrupted envlock run: %w", s.path(n), err)
		}
	}
	return nil
}

// replayJournal acts on a journal only when it is a regular file of this
// user that names this prefix, the old name and a staging directory
// beside it: a planted journal naming other directories is removed (or,
// another user's, ignored) and nothing it names is touched.
func (s *site) replayJournal(log func(string)) error {
	jn := journalName(s.base)
	fi, err := s.root.Lstat(jn)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	jp := s.path(jn)
	if !ownedByMe(fi) {
		log(fmt.Sprintf("ignoring %s: another user owns it", jp))
		return nil
	}
	var j journal
	var data []byte
	if fi.Mode().IsRegular() {
		data, err = s.root.ReadFile(jn)
		if err != nil {
			return err
		}
	}
	if json.Unmarshal(data, &j) != nil || j.Prefix != s.path(s.base) || j.Old != s.path(oldName(s.base)) ||
		filepath.Dir(j.Stage) != s.dir || !stageRE(s.base).MatchString(filepath.Base(j.Stage)) {
		log(fmt.Sprintf("removed %s without acting on it: it is not a journal envlock wrote for %s", jp, s.path(s.base)))
		return s.root.Remove(jn)
	}
	old := oldName(s.base)
	if _, err := s.root.Lstat(s.base); err == nil {
		// Roll forward: the new prefix is in place; recover's sweep
		// removes the old one.
	} else if fi, mine := s.mine(old); mine && fi.IsDir() {
		// Roll back: the old prefix was moved aside, the new one never
		// arrived.
		if err := s.root.Rename(old, s.base); err != nil {
			return fmt.Errorf("restoring %s from %s: %v", s.path(s.base), s.path(old), err)
		}
	}
	return s.root.Remove(jn)
}

// Remove deletes an envlock prefix. A directory without
// conda-meta/envlock.json is refused, so a typo cannot delete something
// else.
func Remove(ctx context.Context, prefix string, o RemoveOptions) error {
	if o.Log == nil {
		o.Log = func(string) {}
	}
	prefix = filepath.Clean(prefix)
	notOurs := func() error {
		if _, err := ReadMarker(prefix); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("%s: %w (no conda-meta/%s); not removing it", prefix, ErrNotEnvlockPrefix, MarkerFile)
			}
			return err
		}
		return nil
	}
	// Refused before the lock file beside it is made, and again once the
	// lock is held.
	if _, err := os.Lstat(prefix); err == nil {
		if err := notOurs(); err != nil {
			return err
		}
	} else if _, jerr := os.Lstat(journalPath(prefix)); jerr != nil {
		// Nothing there, and no swap to finish.
		return fmt.Errorf("%s: no environment there to remove: %w", prefix, fs.ErrNotExist)
	}
	s, err := openSite(ctx, prefix, o.NoWait, o.Log)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.recover(o.Log); err != nil {
		return err
	}
	if err := notOurs(); err != nil {
		return err
	}
	// Move it aside first so the path disappears at once, then delete;
	// a kill in between leaves a name the next run removes.
	trash := removingName(s.base)
	if err := s.root.RemoveAll(trash); err != nil {
		return err
	}
	if err := s.root.Rename(s.base, trash); err != nil {
		return err
	}
	return s.root.RemoveAll(trash)
}

// RemoveOptions adjust Remove.
type RemoveOptions struct {
	// NoWait fails with ErrBusy instead of waiting when another envlock
	// run holds the environment's lock.
	NoWait bool
	// Log receives notes (waiting, debris removed).
	Log func(string)
}

// swapRenames forces the two-rename swap (tests).
var swapRenames bool

// errNoExchange says the file system cannot exchange two directories.
var errNoExchange = errors.New("atomic exchange not supported")
