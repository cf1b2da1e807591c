//go:build !linux

package install

import "os"

func exchange(root *os.Root, a, b string) error { return errNoExchange }

// syncStage makes the staging directory durable before the swap as far
// as it can without syncfs(2): the directory itself is synced (an error
// there, on a system that cannot sync a directory, is no failure).
func syncStage(stage *os.Root) error {
	d, err := stage.Open(".")
	if err != nil {
		return err
	}
	d.Sync()
	return d.Close()
}

// writeback is Linux's early syncfs; elsewhere it does nothing.
type writeback struct{}

func startWriteback(stage *os.Root, trace func(ev, name string)) *writeback { return nil }
func (w *writeback) kick()                                                  {}
func (w *writeback) close()                                                 {}
