//go:build race

package kernel

// raceEnabled is set in race-detector builds, where sync.Pool deliberately
// drops items and allocation counts are meaningless.
const raceEnabled = true
