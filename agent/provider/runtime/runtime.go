// Package runtime runs the workloads of leases. Runtime is the interface the
// provider agent uses; Process is the embedded backend that runs each service
// instance as a host process, and Docker runs each instance as a container
// through the Docker Engine API.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Instance is one running copy of a service.
type Instance struct {
	// Lease is the lease (order) id.
	Lease uint64 `json:"lease"`
	// Service is the manifest service name; Index numbers its copies from 0.
	Service string `json:"service"`
	Index   int    `json:"index"`
	// Image is the container image (docker runtime only).
	Image string `json:"image,omitempty"`
	// Command is the program and its leading arguments, already expanded.
	// The docker runtime uses it as the entrypoint (the image's when empty).
	Command []string `json:"command"`
	// Args follow Command; the docker runtime passes them as the container's
	// command (the image's when both are empty).
	Args []string `json:"args,omitempty"`
	// Env is the environment, as KEY=VALUE.
	Env []string `json:"env"`
	// Ports maps each exposed container port to the host port allocated for it.
	Ports map[uint32]int `json:"ports"`
	// Limits applied to the instance.
	MemoryBytes  uint64 `json:"memory_bytes"`
	CPUMillis    uint64 `json:"cpu_millis"`
	StorageBytes uint64 `json:"storage_bytes"`
	// GPUs are the IDs (UUIDs or indexes) of the GPUs given to the instance.
	GPUs []string `json:"gpus,omitempty"`
}

// Name identifies an instance within a provider: "<lease>-<service>-<index>".
func (i Instance) Name() string {
	return itoa(i.Lease) + "-" + i.Service + "-" + itoa(uint64(i.Index))
}

// State is what a runtime reports about an instance.
type State struct {
	Name      string    `json:"name"`
	Running   bool      `json:"running"`
	PID       int       `json:"pid,omitempty"`
	Restarts  int       `json:"restarts"`
	StartedAt time.Time `json:"started_at"`
	LastExit  string    `json:"last_exit,omitempty"`
}

// Handle is persisted by the agent so that a new agent process can re-adopt a
// running instance; its content is runtime-specific.
type Handle []byte

// Runtime starts, adopts, inspects and stops instances.
type Runtime interface {
	// Kind names the backend ("process" or "docker"); it decides whether a
	// service needs a command or an image and which ports it listens on.
	Kind() string
	// Start starts an instance and supervises it (restarting it with backoff
	// when it exits) until Stop.
	Start(ctx context.Context, inst Instance) (Handle, error)
	// Adopt takes over supervision of an instance started by an earlier agent
	// process, restarting it if it is no longer running.
	Adopt(ctx context.Context, inst Instance, h Handle) (Handle, error)
	// Handle returns the current re-adoption handle of an instance (it changes
	// on restart).
	Handle(name string) (Handle, bool)
	// Status reports an instance's state.
	Status(name string) (State, bool)
	// Logs returns at most the last n lines the instance printed.
	Logs(name string, n int) ([]string, error)
	// LogFile is the file the instance's output is appended to.
	LogFile(name string) string
	// Stop stops an instance and forgets it; its logs stay readable.
	Stop(ctx context.Context, name string) error
	// StopOrphan stops an instance that an earlier agent process started and
	// nobody supervises now (its lease closed while the agent was down).
	StopOrphan(ctx context.Context, h Handle)
	// Detach stops supervising every instance without stopping it (agent shutdown).
	Detach()
}

// tailLines returns at most the last n lines of instance name's log file at
// path (all of them when n <= 0), reading no more than its last 256 KiB. A
// missing file has no lines. Both runtimes keep logs in such a file.
func tailLines(name, path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read logs of %s: %w", name, err)
	}
	defer f.Close()
	const window = 256 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		if _, err := f.Seek(fi.Size()-window, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read logs of %s: %w", name, err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read logs of %s: %w", name, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil, nil
	}
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
