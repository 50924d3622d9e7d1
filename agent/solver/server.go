package solver

import (
	"encoding/json"
	"net/http"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/hypha-network/hypha/agent/jobsagent"
	"github.com/hypha-network/hypha/blob/api"
	"github.com/hypha-network/hypha/blob/server"
)

// sdkMsg is a chain message.
type sdkMsg = sdk.Msg

// handler serves the blob API (read-only) and the checkpoint index of the
// job in hand.
func (a *Agent) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", server.New(server.Config{Store: a.st}))
	mux.Handle(api.Prefix, server.New(server.Config{Store: a.st}))
	mux.HandleFunc("GET /v1/jobs/{id}/checkpoints", func(w http.ResponseWriter, req *http.Request) {
		r := a.current()
		if r.JobID == "" || req.PathValue("id") != r.JobID {
			http.Error(w, "this solver does not serve job "+req.PathValue("id"), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jobsagent.CheckpointIndex{JobID: r.JobID, Checkpoints: r.Checkpoints})
	})
	return mux
}
