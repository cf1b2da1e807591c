package oci

// Media types of an envlock environment artifact. Conda packages use the
// media types of conda-oci-mirror (and so of the channel mirrors built with
// it), so the blob of a package is the same whichever pushed it.
const (
	// ArtifactType is the manifest's artifactType.
	ArtifactType = "application/vnd.envlock.environment.v1"
	// ConfigType is the config blob: name, platforms and the lock's sha256.
	ConfigType = "application/vnd.envlock.environment.config.v1+json"
	// LockType is env.lock.
	LockType = "application/vnd.envlock.lock.v1+json"
	// SignatureType is env.lock.sig (a base64 cosign blob signature).
	SignatureType = "application/vnd.envlock.lock.signature.v1"
	// BundleType is env.lock.sigstore.json, a Sigstore bundle: the media
	// type Sigstore gives bundles (the bundle's own "mediaType" when it
	// is one of Sigstore's).
	BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// ManifestType is env.cue.
	ManifestType = "application/vnd.envlock.manifest.v1+cue"
	// WheelType is a Python wheel.
	WheelType = "application/vnd.envlock.wheel.v1+zip"

	// CondaTarBz2Type is a .tar.bz2 conda package (conda-oci-mirror).
	CondaTarBz2Type = "application/vnd.conda.package.v1"
	// CondaType is a .conda package (conda-oci-mirror).
	CondaType = "application/vnd.conda.package.v2"
	// RepodataType is a channel subdir's repodata.json (conda-oci-mirror).
	RepodataType = "application/vnd.conda.repodata.v1+json"
	// RepodataZstType is repodata.json compressed with zstd (conda-oci-mirror).
	RepodataZstType = "application/vnd.conda.repodata.v1+json+zst"

	// TitleAnnotation names a layer's file, as oras and conda-oci-mirror use it.
	TitleAnnotation = "org.opencontainers.image.title"
	// MD5Annotation is a conda package's md5, as conda-oci-mirror writes it.
	MD5Annotation = "org.conda.md5"

	ociManifestType = "application/vnd.oci.image.manifest.v1+json"
)

// Titles of the small layers.
const (
	LockTitle      = "env.lock"
	SignatureTitle = "env.lock.sig"
	BundleTitle    = "env.lock.sigstore.json"
	ManifestTitle  = "env.cue"
)

// PackageType returns the media type of a conda package file name.
func PackageType(fn string) string {
	if len(fn) > 8 && fn[len(fn)-8:] == ".tar.bz2" {
		return CondaTarBz2Type
	}
	return CondaType
}
