package oci

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// A Blob is one layer of an artifact: small files in memory, packages
// as files on disk whose sha256 and size are known (from the lock).
type Blob struct {
	Title       string
	MediaType   string
	SHA256      string // hex
	Size        int64
	Data        []byte // or
	Path        string // the file holding the bytes
	Annotations map[string]string
	// MountFrom, when set, is a repository (HOST/PATH) that may hold the
	// blob already, such as a conda-oci-mirror package repository: a push
	// to the same registry asks to mount it from there instead of
	// uploading it.
	MountFrom string
}

// DataBlob is a Blob of small bytes.
func DataBlob(title, mediaType string, data []byte) Blob {
	s := sha256.Sum256(data)
	return Blob{Title: title, MediaType: mediaType, SHA256: hex.EncodeToString(s[:]), Size: int64(len(data)), Data: data}
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Manifest is an OCI image manifest carrying an artifact.
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Title returns the layer titled t, or nil.
func (m *Manifest) Title(t string) *Descriptor {
	for i := range m.Layers {
		if m.Layers[i].Annotations[TitleAnnotation] == t {
			return &m.Layers[i]
		}
	}
	return nil
}

// Artifact is what Push writes: a config blob and layers, in order.
type Artifact struct {
	ArtifactType string
	Config       Blob
	Layers       []Blob
}

// manifest returns the manifest bytes of the artifact: they depend on
// nothing but the artifact, so the same lock gives the same digest.
func manifest(a *Artifact) ([]byte, error) {
	m := Manifest{SchemaVersion: 2, MediaType: ociManifestType, ArtifactType: a.ArtifactType,
		Config: descriptor(&a.Config), Layers: []Descriptor{}}
	for i := range a.Layers {
		b := &a.Layers[i]
		if b.Size <= 0 && b.Data == nil {
			return nil, fmt.Errorf("%s: size unknown", b.Title)
		}
		m.Layers = append(m.Layers, descriptor(b))
	}
	return json.Marshal(m)
}

func descriptor(b *Blob) Descriptor {
	ann := map[string]string{}
	for k, v := range b.Annotations {
		ann[k] = v
	}
	if b.Title != "" {
		ann[TitleAnnotation] = b.Title
	}
	if len(ann) == 0 {
		ann = nil
	}
	return Descriptor{MediaType: b.MediaType, Digest: "sha256:" + b.SHA256, Size: b.Size, Annotations: ann}
}

// layer adapts a Blob to ggcr's CompressedLayer (for cross-repository
// mounts): OCI artifacts have no "uncompressed" form, the bytes are the
// blob.
type layer struct{ b *Blob }

func (l *layer) Digest() (v1.Hash, error) { return v1.NewHash("sha256:" + l.b.SHA256) }
func (l *layer) Size() (int64, error)     { return l.b.Size, nil }
func (l *layer) MediaType() (types.MediaType, error) {
	return types.MediaType(l.b.MediaType), nil
}
func (l *layer) Compressed() (io.ReadCloser, error) {
	if l.b.Data != nil || l.b.Path == "" {
		return io.NopCloser(bytes.NewReader(l.b.Data)), nil
	}
	return os.Open(l.b.Path)
}
