// Package task defines what work a subnet does: what a query is, how a miner
// answers it and how a validator scores the answer. A task is chosen by name
// in the miner's and validator's configs; both sides of a subnet must use the
// same task.
//
// To add a task, implement Task (a Model for the miner side, a Challenger
// for the validator side and a Shape for the gateway side), call Register from an init function in the task's
// file, and document its request and response JSON. Scores must lie in [0, 1],
// be 0 for anything malformed, and reward correctness only (latency is scored
// by the validator for every task alike).
package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
)

// ErrBadAnswer reports an answer that is not valid for its challenge. It scores 0.
var ErrBadAnswer = errors.New("task: bad answer")

// Task is one kind of subnet work.
type Task interface {
	// Name is the task's config name, e.g. "classify".
	Name() string
	// LoadModel loads what a miner serves from a model path (for the shipped
	// tasks: a checkpoint directory written by `hyphad ml train`).
	LoadModel(path string) (Model, error)
	// LoadChallenger loads what a validator queries with from a data source
	// (for the shipped tasks: a training spec whose eval split is held out).
	LoadChallenger(source string) (Challenger, error)
	// LoadShape returns the request checks of a gateway from the same data
	// source as LoadChallenger; an empty source gives the task's limits that
	// hold whatever the data (e.g. any consistent feature count).
	LoadShape(source string) (Shape, error)
}

// ErrBadRequest reports a consumer query that does not fit the subnet's task.
var ErrBadRequest = errors.New("task: bad request")

// Shape checks a consumer's query before any miner sees it, so that a
// malformed query costs no miner call and counts against no miner.
type Shape interface {
	// MaxRequestBytes is the largest body a valid query can have (0: the
	// task sets no bound of its own).
	MaxRequestBytes() int
	// Validate returns nil for a query the subnet's miners can answer, else an
	// error wrapping ErrBadRequest that says what is wrong.
	Validate(request []byte) error
}

// Model answers queries on a miner. Answer must be safe for concurrent use.
type Model interface {
	Answer(request json.RawMessage) (json.RawMessage, error)
}

// ShapedModel is a Model that knows the queries it can answer; a miner checks
// each query against Shape before it takes a slot or runs the model.
type ShapedModel interface {
	Model
	Shape() Shape
}

// ModelShape returns m's Shape, or nil if m does not tell.
func ModelShape(m Model) Shape {
	if sm, ok := m.(ShapedModel); ok {
		return sm.Shape()
	}
	return nil
}

// Challenger makes scored queries on a validator.
type Challenger interface {
	// Challenge draws a query of n samples with rng.
	Challenge(rng *rand.Rand, n int) (Challenge, error)
}

// Challenge is one query and the knowledge to score answers to it.
type Challenge interface {
	// Request is the JSON sent to miners.
	Request() json.RawMessage
	// Score rates an answer in [0, 1]; a malformed answer returns 0 and an
	// error wrapping ErrBadAnswer.
	Score(answer json.RawMessage) (Score, error)
}

// Score is the quality of one answer.
type Score struct {
	// Quality in [0, 1] is what the validator's weights are built from.
	Quality float64 `json:"quality"`
	// Accuracy and LogLoss are reported for classification tasks.
	Accuracy float64 `json:"accuracy"`
	LogLoss  float64 `json:"log_loss"`
}

var (
	mu    sync.RWMutex
	tasks = map[string]Task{}
)

// Register makes a task available by name. It panics on a duplicate name,
// which is a programming error caught at init.
func Register(t Task) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := tasks[t.Name()]; dup {
		panic("task: duplicate task " + t.Name())
	}
	tasks[t.Name()] = t
}

// Lookup returns the named task.
func Lookup(name string) (Task, error) {
	mu.RLock()
	defer mu.RUnlock()
	t, ok := tasks[name]
	if !ok {
		return nil, fmt.Errorf("task: unknown task %q (known: %v)", name, namesLocked())
	}
	return t, nil
}

// LoadModel loads the named task's model from path (a miner's start).
func LoadModel(name, path string) (Model, error) {
	t, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return t.LoadModel(path)
}

// LoadChallenger loads the named task's challenger from source (a validator's start).
func LoadChallenger(name, source string) (Challenger, error) {
	t, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return t.LoadChallenger(source)
}

// LoadShape loads the named task's request checks from source (a gateway's start).
func LoadShape(name, source string) (Shape, error) {
	t, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return t.LoadShape(source)
}

// Names lists the registered tasks.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(tasks))
	for n := range tasks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
