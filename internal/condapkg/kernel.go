package condapkg

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// KernelDemo returns packages for an environment that can run a Jupyter
// kernel: "python", whose bin/python runs the given interpreter (one
// that has ipykernel, such as Debian's /usr/bin/python3 with
// python3-ipykernel; a script, since installers refuse absolute symbolic
// links in packages), and a noarch "ipykernel" that carries
// ipykernel's logos, as the real package does in
// site-packages/ipykernel/resources. The module itself comes from the
// linked interpreter.
func KernelDemo(python string) []*Package {
	return []*Package{
		{
			Name: "python", Version: "3.11.2", Build: "h0_0_system", Timestamp: 1700000000000,
			Files: []File{{Path: "bin/python", Exec: true, Data: []byte("#!/bin/sh\nexec '" + python + "' \"$@\"\n")}},
		},
		{
			Name: "ipykernel", Version: "6.17.0", Build: "pyh0_0", Noarch: "python", Timestamp: 1700000000000,
			Depends: []string{"python >=3.8"},
			Files: []File{
				{Path: "site-packages/ipykernel/resources/logo-32x32.png", Data: logo(32)},
				{Path: "site-packages/ipykernel/resources/logo-64x64.png", Data: logo(64)},
			},
		},
	}
}

// WriteKernelChannel writes KernelDemo's packages as a channel.
func WriteKernelChannel(dir, python string) error {
	return WriteChannel(dir, KernelDemo(python), nil)
}

// logo is a real n×n PNG.
func logo(n int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for i := range n {
		img.Set(i, n-1-i, color.NRGBA{0xf3, 0x77, 0x26, 0xff})
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
