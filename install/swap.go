package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/envlock/envlock/internal/atomicfile"
)

// A journal records a swap in progress so a run interrupted between the
// two renames can be finished or undone by the next one.
type journal struct {
	Prefix string `json:"prefix"`
	Old    string `json:"old"`   // where the previous prefix was moved
	Stage  string `json:"stage"` // the new prefix before its rename
}

func journalPath(prefix string) string {
	return filepath.Join(filepath.Dir(prefix), ".envlock-journal-"+filepath.Base(prefix)+".json")
}

// swap moves stage into place at prefix, keeping the old prefix until the
// new one is there.
func swap(stage, prefix string, trace func(event, pkg string)) error {
	if _, err := os.Lstat(prefix); errors.Is(err, os.ErrNotExist) {
		return os.Rename(stage, prefix)
	}
	old := filepath.Join(filepath.Dir(prefix), ".envlock-old-"+filepath.Base(prefix))
	os.RemoveAll(old)
	j := journal{Prefix: prefix, Old: old, Stage: stage}
	b, _ := json.Marshal(j)
	if err := atomicfile.WriteFile(journalPath(prefix), b, 0o644); err != nil {
		return err
	}
	trace("journal", "")
	if err := os.Rename(prefix, old); err != nil {
		os.Remove(journalPath(prefix))
		return fmt.Errorf("moving the old environment aside: %v", err)
	}
	trace("swap", "")
	if err := os.Rename(stage, prefix); err != nil {
		os.Rename(old, prefix) // put the old one back
		os.Remove(journalPath(prefix))
		return fmt.Errorf("moving the new environment into place: %v (the old one was restored)", err)
	}
	trace("swapped", "")
	os.Remove(journalPath(prefix))
	return os.RemoveAll(old)
}

// recover_ finishes or rolls back a swap that a killed process left: if
// the new prefix made it into place, the old copy is deleted; if not, the
// old prefix is moved back. Stray staging directories are removed.
func recover_(prefix string) error {
	data, err := os.ReadFile(journalPath(prefix))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil || j.Prefix != prefix {
		return fmt.Errorf("%s is not a valid journal; remove it after checking %s", journalPath(prefix), prefix)
	}
	if _, err := os.Lstat(prefix); err == nil {
		os.RemoveAll(j.Old) // the new prefix is in place
	} else if _, err := os.Lstat(j.Old); err == nil {
		if err := os.Rename(j.Old, prefix); err != nil {
			return fmt.Errorf("restoring %s from %s: %v", prefix, j.Old, err)
		}
	}
	os.RemoveAll(j.Stage)
	return os.Remove(journalPath(prefix))
}

// Remove deletes an envlock prefix. A directory without
// conda-meta/envlock.json is refused, so a typo cannot delete something
// else.
func Remove(prefix string) error {
	prefix = filepath.Clean(prefix)
	if err := recover_(prefix); err != nil {
		return err
	}
	if _, err := ReadMarker(prefix); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w (no conda-meta/envlock.json); not removing it", prefix, ErrNotEnvlockPrefix)
		}
		return err
	}
	// Move it aside first so the path disappears at once, then delete.
	trash := filepath.Join(filepath.Dir(prefix), ".envlock-removing-"+filepath.Base(prefix))
	os.RemoveAll(trash)
	if err := os.Rename(prefix, trash); err != nil {
		return err
	}
	return os.RemoveAll(trash)
}

// swapRenames forces the two-rename swap (tests).
var swapRenames bool
