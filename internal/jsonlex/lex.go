// Package jsonlex reads the few JSON tokens envlock's one-pass decoders
// need: white space, punctuation, strings without escapes, integers and
// booleans. Anything else makes a method report false, and the decoder
// leaves the document to encoding/json.
package jsonlex

import (
	"strconv"
	"unicode/utf8"
)

// A Lexer reads Data from I on.
type Lexer struct {
	Data []byte
	I    int
}

// Space skips white space.
func (l *Lexer) Space() {
	for l.I < len(l.Data) {
		switch l.Data[l.I] {
		case ' ', '\t', '\n', '\r':
			l.I++
		default:
			return
		}
	}
}

// Peek skips white space and reports whether c is next, without
// consuming it.
func (l *Lexer) Peek(c byte) bool {
	l.Space()
	return l.I < len(l.Data) && l.Data[l.I] == c
}

// Byte consumes c after white space.
func (l *Lexer) Byte(c byte) bool {
	if !l.Peek(c) {
		return false
	}
	l.I++
	return true
}

// AtEnd skips white space and reports whether nothing is left.
func (l *Lexer) AtEnd() bool {
	l.Space()
	return l.I == len(l.Data)
}

// Str reads a string without escapes or control characters, valid
// UTF-8, as it is.
func (l *Lexer) Str() (string, bool) {
	if !l.Byte('"') {
		return "", false
	}
	start := l.I
	ascii := true
	for ; l.I < len(l.Data); l.I++ {
		c := l.Data[l.I]
		switch {
		case c == '"':
			s := l.Data[start:l.I]
			l.I++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// Int reads an integer in JSON's grammar (an optional minus, digits, no
// leading zero) that fits an int64 and is not written with a fraction or
// an exponent, which encoding/json would not put in an integer.
func (l *Lexer) Int() (int64, bool) {
	l.Space()
	start := l.I
	if l.I < len(l.Data) && l.Data[l.I] == '-' {
		l.I++
	}
	digits := l.I
	for l.I < len(l.Data) && l.Data[l.I] >= '0' && l.Data[l.I] <= '9' {
		l.I++
	}
	if l.I == digits || (l.Data[digits] == '0' && l.I-digits > 1) {
		return 0, false
	}
	if l.I < len(l.Data) {
		switch l.Data[l.I] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(l.Data[start:l.I]), 10, 64)
	return n, err == nil
}

// Bool reads true or false.
func (l *Lexer) Bool() (bool, bool) {
	l.Space()
	rest := l.Data[l.I:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		l.I += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		l.I += 5
		return false, true
	}
	return false, false
}
