//go:build !linux

package link

import "errors"

func reflink(src, dst string) error { return errors.New("reflinks are not supported here") }
