package quant

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// UnmarshalBinary decodes the canonical encoding of MarshalBinary. It
// rejects a wrong magic, truncated or trailing bytes and any model that
// fails Validate, and never allocates more than the encoding's own length
// implies, so it is safe on untrusted input.
func (m *Model) UnmarshalBinary(b []byte) error {
	if !bytes.HasPrefix(b, []byte(quantMagic)) {
		return fmt.Errorf("%w: not a quantized model encoding (missing %q header)", ErrModel, quantMagic[:len(quantMagic)-1])
	}
	r := b[len(quantMagic):]
	u32 := func() (int, error) {
		if len(r) < 4 {
			return 0, fmt.Errorf("%w: encoding truncated", ErrModel)
		}
		v := int32(binary.LittleEndian.Uint32(r))
		r = r[4:]
		return int(v), nil
	}
	in, err := u32()
	if err != nil {
		return err
	}
	n, err := u32()
	if err != nil {
		return err
	}
	if n <= 0 || n > MaxLayers {
		return fmt.Errorf("%w: %d layers, want 1..%d", ErrModel, n, MaxLayers)
	}
	out := Model{InShift: in}
	for i := 0; i < n; i++ {
		var h [4]int
		for k := range h {
			if h[k], err = u32(); err != nil {
				return err
			}
		}
		l := Layer{In: h[0], Out: h[1], WShift: h[2], OutShift: h[3]}
		if l.In <= 0 || l.Out <= 0 || l.In > MaxWidth || l.Out > MaxWidth {
			return fmt.Errorf("%w: layer %d is %dx%d, widths must be 1..%d", ErrModel, i, l.In, l.Out, MaxWidth)
		}
		need := l.In*l.Out + 4*l.Out
		if len(r) < need {
			return fmt.Errorf("%w: layer %d needs %d bytes, %d left", ErrModel, i, need, len(r))
		}
		l.W = make([]int8, l.In*l.Out)
		for k := range l.W {
			l.W[k] = int8(r[k])
		}
		r = r[l.In*l.Out:]
		l.B = make([]int32, l.Out)
		for k := range l.B {
			l.B[k] = int32(binary.LittleEndian.Uint32(r[4*k:]))
		}
		r = r[4*l.Out:]
		out.Layers = append(out.Layers, l)
	}
	if len(r) != 0 {
		return fmt.Errorf("%w: %d trailing bytes after the last layer", ErrModel, len(r))
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*m = out
	return nil
}
