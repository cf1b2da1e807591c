//go:build !linux

package link

import "errors"

func reflink(src, dst string) error { return errors.New("envlock makes reflinks on Linux only") }
