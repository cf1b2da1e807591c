package jsonlex

import "testing"

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		str  string
		ok   bool
		rest int // bytes left after the read
	}{
		{` "abc" ,`, "abc", true, 2},
		{`"é"`, "é", true, 0},
		{`"a\"b"`, "", false, -1},     // escapes are left to encoding/json
		{"\"a\x01b\"", "", false, -1}, // control character
		{"\"\xff\"", "", false, -1},   // invalid UTF-8
		{`"unterminated`, "", false, -1},
		{`abc`, "", false, -1},
	} {
		l := &Lexer{Data: []byte(tc.in)}
		s, ok := l.Str()
		if s != tc.str || ok != tc.ok || (ok && len(l.Data)-l.I != tc.rest) {
			t.Errorf("Str(%q) = %q, %v (at %d); want %q, %v", tc.in, s, ok, l.I, tc.str, tc.ok)
		}
	}
	for _, tc := range []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {" -12,", -12, true}, {"-0", 0, true},
		{"012", 0, false}, {"1.0", 0, false}, {"1e3", 0, false}, {"-", 0, false}, {"", 0, false},
		{"9223372036854775807", 1<<63 - 1, true}, {"9223372036854775808", 0, false},
	} {
		l := &Lexer{Data: []byte(tc.in)}
		if n, ok := l.Int(); ok != tc.ok || (ok && n != tc.n) {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
	for _, tc := range []struct {
		in    string
		v, ok bool
	}{{"true", true, true}, {" false", false, true}, {"tru", false, false}, {"null", false, false}} {
		l := &Lexer{Data: []byte(tc.in)}
		if v, ok := l.Bool(); v != tc.v || ok != tc.ok {
			t.Errorf("Bool(%q) = %v, %v; want %v, %v", tc.in, v, ok, tc.v, tc.ok)
		}
	}
	l := &Lexer{Data: []byte(" { } \n")}
	if !l.Byte('{') || l.Peek('{') || !l.Byte('}') || !l.AtEnd() {
		t.Error("Byte, Peek and AtEnd disagree on \" { } \\n\"")
	}
}
