package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/hypha-network/hypha/testutil/dockertest"
	"github.com/hypha-network/hypha/testutil/netutil"
)

const testImage = "hypha-example-web:runtime-test"

var buildOnce sync.Once

// newDocker returns a docker runtime against the real engine with the
// example web server image built, or skips the test.
func newDocker(t *testing.T) *Docker {
	t.Helper()
	cli := dockertest.Client(t)
	buildOnce.Do(func() { dockertest.BuildGoImage(t, cli, "../../../examples/deploy/webserver", testImage) })
	d, err := NewDocker(context.Background(), t.TempDir(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	d.HostIP = "127.0.0.1"
	return d
}

// cleanupLease removes every container of lease when the test ends.
func cleanupLease(t *testing.T, cli *client.Client, lease uint64) {
	t.Cleanup(func() {
		ctx := context.Background()
		cs, _ := cli.ContainerList(ctx, container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", fmt.Sprintf("%s=%d", LabelLease, lease)))})
		for _, c := range cs {
			_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		}
	})
}

// get returns url's body, or "" when it does not answer.
func get(url string) string {
	body, _ := netutil.Get(url)
	return body
}

func countLines(lines []string, substr string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

func TestDockerNoDaemon(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := NewDocker(context.Background(), t.TempDir(), nil)
	if !errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), "runtime: process") {
		t.Fatalf("err = %v, want ErrNoDaemon with advice", err)
	}
}

func TestDockerServeAdoptRecreateStop(t *testing.T) {
	d := newDocker(t)
	ctx := context.Background()
	lease := uint64(time.Now().UnixNano() % 1e9)
	cleanupLease(t, d.Client(), lease)
	port := netutil.FreePort(t)
	inst := Instance{Lease: lease, Service: "web", Image: testImage, Env: []string{"CONTENT=hello from hypha", "PORT=8080"},
		Ports: map[uint32]int{8080: port}, MemoryBytes: 64 << 20, CPUMillis: 500}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	h, err := d.Start(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "content", func() bool { return strings.TrimSpace(get(url)) == "hello from hypha" })
	waitFor(t, "logs", func() bool {
		l, _ := d.Logs(inst.Name(), 0)
		return countLines(l, "serving on :8080") == 1 && countLines(l, "GET /") >= 1
	})

	info, err := d.Client().ContainerInspect(ctx, ContainerName(inst))
	if err != nil {
		t.Fatal(err)
	}
	if hc := info.HostConfig; hc.Memory != 64<<20 || hc.NanoCPUs != 500_000_000 || *hc.PidsLimit != 1024 || hc.RestartPolicy.Name != container.RestartPolicyUnlessStopped {
		t.Fatalf("limits: memory %d nanocpus %d pids %d restart %q", hc.Memory, hc.NanoCPUs, *hc.PidsLimit, hc.RestartPolicy.Name)
	}
	if hc := info.HostConfig; len(hc.Binds) != 0 || len(hc.Mounts) != 0 || hc.Privileged || !hc.ReadonlyRootfs ||
		!slices.Equal(hc.CapDrop, []string{"ALL"}) || len(hc.CapAdd) != 0 || !slices.Contains(hc.SecurityOpt, "no-new-privileges") ||
		info.Config.User != "65534:65534" || len(info.Mounts) != 0 && info.Mounts[0].Type != "tmpfs" {
		t.Fatalf("container isolation: binds %v mounts %v %v privileged %v read-only %v capdrop %v capadd %v security %v user %q",
			hc.Binds, hc.Mounts, info.Mounts, hc.Privileged, hc.ReadonlyRootfs, hc.CapDrop, hc.CapAdd, hc.SecurityOpt, info.Config.User)
	}
	if info.Config.Labels[LabelInstance] != inst.Name() {
		t.Fatalf("labels = %v", info.Config.Labels)
	}
	st, ok := d.Status(inst.Name())
	if !ok || !st.Running || st.PID == 0 {
		t.Fatalf("status = %+v", st)
	}

	// A new agent process re-adopts the running container: same container,
	// no log line copied twice.
	d.Detach()
	d2, err := NewDocker(ctx, d.Dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := d2.Adopt(ctx, inst, h)
	if err != nil {
		t.Fatal(err)
	}
	if string(h2) != string(h) {
		t.Fatalf("adopt handle %s, want %s", h2, h)
	}
	get(url)
	waitFor(t, "logs after adopt", func() bool {
		l, _ := d2.Logs(inst.Name(), 0)
		return countLines(l, "GET /") >= 2
	})
	if l, _ := d2.Logs(inst.Name(), 0); countLines(l, "serving on :8080") != 1 {
		t.Fatalf("log copied twice after adopt:\n%s", strings.Join(l, "\n"))
	}

	// A container removed behind the runtime's back comes back.
	if err := d2.Client().ContainerRemove(ctx, info.ID, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "re-created container", func() bool {
		st, _ := d2.Status(inst.Name())
		return st.Running && st.Restarts >= 1 && strings.TrimSpace(get(url)) == "hello from hypha"
	})
	h3, _ := d2.Handle(inst.Name())
	if string(h3) == string(h) {
		t.Fatal("handle did not change after re-creation")
	}

	if err := d2.Stop(ctx, inst.Name()); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Client().ContainerInspect(ctx, ContainerName(inst)); !client.IsErrNotFound(err) {
		t.Fatalf("container still there after Stop: %v", err)
	}
	if _, ok := d2.Status(inst.Name()); ok {
		t.Fatal("stopped instance still listed")
	}
	if l, _ := d2.Logs(inst.Name(), 0); countLines(l, "serving on :8080") != 2 {
		t.Fatalf("logs after stop:\n%s", strings.Join(l, "\n"))
	}
	if get(url) != "" {
		t.Fatal("endpoint still answers after Stop")
	}
}

func TestDockerCrashRestartsWithBackoff(t *testing.T) {
	d := newDocker(t)
	ctx := context.Background()
	lease := uint64(time.Now().UnixNano()%1e9) + 1
	cleanupLease(t, d.Client(), lease)
	inst := Instance{Lease: lease, Service: "crash", Image: testImage, Env: []string{"PORT=not-a-port"}}
	if _, err := d.Start(ctx, inst); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two restarts", func() bool { st, _ := d.Status(inst.Name()); return st.Restarts >= 2 })
	st, _ := d.Status(inst.Name())
	if !strings.Contains(st.LastExit, "exit status 1") {
		t.Fatalf("last exit = %q", st.LastExit)
	}
	if l, _ := d.Logs(inst.Name(), 0); countLines(l, "not-a-port") == 0 {
		t.Fatalf("crash output not in logs: %q", l)
	}
	if err := d.Stop(ctx, inst.Name()); err != nil {
		t.Fatal(err)
	}
}

func TestDockerRefusesBadInstances(t *testing.T) {
	d := newDocker(t)
	d.PullTimeout = 20 * time.Second
	ctx := context.Background()
	lease := uint64(time.Now().UnixNano()%1e9) + 2
	cleanupLease(t, d.Client(), lease)
	if _, err := d.Start(ctx, Instance{Lease: lease, Service: "noimage", Command: []string{"sh"}}); err == nil || !strings.Contains(err.Error(), "has no image") {
		t.Fatalf("no image: err = %v", err)
	}
	_, err := d.Start(ctx, Instance{Lease: lease, Service: "missing", Image: "hypha-missing-image:none"})
	if err == nil || !strings.Contains(err.Error(), "not on this provider's Docker engine") {
		t.Fatalf("missing image: err = %v", err)
	}
	if _, ok := d.Status(Instance{Lease: lease, Service: "missing"}.Name()); ok {
		t.Fatal("failed instance is listed")
	}

	// GPUs go to the engine as an NVIDIA device request; an engine without
	// the NVIDIA container toolkit refuses the container, and nothing is left.
	info, err := d.Client().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.Runtimes["nvidia"]; ok {
		t.Log("the engine has the NVIDIA runtime: not checking the refusal")
		return
	}
	gpu := Instance{Lease: lease, Service: "gpu", Image: testImage, GPUs: []string{"0"}}
	if _, err := d.Start(ctx, gpu); err == nil || !strings.Contains(err.Error(), "nvidia") {
		t.Fatalf("GPU instance without the NVIDIA toolkit: err = %v", err)
	}
	if _, err := d.Client().ContainerInspect(ctx, ContainerName(gpu)); !client.IsErrNotFound(err) {
		t.Fatalf("a refused GPU container was left behind: %v", err)
	}
}
