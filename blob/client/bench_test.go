package client_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/client"
	"github.com/hypha-network/hypha/blob/server"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/testutil/blobtest"
)

const benchSize = 64 << 20

// BenchmarkGet64MiB measures a verified download of a 64 MiB blob over
// loopback HTTP: manifest check, every chunk hashed against it, written to
// disk, fsynced and renamed into place (server and client in one process).
func BenchmarkGet64MiB(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	in, err := s.Put(bytes.NewReader(blobtest.Bytes(benchSize, 1)), blob.ID{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(server.New(server.Config{Store: s}))
	defer ts.Close()
	dst := filepath.Join(b.TempDir(), "out")
	c := &client.Client{}
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := c.Get(context.Background(), in.ID, dst, ts.URL); err != nil {
			b.Fatal(err)
		}
		os.Remove(dst)
	}
}

// BenchmarkPut64MiB measures an upload of a 64 MiB blob over loopback: the
// client hashes it, the server hashes it again while writing it to its store
// and checks it against the id.
func BenchmarkPut64MiB(b *testing.B) {
	data := blobtest.Bytes(benchSize, 2)
	c := &client.Client{}
	b.SetBytes(benchSize)
	for b.Loop() {
		b.StopTimer()
		s, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(server.New(server.Config{Store: s, AllowUpload: true}))
		b.StartTimer()
		if _, err := c.Put(context.Background(), ts.URL, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		ts.Close()
		b.StartTimer()
	}
}
