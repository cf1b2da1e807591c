// Package channel locates conda channels and reads their repodata.
//
// A channel is given as a name ("conda-forge", resolved against the
// channel alias https://conda.anaconda.org), an http(s) URL, a file:// URL
// or a local directory. Each holds one directory per subdir (linux-64,
// noarch, …) with a repodata.json (or repodata.json.zst), CEP-16 shards
// (repodata_shards.msgpack.zst and one shard per package name), or both.
//
// Locks read through a Gateway, name by name: where a subdir serves
// shards, only the shards of the names the solve reaches are fetched
// (content-addressed, cached for good; the shard index is revalidated);
// else its repodata.json is downloaded once, indexed by name without
// being decoded (repodata.Skim over a memory map) and decoded per name.
// LoadAll and Subdir read a whole subdir for callers that want every
// record (search, solve).
package channel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

// DefaultAlias is where channel names live unless configured otherwise
// (conda's channel_alias).
const DefaultAlias = "https://conda.anaconda.org"

// A Channel is a located channel.
type Channel struct {
	// Given is the channel as the user wrote it.
	Given string
	// URL is the channel's base URL without a trailing slash:
	// https://conda.anaconda.org/conda-forge or file:///srv/channel.
	URL string
}

// Parse locates a channel given by name, URL or directory. A relative
// path, or a bare name that is an existing directory under dir, is a
// local channel. alias replaces DefaultAlias when not empty.
func Parse(s, dir, alias string) (Channel, error) {
	given := strings.TrimSpace(s)
	if given == "" {
		return Channel{}, errors.New("empty channel")
	}
	if alias == "" {
		alias = DefaultAlias
	}
	switch {
	case strings.HasPrefix(given, "http://") || strings.HasPrefix(given, "https://"):
		u, err := url.Parse(given)
		if err != nil || u.Host == "" {
			return Channel{}, fmt.Errorf("invalid channel URL %q", given)
		}
		// Given is for messages: credentials in it are masked.
		return Channel{Given: redact(strings.TrimRight(given, "/")), URL: strings.TrimRight(given, "/")}, nil
	case strings.HasPrefix(given, "oci://"): // a registry in conda-oci-mirror's layout (oci.go)
		return Channel{Given: given, URL: strings.TrimRight(given, "/")}, nil
	case strings.HasPrefix(given, "file://"):
		u, err := url.Parse(given)
		if err != nil {
			return Channel{}, fmt.Errorf("invalid channel URL %q: %v", given, err)
		}
		return Channel{Given: given, URL: fileURL(u.Path)}, nil
	case filepath.IsAbs(given) || strings.HasPrefix(given, ".") || strings.HasPrefix(given, "~") || isDir(filepath.Join(dir, given)):
		// A path, or a name that is a directory here: a local channel.
		p := given
		if strings.HasPrefix(p, "~") {
			home, err := os.UserHomeDir()
			if err != nil {
				return Channel{}, err
			}
			p = filepath.Join(home, p[1:])
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return Channel{Given: given, URL: fileURL(filepath.Clean(p))}, nil
	}
	for _, c := range given {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./", c)) {
			return Channel{}, fmt.Errorf("invalid channel name %q", given)
		}
	}
	return Channel{Given: given, URL: strings.TrimRight(alias, "/") + "/" + strings.Trim(given, "/")}, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func fileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// Name returns the channel's canonical short name ("conda-forge" for
// https://conda.anaconda.org/conda-forge), as MatchSpecs write it.
func (c Channel) Name() string { return matchspec.CanonicalChannel(c.URL) }

// String returns the channel's URL.
func (c Channel) String() string { return c.URL }

// IsLocal reports whether the channel is on the file system.
func (c Channel) IsLocal() bool { return strings.HasPrefix(c.URL, "file://") }

// Dir returns the directory of a local channel.
func (c Channel) Dir() string {
	u, _ := url.Parse(c.URL)
	return filepath.FromSlash(u.Path)
}

// SubdirURL returns the URL of one subdir of the channel.
func (c Channel) SubdirURL(p platform.Platform) string { return c.URL + "/" + string(p) }

// A NotFoundError says a channel subdir has no repodata.
type NotFoundError struct {
	Channel Channel
	Subdir  platform.Platform
	Where   string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("channel %s has no repodata for %s (looked for %s/repodata.json and repodata.json.zst)", e.Channel.Given, e.Subdir, e.Where)
}

// Load reads the repodata of the platform's subdirs (the platform and
// noarch) and returns their records with Channel and URL filled in. A
// missing noarch subdir is fine when the platform's exists; a missing
// platform subdir is an error unless noarch exists.
func Load(ctx context.Context, c Channel, p platform.Platform) ([]*repodata.Record, error) {
	if !c.IsLocal() {
		return nil, fmt.Errorf("channel %s: only local channels (a directory or file:// URL) can be read by this build", c.Given)
	}
	var all []*repodata.Record
	var missing []error
	for _, sub := range p.Subdirs() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rd, err := LoadSubdir(c, sub)
		var nf *NotFoundError
		if errors.As(err, &nf) {
			missing = append(missing, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, rd.Records...)
	}
	if len(missing) == len(p.Subdirs()) {
		return nil, missing[0]
	}
	return all, nil
}

// LoadSubdir reads one subdir of a local channel.
func LoadSubdir(c Channel, sub platform.Platform) (*repodata.Repodata, error) {
	dir := filepath.Join(c.Dir(), string(sub))
	path := filepath.Join(dir, "repodata.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		zpath := path + ".zst"
		zdata, zerr := os.ReadFile(zpath)
		if errors.Is(zerr, fs.ErrNotExist) {
			return nil, &NotFoundError{Channel: c, Subdir: sub, Where: dir}
		}
		if zerr != nil {
			return nil, zerr
		}
		dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		defer dec.Close()
		data, err = dec.DecodeAll(zdata, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid zstd: %v", zpath, err)
		}
		path = zpath
	} else if err != nil {
		return nil, err
	}
	rd, err := repodata.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (the file is corrupt or not repodata; re-download or regenerate it)", path, err)
	}
	Resolve(c, sub, rd)
	return rd, nil
}

// Resolve fills each record's Channel and URL: the package lives at
// info.base_url (CEP-15, relative to the subdir when not absolute) or
// beside repodata.json.
func Resolve(c Channel, sub platform.Platform, rd *repodata.Repodata) {
	base := c.SubdirURL(sub) + "/"
	if b := rd.Info.BaseURL; b != "" {
		if u, err := url.Parse(b); err == nil {
			if ref, err := url.Parse(base); err == nil {
				base = ref.ResolveReference(u).String()
			}
		}
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
	}
	for _, r := range rd.Records {
		r.Channel = c.URL
		if r.Subdir == "" {
			r.Subdir = string(sub)
		}
		r.URL = base + url.PathEscape(r.Fn)
	}
}
