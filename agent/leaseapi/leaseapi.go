// Package leaseapi holds what the provider's lease API and its tenants share:
// the deployment manifest (format, parsing, validation, fit against a lease),
// the status answer, and the request paths. The provider agent serves it
// (agent/provider); the tenant commands call it (agent/tenant). It depends on
// neither side.
package leaseapi

import "fmt"

// Lease states in a Status answer.
const (
	StateAwaitingManifest = "awaiting-manifest"
	StateRunning          = "running"
	StateClosed           = "closed"
)

// Status is the lease API's answer about a lease (GET StatusPath, and the
// answer to PUT ManifestPath and POST ClosePath).
type Status struct {
	Lease    uint64           `json:"lease"`
	State    string           `json:"state"` // StateAwaitingManifest, StateRunning or StateClosed
	Reason   string           `json:"reason,omitempty"`
	Services []InstanceStatus `json:"services"`
}

// InstanceStatus is one service instance in a Status answer.
type InstanceStatus struct {
	Name      string            `json:"name"`
	Index     int               `json:"index"`
	Running   bool              `json:"running"`
	PID       int               `json:"pid,omitempty"`
	Restarts  int               `json:"restarts"`
	LastExit  string            `json:"last_exit,omitempty"`
	Endpoints map[string]string `json:"endpoints"` // container port → host:port
}

// Logs is the JSON answer of GET LogsPath without follow.
type Logs struct {
	Lines []string `json:"lines"`
}

// Error is the JSON body of every error answer.
type Error struct {
	Error string `json:"error"`
}

// Route patterns (net/http ServeMux syntax) the provider serves.
const (
	RouteManifest = "PUT /lease/{id}/manifest"
	RouteStatus   = "GET /lease/{id}/status"
	RouteLogs     = "GET /lease/{id}/logs"
	RouteClose    = "POST /lease/{id}/close"
	RouteMetrics  = "GET /metrics"
)

// ManifestPath is where a tenant PUTs lease id's manifest.
func ManifestPath(id uint64) string { return fmt.Sprintf("/lease/%d/manifest", id) }

// StatusPath is where a tenant GETs lease id's Status.
func StatusPath(id uint64) string { return fmt.Sprintf("/lease/%d/status", id) }

// LogsPath is where a tenant GETs lease id's logs (query: tail, service, follow=1).
func LogsPath(id uint64) string { return fmt.Sprintf("/lease/%d/logs", id) }

// ClosePath is where a tenant POSTs to close lease id.
func ClosePath(id uint64) string { return fmt.Sprintf("/lease/%d/close", id) }
