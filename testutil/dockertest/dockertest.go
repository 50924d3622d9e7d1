// Package dockertest gives tests a Docker Engine client and images built
// locally, since the project's machines reach no image registry. Tests that
// need an engine skip, saying why, when none answers.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// Client returns a client for the engine named by the environment, or skips
// the test when no engine answers.
func Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Skipf("docker runtime tests skipped: no Docker client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		t.Skipf("docker runtime tests skipped: the Docker daemon is not reachable at %s: %v", cli.DaemonHost(), err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// BuildGoImage builds the Go main package in dir as a static binary named
// after dir and builds tag from dir's Dockerfile with that binary in the
// context (the Dockerfile COPYs it, typically FROM scratch).
func BuildGoImage(t testing.TB, cli *client.Client, dir, tag string) {
	t.Helper()
	ctxDir := t.TempDir()
	bin := filepath.Base(dir)
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(ctxDir, bin), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, out)
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(filepath.Join(ctxDir, bin))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, df}, {bin, 0o755, exe}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cli.ImageBuild(ctx, &buf, build.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatalf("build image %s: %v", tag, err)
	}
	defer res.Body.Close()
	var log strings.Builder
	if err := jsonmessage.DisplayJSONMessagesStream(res.Body, &log, 0, false, nil); err != nil {
		t.Fatalf("build image %s: %v\n%s", tag, err, log.String())
	}
	_, _ = io.Copy(io.Discard, res.Body)
}
