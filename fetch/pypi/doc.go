// Package pypi reads Python package indexes: project pages from the
// simple repository API (PEP 691 JSON, asked for first, with PEP 503 HTML
// as the fallback), find_links directories of wheels (how air-gapped
// clusters ship them), and the core metadata of wheels.
//
// Metadata comes from the PEP 658/714 ".metadata" file when the index
// offers one; else from the wheel itself, reading only the zip's central
// directory and the METADATA entry with HTTP Range requests. Index pages
// go through fetch/channel's HTTP cache (ETag, Last-Modified,
// Cache-Control, credentials from ENVLOCK_TOKENS and ~/.netrc, offline
// mode), and metadata is cached by the wheel's sha256, which never
// changes, so a second lock needs no metadata requests at all.
//
// Client implements lock/pypi's Index.
package pypi
