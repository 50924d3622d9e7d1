//go:build !amd64 || purego

package kernel

func sum(x []float32) float32 { return sumGo(x) }

func dot(a, b []float32) float32 { return dotGo(a, b) }

// kernels lists the micro-kernels usable on this machine, best first.
func kernels() []*microKernel { return []*microKernel{&goKernel} }

// No SIMD kernels are available in this build.
const hasAVX2, hasAVX512 = false, false
