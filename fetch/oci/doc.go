// Package oci moves envlock environments and conda channels through OCI
// registries (Harbor, GitHub/GitLab registries, the CNCF distribution
// registry): it pushes a lock, its signature, its manifest and every
// locked artifact as one OCI artifact, pulls such an artifact into the
// package cache, signs and verifies it in cosign's registry convention, and
// reads channels mirrored in the conda-oci-mirror layout.
//
// It does not solve, install or check signatures itself: callers pass the
// checks (a lock signature, trusted keys) and the cache.
//
// Two facts a newcomer must know. First, the layer of a conda package or
// wheel is the file itself, so its OCI digest is the sha256 the lock
// already pins: the lock (signed) is the root of trust, a pulled manifest
// only says where the blobs are, and every blob is checked against the
// lock, whatever the registry says. Second, the manifest is built from the
// lock alone (no timestamps, layers in a fixed order), so pushing the same
// lock twice gives the same manifest digest, and blobs the registry
// already holds are not uploaded again.
//
// The registry client is github.com/google/go-containerregistry (ggcr).
// It was already in the module graph (through sigstore), its go line is
// 1.25, and it gives what this package needs without more: the token and
// basic auth flows, Docker config files and credential helpers
// (authn.DefaultKeychain), manifest resolution with digest checks, blob
// reads checked against their digest, cross-repository mounts, and plain
// HTTP for loopback and private addresses. oras-go v2 would have worked as
// well but would have added a second OCI client to the module graph. One
// piece is done here over ggcr's authenticated transport: blob uploads
// (upload.go), monolithic like oras's, because ggcr's chunked uploads run
// at about half the speed against the CNCF registry (BenchmarkPush).
package oci
