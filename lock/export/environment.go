package export

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/matchspec"
)

// EnvironmentYML returns an environment.yml ("conda env create -f",
// "micromamba create -f") for platform p of l: the lock's name and
// channels, every conda package pinned as "name=version=build" (with
// "channel::" when it is not from the first channel), the wheels in a
// "pip:" section pinned with "==", and the lock's env as "variables".
// conda still solves such a file, but the pins leave it one answer.
// dir is the lock's directory, for relative channel URLs.
func EnvironmentYML(l *lockfile.Lock, platform, dir string) ([]byte, error) {
	p := l.Platform(platform)
	if p == nil {
		return nil, noPlatform(l, platform)
	}
	chans, err := channelRefs(l, dir)
	if err != nil {
		return nil, err
	}
	doc := yamlMap("name", str(l.Name), "channels", strs(chans))
	deps := seq()
	for _, pk := range p.Packages {
		s := pk.Name + "=" + pk.Version + "=" + pk.Build
		if len(l.Channels) > 1 && pk.Channel != l.Channels[0].URL {
			ref, err := packageChannel(pk, dir)
			if err != nil {
				return nil, err
			}
			s = ref + "::" + s
		}
		deps.Content = append(deps.Content, str(s))
	}
	if len(p.PyPI) > 0 {
		var pins []string
		for _, w := range p.PyPI {
			pins = append(pins, w.Name+"=="+w.Version)
		}
		deps.Content = append(deps.Content, yamlMap("pip", strs(pins)))
	}
	if len(deps.Content) == 0 {
		deps.Style = 0
		deps = strs(nil)
	}
	set(doc, "dependencies", deps)
	if len(l.Env) > 0 {
		vars := yamlMap()
		keys := make([]string, 0, len(l.Env))
		for k := range l.Env {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			set(vars, k, str(l.Env[k]))
		}
		set(doc, "variables", vars)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# env %q for %s, exported from env.lock: every package pinned.\n", l.Name, platform)
	b.WriteString("# conda env create -f environment.yml   or   micromamba create -f environment.yml\n")
	if err := encodeYAML(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// channelRefs returns the lock's channels as conda names them: a name on
// the default channel host ("conda-forge"), else an absolute URL.
func channelRefs(l *lockfile.Lock, dir string) ([]string, error) {
	var out []string
	for _, c := range l.Channels {
		ref, err := channelRef(c.URL, dir)
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", c.Name, err)
		}
		out = append(out, ref)
	}
	return out, nil
}

func channelRef(u, dir string) (string, error) {
	abs, err := AbsURL(u, dir)
	if err != nil {
		return "", err
	}
	return matchspec.CanonicalChannel(abs), nil
}

// packageChannel returns how conda names the channel a package is from.
func packageChannel(pk *lockfile.Package, dir string) (string, error) {
	ref, err := channelRef(pk.Channel, dir)
	if err != nil {
		return "", fmt.Errorf("%s: channel: %w", pk.Name, err)
	}
	return ref, nil
}
