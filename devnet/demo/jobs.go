package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/hypha-network/hypha/agent/auditor"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/solver"
)

// The devnet's jobs agents: one solver and two auditors (keys no other
// devnet agent signs with).
const (
	SolverKey = "carol"
)

// AuditorKeys are the devnet auditors' keys.
var AuditorKeys = []string{"provider2", "validator"}

// JobsOptions configures RunJobs.
type JobsOptions struct {
	Home string
	// RPC is the node's CometBFT RPC URL.
	RPC string
	// Port is the solver's blob server port on 127.0.0.1.
	Port int
	Out  io.Writer
}

// RunJobs runs the devnet's solver and two auditors until ctx ends; their
// state lives under Home/jobs (so a restarted devnet resumes them) and their
// outcome lines go to Home/jobs/agents.log.
func RunJobs(ctx context.Context, o JobsOptions) error {
	dir := filepath.Join(o.Home, "jobs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("jobs agents: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "agents.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("jobs agents: open log: %w", err)
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	chain := func(key string) chainclient.Config {
		return chainclient.Config{Home: o.Home, KeyringBackend: "test", Key: key, Node: o.RPC}
	}
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port))
	scfg := &solver.Config{Chain: chain(SolverKey), StateDir: filepath.Join(dir, "solver"), Listen: listen}
	if err := scfg.Fill(); err != nil {
		return err
	}
	s, err := solver.New(scfg, logf, log.With("agent", "solver"))
	if err != nil {
		return err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	goRun := func(run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(gctx); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	goRun(s.Run)
	for _, key := range AuditorKeys {
		acfg := &auditor.Config{Chain: chain(key), StateDir: filepath.Join(dir, "auditor-"+key), BlobSources: []string{"http://" + listen}}
		if err := acfg.Fill(); err != nil {
			return err
		}
		a, err := auditor.New(acfg, logf, log.With("agent", "auditor", "key", key))
		if err != nil {
			return err
		}
		goRun(a.Run)
	}
	fmt.Fprintf(o.Out, "Jobs agents: solver (%s) serving blobs at http://%s, auditors %v; log %s\n",
		SolverKey, listen, AuditorKeys, filepath.Join(dir, "agents.log"))
	wg.Wait()
	return first
}
