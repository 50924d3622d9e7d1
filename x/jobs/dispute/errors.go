package dispute

import "errors"

// Errors returned by the game. A move that fails with any of them changes
// nothing: the side may correct it and move again while its clock runs.
var (
	// ErrParams: invalid game parameters or opening values.
	ErrParams = errors.New("dispute: invalid game parameters")
	// ErrWrongTurn: the side does not owe a move now (it already moved this
	// round, or the game is in a phase that takes another kind of move).
	ErrWrongTurn = errors.New("dispute: not this side's turn")
	// ErrWrongRound: the move names another round than the current one
	// (stale or replayed); re-read the game and move for its round.
	ErrWrongRound = errors.New("dispute: wrong round")
	// ErrBadMove: the move carries the wrong number or size of items for
	// this phase.
	ErrBadMove = errors.New("dispute: malformed move")
	// ErrBadProof: a revealed value, hash list or evidence does not match
	// the side's own earlier commitments or the agreed roots.
	ErrBadProof = errors.New("dispute: proof does not verify")
	// ErrOutOfRange: an index or size beyond the game's bounds.
	ErrOutOfRange = errors.New("dispute: out of range")
	// ErrTimeout: the side's clock ran out before the move.
	ErrTimeout = errors.New("dispute: clock ran out")
	// ErrFinished: the game is over.
	ErrFinished = errors.New("dispute: game finished")
)
