package keeper

import (
	"fmt"
	"slices"

	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/optim"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/referee"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// Checkpoint entry names of a CE-v1 training state (ml/train.Trainer.Checkpoint
// writes exactly these); the referee needs them in canonical (sorted) order.
// TestStateNamesMatchTrainer keeps this list equal to the trainer's.
var fixedStateNames = []string{
	"ce/version", "run/graph", "run/data", "run/program", "run/step", "run/loss",
	"rng/seed", "rng/step", "data/epoch", "data/pos", "sched/lr", "optim/beta1_pow", "optim/beta2_pow",
}

// buildReferee is the CE-v1 referee of a job, built only from what the job
// stores: its raw spec, seed and the dataset description of its terms. It is
// deterministic (no data is read) and costs one graph build.
func buildReferee(spec []byte, t types.JobTerms) (*referee.Referee, error) {
	s, err := train.ParseSpec(spec)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSpec, "parse the job's spec: %v", err)
	}
	x := make([]int, len(t.DataXShape))
	xs := 1
	for i, d := range t.DataXShape {
		x[i] = int(d)
		xs *= int(d)
	}
	ys := 1
	for _, d := range t.DataYShape {
		ys *= int(d)
	}
	m, err := model.Build(s.Model, x, int(t.DataClasses), s.Train.Batch, true)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidDataset, "the spec's model does not fit examples of shape %v with %d classes: %v", t.DataXShape, t.DataClasses, err)
	}
	names := slices.Clone(fixedStateNames)
	if s.Data.Format == "text" {
		names = append(names, "data/vocab")
	}
	adam := s.Optimizer.WithDefaults().Kind == optim.AdamW
	for _, p := range m.G.Params {
		n := m.G.Nodes[p].Name
		names = append(names, "param/"+n, "optim/m/"+n)
		if adam {
			names = append(names, "optim/v/"+n)
		}
	}
	slices.Sort(names)
	var root [32]byte
	copy(root[:], t.DataRoot)
	ds := referee.Dataset{N: int(t.DataExamples), XSize: xs, YSize: ys, Root: root}
	r, err := referee.New(s, t.Seed, ds, x, int(t.DataClasses), names)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidDataset, "build the job's referee: %v", err)
	}
	return r, nil
}

// checkProvable refuses a job whose disputes could not be judged within the
// game's move limits (referee.CheckLimits), before anything is written.
func checkProvable(spec []byte, t types.JobTerms) error {
	r, err := buildReferee(spec, t)
	if err != nil {
		return err
	}
	if err := r.CheckLimits(); err != nil {
		return errorsmod.Wrap(types.ErrUnprovable, fmt.Sprintf("%v", err))
	}
	return nil
}
