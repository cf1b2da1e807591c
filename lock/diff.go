package lock

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/lock/lockfile"
)

// A Change is one package that differs between two locks.
type Change struct {
	Platform string
	Name     string
	Old, New string // "version build [channel]"; "" when absent
	Kind     string // "pypi" for wheels, "conda" otherwise
}

// Diff compares two locks package by package. It walks them with
// go-cmp and reports each package added, removed or changed, sorted by
// platform, kind and name. A package whose version, build and channel
// stay but whose file does not (another sha256: a package rebuilt under
// the same name, a wheel from another URL) is a change too, shown with
// the start of each sha256.
func Diff(old, new *lockfile.Lock) []Change {
	var r diffReporter
	so, ho := summarize(old)
	sn, hn := summarize(new)
	cmp.Equal(so, sn, cmp.Reporter(&r))
	for p, m := range so {
		for k, v := range m {
			if sn[p][k] != v || ho[p][k] == hn[p][k] {
				continue
			}
			kind, name, _ := strings.Cut(k, ":")
			r.changes = append(r.changes, Change{Platform: p, Name: name, Kind: kind,
				Old: v + " sha256:" + short(ho[p][k]), New: v + " sha256:" + short(hn[p][k])})
		}
	}
	sort.Slice(r.changes, func(i, j int) bool {
		a, b := r.changes[i], r.changes[j]
		if a.Platform != b.Platform {
			return a.Platform < b.Platform
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return r.changes
}

// summarize maps platform → "conda:name"/"pypi:name" → what identifies
// the locked artifact ("version build channel", a wheel's version), and
// the same keys to the file's sha256.
func summarize(l *lockfile.Lock) (what, sha map[string]map[string]string) {
	what, sha = map[string]map[string]string{}, map[string]map[string]string{}
	if l == nil {
		return what, sha
	}
	for _, p := range l.Platforms {
		w, h := map[string]string{}, map[string]string{}
		for _, pk := range p.Packages {
			w["conda:"+pk.Name] = pk.Version + " " + pk.Build + " " + shortChannel(pk.Channel)
			h["conda:"+pk.Name] = strings.ToLower(pk.SHA256)
		}
		for _, wh := range p.PyPI {
			w["pypi:"+wh.Name] = wh.Version
			h["pypi:"+wh.Name] = strings.ToLower(wh.SHA256)
		}
		what[p.Platform], sha[p.Platform] = w, h
	}
	return what, sha
}

func shortChannel(c string) string {
	if i := strings.LastIndexByte(strings.TrimRight(c, "/"), '/'); i >= 0 && strings.HasPrefix(c, "https://conda.anaconda.org/") {
		return c[i+1:]
	}
	return c
}

type diffReporter struct {
	path    cmp.Path
	changes []Change
}

func (r *diffReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *diffReporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *diffReporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	var keys []string
	for _, ps := range r.path {
		if mi, ok := ps.(cmp.MapIndex); ok {
			keys = append(keys, mi.Key().String())
		}
	}
	vx, vy := r.path.Last().Values()
	str := func(v reflect.Value) string {
		if !v.IsValid() {
			return ""
		}
		if v.Kind() == reflect.String {
			return v.String()
		}
		return fmt.Sprint(v.Interface())
	}
	switch len(keys) {
	case 2:
		kind, name, _ := strings.Cut(keys[1], ":")
		r.changes = append(r.changes, Change{Platform: keys[0], Name: name, Kind: kind, Old: str(vx), New: str(vy)})
	case 1:
		// A whole platform added or removed.
		if vx.IsValid() {
			for _, k := range vx.MapKeys() {
				kind, name, _ := strings.Cut(k.String(), ":")
				r.changes = append(r.changes, Change{Platform: keys[0], Name: name, Kind: kind, Old: vx.MapIndex(k).String()})
			}
		}
		if vy.IsValid() {
			for _, k := range vy.MapKeys() {
				kind, name, _ := strings.Cut(k.String(), ":")
				r.changes = append(r.changes, Change{Platform: keys[0], Name: name, Kind: kind, New: vy.MapIndex(k).String()})
			}
		}
	}
}

// WriteDiff prints changes as a table for people: one line per package,
// "+" added, "-" removed, "~" changed.
func WriteDiff(w io.Writer, changes []Change) error {
	if len(changes) == 0 {
		_, err := fmt.Fprintln(w, "no changes")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tplatform\tpackage\told\tnew")
	for _, c := range changes {
		mark := "~"
		switch {
		case c.Old == "":
			mark = "+"
		case c.New == "":
			mark = "-"
		}
		name := c.Name
		if c.Kind == "pypi" {
			name += " (pypi)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mark, c.Platform, name, dash(c.Old), dash(c.New))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return strings.TrimSpace(s)
}
