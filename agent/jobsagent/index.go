package jobsagent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// IndexPath is the route of a job's checkpoint index on a solver's server:
// GET /v1/jobs/{id}/checkpoints answers a CheckpointIndex. The chain holds
// only state roots, so this is how an auditor learns which blob holds the
// checkpoint of a step; the blob it names is still checked against the root.
func IndexPath(jobID string) string { return "/v1/jobs/" + jobID + "/checkpoints" }

// CheckpointIndex maps a job's checkpoint index i (step i·k) to the blob id of
// the checkpoint file (the dataset blob is the job's dataset id).
type CheckpointIndex struct {
	JobID       string   `json:"job_id"`
	Checkpoints []string `json:"checkpoints"`
}

// FetchIndex reads a job's checkpoint index from a solver's server.
func FetchIndex(ctx context.Context, base, jobID string) (CheckpointIndex, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	url := strings.TrimRight(base, "/") + IndexPath(jobID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return CheckpointIndex{}, fmt.Errorf("checkpoint index %s: %w", url, err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return CheckpointIndex{}, fmt.Errorf("checkpoint index %s: %w", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return CheckpointIndex{}, fmt.Errorf("checkpoint index %s: %w", url, err)
	}
	if res.StatusCode != http.StatusOK {
		return CheckpointIndex{}, fmt.Errorf("checkpoint index %s: %s: %s", url, res.Status, strings.TrimSpace(string(b)))
	}
	var ix CheckpointIndex
	if err := json.Unmarshal(b, &ix); err != nil {
		return CheckpointIndex{}, fmt.Errorf("checkpoint index %s: %w", url, err)
	}
	return ix, nil
}
