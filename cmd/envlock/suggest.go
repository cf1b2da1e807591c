package main

// suggest returns the command name closest to a mistyped one (at most
// two edits away, or a prefix of it), "" when none is close.
func suggest(name string) string {
	best, bestD := "", 3
	for _, c := range commandNames() {
		d := editDistance(name, c)
		if len(name) >= 3 && len(c) > len(name) && c[:len(name)] == name {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// helpHelp is what 'envlock help help' prints.
const helpHelp = `usage: envlock help [command]

Help prints the list of commands, or with a command's name, its usage,
description, flags and an example. 'envlock COMMAND -h' does the same.
'envlock help exit-codes' prints the table of exit codes.

Example:

	envlock help install
`
