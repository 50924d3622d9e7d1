package ckpt

import (
	"bytes"
	"testing"
)

func sample() *Checkpoint {
	c := New()
	c.PutTensor("param/w", []int{2, 2}, []float32{1, -2, 3.5, 0})
	c.PutUint("run/step", 42)
	c.PutBytes("ce/version", []byte("CE-v1"))
	c.PutFloat("sched/lr", 0.125)
	return c
}

func TestRoundTripAndCommitment(t *testing.T) {
	c := sample()
	b, _ := c.MarshalBinary()
	var d Checkpoint
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if d.Commitment() != c.Commitment() {
		t.Fatal("commitment changed by round trip")
	}
	b2, _ := d.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Fatal("encoding not canonical")
	}
	// Insertion order must not matter; any value change must.
	e := New()
	e.PutFloat("sched/lr", 0.125)
	e.PutBytes("ce/version", []byte("CE-v1"))
	e.PutUint("run/step", 42)
	e.PutTensor("param/w", []int{2, 2}, []float32{1, -2, 3.5, 0})
	if e.Commitment() != c.Commitment() {
		t.Fatal("commitment depends on insertion order")
	}
	e.PutUint("run/step", 43)
	if e.Commitment() == c.Commitment() {
		t.Fatal("commitment ignores a value")
	}
	if _, err := d.Tensor("param/w", []int{4}); err == nil {
		t.Error("wrong shape accepted")
	}
}

func TestRejectsMalformed(t *testing.T) {
	b, _ := sample().MarshalBinary()
	for cut := 0; cut < len(b); cut++ {
		var d Checkpoint
		if err := d.UnmarshalBinary(b[:cut]); err == nil {
			t.Fatalf("truncation at %d accepted", cut)
		}
	}
	var d Checkpoint
	if err := d.UnmarshalBinary(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil {
		t.Fatal("empty dir loaded")
	}
	if err := Save(dir, sample()); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil || c.Commitment() != sample().Commitment() {
		t.Fatalf("load: %v", err)
	}
}
