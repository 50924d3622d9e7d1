package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
)

// ErrNoDaemon means the docker runtime cannot reach a Docker Engine.
var ErrNoDaemon = errors.New("the Docker daemon is not reachable")

// Label keys the docker runtime puts on its containers, so that an operator
// can list them (docker ps --filter label=io.hypha.lease).
const (
	LabelLease    = "io.hypha.lease"
	LabelInstance = "io.hypha.instance"
)

// Docker runs each instance as a container through the Docker Engine API.
// Docker itself restarts a crashed container with backoff (restart policy
// unless-stopped) and keeps it running while the agent is down; the runtime
// re-creates a container that was removed behind its back and copies the
// container's output into Dir/<name>/log, so logs read the same as with the
// process runtime and survive the container.
type Docker struct {
	// Dir holds the instances' log files.
	Dir string
	// HostIP is the host address published ports bind to ("" = all).
	HostIP string
	// PullTimeout bounds pulling an image that is not present locally.
	PullTimeout time.Duration

	cli  *client.Client
	logf func(format string, args ...any)

	mu   sync.Mutex
	ctrs map[string]*ctr
}

type ctr struct {
	inst      Instance
	id        string
	recreated int       // restarts done by re-creating the container
	since     time.Time // timestamp of the last log line copied
	stopping  bool      // Stop is under way: do not revive
	cancel    context.CancelFunc
	done      chan struct{}
}

type dockerHandle struct {
	ContainerID string `json:"container_id"`
	Recreated   int    `json:"recreated,omitempty"`
}

// NewDocker connects to the Docker Engine named by the environment
// (DOCKER_HOST, default unix:///var/run/docker.sock), negotiating the API
// version, and fails with ErrNoDaemon when no engine answers.
func NewDocker(ctx context.Context, dir string, logf func(string, ...any)) (*Docker, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker runtime: %w at %s (%v): start dockerd, point DOCKER_HOST at an engine, or use runtime: process", ErrNoDaemon, cli.DaemonHost(), err)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Docker{Dir: dir, PullTimeout: 2 * time.Minute, cli: cli, logf: logf, ctrs: map[string]*ctr{}}, nil
}

// Client is the Engine API client the runtime uses.
func (d *Docker) Client() *client.Client { return d.cli }

// Kind implements Runtime.
func (d *Docker) Kind() string { return "docker" }

// ContainerName is the Docker container name of an instance.
func ContainerName(inst Instance) string { return "hypha-" + inst.Name() }

// Start implements Runtime.
func (d *Docker) Start(ctx context.Context, inst Instance) (Handle, error) {
	if inst.Image == "" {
		return nil, fmt.Errorf("service %s has no image: the docker runtime runs images", inst.Service)
	}
	d.mu.Lock()
	_, dup := d.ctrs[inst.Name()]
	d.mu.Unlock()
	if dup {
		return nil, fmt.Errorf("instance %s is already running", inst.Name())
	}
	if err := d.ensureImage(ctx, inst.Image); err != nil {
		return nil, err
	}
	id, err := d.create(ctx, inst)
	if err != nil {
		return nil, err
	}
	c := &ctr{inst: inst, id: id}
	d.supervise(c)
	return c.handle(), nil
}

// ensureImage pulls ref unless the engine already has it.
func (d *Docker) ensureImage(ctx context.Context, ref string) error {
	if _, err := d.cli.ImageInspect(ctx, ref); err == nil {
		return nil
	} else if !client.IsErrNotFound(err) {
		return fmt.Errorf("inspect image %s: %w", ref, err)
	}
	pctx, cancel := context.WithTimeout(ctx, d.PullTimeout)
	defer cancel()
	d.logf("image %s is not present; pulling it", ref)
	rc, err := d.cli.ImagePull(pctx, ref, image.PullOptions{})
	if err == nil {
		err = jsonmessage.DisplayJSONMessagesStream(rc, io.Discard, 0, false, nil)
		rc.Close()
	}
	if err != nil {
		return fmt.Errorf("image %s is not on this provider's Docker engine and pulling it failed: %w", ref, err)
	}
	return nil
}

// create creates and starts the container of inst, replacing a leftover
// container of the same name.
func (d *Docker) create(ctx context.Context, inst Instance) (string, error) {
	name := ContainerName(inst)
	_ = d.cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true})
	exposed, bindings := nat.PortSet{}, nat.PortMap{}
	for cp, hp := range inst.Ports {
		p := nat.Port(strconv.FormatUint(uint64(cp), 10) + "/tcp")
		exposed[p] = struct{}{}
		bindings[p] = []nat.PortBinding{{HostIP: d.HostIP, HostPort: strconv.Itoa(hp)}}
	}
	pids := int64(1024)
	res := container.Resources{PidsLimit: &pids, NanoCPUs: int64(inst.CPUMillis) * 1_000_000,
		Ulimits: []*units.Ulimit{{Name: "nofile", Soft: 4096, Hard: 4096}}}
	if inst.MemoryBytes > 0 {
		res.Memory, res.MemorySwap = int64(inst.MemoryBytes), int64(inst.MemoryBytes)
	}
	if len(inst.GPUs) > 0 {
		// Needs the NVIDIA container toolkit on the host; without it the
		// engine refuses to start the container and says so.
		res.DeviceRequests = []container.DeviceRequest{{Driver: "nvidia", DeviceIDs: inst.GPUs, Capabilities: [][]string{{"gpu"}}}}
	}
	if inst.StorageBytes > 0 {
		res.Ulimits = append(res.Ulimits, &units.Ulimit{Name: "fsize", Soft: int64(inst.StorageBytes), Hard: int64(inst.StorageBytes)})
	}
	// The container runs as nobody, with no capabilities, no privilege
	// gain, a read-only root file system (a 64 MiB tmpfs on /tmp is its
	// scratch space) and no host file system mounted.
	cfg := &container.Config{Image: inst.Image, Env: inst.Env, ExposedPorts: exposed, User: ContainerUser,
		Labels: map[string]string{LabelLease: strconv.FormatUint(inst.Lease, 10), LabelInstance: inst.Name()}}
	if len(inst.Command) > 0 {
		cfg.Entrypoint = inst.Command
	}
	if len(inst.Args) > 0 {
		cfg.Cmd = inst.Args
	}
	host := &container.HostConfig{PortBindings: bindings, Resources: res,
		RestartPolicy:  container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
		SecurityOpt:    []string{"no-new-privileges"},
		CapDrop:        []string{"ALL"},
		Privileged:     false,
		ReadonlyRootfs: true,
		Tmpfs:          map[string]string{"/tmp": "rw,nosuid,nodev,noexec,size=64m"},
		LogConfig:      container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "2"}}}
	created, err := d.cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		return "", fmt.Errorf("create container for %s: %w", inst.Name(), err)
	}
	if err := d.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		_ = d.cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true})
		return "", fmt.Errorf("start container for %s: %w", inst.Name(), err)
	}
	return created.ID, nil
}

// ContainerUser is the user:group containers run as (nobody:nogroup).
const ContainerUser = "65534:65534"

func (c *ctr) handle() Handle {
	b, _ := json.Marshal(dockerHandle{ContainerID: c.id, Recreated: c.recreated})
	return b
}

// supervise registers c and starts copying its logs and watching it.
func (d *Docker) supervise(c *ctr) {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	if s, err := os.ReadFile(d.sincePath(c.inst.Name())); err == nil {
		c.since, _ = time.Parse(time.RFC3339Nano, string(bytes.TrimSpace(s)))
	}
	d.mu.Lock()
	d.ctrs[c.inst.Name()] = c
	d.mu.Unlock()
	go d.watch(ctx, c)
}

// watch copies the container's output to its log file while it runs; when
// the log stream ends (the container stopped) it makes sure the container
// runs again: Docker restarts crashes itself, so only a container stopped or
// removed behind the runtime's back needs a hand.
func (d *Docker) watch(ctx context.Context, c *ctr) {
	defer close(c.done)
	for ctx.Err() == nil {
		if err := d.copyLogs(ctx, c); err != nil && ctx.Err() == nil && !client.IsErrNotFound(err) {
			d.logf("instance %s: logs: %v", c.inst.Name(), err)
		}
		d.mu.Lock()
		stopping := c.stopping
		d.mu.Unlock()
		if stopping {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		d.revive(ctx, c)
	}
}

// revive restarts or re-creates c's container when it is neither running nor
// about to be restarted by Docker.
func (d *Docker) revive(ctx context.Context, c *ctr) {
	d.mu.Lock()
	id, stopping := c.id, c.stopping
	d.mu.Unlock()
	if stopping {
		return
	}
	info, err := d.cli.ContainerInspect(ctx, id)
	switch {
	case client.IsErrNotFound(err):
		d.logf("instance %s: container %.12s is gone; creating it again", c.inst.Name(), id)
		nid, err := d.create(ctx, c.inst)
		if err != nil {
			d.logf("instance %s: %v", c.inst.Name(), err)
			return
		}
		d.mu.Lock()
		c.id = nid
		c.recreated++
		d.mu.Unlock()
	case err != nil:
		if ctx.Err() == nil {
			d.logf("instance %s: inspect: %v", c.inst.Name(), err)
		}
	case info.State != nil && !info.State.Running && !info.State.Restarting:
		d.logf("instance %s: container stopped (%s); starting it again", c.inst.Name(), exitString(info.State))
		if err := d.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
			d.logf("instance %s: start: %v", c.inst.Name(), err)
			return
		}
		d.mu.Lock()
		c.recreated++
		d.mu.Unlock()
	}
}

// copyLogs follows the container's output from just after the last copied
// line until the stream ends.
func (d *Docker) copyLogs(ctx context.Context, c *ctr) error {
	d.mu.Lock()
	id, since := c.id, c.since
	d.mu.Unlock()
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
	if !since.IsZero() {
		s := since.Add(time.Nanosecond)
		opts.Since = fmt.Sprintf("%d.%09d", s.Unix(), s.Nanosecond())
	}
	rc, err := d.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return err
	}
	defer rc.Close()
	dir := filepath.Join(d.Dir, c.inst.Name())
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create log directory: %w", err)
	}
	f, err := os.OpenFile(d.LogFile(c.inst.Name()), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	defer f.Close()
	w := &logWriter{d: d, c: c, out: f}
	_, err = stdcopy.StdCopy(w, w, rc)
	w.flush()
	return err
}

// logWriter strips Docker's timestamps from each line, appends the line to
// the log file and remembers the timestamp so that a re-attached stream (or a
// new agent) continues where this one stopped.
type logWriter struct {
	d       *Docker
	c       *ctr
	out     *os.File
	partial []byte
	last    time.Time
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	var buf bytes.Buffer
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := w.partial[:i+1]
		if sp := bytes.IndexByte(line, ' '); sp > 0 {
			if ts, err := time.Parse(time.RFC3339Nano, string(line[:sp])); err == nil {
				w.last = ts
				line = line[sp+1:]
			}
		}
		buf.Write(line)
		w.partial = w.partial[i+1:]
	}
	if buf.Len() > 0 {
		if _, err := w.out.Write(buf.Bytes()); err != nil {
			return 0, err
		}
		w.flush()
	}
	return len(p), nil
}

// flush records the timestamp of the last copied line.
func (w *logWriter) flush() {
	if w.last.IsZero() {
		return
	}
	w.d.mu.Lock()
	w.c.since = w.last
	w.d.mu.Unlock()
	_ = os.WriteFile(w.d.sincePath(w.c.inst.Name()), []byte(w.last.Format(time.RFC3339Nano)), 0o640)
}

func (d *Docker) sincePath(name string) string { return filepath.Join(d.Dir, name, "log.since") }

// Adopt implements Runtime.
func (d *Docker) Adopt(ctx context.Context, inst Instance, h Handle) (Handle, error) {
	var dh dockerHandle
	if err := json.Unmarshal(h, &dh); err != nil || dh.ContainerID == "" {
		return d.Start(ctx, inst)
	}
	d.mu.Lock()
	_, dup := d.ctrs[inst.Name()]
	d.mu.Unlock()
	if dup {
		return nil, fmt.Errorf("instance %s is already supervised", inst.Name())
	}
	info, err := d.cli.ContainerInspect(ctx, dh.ContainerID)
	if client.IsErrNotFound(err) {
		d.logf("instance %s: container %.12s is gone; starting it again", inst.Name(), dh.ContainerID)
		return d.Start(ctx, inst)
	}
	if err != nil {
		return nil, fmt.Errorf("inspect container of %s: %w", inst.Name(), err)
	}
	c := &ctr{inst: inst, id: dh.ContainerID, recreated: dh.Recreated}
	if info.State != nil && !info.State.Running && !info.State.Restarting {
		if err := d.cli.ContainerStart(ctx, c.id, container.StartOptions{}); err != nil {
			return nil, fmt.Errorf("start container of %s: %w", inst.Name(), err)
		}
		c.recreated++
	}
	d.supervise(c)
	d.logf("re-adopted instance %s (container %.12s)", inst.Name(), c.id)
	return c.handle(), nil
}

// Handle implements Runtime.
func (d *Docker) Handle(name string) (Handle, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.ctrs[name]
	if !ok {
		return nil, false
	}
	return c.handle(), true
}

// Status implements Runtime. PID is the container's main process as the
// host sees it.
func (d *Docker) Status(name string) (State, bool) {
	d.mu.Lock()
	c, ok := d.ctrs[name]
	var id string
	var recreated int
	if ok {
		id, recreated = c.id, c.recreated
	}
	d.mu.Unlock()
	if !ok {
		return State{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st := State{Name: name, Restarts: recreated}
	info, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		st.LastExit = "container unavailable: " + err.Error()
		return st, true
	}
	if info.State == nil {
		return st, true
	}
	st.Running, st.Restarts = info.State.Running, info.RestartCount+recreated
	if st.Running {
		st.PID = info.State.Pid
	}
	st.StartedAt, _ = time.Parse(time.RFC3339Nano, info.State.StartedAt)
	if info.State.FinishedAt != "" && !strings.HasPrefix(info.State.FinishedAt, "0001-") {
		st.LastExit = exitString(info.State)
	}
	return st, true
}

func exitString(s *container.State) string {
	switch {
	case s.OOMKilled:
		return fmt.Sprintf("exit status %d (out of memory)", s.ExitCode)
	case s.Error != "":
		return fmt.Sprintf("exit status %d: %s", s.ExitCode, s.Error)
	default:
		return fmt.Sprintf("exit status %d", s.ExitCode)
	}
}

// LogFile implements Runtime.
func (d *Docker) LogFile(name string) string { return filepath.Join(d.Dir, name, "log") }

// Logs implements Runtime.
func (d *Docker) Logs(name string, n int) ([]string, error) {
	return tailLines(name, d.LogFile(name), n)
}

// Stop implements Runtime: it stops the container (SIGTERM, then SIGKILL
// after 5 s), copies its last output and removes it.
func (d *Docker) Stop(ctx context.Context, name string) error {
	d.mu.Lock()
	c, ok := d.ctrs[name]
	delete(d.ctrs, name)
	if ok {
		c.stopping = true
	}
	d.mu.Unlock()
	if !ok {
		return nil
	}
	timeout := 5
	err := d.cli.ContainerStop(ctx, c.id, container.StopOptions{Timeout: &timeout})
	if err != nil && !client.IsErrNotFound(err) {
		d.logf("instance %s: stop: %v", name, err)
	}
	// The log stream ends when the container stops; wait briefly for the
	// last lines before cancelling.
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	c.cancel()
	<-c.done
	if err := d.cli.ContainerRemove(ctx, c.id, container.RemoveOptions{Force: true}); err != nil && !client.IsErrNotFound(err) {
		return fmt.Errorf("remove container of %s: %w", name, err)
	}
	return nil
}

// StopOrphan implements Runtime.
func (d *Docker) StopOrphan(ctx context.Context, h Handle) {
	var dh dockerHandle
	if json.Unmarshal(h, &dh) != nil || dh.ContainerID == "" {
		return
	}
	timeout := 5
	_ = d.cli.ContainerStop(ctx, dh.ContainerID, container.StopOptions{Timeout: &timeout})
	_ = d.cli.ContainerRemove(ctx, dh.ContainerID, container.RemoveOptions{Force: true})
}

// Detach implements Runtime: containers keep running under Docker's restart
// policy; the log copiers stop.
func (d *Docker) Detach() {
	d.mu.Lock()
	cs := make([]*ctr, 0, len(d.ctrs))
	for name, c := range d.ctrs {
		cs = append(cs, c)
		delete(d.ctrs, name)
	}
	d.mu.Unlock()
	for _, c := range cs {
		c.cancel()
		<-c.done
	}
}
