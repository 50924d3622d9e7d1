// Package dispute is the pure logic of the x/jobs dispute game: a solver and
// a challenger who disagree on the end state of a training segment narrow
// their disagreement, in b-ary rounds over Merkle trees each side committed
// to, down to one value the chain can recompute: first the step whose end
// state differs, then the first entry of that step's op trace (or of its end
// state) that differs, then one element of that entry. A Referee recomputes
// the value from evidence proven against agreed roots, and the side whose
// claim differs from it loses. Each side has a chess clock in blocks; a side
// that does not move in time loses.
//
// The package has no Cosmos SDK dependency and no floating point, map
// iteration or wall clock: a Game is plain data the keeper stores, heights
// are block heights, and every move's work is bounded by the limits in
// params.go. The CE-v1 Referee lives in x/jobs/referee.
package dispute
