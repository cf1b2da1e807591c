// Package pyindex holds what a Python package index says about a
// project: the files of the simple repository API, in its JSON form (PEP
// 691) or its HTML form (PEP 503, with the data- attributes of PEP 592,
// 658 and 714), and the core metadata of a distribution (METADATA: name,
// version, Requires-Dist, Requires-Python, Provides-Extra).
//
// It parses bytes and does no I/O: fetch/pypi gets the pages, lock/pypi
// resolves with what they say. URLs in a page are resolved against the
// page's own URL, as a browser would. Parsers never panic on bad input;
// the fuzz targets check it.
package pyindex
