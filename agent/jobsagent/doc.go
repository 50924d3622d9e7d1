// Package jobsagent holds what the solver and auditor agents share: a small
// bbolt record store, the rule that turns a job's dataset blob into a file
// ml/train can load, a trainer built from a job's stored spec, and the
// checkpoint index the solver serves next to its blobs so an auditor can find
// the checkpoint of a segment.
package jobsagent
